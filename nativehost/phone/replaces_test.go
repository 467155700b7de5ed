package phone

import (
	"strings"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/devpbxtest"
	"github.com/tabphone/tabphone/internal/kamailiotest"
)

// sippReplacing runs a scripted caller (testdata/sipp) whose INVITE carries
// "Replaces: replaces" (sipp's -key), expecting code where the scenario says CODE.
func sippReplacing(t *testing.T, scenario, target, replaces string, code int) <-chan error {
	t.Helper()
	return sippAt(t, scenario, target, code, nil, "-key", "replaces", replaces)
}

// replacesFor is the Replaces header a transferee sends us to take over our call id:
// to-tag is our tag, from-tag the other side's (RFC 3891 3).
func replacesFor(t *testing.T, p *Phone, id string) string {
	t.Helper()
	c, err := p.call(id)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.connectedDialog()
	if err != nil {
		t.Fatal(err)
	}
	return d.ids.callID + ";to-tag=" + d.ids.localTag + ";from-tag=" + d.ids.remoteTag
}

// We are the target of an attended transfer: the transferee's INVITE with Replaces
// naming our call with baresip is answered at once (no ring, no incoming event) and our
// call with baresip ends.
func TestAttendedTransferReplacesOurCall(t *testing.T) {
	k, p, ev, bs := withBaresip(t, "", "manual", "2001")
	x := bs[0]
	idX := connectedTo(t, p, ev, x, "2001")
	done := sippReplacing(t, "invite_replaces.xml", k.Addr, replacesFor(t, p, idX), 0)
	var repl CallInfo
	devpbxtest.WaitFor(t, "the replacing call connected", eventWait, func() bool {
		ev.mu.Lock()
		defer ev.mu.Unlock()
		for _, c := range ev.calls {
			if c.Replaces == idX && c.State == CallConnected {
				repl = c
				return true
			}
		}
		return false
	})
	if repl.Direction != Incoming || repl.Number != "alice" {
		t.Fatalf("replacing call %+v", repl)
	}
	x.WaitEvent("CALL_CLOSED", eventWait, nil) // our BYE to the replaced party
	if c := waitState(t, ev, idX, CallEnded); c.End.Cause != EndHangup {
		t.Fatalf("replaced call ended with %+v", c.End)
	}
	if _, rang := ev.firstIncoming(); rang {
		t.Fatal("the replacing call rang")
	}
	wait(t, "transferee answered at once, then hangs up", done)
	waitState(t, ev, repl.ID, CallEnded)
}

// A Replaces that names no call of ours (a wrong tag) is refused with 481 and never
// rings; the call stays.
func TestReplacesNamingNoCallIsRefused(t *testing.T) {
	k, p, ev, bs := withBaresip(t, "", "manual", "2001")
	idX := connectedTo(t, p, ev, bs[0], "2001")
	wrong := strings.Replace(replacesFor(t, p, idX), "to-tag=", "to-tag=x", 1)
	wait(t, "481 for an unknown dialog", sippReplacing(t, "invite_replaces_rejected.xml", k.Addr, wrong, 481))
	if _, rang := ev.firstIncoming(); rang {
		t.Fatal("rang")
	}
	if c, _ := ev.lastCall(idX); c.State != CallConnected {
		t.Fatalf("our call: %+v", c)
	}
}

// phoneFor starts a phone for user at server (the shared Kamailio password); extra is
// more account JSON fields.
func phoneFor(t *testing.T, server, user, extra string) (*Phone, *eventLog) {
	t.Helper()
	p, ev := newPhoneAs(t, server, user, "pw-k", extra)
	devpbxtest.WaitFor(t, user+" registered", eventWait, func() bool { return accountState(p).Registration == RegRegistered })
	return p, ev
}

// answerNext answers the n-th incoming call of a phone and returns its id.
func answerNext(t *testing.T, p *Phone, ev *eventLog, n int) string {
	t.Helper()
	in := waitIncoming(t, ev, n)
	if err := p.Answer(in.ID); err != nil {
		t.Fatal(err)
	}
	waitState(t, ev, in.ID, CallConnected)
	return in.ID
}

// The whole attended transfer with a target that honours Replaces, every role played
// by the host through Kamailio: 1001 talks to 1002, holds it, calls 1003, and transfers
// 1002 to 1003. 1002 (accept_refer) calls 1003 with Replaces; 1003 answers without
// ringing and ends its call with 1001 by BYE, before 1001's grace period runs out.
func TestAttendedTransferAllThreeRoles(t *testing.T) {
	k := kamailiotest.Start(t, "pw-k", 300)
	p1, ev1 := phoneFor(t, k.Addr, "1001", "")
	p2, ev2 := phoneFor(t, k.Addr, "1002", `,"accept_refer":true`)
	p3, ev3 := phoneFor(t, k.Addr, "1003", "")

	a, err := p1.Dial("", "1002")
	if err != nil {
		t.Fatal(err)
	}
	at2 := answerNext(t, p2, ev2, 1)
	waitState(t, ev1, a, CallConnected)
	if err := p1.Hold(a, true); err != nil {
		t.Fatal(err)
	}
	b, err := p1.Dial("", "1003")
	if err != nil {
		t.Fatal(err)
	}
	at3 := answerNext(t, p3, ev3, 1)
	waitState(t, ev1, b, CallConnected)

	t0 := time.Now()
	if err := p1.TransferAttended(a, b); err != nil {
		t.Fatalf("attended transfer: %v", err)
	}
	byTarget := time.Since(t0)
	if c := waitState(t, ev1, b, CallEnded); c.End.Cause != EndRemoteHangup {
		t.Fatalf("1001's call with the target ended with %+v, want the target's BYE", c.End)
	}
	t.Logf("transfer done in %v", byTarget)
	if byTarget >= targetLegGrace {
		t.Fatalf("the target did not end our call itself (%v)", byTarget)
	}
	waitState(t, ev1, a, CallEnded)
	waitState(t, ev2, at2, CallEnded)
	waitState(t, ev3, at3, CallEnded)

	// 1002 and 1003 now talk: a new outgoing call at 1002, transferred by 1001, and at
	// 1003 a call that replaced the one with 1001 and never rang.
	var out, repl CallInfo
	devpbxtest.WaitFor(t, "1002's new call connected", eventWait, func() bool {
		ev2.mu.Lock()
		defer ev2.mu.Unlock()
		for _, c := range ev2.calls {
			if c.Direction == Outgoing && c.State == CallConnected {
				out = c
				return true
			}
		}
		return false
	})
	if out.Number != "1003" || out.TransferredBy != "1001" {
		t.Fatalf("1002's new call %+v", out)
	}
	devpbxtest.WaitFor(t, "1003's replacing call", eventWait, func() bool {
		ev3.mu.Lock()
		defer ev3.mu.Unlock()
		for _, c := range ev3.calls {
			if c.Replaces == at3 && c.State == CallConnected {
				repl = c
				return true
			}
		}
		return false
	})
	if repl.Number != "1002" {
		t.Fatalf("1003's replacing call %+v", repl)
	}
	ev3.mu.Lock()
	rang := len(ev3.incoming)
	ev3.mu.Unlock()
	if rang != 1 {
		t.Fatalf("1003 rang %d times, want only the first call", rang)
	}
	if err := p2.Hangup(out.ID); err != nil {
		t.Fatal(err)
	}
	waitState(t, ev3, repl.ID, CallEnded)
}
