package phone

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/baresiptest"
	"github.com/tabphone/tabphone/internal/devpbxtest"
	"github.com/tabphone/tabphone/internal/kamailiotest"
)

// These tests put baresip 1.0, a softphone nobody on this project wrote, on the other
// end: both register at Kamailio, which proxies the calls (with Record-Route) as a PBX
// does.

const eventWait = 10 * time.Second

// withBaresip registers our 1001 and one baresip per user at a fresh Kamailio.
func withBaresip(t *testing.T, extra string, answerMode string, users ...string) (*kamailiotest.Kamailio, *Phone, *eventLog, []*baresiptest.Baresip) {
	t.Helper()
	k, p, ev := kamailioPhone(t, extra)
	var bs []*baresiptest.Baresip
	for _, u := range users {
		bs = append(bs, baresiptest.Start(t, baresiptest.Options{User: u, Password: "pw-k", Registrar: k.Addr, AnswerMode: answerMode}))
	}
	// Our calls end while baresip still answers their BYE (cleanups run last first).
	t.Cleanup(func() { p.Close(context.Background()) })
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kamailio log:\n%s", k.Log())
			ev.mu.Lock()
			for _, c := range ev.calls {
				t.Logf("our call event: %+v %+v", c, c.End)
			}
			ev.mu.Unlock()
		}
	})
	return k, p, ev, bs
}

// us is our number as baresip dials it (Kamailio finds the binding).
const us = "sip:1001@127.0.0.1"

func waitState(t *testing.T, ev *eventLog, id string, state CallState) CallInfo {
	t.Helper()
	devpbxtest.WaitFor(t, fmt.Sprintf("call %s in state %d", id, state), eventWait, func() bool { c, _ := ev.lastCall(id); return c.State == state })
	c, _ := ev.lastCall(id)
	return c
}

func waitIncoming(t *testing.T, ev *eventLog, n int) CallInfo {
	t.Helper()
	var in CallInfo
	devpbxtest.WaitFor(t, "incoming call", eventWait, func() bool {
		ev.mu.Lock()
		defer ev.mu.Unlock()
		if len(ev.incoming) < n {
			return false
		}
		in = ev.incoming[n-1]
		return true
	})
	return in
}

func TestBaresipCallsUsWeAnswer(t *testing.T) {
	_, p, ev, bs := withBaresip(t, "", "manual", "2001")
	b := bs[0]
	b.Dial(us)
	in := waitIncoming(t, ev, 1)
	if in.Number != "2001" || in.State != CallRinging {
		t.Fatalf("incoming %+v", in)
	}
	b.WaitEvent("CALL_RINGING", eventWait, nil) // our 180 reached it
	if _, err := b.Find("CALL_ESTABLISHED", 300*time.Millisecond, nil); err == nil {
		t.Fatal("established before we answered")
	}
	if err := p.Answer(in.ID); err != nil {
		t.Fatal(err)
	}
	b.WaitEvent("CALL_ESTABLISHED", eventWait, nil)
	waitState(t, ev, in.ID, CallConnected)
	b.Hangup()
	if c := waitState(t, ev, in.ID, CallEnded); c.End.Cause != EndRemoteHangup {
		t.Fatalf("end %+v", c.End)
	}
}

func TestBaresipCallsUsWeDecline(t *testing.T) {
	_, p, ev, bs := withBaresip(t, "", "manual", "2001")
	b := bs[0]
	b.Dial(us)
	in := waitIncoming(t, ev, 1)
	if err := p.Hangup(in.ID); err != nil {
		t.Fatal(err)
	}
	closed := b.WaitEvent("CALL_CLOSED", eventWait, nil)
	if !strings.HasPrefix(closed.Param, "486 ") {
		t.Fatalf("baresip saw %q, want 486", closed.Param)
	}
	if c := waitState(t, ev, in.ID, CallEnded); c.End.Cause != EndDeclined {
		t.Fatalf("end %+v", c.End)
	}
}

