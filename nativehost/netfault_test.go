package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/kamailiotest"
	"github.com/tabphone/tabphone/internal/netnstest"
	"github.com/tabphone/tabphone/internal/sipptest"
	"github.com/tabphone/tabphone/nativehost/protocol"
)

// Network faults: the host program runs in one network namespace, Kamailio (and the
// scripted caller) in another, joined by a veth pair the test makes (netnstest); the
// machine's own network is untouched.

// outage is how long the PBX is unreachable; reregisterBound is how soon after the link
// returns the host must be registered again (issue 13, done-when 3).
const (
	outage          = 30 * time.Second
	reregisterBound = 35 * time.Second
)

// faultNet starts Kamailio in the PBX namespace (registrations of at most 60 s, so a
// refresh falls in every 30 s outage) and the host in the phone namespace, registered.
func faultNet(t *testing.T, password string) (*netnstest.Pair, *kamailiotest.Kamailio, *hostProc) {
	t.Helper()
	n := netnstest.New(t)
	k := kamailiotest.StartOpts(t, kamailiotest.Options{Password: password, MaxExpires: 60, IP: n.PBXIP, Netns: n.PBX})
	h := startHost(t, fmt.Sprintf(`{"accounts":[{"id":"work","user":"1001","password":%q,"domain":%q,"expires":60,"codecs":["pcmu"]}]}`, password, k.Addr),
		netnstest.Exec(n.Phone)...)
	h.await("registered", 0, 15*time.Second, registration(protocol.RegRegistered))
	return n, k, h
}

// cutFor takes the link down for d, checking that the host keeps serving the browser
// meanwhile, and returns when the link is back up.
func cutFor(t *testing.T, n *netnstest.Pair, h *hostProc, d time.Duration) time.Time {
	t.Helper()
	n.LinkDown()
	back := time.Now().Add(d)
	for time.Now().Before(back) { // the outage lasts d; the host answers pings throughout
		h.ping(5 * time.Second)
		time.Sleep(min(time.Second, time.Until(back)))
	}
	n.LinkUp()
	return time.Now()
}

// awaitReregistered polls Kamailio's log for a REGISTER it accepted after up, with a
// deadline of reregisterBound, and returns how long after up it came.
func awaitReregistered(t *testing.T, k *kamailiotest.Kamailio, before int, up time.Time) time.Duration {
	t.Helper()
	for {
		if len(k.Registers()) > before {
			return time.Since(up)
		}
		if time.Since(up) > reregisterBound {
			t.Fatalf("not registered again %v after the link came back", reregisterBound)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPBXUnreachableWhileIdle: the link to the PBX goes down for 30 s while the phone
// is idle (its 60 s registration's refresh falls in the outage); within 35 s of the
// link's return Kamailio accepts a REGISTER from it again and routes to it.
func TestPBXUnreachableWhileIdle(t *testing.T) {
	t.Parallel()
	n, k, h := faultNet(t, "pw-idle")
	from := h.len()
	up := cutFor(t, n, h, outage)
	before := len(k.Registers())
	after := awaitReregistered(t, k, before, up)
	if ok, err := k.Bound("1001"); err != nil || !ok {
		t.Fatalf("no binding after the re-registration (%v)", err)
	}
	failed := h.count(func(e protocol.Envelope) bool { return registration(protocol.RegFailed)(e) }) > 0
	h.await("registered shown again", from, 10*time.Second, registration(protocol.RegRegistered))
	t.Logf("PBX unreachable for %v while idle: registered again %v after the link returned (failure shown during the outage: %v)",
		outage, after.Round(time.Millisecond), failed)
}

// TestPBXUnreachableDuringCall: a call comes in through Kamailio from a caller in the
// PBX's namespace and is answered; the link goes down for 30 s; within 35 s of its return
// the phone is registered again, and the call is still up: our hang-up reaches the
// caller as a BYE it answers (the caller's scenario completes).
func TestPBXUnreachableDuringCall(t *testing.T) {
	t.Parallel()
	n, k, h := faultNet(t, "pw-call")
	from := h.len()
	caller := sipptest.RunIn(t, n.PBX, n.PBXIP, filepath.Join("phone", "testdata", "sipp", "invite_callee_hangs_up.xml"), k.Addr, 0, nil, "-timeout", "150s")
	inc, next := h.await("the incoming call", from, 15*time.Second, func(e protocol.Envelope) bool { return e.Type == protocol.TypeIncoming })
	var in protocol.CallEvent
	if err := json.Unmarshal(inc.Data, &in); err != nil {
		t.Fatal(err)
	}
	h.request(protocol.TypeAnswer, fmt.Sprintf(`{"call_id":%q}`, in.Call.ID))
	_, next = h.await("the call connected", next, 15*time.Second, callState(protocol.CallConnected))
	up := cutFor(t, n, h, outage)
	before := len(k.Registers())
	after := awaitReregistered(t, k, before, up)
	var ended protocol.CallEvent
	if h.count(func(e protocol.Envelope) bool {
		if callState(protocol.CallEnded)(e) {
			_ = json.Unmarshal(e.Data, &ended)
			return true
		}
		return false
	}) > 0 {
		t.Fatalf("the call ended during the outage: %+v", ended.Call.EndReason)
	}
	var noMedia bool
	h.count(func(e protocol.Envelope) bool {
		var ce protocol.CallEvent
		if e.Type == protocol.TypeCall && json.Unmarshal(e.Data, &ce) == nil && ce.Call.NoMedia {
			noMedia = true
		}
		return false
	})
	h.request(protocol.TypeHangup, fmt.Sprintf(`{"call_id":%q}`, in.Call.ID))
	select {
	case err := <-caller:
		if err != nil {
			t.Fatalf("the caller after the outage: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the caller never got the BYE after the outage")
	}
	h.await("the call ended", next, 10*time.Second, callState(protocol.CallEnded))
	t.Logf("PBX unreachable for %v during a call: the call stayed up (no-audio notice shown: %v), registered again %v after the link returned, hang-up reached the caller",
		outage, noMedia, after.Round(time.Millisecond))
}

// TestAddressChangeRegistersNewContact: the phone's interface gets a new address and
// loses the old one (a new DHCP lease); the host registers again with a Contact on the
// new address, and Kamailio routes to it there.
func TestAddressChangeRegistersNewContact(t *testing.T) {
	t.Parallel()
	n, k, _ := faultNet(t, "pw-addr")
	if c := registeredContact(t, k); !strings.HasPrefix(c, n.PhoneIP+":") {
		t.Fatalf("first Contact at %s, not %s", c, n.PhoneIP)
	}
	newIP := n.Prefix + ".3"
	changed := time.Now()
	n.ChangePhoneAddress(n.PhoneIP, newIP)
	var took time.Duration
	for {
		regs := k.Registers()
		last := regs[len(regs)-1]
		if strings.Contains(last.Contact, "@"+newIP+":") {
			if !strings.HasPrefix(last.Source, newIP+":") && last.Source != newIP {
				t.Fatalf("REGISTER with the new Contact came from %s", last.Source)
			}
			took = time.Since(changed)
			break
		}
		if time.Since(changed) > 20*time.Second {
			t.Fatalf("no REGISTER with a Contact on %s within 20 s; last Contact %q", newIP, last.Contact)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if ok, err := k.Bound("1001"); err != nil || !ok {
		t.Fatalf("Kamailio does not reach the phone at its new address (%v)", err)
	}
	t.Logf("address %s → %s: REGISTER with Contact on %s after %v", n.PhoneIP, newIP, newIP, took.Round(time.Millisecond))
}
