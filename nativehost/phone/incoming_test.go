package phone

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/devpbxtest"
	"github.com/tabphone/tabphone/internal/kamailiotest"
	"github.com/tabphone/tabphone/internal/sipptest"
)

// sipp runs one scripted caller (testdata/sipp) against target and returns its
// result: nil when the scenario completed as written.
func sipp(t *testing.T, scenario, target string, code int) <-chan error {
	return sippAt(t, scenario, target, code, nil)
}

// sippCallee starts a scripted callee and returns its address.
func sippCallee(t *testing.T, scenario string, code int) (string, <-chan error) {
	var addr string
	done := sippAt(t, scenario, "", code, &addr)
	return addr, done
}

func sippAt(t *testing.T, scenario, target string, code int, addr *string, extra ...string) <-chan error {
	t.Helper()
	return sipptest.Run(t, filepath.Join("testdata", "sipp", scenario), target, code, addr, extra...)
}

// freePort returns a UDP port that was free a moment ago.
func freePort(t *testing.T) int { return sipptest.FreePort(t) }

func wait(t *testing.T, what string, ch <-chan error) {
	t.Helper()
	select {
	case err := <-ch:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(25 * time.Second):
		t.Fatalf("%s: sipp did not finish", what)
	}
}

// kamailioPhone registers 1001 at a real Kamailio and returns both.
func kamailioPhone(t *testing.T, extra string, opts ...func(*Options)) (*kamailiotest.Kamailio, *Phone, *eventLog) {
	t.Helper()
	k := kamailiotest.Start(t, "pw-k", 300)
	p, ev := newPhoneAt(t, k.Addr, "pw-k", extra, opts...)
	devpbxtest.WaitFor(t, "registered at Kamailio", 10*time.Second, func() bool { return accountState(p).Registration == RegRegistered })
	return k, p, ev
}

// wasRemoteHold reports whether any event of the call said the other side held it.
func wasRemoteHold(ev *eventLog, id string) bool {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	for _, c := range ev.calls {
		if c.ID == id && c.RemoteHold {
			return true
		}
	}
	return false
}

func endedWith(ev *eventLog, id string) (CallInfo, bool) {
	c, ok := ev.lastCall(id)
	return c, ok && c.State == CallEnded
}

func TestIncomingAnsweredThroughKamailio(t *testing.T) {
	k, p, ev := kamailioPhone(t, "")
	done := sipp(t, "invite_answered.xml", k.Addr, 0)
	devpbxtest.WaitFor(t, "incoming event", 10*time.Second, func() bool { _, ok := ev.firstIncoming(); return ok })
	in, _ := ev.firstIncoming()
	if in.Direction != Incoming || in.State != CallRinging || in.Number != "alice" || in.Name != "Alice Caller" || in.Codec != "PCMU" {
		t.Fatalf("incoming: %+v", in)
	}
	if err := p.Answer(in.ID); err != nil {
		t.Fatal(err)
	}
	wait(t, "caller's scenario (answer, ACK, BYE)", done)
	devpbxtest.WaitFor(t, "call ended by the caller's BYE", 5*time.Second, func() bool { c, ok := endedWith(ev, in.ID); return ok && !c.AnsweredAt.IsZero() })
	if c, _ := ev.lastCall(in.ID); c.End.Cause != EndRemoteHangup {
		t.Fatalf("end: %+v", c.End)
	}
}

func TestIncomingDeclined(t *testing.T) {
	k, p, ev := kamailioPhone(t, "")
	done := sipp(t, "invite_rejected.xml", k.Addr, 486)
	devpbxtest.WaitFor(t, "incoming event", 10*time.Second, func() bool { _, ok := ev.firstIncoming(); return ok })
	in, _ := ev.firstIncoming()
	if err := p.Hangup(in.ID); err != nil {
		t.Fatal(err)
	}
	wait(t, "caller gets 486", done)
	devpbxtest.WaitFor(t, "declined call ended", 5*time.Second, func() bool { _, ok := endedWith(ev, in.ID); return ok })
}

func TestIncomingCancelledIsMissed(t *testing.T) {
	k, _, ev := kamailioPhone(t, "")
	done := sipp(t, "invite_cancelled.xml", k.Addr, 0)
	wait(t, "caller cancels (200, 487)", done)
	in, ok := ev.firstIncoming()
	if !ok {
		t.Fatal("no incoming event before the CANCEL")
	}
	devpbxtest.WaitFor(t, "missed call", 5*time.Second, func() bool { _, ok := endedWith(ev, in.ID); return ok })
	if c, _ := ev.lastCall(in.ID); !c.AnsweredAt.IsZero() || c.End.Cause != EndMissed {
		t.Fatalf("cancelled call: %+v %+v", c, c.End)
	}
}