func TestBaresipCallsUsInDND(t *testing.T) {
	_, p, ev, bs := withBaresip(t, "", "manual", "2001")
	b := bs[0]
	if err := p.SetStatus(DND); err != nil {
		t.Fatal(err)
	}
	b.Dial(us)
	closed := b.WaitEvent("CALL_CLOSED", eventWait, nil)
	if !strings.HasPrefix(closed.Param, "486 ") {
		t.Fatalf("baresip saw %q, want 486 (busy)", closed.Param)
	}
	if _, err := b.Find("CALL_RINGING", 0, nil); err == nil {
		t.Fatal("baresip heard ringing in DND")
	}
	if _, rang := ev.firstIncoming(); rang {
		t.Fatal("our UI rang in DND")
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if len(ev.calls) != 1 || ev.calls[0].End.Cause != EndDND {
		t.Fatalf("missed call not reported: %+v", ev.calls)
	}
}

func TestBaresipCallsUsAutoAnswerAfterTwoSeconds(t *testing.T) {
	_, _, ev, bs := withBaresip(t, `,"auto_answer":{"enabled":true,"seconds":2}`, "manual", "2001")
	b := bs[0]
	t0 := time.Now()
	b.Dial(us)
	est := b.WaitEvent("CALL_ESTABLISHED", eventWait, nil)
	delay := est.At.Sub(t0)
	t.Logf("baresip connected %v after its dial", delay)
	if delay < 1800*time.Millisecond || delay > 2200*time.Millisecond {
		t.Fatalf("auto-answer %v after the dial, want 2 s ± 200 ms", delay)
	}
	in, _ := ev.firstIncoming()
	devpbxtest.WaitFor(t, "the beep", eventWait, func() bool {
		ev.mu.Lock()
		defer ev.mu.Unlock()
		return len(ev.beeps) == 1 && ev.beeps[0] == in.ID
	})
}

func TestWeCallBaresipItAnswers(t *testing.T) {
	_, p, ev, bs := withBaresip(t, "", "manual", "2001")
	b := bs[0]
	id, err := p.Dial("", "2001")
	if err != nil {
		t.Fatal(err)
	}
	in := b.WaitEvent("CALL_INCOMING", eventWait, nil)
	if !strings.Contains(in.PeerURI, "1001@") {
		t.Fatalf("baresip sees the call from %q", in.PeerURI)
	}
	waitState(t, ev, id, CallRinging)
	b.Accept()
	if c := waitState(t, ev, id, CallConnected); c.Codec != "PCMU" {
		t.Fatalf("connected %+v", c)
	}
	if err := p.Hangup(id); err != nil {
		t.Fatal(err)
	}
	if e := b.WaitEvent("CALL_CLOSED", eventWait, nil); !strings.Contains(e.Param, "reset by peer") {
		t.Fatalf("baresip closed with %q", e.Param)
	}
	waitState(t, ev, id, CallEnded)
}

func TestWeCallBaresipItIsBusy(t *testing.T) {
	_, p, ev, bs := withBaresip(t, "", "manual", "2001")
	b := bs[0]
	id, err := p.Dial("", "2001")
	if err != nil {
		t.Fatal(err)
	}
	b.WaitEvent("CALL_INCOMING", eventWait, nil)
	waitState(t, ev, id, CallRinging) // 180 first: the 486 follows a ringing call
	t0 := time.Now()
	b.Hangup()
	c := waitState(t, ev, id, CallEnded)
	t.Logf("ended %v after baresip's reject", time.Since(t0))
	if c.End.Cause != EndRejected || c.End.SIPCode != 486 || Sentence(c.End.SIPCode) != "Busy" {
		t.Fatalf("end %+v, want 486 Busy", c.End)
	}
}

// connectedTo calls baresip and has it answer.
func connectedTo(t *testing.T, p *Phone, ev *eventLog, b *baresiptest.Baresip, number string) string {
	t.Helper()
	id, err := p.Dial("", number)
	if err != nil {
		t.Fatal(err)
	}
	b.WaitEvent("CALL_INCOMING", eventWait, nil)
	b.Accept()
	waitState(t, ev, id, CallConnected)
	b.WaitEvent("CALL_ESTABLISHED", eventWait, nil)
	return id
}

func countEvents(b *baresiptest.Baresip, typ, param string) int {
	n := 0
	for _, e := range b.Events() {
		if e.Type == typ && e.Param == param {
			n++
		}
	}
	return n
}

func TestHoldAndResumeFromOurSide(t *testing.T) {
	_, p, ev, bs := withBaresip(t, "", "manual", "2001")
	b := bs[0]
	id := connectedTo(t, p, ev, b, "2001")
	offers := countEvents(b, "CALL_REMOTE_SDP", "offer")
	if err := p.Hold(id, true); err != nil {
		t.Fatal(err)
	}
	if c, _ := ev.lastCall(id); !c.Held {
		t.Fatal("hold not reported")
	}
	// baresip took a new offer and answered our a=sendonly with a=recvonly.
	devpbxtest.WaitFor(t, "baresip got the hold offer", eventWait, func() bool { return countEvents(b, "CALL_REMOTE_SDP", "offer") == offers+1 })
	if !strings.Contains(b.Log(), "a=recvonly") {
		t.Fatal("baresip did not answer the hold with a=recvonly")
	}
	if err := p.Hold(id, false); err != nil {
		t.Fatal(err)
	}
	if c, _ := ev.lastCall(id); c.Held {
		t.Fatal("resume not reported")
	}
	devpbxtest.WaitFor(t, "baresip got the resume offer", eventWait, func() bool { return countEvents(b, "CALL_REMOTE_SDP", "offer") == offers+2 })
	if c, _ := ev.lastCall(id); c.State != CallConnected {
		t.Fatalf("call after resume: %+v", c)
	}
}

func TestHoldAndResumeFromBaresip(t *testing.T) {
	_, p, ev, bs := withBaresip(t, "", "manual", "2001")
	b := bs[0]
	id := connectedTo(t, p, ev, b, "2001")
	b.Hold()
	devpbxtest.WaitFor(t, "remote hold shown", eventWait, func() bool { c, _ := ev.lastCall(id); return c.RemoteHold })
	b.Resume()
	devpbxtest.WaitFor(t, "remote hold cleared", eventWait, func() bool { c, _ := ev.lastCall(id); return !c.RemoteHold })
	if c, _ := ev.lastCall(id); c.State != CallConnected {
		t.Fatalf("call after resume: %+v", c)
	}
}

func TestDTMFReachesBaresip(t *testing.T) {
	_, p, ev, bs := withBaresip(t, "", "manual", "2001")
	b := bs[0]
	id := connectedTo(t, p, ev, b, "2001")
	if err := p.SendDTMF(id, "1234*#"); err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "baresip decoded the keys", eventWait, func() bool { return len(b.DTMF()) >= 6 })
	if got := b.DTMF(); got != "1234*#" {
		t.Fatalf("baresip received %q, we sent 1234*#", got)
	}
}

