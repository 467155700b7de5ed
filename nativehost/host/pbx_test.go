package host

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/kamailiotest"
	"github.com/tabphone/tabphone/internal/sipptest"
	"github.com/tabphone/tabphone/nativehost/protocol"
)

// sippCaller runs one scripted caller from the phone's testdata against target, with
// CODE in the scenario replaced by code, and returns its result.
func sippCaller(t *testing.T, scenario, target string, code int) <-chan error {
	t.Helper()
	return sipptest.Run(t, filepath.Join("..", "phone", "testdata", "sipp", scenario), target, code, nil)
}

// TestDNDRejectsWithTheCodeAndHistorySaysMissed runs the whole host in Do not disturb
// with the account's dnd_code 603: a caller through Kamailio gets 603 Decline, the
// extension is never told `incoming`, and history_get returns the call as missed.
func TestDNDRejectsWithTheCodeAndHistorySaysMissed(t *testing.T) {
	k := kamailiotest.Start(t, "pw-k", 300)
	dir := writeConfig(t, fmt.Sprintf(`{"accounts":[{"id":"work","user":"1001","password":"pw-k","domain":%q,"codecs":["pcmu"],"dnd_code":603}],"status":"dnd"}`, k.Addr))
	s := start(t, dir)
	events := s.stream()
	s.send(`{"type":"hello","id":1,"data":{"protocol":1,"version":"x"}}`)
	await(t, events, "registered in DND", func(e protocol.Envelope) bool {
		var st protocol.State
		return e.Type == protocol.TypeState && json.Unmarshal(e.Data, &st) == nil && st.Status == "dnd" &&
			len(st.Accounts) == 1 && st.Accounts[0].Registration == protocol.RegRegistered && st.Accounts[0].DNDCode == 603
	})

	done := sippCaller(t, "invite_rejected.xml", k.Addr, 603)
	ended := await(t, events, "the rejected call's event", func(e protocol.Envelope) bool {
		if e.Type == protocol.TypeIncoming {
			t.Fatalf("DND rang: %s", e.Data)
		}
		return e.Type == protocol.TypeCall
	})
	var ce protocol.CallEvent
	if err := json.Unmarshal(ended.Data, &ce); err != nil || ce.Call.State != protocol.CallEnded || ce.Call.EndReason == nil ||
		ce.Call.EndReason.SIPCode != 603 {
		t.Fatalf("call event %s", ended.Data)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the caller did not get 603: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("sipp did not finish")
	}

	s.send(`{"type":"history_get","id":2,"data":{"limit":10}}`)
	rep := await(t, events, "history_get reply", replyTo(2))
	var h protocol.History
	if err := json.Unmarshal(rep.Data, &h); err != nil {
		t.Fatalf("history reply %s: %v", rep.Data, err)
	}
	if len(h.Calls) != 1 {
		t.Fatalf("history %s", rep.Data)
	}
	if c := h.Calls[0]; c.Result != protocol.ResultMissed || c.Direction != protocol.DirectionIncoming || c.Number != "alice" || c.Reason != "Missed: Do not disturb" || c.AnsweredAt != 0 {
		t.Fatalf("history entry %+v", c)
	}
}

