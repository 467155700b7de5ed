package host

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tabphone/tabphone/nativehost/phone"
)

// TestCallsLoggedAtInfo: a call's start, answer and end (reason, SIP code, talk time)
// are INFO lines, ringing and other changes add none, and the number shows only its
// last digits.
func TestCallsLoggedAtInfo(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var l callLog
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	c := phone.CallInfo{ID: "c1", Account: "work", Direction: phone.Outgoing, Number: "+15550100200", State: phone.CallCalling, StartedAt: t0}
	l.changed(log, c)
	c.State = phone.CallRinging
	l.changed(log, c)
	c.State, c.Codec, c.AnsweredAt = phone.CallConnected, "PCMU", t0.Add(2*time.Second)
	l.changed(log, c)
	c.Muted = true
	l.changed(log, c)
	c.State, c.EndedAt, c.End = phone.CallEnded, t0.Add(62*time.Second), phone.EndReason{Cause: phone.EndRemoteHangup}
	l.changed(log, c)
	// A rejected incoming call: started and ended, never answered.
	l.changed(log, phone.CallInfo{ID: "c2", Account: "work", Direction: phone.Incoming, Number: "1002", State: phone.CallEnded,
		StartedAt: t0, EndedAt: t0.Add(time.Millisecond), End: phone.EndReason{Cause: phone.EndDND, SIPCode: 486}})

	out := buf.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{
		`level=INFO msg="call started" call=c1 account=work direction=outgoing number=…0200`,
		`level=INFO msg="call answered" call=c1 codec=PCMU after=2s`,
		`level=INFO msg="call ended" call=c1 duration=1m2s talk=1m0s reason=`,
		`level=INFO msg="call started" call=c2 account=work direction=incoming number=…2`,
		`level=INFO msg="call ended" call=c2 duration=1ms reason="Missed: Do not disturb" sip_code=486`,
	}
	if len(lines) != len(want) {
		t.Fatalf("log:\n%s", out)
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d: %s\nwant it to hold %s", i+1, lines[i], w)
		}
	}
	if strings.Contains(out, "5550100200") || strings.Contains(out, "1002") {
		t.Errorf("a whole number in the log:\n%s", out)
	}
}
