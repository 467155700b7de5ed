package baresiptest

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/kamailiotest"
)

// Two baresips that require SDES-SRTP call each other through Kamailio: the offer and
// the answer on the wire are RTP/SAVP with a=crypto, each side hears the other's tone
// in its recording, and each reports RTCP sender reports from the other. This is the
// SDES peer the host's SRTP tests call.
func TestSDESCallCarriesToneBothWays(t *testing.T) {
	k := kamailiotest.Start(t, "pw", 300)
	a := Start(t, Options{User: "2001", Password: "pw", Registrar: k.Addr, MediaEnc: "srtp-mand", Record: true, ToneHz: 1000})
	b := Start(t, Options{User: "2002", Password: "pw", Registrar: k.Addr, MediaEnc: "srtp-mand", Record: true, ToneHz: 440, AnswerMode: "auto"})
	a.Dial("sip:2002@127.0.0.1")
	est := a.WaitEvent("CALL_ESTABLISHED", 5*time.Second, nil)
	if e := a.WaitEvent("CALL_MENC", 5*time.Second, nil); !strings.Contains(e.Param, "AES_CM_128_HMAC_SHA1_80") {
		t.Fatalf("media encryption: %+v", e)
	}

	b.WaitTone(1000, 10*time.Second)
	a.WaitTone(440, 10*time.Second)
	if l, _ := a.ReceivedTone(1000); l.Present() {
		t.Fatalf("2001 hears its own tone: %v", l)
	}

	crypto := regexp.MustCompile(`(?m)^m=audio \d+ RTP/SAVP .*\r?\n(.*\r?\n)*a=crypto:\d+ AES_CM_128_HMAC_SHA1_80 inline:`)
	var offers, answers int
	for _, m := range k.SDPs() {
		if m.CallID != est.ID || m.Method != "INVITE" {
			continue
		}
		if !crypto.MatchString(m.SDP) {
			t.Errorf("not SDES-SRTP: %v", m)
		}
		switch {
		case m.Request():
			offers++
		case m.Status == 200:
			answers++
		}
	}
	// Each once as received and once as sent.
	if offers != 2 || answers != 2 {
		t.Fatalf("Kamailio logged %d offers and %d answers:\n%v", offers, answers, k.SDPs())
	}

	// baresip sends an SR every 5 s or so; each side reports the other's.
	deadline := time.Now().Add(15 * time.Second)
	for len(a.RTCPReceived(est.ID)) == 0 || len(b.RTCPReceived(est.ID)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no RTCP: 2001 %v, 2002 %v", a.RTCPReceived(est.ID), b.RTCPReceived(est.ID))
		}
		time.Sleep(100 * time.Millisecond)
	}
	a.Hangup()
	b.WaitEvent("CALL_CLOSED", 5*time.Second, nil)
}
