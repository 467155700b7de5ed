package media

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
)

func TestParseCrypto(t *testing.T) {
	key30 := "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz" // 30 bytes
	key28 := "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==" // 28 bytes
	good := []struct{ in, suite string }{
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30, "AES_CM_128_HMAC_SHA1_80"},
		{"2 AES_CM_128_HMAC_SHA1_32 inline:" + key30 + "|2^31", "AES_CM_128_HMAC_SHA1_32"},
		{"3 AEAD_AES_128_GCM inline:" + key28, "AEAD_AES_128_GCM"},
		{"4 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|1048576 WSH=64", "AES_CM_128_HMAC_SHA1_80"},
		{"123456789 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + " KDR=0", "AES_CM_128_HMAC_SHA1_80"},
		{"5 AEAD_AES_128_GCM inline:" + strings.TrimRight(key28, "="), "AEAD_AES_128_GCM"},
	}
	for _, g := range good {
		c, err := ParseCrypto(g.in)
		if err != nil || c.Suite.Name != g.suite {
			t.Errorf("ParseCrypto(%q) = %v, %v", g.in, c.Suite.Name, err)
		}
	}
	bad := []string{
		"",
		"1 AES_CM_128_HMAC_SHA1_80",
		"x AES_CM_128_HMAC_SHA1_80 inline:" + key30,
		"1234567890 AES_CM_128_HMAC_SHA1_80 inline:" + key30,
		"1 F8_128_HMAC_SHA1_80 inline:" + key30,
		"1 AES_CM_128_HMAC_SHA1_80 inline:" + key28,                      // wrong length
		"1 AEAD_AES_128_GCM inline:" + key30,                             // wrong length
		"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|2^20|1:4",        // MKI
		"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + ";inline:" + key30, // two keys
		"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + " UNENCRYPTED_SRTP",
		"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + " KDR=24",
		"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|2^99",
		"1 AES_CM_128_HMAC_SHA1_80 inline:not*base64*at*all*whatsoever*!!",
		"1 AES_CM_128_HMAC_SHA1_80 uri:https://example.com/key",
		"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + strings.Repeat(" WSH=64", 40),
	}
	for _, b := range bad {
		if _, err := ParseCrypto(b); !errors.Is(err, ErrBadCrypto) {
			t.Errorf("ParseCrypto(%q) = %v, want ErrBadCrypto", b, err)
		}
	}
}

func TestCryptoRoundTripAndRedaction(t *testing.T) {
	c, err := NewCrypto(7, SuiteAEADAES128GCM)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseCrypto(c.String())
	if err != nil || back.String() != c.String() {
		t.Fatalf("round trip: %v %q", err, back)
	}
	if strings.Contains(c.LogValue(), strings.SplitN(c.String(), "inline:", 2)[1]) {
		t.Fatal("LogValue shows the key")
	}
	other, _ := NewCrypto(7, SuiteAEADAES128GCM)
	if string(other.Key) == string(c.Key) {
		t.Fatal("two keys are equal: not from crypto/rand")
	}
}

// FuzzParseCrypto: no input may crash the a=crypto parser, and what it accepts writes
// back to an attribute it accepts again. Longer runs: go test -fuzz FuzzParseCrypto
// -fuzztime 10m ./media/
func FuzzParseCrypto(f *testing.F) {
	f.Add("1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^31")
	f.Add("2 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw== WSH=64")
	f.Add("1 AES_CM_128_HMAC_SHA1_32 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCrypto(s)
		if err != nil {
			return
		}
		if _, err := ParseCrypto(c.String()); err != nil {
			t.Fatalf("%q parsed, but its own form %q does not: %v", s, c.String(), err)
		}
	})
}

// TestSecurityPolicy is the matrix of issue 10: which offer each `srtp` value takes,
// and in which profile it answers.
func TestSecurityPolicy(t *testing.T) {
	key, _ := NewCrypto(1, SuiteAESCM128SHA1_80)
	plain := Negotiated{Proto: ProtoAVP}
	bestEffort := Negotiated{Proto: ProtoAVP, Crypto: []Crypto{key}}
	savp := Negotiated{Proto: ProtoSAVP, Crypto: []Crypto{key}}
	savpNoKey := Negotiated{Proto: ProtoSAVP}
	webrtcOffer := Negotiated{Proto: ProtoDTLSSAVPF}
	for _, tc := range []struct {
		name   string
		n      Negotiated
		sec    Security
		keyed  bool
		refuse bool
	}{
		{"plain to off", plain, SecurityOff, false, false},
		{"plain to sdes", plain, SecuritySDES, false, true},
		{"plain to sdes-optional", plain, SecuritySDESOptional, false, false},
		{"plain to dtls", plain, SecurityDTLS, false, true},
		{"avp+crypto to off", bestEffort, SecurityOff, false, false},
		{"avp+crypto to sdes", bestEffort, SecuritySDES, true, false},
		{"avp+crypto to sdes-optional", bestEffort, SecuritySDESOptional, true, false},
		{"savp to off", savp, SecurityOff, false, true},
		{"savp to sdes", savp, SecuritySDES, true, false},
		{"savp to sdes-optional", savp, SecuritySDESOptional, true, false},
		{"savp without a usable key", savpNoKey, SecuritySDESOptional, false, true},
		{"webrtc to sdes", webrtcOffer, SecuritySDES, false, true},
		{"webrtc to off", webrtcOffer, SecurityOff, false, true},
	} {
		local, remote, err := keysForOffer(tc.n, tc.sec, nil)
		if tc.refuse {
			if !errors.Is(err, ErrSecurity) {
				t.Errorf("%s: err %v, want ErrSecurity", tc.name, err)
			}
			continue
		}
		if err != nil || (local != nil) != tc.keyed || (remote != nil) != tc.keyed {
			t.Errorf("%s: local %v remote %v err %v", tc.name, local, remote, err)
		}
		if tc.keyed && (local.Tag != key.Tag || local.Suite != key.Suite || string(local.Key) == string(key.Key)) {
			t.Errorf("%s: our key %v does not answer theirs with its own key material", tc.name, local.LogValue())
		}
	}
}