func TestDNDRejectsWithTheAccountCodeAndNeverRings(t *testing.T) {
	k, p, ev := kamailioPhone(t, `,"dnd_code":480`)
	if err := p.SetStatus(DND); err != nil {
		t.Fatal(err)
	}
	wait(t, "caller gets 480", sipp(t, "invite_rejected.xml", k.Addr, 480))
	if _, rang := ev.firstIncoming(); rang {
		t.Fatal("DND rang")
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if len(ev.calls) != 1 || ev.calls[0].End.SIPCode != 480 || ev.calls[0].End.Cause != EndDND {
		t.Fatalf("missed call not reported: %+v", ev.calls)
	}
}

func TestAutoAnswerAfterOneSecond(t *testing.T) {
	k, _, ev := kamailioPhone(t, `,"auto_answer":{"enabled":true,"seconds":1}`)
	done := sipp(t, "invite_answered.xml", k.Addr, 0)
	devpbxtest.WaitFor(t, "auto-answered", 10*time.Second, func() bool {
		c, ok := ev.firstIncoming()
		return ok && func() bool { l, _ := ev.lastCall(c.ID); return !l.AnsweredAt.IsZero() }()
	})
	in, _ := ev.firstIncoming()
	c, _ := ev.lastCall(in.ID)
	delay := c.AnsweredAt.Sub(c.StartedAt)
	t.Logf("answered %v after the INVITE arrived", delay)
	if delay < 800*time.Millisecond || delay > 1200*time.Millisecond {
		t.Fatalf("auto-answer after %v, want 1 s ± 200 ms", delay)
	}
	if !in.AutoAnswerAt.Equal(in.StartedAt.Add(time.Second)) {
		t.Fatalf("auto-answer at %v, started %v", in.AutoAnswerAt, in.StartedAt)
	}
	ev.mu.Lock()
	beeps := append([]string(nil), ev.beeps...)
	ev.mu.Unlock()
	if len(beeps) != 1 || beeps[0] != in.ID {
		t.Fatalf("beep events %v", beeps)
	}
	wait(t, "caller's scenario", done)
}

func TestGhostInviteNeverRings(t *testing.T) {
	_, p, ev := kamailioPhone(t, "")
	// A scanner sends straight to our SIP socket, not through the registrar.
	wait(t, "ghost gets 403", sipp(t, "invite_rejected.xml", p.conn.LocalAddr().String(), 403))
	if _, rang := ev.firstIncoming(); rang {
		t.Fatal("a ghost INVITE rang")
	}
}

func TestReInvitesFromThePBX(t *testing.T) {
	k, p, ev := kamailioPhone(t, `,"auto_answer":{"enabled":true,"seconds":0}`)
	done := sipp(t, "reinvite.xml", k.Addr, 0)
	wait(t, "hold re-INVITE answered recvonly, offerless re-INVITE answered with an offer", done)
	in, ok := ev.firstIncoming()
	if !ok {
		t.Fatal("no call")
	}
	if !wasRemoteHold(ev, in.ID) {
		t.Fatal("the hold was not reported on the call")
	}
	_ = p
}

func TestBlindTransfer(t *testing.T) {
	k, p, ev := kamailioPhone(t, `,"auto_answer":{"enabled":true,"seconds":0}`)
	done := sipp(t, "transferee.xml", k.Addr, 0)
	devpbxtest.WaitFor(t, "auto-answered", 10*time.Second, func() bool {
		c, ok := ev.firstIncoming()
		return ok && func() bool { l, _ := ev.lastCall(c.ID); return !l.AnsweredAt.IsZero() }()
	})
	in, _ := ev.firstIncoming()
	if err := p.Transfer(in.ID, "700"); err != nil {
		t.Fatal(err)
	}
	wait(t, "REFER accepted, NOTIFY answered, BYE sent", done)
	devpbxtest.WaitFor(t, "our leg ended", 5*time.Second, func() bool { _, ok := endedWith(ev, in.ID); return ok })
}

// calleePhone is a phone whose account does not register and sends its calls to a
// scripted callee as its server.
func calleePhone(t *testing.T, scenario string, code int, opts ...func(*Options)) (*Phone, *eventLog, <-chan error) {
	t.Helper()
	addr, done := sippCallee(t, scenario, code)
	// sipp needs a moment to bind; the INVITE is retransmitted anyway.
	p, ev := newPhoneAt(t, addr, "pw-callee", `,"register":false`, opts...)
	return p, ev, done
}

func TestOutgoingRejectionsInWords(t *testing.T) {
	for code, words := range map[int]string{486: "Busy", 404: "Number not found", 503: "Service unavailable, try again later"} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			p, ev, done := calleePhone(t, "uas_reject.xml", code)
			id, err := p.Dial("", "bob")
			if err == nil {
				t.Fatal("bob is not a number and was dialled")
			}
			id, err = p.Dial("", "2000")
			if err != nil {
				t.Fatal(err)
			}
			wait(t, "callee's scenario", done)
			devpbxtest.WaitFor(t, "ended", 5*time.Second, func() bool { _, ok := endedWith(ev, id); return ok })
			c, _ := ev.lastCall(id)
			if c.End.Cause != EndRejected || c.End.SIPCode != code || Sentence(c.End.SIPCode) != words {
				t.Fatalf("end reason %+v, want %d %q", c.End, code, words)
			}
		})
	}
}