// TestVoicemailInTheAccountState: a PBX's message summary, routed by Kamailio to the
// registered host, arrives in the extension's state as the account's voicemail.
func TestVoicemailInTheAccountState(t *testing.T) {
	k := kamailiotest.Start(t, "pw-k", 300)
	dir := writeConfig(t, fmt.Sprintf(`{"accounts":[{"id":"work","user":"1001","password":"pw-k","domain":%q,"codecs":["pcmu"]}]}`, k.Addr))
	s := start(t, dir)
	events := s.stream()
	helloRegistered(t, s, events, 1)
	done := sippCaller(t, "uac_notify_mwi.xml", k.Addr, 200)
	st := await(t, events, "a state with voicemail", func(e protocol.Envelope) bool {
		return e.Type == protocol.TypeState && strings.Contains(string(e.Data), `"voicemail"`)
	})
	if !strings.Contains(string(st.Data), `"voicemail":{"waiting":true,"new":3,"old":5,"urgent_new":1}`) {
		t.Fatalf("state %s", st.Data)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestPBXRefusedHoldIsASIPError: the callee answers, then refuses the hold re-INVITE
// with 488. The extension gets code sip with sip_code 488 (the PBX's answer, not an
// internal error), the call stays up and not held, and hangs up normally.
func TestPBXRefusedHoldIsASIPError(t *testing.T) {
	var callee string
	done := sipptest.Run(t, filepath.Join("..", "phone", "testdata", "sipp", "uas_hold_refused.xml"), "", 488, &callee)
	dir := writeConfig(t, fmt.Sprintf(`{"accounts":[{"id":"work","user":"1001","domain":%q,"codecs":["pcmu"],"register":false}]}`, callee))
	s := start(t, dir)
	events := s.stream()
	s.send(`{"type":"hello","id":1,"data":{"protocol":1,"version":"x"}}`)
	await(t, events, "hello reply", replyTo(1))
	s.send(`{"type":"dial","id":2,"data":{"number":"2000"}}`)
	var dialed protocol.DialResult
	if r := await(t, events, "dial reply", replyTo(2)); !*r.OK || json.Unmarshal(r.Data, &dialed) != nil {
		t.Fatalf("dial: %+v %s", r.Error, r.Data)
	}
	callIs := func(state string) func(protocol.Envelope) bool {
		return func(e protocol.Envelope) bool {
			var ce protocol.CallEvent
			return e.Type == protocol.TypeCall && json.Unmarshal(e.Data, &ce) == nil && ce.Call.ID == dialed.CallID && ce.Call.State == state
		}
	}
	await(t, events, "the call connected", callIs(protocol.CallConnected))

	s.send(`{"type":"hold","id":3,"data":{"call_id":"` + dialed.CallID + `","hold":true}}`)
	r := await(t, events, "hold reply", replyTo(3))
	if r.OK == nil || *r.OK || r.Error == nil || r.Error.Code != protocol.CodeSIP || r.Error.SIPCode != 488 {
		t.Fatalf("refused hold answered %+v %+v, want code sip with sip_code 488", r, r.Error)
	}
	s.send(`{"type":"state_get","id":4}`)
	var st protocol.State
	if err := json.Unmarshal(await(t, events, "state reply", replyTo(4)).Data, &st); err != nil || len(st.Calls) != 1 ||
		st.Calls[0].State != protocol.CallConnected || st.Calls[0].Held {
		t.Fatalf("after the refused hold: %+v (%v)", st.Calls, err)
	}

	s.send(`{"type":"hangup","id":5,"data":{"call_id":"` + dialed.CallID + `"}}`)
	await(t, events, "the call ended", callIs(protocol.CallEnded))
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("callee: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("sipp did not finish")
	}
}

// TestCallWaitingHoldDoesNotStallTheHost: a call is up and a second one rings; answering
// it puts the first on hold, and the PBX takes 10 s (the hold timeout) to answer that
// re-INVITE. Meanwhile the host answers the answer itself, pings and the hang-up of a
// third ringing call within 100 ms each: no intent waits on the PBX in the host's loop.
func TestCallWaitingHoldDoesNotStallTheHost(t *testing.T) {
	k := kamailiotest.Start(t, "pw-k", 300)
	dir := writeConfig(t, fmt.Sprintf(`{"accounts":[{"id":"work","user":"1001","password":"pw-k","domain":%q,"codecs":["pcmu"]}]}`, k.Addr))
	s := start(t, dir)
	events := s.stream()
	helloRegistered(t, s, events, 1)
	ringing := func(what string) string {
		t.Helper()
		var ce protocol.CallEvent
		await(t, events, what, func(e protocol.Envelope) bool {
			return e.Type == protocol.TypeIncoming && json.Unmarshal(e.Data, &ce) == nil
		})
		return ce.Call.ID
	}
	callIs := func(id, state string) func(protocol.Envelope) bool {
		return func(e protocol.Envelope) bool {
			var ce protocol.CallEvent
			return e.Type == protocol.TypeCall && json.Unmarshal(e.Data, &ce) == nil && ce.Call.ID == id && ce.Call.State == state
		}
	}
	nextID := int64(1)
	request := func(typ, callID string) (protocol.Envelope, time.Duration) {
		t.Helper()
		nextID++
		data := ""
		if callID != "" {
			data = `,"data":{"call_id":"` + callID + `"}`
		}
		t0 := time.Now()
		s.send(fmt.Sprintf(`{"type":%q,"id":%d%s}`, typ, nextID, data))
		r := await(t, events, typ+" reply", replyTo(nextID))
		return r, time.Since(t0)
	}

	first := sippCaller(t, "invite_held_slowly.xml", k.Addr, 0)
	one := ringing("the first call")
	request(protocol.TypeAnswer, one)
	await(t, events, "the first call connected", callIs(one, protocol.CallConnected))

	second := sippCaller(t, "invite_answered.xml", k.Addr, 0)
	two := ringing("the second call (call waiting)")
	third := sippCaller(t, "invite_rejected.xml", k.Addr, 486)
	three := ringing("the third call")

	// The hold of the first call now waits 10 s for the PBX.
	held := time.Now()
	if r, took := request(protocol.TypeAnswer, two); !*r.OK || took > 100*time.Millisecond {
		t.Fatalf("answer replied %+v after %v", r.Error, took)
	}
	for i := 0; i < 3; i++ {
		if r, took := request(protocol.TypePing, ""); !*r.OK || took > 100*time.Millisecond {
			t.Fatalf("ping %d replied %+v after %v while the hold waits", i, r.Error, took)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if r, took := request(protocol.TypeHangup, three); !*r.OK || took > 100*time.Millisecond {
		t.Fatalf("hang-up of the third call replied %+v after %v while the hold waits", r.Error, took)
	}
	await(t, events, "the third call ended", callIs(three, protocol.CallEnded))
	if waited := time.Since(held); waited > 5*time.Second {
		t.Fatalf("the requests took %v in all", waited)
	}
	if err := <-third; err != nil {
		t.Fatalf("third caller: %v", err)
	}

	// Once the PBX answered (or the hold gave up), the second call is answered.
	await(t, events, "the second call connected", callIs(two, protocol.CallConnected))
	if err := <-second; err != nil {
		t.Fatalf("second caller: %v", err)
	}
	request(protocol.TypeHangup, one)
	if err := <-first; err != nil {
		t.Fatalf("first caller: %v", err)
	}
}
