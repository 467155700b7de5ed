package phone

import (
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/tabphone/tabphone/internal/devpbxtest"
)

// shortSessionTimers makes one Session-Expires second last 10 ms for the phone, so a
// 90 s interval refreshes after 450 ms.
func shortSessionTimers(o *Options) { o.SessionTimeUnit = 10 * time.Millisecond }

// connectedIncoming waits for the auto-answered incoming call and returns it.
func connectedIncoming(t *testing.T, ev *eventLog) CallInfo {
	t.Helper()
	devpbxtest.WaitFor(t, "auto-answered", 10*time.Second, func() bool {
		c, ok := ev.firstIncoming()
		return ok && func() bool { l, _ := ev.lastCall(c.ID); return !l.AnsweredAt.IsZero() }()
	})
	in, _ := ev.firstIncoming()
	return in
}

// TestSessionTimerAnsweredThroughKamailio: the PBX refreshes; every 2xx (INVITE, UPDATE
// with and without SDP, re-INVITE) echoes Session-Expires and refresher, a too short
// interval gets 422 with Min-SE (the scenario checks each).
func TestSessionTimerAnsweredThroughKamailio(t *testing.T) {
	k, _, ev := kamailioPhone(t, `,"auto_answer":{"enabled":true,"seconds":0}`)
	done := sipp(t, "invite_session_timer.xml", k.Addr, 0)
	in := connectedIncoming(t, ev)
	wait(t, "session timer scenario", done)
	devpbxtest.WaitFor(t, "call ended by the caller", 5*time.Second, func() bool { _, ok := endedWith(ev, in.ID); return ok })
	if !wasRemoteHold(ev, in.ID) {
		t.Fatal("the UPDATE's sendonly offer was not reported as remote hold")
	}
}

// TestSessionRefreshedByThePhone: the caller does not support timers, so the phone is
// the refresher and sends UPDATEs at half the interval.
func TestSessionRefreshedByThePhone(t *testing.T) {
	k, _, ev := kamailioPhone(t, `,"auto_answer":{"enabled":true,"seconds":0}`, shortSessionTimers)
	t0 := time.Now()
	done := sipp(t, "invite_session_refresh.xml", k.Addr, 0)
	in := connectedIncoming(t, ev)
	wait(t, "two refreshes from the phone", done)
	// 90 units of 10 ms: refreshes at 450 ms and 900 ms after the answer.
	if took := time.Since(t0); took < 800*time.Millisecond {
		t.Fatalf("two refreshes in %v: faster than half the interval", took)
	}
	devpbxtest.WaitFor(t, "call ended by the caller", 5*time.Second, func() bool { _, ok := endedWith(ev, in.ID); return ok })
	if c, _ := ev.lastCall(in.ID); c.End.Cause != EndRemoteHangup {
		t.Fatalf("the call ended otherwise: %+v", c.End)
	}
}

// TestSessionExpiresWithoutRefresh: the caller is the refresher and goes silent; the
// phone hangs up (RFC 4028 10) at interval - interval/3.
func TestSessionExpiresWithoutRefresh(t *testing.T) {
	k, p, ev := kamailioPhone(t, `,"auto_answer":{"enabled":true,"seconds":0}`, shortSessionTimers)
	done := sipp(t, "invite_session_expiry.xml", k.Addr, 0)
	in := connectedIncoming(t, ev)
	wait(t, "BYE from the phone", done)
	devpbxtest.WaitFor(t, "call ended", 5*time.Second, func() bool { _, ok := endedWith(ev, in.ID); return ok })
	c, _ := ev.lastCall(in.ID)
	lasted := c.EndedAt.Sub(c.AnsweredAt)
	t.Logf("the phone hung up %v after the answer (expiry due at 600 ms)", lasted)
	if lasted < 500*time.Millisecond || lasted > 2*time.Second {
		t.Fatalf("hung up after %v, want about 600 ms", lasted)
	}
	if _, calls := p.Snapshot(); len(calls) != 0 {
		t.Fatalf("calls left: %+v", calls)
	}
}

