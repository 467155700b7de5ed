package phone

import (
	"fmt"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/devpbxtest"
)

// directCaller is a phone whose server is a sipp caller that sends straight to the
// phone's socket (no proxy between them, so its CANCEL reaches the phone as sent).
func directCaller(t *testing.T, scenario, extra string) (*Phone, *eventLog, <-chan error) {
	t.Helper()
	port := freePort(t)
	p, ev := newPhoneAt(t, fmt.Sprintf("127.0.0.1:%d", port), "pw", `,"register":false`+extra)
	// The later -p wins: sipp calls from the port the account names as its server.
	return p, ev, sippAt(t, scenario, p.conn.LocalAddr().String(), 0, nil, "-p", fmt.Sprint(port))
}

// TestCancelCrossingTheAnswer: the caller's CANCEL arrives after the phone sent its 200.
// The CANCEL must not tear down or confuse the answered call: the caller ACKs and hangs
// up with BYE, the call ends once, nothing keeps ringing or stays listed, and it ends
// answered (AnsweredAt set: the history files it as answered).
func TestCancelCrossingTheAnswer(t *testing.T) {
	p, ev, done := directCaller(t, "invite_cancel_crossed.xml", `,"auto_answer":{"enabled":true,"seconds":0}`)
	wait(t, "CANCEL after the 200, then ACK and BYE", done)
	in, ok := ev.firstIncoming()
	if !ok {
		t.Fatal("the call never rang")
	}
	devpbxtest.WaitFor(t, "call ended by the BYE", 5*time.Second, func() bool { _, ok := endedWith(ev, in.ID); return ok })
	c, _ := ev.lastCall(in.ID)
	if c.AnsweredAt.IsZero() || c.End.Cause != EndRemoteHangup {
		t.Fatalf("crossed CANCEL: %+v %+v", c, c.End)
	}
	ended := 0
	ev.mu.Lock()
	for _, e := range ev.calls {
		if e.ID == in.ID && e.State == CallEnded {
			ended++
		}
	}
	ev.mu.Unlock()
	if ended != 1 {
		t.Fatalf("the call ended %d times", ended)
	}
	if _, calls := p.Snapshot(); len(calls) != 0 {
		t.Fatalf("calls left after the crossed CANCEL: %+v", calls)
	}
}

// TestStrangerClaimingTheRegistrarNeverRings: sipp sends an INVITE straight to the
// phone's socket with a Via and From naming the registrar; only the real source counts.
func TestStrangerClaimingTheRegistrarNeverRings(t *testing.T) {
	k, p, ev := kamailioPhone(t, "")
	wait(t, "stranger gets 403", sippAt(t, "invite_stranger.xml", p.conn.LocalAddr().String(), 0, nil, "-key", "via", k.Addr))
	if _, rang := ev.firstIncoming(); rang {
		t.Fatal("a stranger's INVITE rang")
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if len(ev.calls) != 0 {
		t.Fatalf("a stranger's INVITE made calls: %+v", ev.calls)
	}
}

// TestCancelRacingTheAnswer: the caller's CANCEL leaves on the 180 (or 1–20 ms after
// its INVITE if that is sooner) while the phone answers at once, so either side may win. Whichever did, the call ends once,
// nothing stays listed or ringing, and AnsweredAt and the end cause (which the history
// files) agree with the outcome.
func TestCancelRacingTheAnswer(t *testing.T) {
	outcomes := map[string]int{}
	for _, ms := range []int{1, 2, 5, 10, 20, 1000} {
		t.Run(fmt.Sprintf("%dms", ms), func(t *testing.T) {
			port := freePort(t)
			p, ev := newPhoneAt(t, fmt.Sprintf("127.0.0.1:%d", port), "pw", `,"register":false,"auto_answer":{"enabled":true,"seconds":0}`)
			done := sippAt(t, "invite_cancel_race.xml", p.conn.LocalAddr().String(), ms, nil, "-p", fmt.Sprint(port))
			wait(t, "the caller's side of the race", done)
			var id string
			devpbxtest.WaitFor(t, "the call ended", 5*time.Second, func() bool {
				ev.mu.Lock()
				defer ev.mu.Unlock()
				for _, c := range ev.calls {
					if c.State == CallEnded {
						id = c.ID
						return true
					}
				}
				return false
			})
			c, _ := ev.lastCall(id)
			ended := 0
			ev.mu.Lock()
			for _, e := range ev.calls {
				if e.State == CallEnded {
					ended++
				}
			}
			ev.mu.Unlock()
			if ended != 1 {
				t.Fatalf("%d ended events", ended)
			}
			switch {
			case !c.AnsweredAt.IsZero() && c.End.Cause == EndRemoteHangup:
				outcomes["answer won"]++
			case c.AnsweredAt.IsZero() && c.End.Cause == EndMissed:
				outcomes["CANCEL won"]++
			default:
				t.Fatalf("unclean end: %+v %+v", c, c.End)
			}
			if _, calls := p.Snapshot(); len(calls) != 0 {
				t.Fatalf("calls left: %+v", calls)
			}
		})
	}
	t.Logf("outcomes: %v", outcomes)
}