func TestBlindTransferBetweenTwoBaresips(t *testing.T) {
	_, p, ev, bs := withBaresip(t, "", "manual", "2001", "2002")
	a, b := bs[0], bs[1]
	a.Dial(us)
	in := waitIncoming(t, ev, 1)
	if err := p.Answer(in.ID); err != nil {
		t.Fatal(err)
	}
	first := a.WaitEvent("CALL_ESTABLISHED", eventWait, nil)
	waitState(t, ev, in.ID, CallConnected)
	done := make(chan error, 1)
	go func() { done <- p.Transfer(in.ID, "2002") }()
	ring := b.WaitEvent("CALL_INCOMING", eventWait, nil)
	if !strings.Contains(ring.PeerURI, "2001@") {
		t.Fatalf("B is called by %q, want A (2001)", ring.PeerURI)
	}
	b.Accept()
	b.WaitEvent("CALL_ESTABLISHED", eventWait, nil)
	a.WaitEvent("CALL_ESTABLISHED", eventWait, func(e baresiptest.Event) bool { return e.ID != first.ID && strings.Contains(e.PeerURI, "2002@") })
	if err := <-done; err != nil {
		t.Fatalf("transfer: %v", err)
	}
	waitState(t, ev, in.ID, CallEnded)
	a.WaitEvent("CALL_CLOSED", eventWait, func(e baresiptest.Event) bool { return e.ID == first.ID })
	// A and B stay connected without us.
	if _, err := b.Find("CALL_CLOSED", 500*time.Millisecond, nil); err == nil {
		t.Fatal("B's call with A closed")
	}
}

