package baresiptest

import (
	"strings"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/kamailiotest"
)

// Two baresips with DTLS-SRTP and ICE call each other through Kamailio: the SDP is
// UDP/TLS/RTP/SAVP with a fingerprint and ICE, and the tone crosses both ways. This is
// the dtls_srtp peer option working on its own.
func TestDTLSCallCarriesToneBothWays(t *testing.T) {
	k := kamailiotest.Start(t, "pw", 300)
	o := Options{Password: "pw", Registrar: k.Addr, MediaEnc: "dtls_srtp", MediaNAT: "ice", Record: true}
	o.User, o.ToneHz = "2001", 1000
	a := Start(t, o)
	o.User, o.ToneHz, o.AnswerMode = "2002", 440, "auto"
	b := Start(t, o)
	a.Dial("sip:2002@127.0.0.1")
	est := a.WaitEvent("CALL_ESTABLISHED", 5*time.Second, nil)
	b.WaitTone(1000, 10*time.Second)
	a.WaitTone(440, 10*time.Second)
	for _, m := range k.SDPs() {
		if m.CallID != est.ID || m.Method != "INVITE" {
			continue
		}
		for _, want := range []string{"UDP/TLS/RTP/SAVP", "a=fingerprint:", "a=ice-ufrag:", "a=candidate:"} {
			if !strings.Contains(m.SDP, want) {
				t.Errorf("%s lacks %q", m, want)
			}
		}
	}
	a.Hangup()
	b.WaitEvent("CALL_CLOSED", 5*time.Second, nil)
}

// The Codecs option picks what baresip offers and accepts: two baresips on Opus call
// each other directly, and the recordings (48 kHz) hold each other's tone.
func TestCodecsOption(t *testing.T) {
	a := Start(t, Options{User: "2001", Codecs: "opus/48000/2", Record: true, ToneHz: 1000})
	b := Start(t, Options{User: "2002", Codecs: "opus/48000/2", Record: true, ToneHz: 440, AnswerMode: "auto"})
	a.Dial(b.URI)
	a.WaitEvent("CALL_ESTABLISHED", 5*time.Second, nil)
	t.Log(b.WaitTone(1000, 10*time.Second))
	t.Log(a.WaitTone(440, 10*time.Second))
	if !strings.Contains(a.Log(), "Set audio encoder: opus 48000Hz") {
		t.Fatalf("not Opus:\n%s", a.Log())
	}
}
