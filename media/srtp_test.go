package media

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pion/srtp/v3"
)

// fakePBXEnd is the test PBX's side of the PBX leg's crypto: nil contexts mean plain.
type fakePBXEnd struct {
	enc, dec *srtp.Context
}

func (e fakePBXEnd) open(t *testing.T, b []byte) []byte {
	t.Helper()
	if e.dec == nil {
		return b
	}
	if bytes.Contains(b, []byte("from-the-microphone")) {
		t.Fatal("the PBX leg carried the audio in clear text")
	}
	out, err := e.dec.DecryptRTP(nil, b, nil)
	if err != nil {
		t.Fatalf("the PBX cannot decrypt our packet: %v", err)
	}
	return out
}

func (e fakePBXEnd) seal(t *testing.T, b []byte) []byte {
	t.Helper()
	if e.enc == nil {
		return b
	}
	out, err := e.enc.EncryptRTP(nil, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sdesPBXEnd answers our SDES offer as a PBX would: it takes our key of the chosen
// suite and makes its own with the same tag.
func sdesPBXEnd(t *testing.T, offer string, suite CryptoSuite) (fakePBXEnd, string, []Crypto) {
	t.Helper()
	var ours *Crypto
	for _, line := range strings.Split(offer, "\r\n") {
		if v, ok := strings.CutPrefix(line, "a=crypto:"); ok {
			c, err := ParseCrypto(v)
			if err != nil {
				t.Fatalf("our own a=crypto does not parse: %v", err)
			}
			if c.Suite == suite {
				ours = &c
			}
		}
	}
	if ours == nil {
		t.Fatalf("our offer has no %s key:\n%s", suite.Name, offer)
	}
	theirs, err := NewCrypto(ours.Tag, suite)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := srtp.CreateContext(theirs.masterKey(), theirs.masterSalt(), suite.Profile)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := srtp.CreateContext(ours.masterKey(), ours.masterSalt(), suite.Profile)
	if err != nil {
		t.Fatal(err)
	}
	proto := ProtoAVP
	if strings.Contains(offer, "RTP/SAVP") {
		proto = ProtoSAVP
	}
	return fakePBXEnd{enc: enc, dec: dec}, proto, []Crypto{theirs}
}
