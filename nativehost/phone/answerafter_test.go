package phone

import (
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/tabphone/tabphone/internal/devpbxtest"
	"github.com/tabphone/tabphone/nativehost/config"
)

// answeredAfter runs a caller through Kamailio whose INVITE carries hint and returns
// the incoming call and how long after its arrival it was answered by itself.
func answeredAfter(t *testing.T, autoAnswer, hint string) (CallInfo, time.Duration) {
	t.Helper()
	k, _, ev := kamailioPhone(t, `,"auto_answer":`+autoAnswer)
	done := sippAt(t, "invite_hint.xml", k.Addr, 0, nil, "-key", "hint", hint)
	in := connectedIncoming(t, ev)
	c, _ := ev.lastCall(in.ID)
	wait(t, "caller's scenario", done)
	ev.mu.Lock()
	beeps := append([]string(nil), ev.beeps...)
	ev.mu.Unlock()
	if len(beeps) != 1 || beeps[0] != in.ID {
		t.Fatalf("beep events %v", beeps)
	}
	return in, c.AnsweredAt.Sub(c.StartedAt)
}

func TestCallInfoAnswerAfterDecidesTheDelay(t *testing.T) {
	// Auto-answer is off for ordinary calls; the PBX asks for 1 s.
	in, delay := answeredAfter(t, `{"enabled":false,"seconds":5,"from_pbx":true}`, "Call-Info: <sip:127.0.0.1>;answer-after=1")
	t.Logf("answer-after=1: answered %v after the INVITE", delay)
	if delay < 800*time.Millisecond || delay > 1300*time.Millisecond {
		t.Fatalf("answered after %v, want 1 s", delay)
	}
	if !in.AutoAnswerAt.Equal(in.StartedAt.Add(time.Second)) {
		t.Fatalf("auto-answer at %v, started %v", in.AutoAnswerAt, in.StartedAt)
	}
}

func TestIntercomAlertInfoAnswersAtOnce(t *testing.T) {
	// The account's own 5 s give way to the intercom hint.
	in, delay := answeredAfter(t, `{"enabled":true,"seconds":5,"from_pbx":true}`, "Alert-Info: <http://127.0.0.1/>;info=alert-autoanswer")
	t.Logf("intercom: answered %v after the INVITE", delay)
	if delay > 300*time.Millisecond {
		t.Fatalf("intercom answered after %v, want at once", delay)
	}
	if !in.AutoAnswerAt.Equal(in.StartedAt) {
		t.Fatalf("auto-answer at %v, started %v", in.AutoAnswerAt, in.StartedAt)
	}
}

// TestAnswerAfterIgnoredWithoutFromPBX: the same hint rings normally when the account
// does not let the PBX decide: no auto_answer_at, and the call is still ringing when
// the user declines it (an answer-after=0 would have connected it at once).
func TestAnswerAfterIgnoredWithoutFromPBX(t *testing.T) {
	k, p, ev := kamailioPhone(t, "")
	done := sippAt(t, "invite_hint.xml", k.Addr, 0, nil, "-key", "hint", "Call-Info: <sip:127.0.0.1>;answer-after=0")
	devpbxtest.WaitFor(t, "incoming event", 10*time.Second, func() bool { _, ok := ev.firstIncoming(); return ok })
	in, _ := ev.firstIncoming()
	if !in.AutoAnswerAt.IsZero() {
		t.Fatalf("auto-answer scheduled without from_pbx: %+v", in)
	}
	if err := p.Hangup(in.ID); err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "declined", 5*time.Second, func() bool { _, ok := endedWith(ev, in.ID); return ok })
	if c, _ := ev.lastCall(in.ID); !c.AnsweredAt.IsZero() || c.End.Cause != EndDeclined {
		t.Fatalf("the hint answered the call: %+v %+v", c, c.End)
	}
	<-done // the scenario expected a 200 and got 486: its result does not matter here
}

func TestPBXAnswerHints(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		seconds     int
		ok          bool
	}{
		{"Call-Info", "<sip:pbx.example.com>;answer-after=0", 0, true},
		{"Call-Info", "<http://x/icon.png>;purpose=icon, <sip:pbx>;answer-after=3", 3, true},
		{"Call-Info", "<sip:pbx>;answer-after=99999", maxAnswerAfter, true},
		{"Call-Info", "<sip:pbx>;answer-after=soon", 0, false},
		{"Call-Info", "<sip:a,b;answer-after=2>;purpose=info", 0, false},
		{"Alert-Info", "<http://www.notused.com>;info=alert-autoanswer;delay=2", 2, true},
		{"Alert-Info", "<http://x>;info=alert-intercom", 0, true},
		{"Alert-Info", "<http://x>;info=intercom", 0, true},
		{"Alert-Info", "Ring Answer", 0, true},
		{"Alert-Info", "<http://x>;info=alert-external", 0, false},
		{"Alert-Info", "<http://x/intercom.wav>", 0, false},
		{"Answer-Mode", "Auto;require", 0, true},
		{"Answer-Mode", "Manual", 0, false},
		{"Subject", "answer-after=1", 0, false},
	} {
		req := sip.NewRequest(sip.INVITE, sip.Uri{Host: "h"})
		req.AppendHeader(sip.NewHeader(tc.name, tc.value))
		s, ok := pbxAnswerHint(req)
		if s != tc.seconds || ok != tc.ok {
			t.Errorf("%s: %s → %d %v, want %d %v", tc.name, tc.value, s, ok, tc.seconds, tc.ok)
		}
	}
	req := sip.NewRequest(sip.INVITE, sip.Uri{Host: "h"})
	req.AppendHeader(sip.NewHeader("Call-Info", "<sip:pbx>;answer-after=2"))
	for _, tc := range []struct {
		aa    config.AutoAnswer
		delay time.Duration
		ok    bool
	}{
		{config.AutoAnswer{FromPBX: true}, 2 * time.Second, true},
		{config.AutoAnswer{Enabled: true, Seconds: 7}, 7 * time.Second, true},
		{config.AutoAnswer{}, 0, false},
	} {
		if d, ok := autoAnswerDelay(tc.aa, req); d != tc.delay || ok != tc.ok {
			t.Errorf("%+v → %v %v", tc.aa, d, ok)
		}
	}
}

func FuzzPBXAnswerHint(f *testing.F) {
	f.Add("<sip:pbx>;answer-after=3", "<http://x>;info=alert-autoanswer;delay=1")
	f.Fuzz(func(t *testing.T, callInfo, alertInfo string) {
		req := sip.NewRequest(sip.INVITE, sip.Uri{Host: "h"})
		req.AppendHeader(sip.NewHeader("Call-Info", callInfo))
		req.AppendHeader(sip.NewHeader("Alert-Info", alertInfo))
		if s, _ := pbxAnswerHint(req); s < 0 || s > maxAnswerAfter {
			t.Fatalf("delay %d", s)
		}
	})
}