// baresip 1.0 knows no Replaces (the string is nowhere in baresip or libre): as the
// transferee it puts the whole Refer-To, ?Replaces=… included, into its new INVITE's
// Request-URI and sends no Replaces header, and as the target it takes that INVITE as a
// second call. So B answers automatically here, and our call with B ends after the
// grace period rather than by B's BYE; TestAttendedTransferReplacesOurCall shows the
// Replaces side with a scripted peer.
func TestAttendedTransferBetweenTwoBaresips(t *testing.T) {
	k, p, ev, bs := withBaresip(t, "", "manual", "2001")
	a := bs[0]
	b := baresiptest.Start(t, baresiptest.Options{User: "2002", Password: "pw-k", Registrar: k.Addr, AnswerMode: "auto"})
	t.Cleanup(func() { p.Close(context.Background()) }) // before B stops
	idA := connectedTo(t, p, ev, a, "2001")
	if err := p.Hold(idA, true); err != nil {
		t.Fatal(err)
	}
	idB, err := p.Dial("", "2002")
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, ev, idB, CallConnected)
	withB := b.WaitEvent("CALL_ESTABLISHED", eventWait, nil)
	tc, err := p.call(idB)
	if err != nil {
		t.Fatal(err)
	}
	td, err := tc.connectedDialog()
	if err != nil {
		t.Fatal(err)
	}
	// From B's side: to-tag is B's own tag, from-tag ours (RFC 3891 3).
	wantReplaces := "?Replaces=" + withB.ID + "%3Bto-tag%3D" + td.ids.remoteTag + "%3Bfrom-tag%3D" + td.ids.localTag + ">"
	if err := p.TransferAttended(idA, idB); err != nil {
		t.Fatalf("attended transfer: %v", err)
	}
	b.WaitEvent("CALL_ESTABLISHED", eventWait, func(e baresiptest.Event) bool { return e.ID != withB.ID && strings.Contains(e.PeerURI, "2001@") })
	a.WaitEvent("CALL_ESTABLISHED", eventWait, func(e baresiptest.Event) bool { return strings.Contains(e.PeerURI, "2002@") })
	waitState(t, ev, idA, CallEnded)
	waitState(t, ev, idB, CallEnded)
	b.WaitEvent("CALL_CLOSED", eventWait, func(e baresiptest.Event) bool { return e.ID == withB.ID })
	// The REFER A got named our dialog with B.
	if !strings.Contains(a.Log(), "Refer-To: <sip:2002@"+k.Addr+wantReplaces) {
		t.Fatalf("A's REFER has no Refer-To with %s", wantReplaces)
	}
	if strings.Contains(b.Log(), "\nReplaces:") {
		t.Log("baresip sent a Replaces header after all: the comment above is out of date")
	}
}

// baresip A transfers us to baresip B: with accept_refer we call B (a new outgoing call
// the UI sees, transferred_by A), report it in NOTIFYs, and our call with A ends.
func TestBaresipTransfersUsWhenAllowed(t *testing.T) {
	k, p, ev, bs := withBaresip(t, `,"accept_refer":true`, "manual", "2001")
	a := bs[0]
	b := baresiptest.Start(t, baresiptest.Options{User: "2002", Password: "pw-k", Registrar: k.Addr, AnswerMode: "auto"})
	t.Cleanup(func() { p.Close(context.Background()) }) // before B stops
	idA := connectedTo(t, p, ev, a, "2001")
	a.Transfer("sip:2002@127.0.0.1")
	var newCall CallInfo
	devpbxtest.WaitFor(t, "a new call to B", eventWait, func() bool {
		ev.mu.Lock()
		defer ev.mu.Unlock()
		for _, c := range ev.calls {
			if c.ID != idA && c.Direction == Outgoing {
				newCall = c
				return true
			}
		}
		return false
	})
	if newCall.Number != "2002" || newCall.TransferredBy != "2001" {
		t.Fatalf("new call %+v", newCall)
	}
	waitState(t, ev, newCall.ID, CallConnected)
	b.WaitEvent("CALL_ESTABLISHED", eventWait, func(e baresiptest.Event) bool { return strings.Contains(e.PeerURI, "1001@") })
	// A hears the NOTIFY with 200 and ends its call with us ("Call transfered").
	closed := a.WaitEvent("CALL_CLOSED", eventWait, nil)
	t.Logf("A closed its call: %q", closed.Param)
	waitState(t, ev, idA, CallEnded)
	if !strings.Contains(a.Log(), "SIP/2.0 100 Trying") || !strings.Contains(a.Log(), "Subscription-State: terminated") {
		t.Fatal("A did not get our NOTIFYs (100 Trying, then the final one)")
	}
	if _, err := b.Find("CALL_CLOSED", 300*time.Millisecond, nil); err == nil {
		t.Fatal("B's call with us closed")
	}
}

func TestBaresipTransferDeclinedByDefault(t *testing.T) {
	_, p, ev, bs := withBaresip(t, "", "manual", "2001")
	a := bs[0]
	idA := connectedTo(t, p, ev, a, "2001")
	a.Transfer("sip:2002@127.0.0.1")
	devpbxtest.WaitFor(t, "A told of the refusal", eventWait, func() bool { return strings.Contains(a.Log(), "transfer failed: 603 Decline") })
	// baresip 1.0's menu hangs up a call whose transfer failed: our call ends by its BYE,
	// and we never placed a call of our own.
	if c := waitState(t, ev, idA, CallEnded); c.End.Cause != EndRemoteHangup {
		t.Fatalf("our call: %+v", c.End)
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	for _, c := range ev.calls {
		if c.ID != idA {
			t.Errorf("a call was placed: %+v", c)
		}
	}
}
