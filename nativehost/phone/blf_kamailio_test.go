package phone

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/baresiptest"
	"github.com/tabphone/tabphone/internal/devpbxtest"
	"github.com/tabphone/tabphone/internal/kamailiotest"
	"github.com/tabphone/tabphone/nativehost/config"
)

// lampOf is the account's lamp for an extension.
func lampOf(p *Phone, ext string) LampInfo {
	for _, l := range accountState(p).Lamps {
		if l.Extension == ext {
			return l
		}
	}
	return LampInfo{}
}

func waitLamp(t *testing.T, p *Phone, ext string, want func(LampInfo) bool, what string) LampInfo {
	t.Helper()
	devpbxtest.WaitFor(t, fmt.Sprintf("lamp %s %s", ext, what), eventWait, func() bool { return want(lampOf(p, ext)) })
	return lampOf(p, ext)
}

// TestBusyLampsAndPickupThroughKamailio: Kamailio with its presence modules serves the
// dialog state of the calls it proxies. Our 1001 watches 2000: the lamp goes ringing
// (called by 2001, shown as the remote party) when baresip 2001 calls baresip 2000, busy
// when 2000 answers, idle when the call ends. Then 2001 calls 2000 again and we pick it
// up with the pickup code (**2000): our call connects to 2001 and 2001 hears our
// window's tone.
func TestBusyLampsAndPickupThroughKamailio(t *testing.T) {
	k := kamailiotest.StartOpts(t, kamailiotest.Options{Password: "pw-k", MaxExpires: 300, Presence: true})
	p, ev := newPhoneAt(t, k.Addr, "pw-k", `,"blf":["2000"]`)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kamailio log:\n%s", k.Log())
		}
	})
	devpbxtest.WaitFor(t, "registered at Kamailio", eventWait, func() bool { return accountState(p).Registration == RegRegistered })
	callee := baresiptest.Start(t, baresiptest.Options{User: "2000", Password: "pw-k", Registrar: k.Addr, AnswerMode: "manual"})
	caller := baresiptest.Start(t, baresiptest.Options{User: "2001", Password: "pw-k", Registrar: k.Addr, AnswerMode: "auto", Record: true})
	t.Cleanup(func() { p.Close(context.Background()) })

	waitLamp(t, p, "2000", func(l LampInfo) bool { return l.State == LampIdle }, "idle")
	subs := k.Received("SUBSCRIBE")
	if len(subs) == 0 {
		t.Fatal("Kamailio saw no SUBSCRIBE")
	}

	t0 := time.Now()
	caller.Dial("sip:2000@127.0.0.1")
	callee.WaitEvent("CALL_INCOMING", eventWait, nil)
	l := waitLamp(t, p, "2000", func(l LampInfo) bool { return l.State == LampRinging }, "ringing")
	t.Logf("lamp ringing %v after the dial: %+v", time.Since(t0).Round(time.Millisecond), l)
	if l.Direction != Incoming || l.RemoteNumber != "2001" {
		t.Fatalf("ringing lamp %+v: want called (in) by 2001", l)
	}
	t1 := time.Now()
	callee.Accept()
	l = waitLamp(t, p, "2000", func(l LampInfo) bool { return l.State == LampBusy }, "busy")
	t.Logf("lamp busy %v after the answer: %+v", time.Since(t1).Round(time.Millisecond), l)
	t2 := time.Now()
	caller.Hangup()
	waitLamp(t, p, "2000", func(l LampInfo) bool { return l.State == LampIdle }, "idle after the call")
	t.Logf("lamp idle %v after the hangup", time.Since(t2).Round(time.Millisecond))
	callee.WaitEvent("CALL_CLOSED", eventWait, nil)

	// Pickup: 2001 rings 2000 again; we dial the pickup code.
	caller.Dial("sip:2000@127.0.0.1")
	callee.WaitEvent("CALL_INCOMING", eventWait, func(e baresiptest.Event) bool { return e.At.After(t2) })
	waitLamp(t, p, "2000", func(l LampInfo) bool { return l.State == LampRinging }, "ringing again")
	pickup := accountState(p).PickupPrefix + "2000"
	if pickup != "**2000" {
		t.Fatalf("pickup dials %q", pickup)
	}
	id, err := p.Dial("", pickup)
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, ev, id, CallConnected)
	w := attachWindow(t, p, ev, id)
	lvl := caller.WaitTone(windowTone, 10*time.Second)
	t.Logf("the caller hears our window's %v Hz: %v", windowTone, lvl)
	w.waitHears(t, 440, 10*time.Second) // and we hear the caller's sine
	if !strings.Contains(k.Log(), "PICKUP ext=2000 callid=") {
		t.Fatal("Kamailio did not take the pickup route")
	}
	if err := p.Hangup(id); err != nil {
		t.Fatal(err)
	}
	waitState(t, ev, id, CallEnded)
	closed := callee.WaitEvent("CALL_CLOSED", eventWait, func(e baresiptest.Event) bool { return e.At.After(t2) })
	t.Logf("2000's ringing call was taken away: %s", closed.Param)
	waitLamp(t, p, "2000", func(l LampInfo) bool { return l.State == LampIdle }, "idle after the pickup")

	// Taking 2000 off the watch list replaces the account: its subscription ends with
	// Expires: 0 in the subscription's dialog (Close does the same, TestBLFRefreshAndState…).
	cfg, err := config.Parse([]byte(fmt.Sprintf(`{"accounts":[{"id":"work","user":"1001","password":"pw-k","domain":%q,"codecs":["pcmu"]}]}`, k.Addr)))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.UpdateAccounts(cfg); err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "unSUBSCRIBE at Kamailio", eventWait, func() bool {
		return regexp.MustCompile(`SUBSCRIBE-RECV event=dialog expires=0 callid=\S+ ruri=sip:2000@\S+ totag=[^<]`).MatchString(k.Log())
	})
	if l := accountState(p).Lamps; len(l) != 0 {
		t.Fatalf("lamps after the watch list was emptied: %+v", l)
	}
}