func TestParseSessionExpires(t *testing.T) {
	for _, tc := range []struct {
		hdr, name string
		seconds   int
		refresher string
		ok        bool
	}{
		{"1800;refresher=uac", "Session-Expires", 1800, "uac", true},
		{"90 ; refresher = UAS", "Session-Expires", 90, "uas", true},
		{"4000", "x", 4000, "", true},
		{"999999999", "Session-Expires", maxSE, "", true},
		{"soon", "Session-Expires", 0, "", false},
		{"-5", "Session-Expires", 0, "", false},
		{"300;refresher=me", "Session-Expires", 300, "", true},
	} {
		req := sip.NewRequest(sip.UPDATE, sip.Uri{Host: "h"})
		req.AppendHeader(sip.NewHeader(tc.name, tc.hdr))
		s, r, ok := parseSessionExpires(req)
		if s != tc.seconds || r != tc.refresher || ok != tc.ok {
			t.Errorf("%s: %q → %d %q %v", tc.name, tc.hdr, s, r, ok)
		}
	}
	res := sip.NewResponse(200, "OK")
	if st := timerFromResponse(res); st.seconds != 0 {
		t.Fatalf("no header: %+v", st)
	}
	res.AppendHeader(sip.NewHeader("Session-Expires", "120"))
	if st := timerFromResponse(res); st.seconds != 120 || st.refresher != "uas" {
		t.Fatalf("120 without refresher: %+v", st)
	}
}

func FuzzParseSessionExpires(f *testing.F) {
	f.Add("1800;refresher=uac")
	f.Add("x;;=")
	f.Fuzz(func(t *testing.T, v string) {
		req := sip.NewRequest(sip.UPDATE, sip.Uri{Host: "h"})
		req.AppendHeader(sip.NewHeader("Session-Expires", v))
		if s, _, ok := parseSessionExpires(req); ok && (s < 1 || s > maxSE) {
			t.Fatalf("%q → %d", v, s)
		}
	})
}

// TestOutgoingCallRefreshedWithReInvite: the callee's 200 makes the phone the refresher
// and does not allow UPDATE, so the phone refreshes with re-INVITEs (and ACKs them).
func TestOutgoingCallRefreshedWithReInvite(t *testing.T) {
	p, ev, done := calleePhone(t, "uas_session_refresh.xml", 0, shortSessionTimers)
	id, err := p.Dial("", "2000")
	if err != nil {
		t.Fatal(err)
	}
	wait(t, "two re-INVITE refreshes, then the callee's BYE", done)
	devpbxtest.WaitFor(t, "ended by the callee", 5*time.Second, func() bool { _, ok := endedWith(ev, id); return ok })
	c, _ := ev.lastCall(id)
	if c.AnsweredAt.IsZero() || c.End.Cause != EndRemoteHangup {
		t.Fatalf("call %+v %+v", c, c.End)
	}
}

// TestHoldReInviteCarriesTheSessionTimer: our hold re-INVITE is a refresh too; it keeps
// the interval and leaves the refreshing to the PBX.
func TestHoldReInviteCarriesTheSessionTimer(t *testing.T) {
	k, p, ev := kamailioPhone(t, `,"auto_answer":{"enabled":true,"seconds":0}`)
	done := sipp(t, "invite_held_timer.xml", k.Addr, 0)
	in := connectedIncoming(t, ev)
	if err := p.Hold(in.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := p.Hangup(in.ID); err != nil {
		t.Fatal(err)
	}
	wait(t, "hold re-INVITE with Session-Expires 120;refresher=uas, then BYE", done)
	devpbxtest.WaitFor(t, "call ended", 5*time.Second, func() bool { _, ok := endedWith(ev, in.ID); return ok })
}