func TestOutgoingEarlyMediaThenAnswer(t *testing.T) {
	p, ev, done := calleePhone(t, "uas_early_media.xml", 0)
	id, err := p.Dial("", "2000")
	if err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "early media", 5*time.Second, func() bool { c, _ := ev.lastCall(id); return c.State == CallEarly })
	if c, _ := ev.lastCall(id); c.Codec != "PCMU" {
		t.Fatalf("early media codec %q", c.Codec)
	}
	devpbxtest.WaitFor(t, "connected", 5*time.Second, func() bool { c, _ := ev.lastCall(id); return c.State == CallConnected })
	if err := p.Hangup(id); err != nil {
		t.Fatal(err)
	}
	wait(t, "callee's scenario (BYE)", done)
}

func TestOutgoing401Then407(t *testing.T) {
	p, ev, done := calleePhone(t, "uas_auth_401_407.xml", 0)
	id, err := p.Dial("", "2000")
	if err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "connected after two challenges", 5*time.Second, func() bool { c, _ := ev.lastCall(id); return c.State == CallConnected })
	if err := p.Hangup(id); err != nil {
		t.Fatal(err)
	}
	wait(t, "callee's scenario (credentials checked, BYE)", done)
}

func TestIntervalTooBriefAsksAgainWithMinExpires(t *testing.T) {
	k := kamailiotest.StartWithMin(t, "pw-k", 3600, 600)
	p, _ := newPhoneAt(t, k.Addr, "pw-k", `,"expires":300`)
	devpbxtest.WaitFor(t, "registered after the 423", 10*time.Second, func() bool {
		if e := accountState(p).Err; e != nil {
			t.Logf("registration error: %+v", e)
		}
		return accountState(p).Registration == RegRegistered
	})
	p.mu.Lock()
	granted := p.accounts[0].expires
	p.mu.Unlock()
	if granted < 600 {
		t.Fatalf("granted %d s, want at least the registrar's 600", granted)
	}
}

func TestCallWaitingHoldsTheFirstCall(t *testing.T) {
	k, p, ev := kamailioPhone(t, "")
	first := sipp(t, "invite_held.xml", k.Addr, 0)
	devpbxtest.WaitFor(t, "first call rings", 10*time.Second, func() bool { _, ok := ev.firstIncoming(); return ok })
	one, _ := ev.firstIncoming()
	if err := p.Answer(one.ID); err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "first call connected", 5*time.Second, func() bool { c, _ := ev.lastCall(one.ID); return c.State == CallConnected })

	second := sipp(t, "invite_answered.xml", k.Addr, 0)
	var two CallInfo
	devpbxtest.WaitFor(t, "second call rings while the first is up", 10*time.Second, func() bool {
		ev.mu.Lock()
		defer ev.mu.Unlock()
		if len(ev.incoming) < 2 {
			return false
		}
		two = ev.incoming[1]
		return true
	})
	if err := p.Answer(two.ID); err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "the first call held", 5*time.Second, func() bool { c, _ := ev.lastCall(one.ID); return c.Held })
	wait(t, "second caller (answered, hangs up)", second)
	if err := p.Hangup(one.ID); err != nil {
		t.Fatal(err)
	}
	wait(t, "first caller (held with sendonly, then BYE)", first)
}