func TestSecurityFor(t *testing.T) {
	for _, tc := range []struct {
		value, transport string
		want             Security
	}{
		{"auto", "udp", SecurityOff}, {"", "tcp", SecurityOff}, {"auto", "tls", SecuritySDESOptional},
		{"auto", "ws", SecurityDTLS}, {"auto", "wss", SecurityDTLS}, {"sdes", "udp", SecuritySDES},
		{"off", "wss", SecurityOff}, {"dtls", "udp", SecurityDTLS}, {"sdes-optional", "tcp", SecuritySDESOptional},
	} {
		if got, err := SecurityFor(tc.value, tc.transport); err != nil || got != tc.want {
			t.Errorf("SecurityFor(%q, %q) = %v, %v; want %v", tc.value, tc.transport, got, err, tc.want)
		}
	}
	if _, err := SecurityFor("zrtp", "udp"); err == nil {
		t.Error("zrtp accepted")
	}
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestSDESAnswerRules: a required-SRTP call refuses a plain answer in words, an
// optional one takes it, and an incoming RTP/SAVP offer is answered in RTP/SAVP with
// our own key for the offer's tag.
func TestSDESAnswerRules(t *testing.T) {
	lo := net.IPv4(127, 0, 0, 1)
	plainAnswer := BuildSDP(OfferParams{IP: lo, Port: 40000, Codecs: []Codec{PCMU}})
	for _, tc := range []struct {
		sec  Security
		fail bool
	}{{SecuritySDES, true}, {SecuritySDESOptional, false}} {
		c, err := NewCall(&BrowserNet{}, lo, []Codec{PCMU}, tc.sec, quietLog())
		if err != nil {
			t.Fatal(err)
		}
		offerSDP, err := c.Offer(1)
		if err != nil {
			t.Fatal(err)
		}
		offer := string(offerSDP)
		if n := strings.Count(offer, "a=crypto:"); n != len(cryptoSuites) {
			t.Errorf("%v offer has %d keys:\n%s", tc.sec, n, offer)
		}
		wantProto := map[Security]string{SecuritySDES: "RTP/SAVP", SecuritySDESOptional: "RTP/AVP"}[tc.sec]
		if !strings.Contains(offer, "m=audio ") || !strings.Contains(offer, " "+wantProto+" ") {
			t.Errorf("%v offer is not %s:\n%s", tc.sec, wantProto, offer)
		}
		_, err = c.SetPBXAnswer(plainAnswer)
		if tc.fail != errors.Is(err, ErrSecurity) {
			t.Errorf("%v: plain answer gave %v", tc.sec, err)
		}
		c.Close()
	}

	theirs, _ := NewCrypto(5, SuiteAESCM128SHA1_32)
	offer := BuildSDP(OfferParams{IP: lo, Port: 40000, Codecs: []Codec{PCMU}, Proto: ProtoSAVP, Crypto: []Crypto{theirs}})
	c, _, err := NewIncomingCall(&BrowserNet{}, lo, offer, []Codec{PCMU}, SecuritySDESOptional, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	answer := string(c.Answer(1))
	if !strings.Contains(answer, " RTP/SAVP 0") || !strings.Contains(answer, "a=crypto:5 AES_CM_128_HMAC_SHA1_32 inline:") ||
		strings.Contains(answer, theirs.String()) {
		t.Fatalf("answer:\n%s", answer)
	}
	if _, _, err := NewIncomingCall(&BrowserNet{}, lo, offer, []Codec{PCMU}, SecurityOff, quietLog()); !errors.Is(err, ErrSecurity) {
		t.Fatalf("srtp off took an RTP/SAVP offer: %v", err)
	}
}

// TestSDESRekeyOnReoffer: a re-INVITE with the PBX's new key replaces the decrypting
// key; one with the same key keeps ours and the SDP version.
func TestSDESRekeyOnReoffer(t *testing.T) {
	lo := net.IPv4(127, 0, 0, 1)
	k1, _ := NewCrypto(1, SuiteAESCM128SHA1_80)
	offer := func(k Crypto) []byte {
		return BuildSDP(OfferParams{IP: lo, Port: 40000, Codecs: []Codec{PCMU}, Proto: ProtoSAVP, Crypto: []Crypto{k}})
	}
	c, _, err := NewIncomingCall(&BrowserNet{}, lo, offer(k1), []Codec{PCMU}, SecuritySDES, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	first := string(c.Answer(10))
	keysBefore := c.pbx.keys
	same, _, err := c.Reoffer(offer(k1))
	if err != nil {
		t.Fatal(err)
	}
	if string(same) != first || c.pbx.keys != keysBefore {
		t.Fatalf("a re-offer with the same key changed the session:\n%s\n%s", first, same)
	}
	k2, _ := NewCrypto(1, SuiteAESCM128SHA1_80)
	if _, _, err := c.Reoffer(offer(k2)); err != nil {
		t.Fatal(err)
	}
	if c.pbx.keys == keysBefore || c.pbx.keys.remote.String() != k2.String() || c.pbx.keys.local.String() != keysBefore.local.String() {
		t.Fatal("the PBX's new key did not replace the old one, or ours changed")
	}
}
