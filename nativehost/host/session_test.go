package host

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/devpbxtest"
	"github.com/tabphone/tabphone/nativehost/history"
	"github.com/tabphone/tabphone/nativehost/protocol"
	"github.com/tabphone/tabphone/nativehost/session"
)

func writeConfig(t *testing.T, doc string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestLogoutClosesThePhone: bound to a site, the phone registers only with a session;
// losing it warns, and 5 s later (on the injected clock) the call gets BYE, the account
// unregisters and the extension is told to close.
func TestLogoutClosesThePhone(t *testing.T) {
	pbx := devpbxtest.Start(t, "1001:pw\n")
	dir := writeConfig(t, fmt.Sprintf(`{"accounts":[{"id":"work","user":"1001","password":"pw","domain":%q,"codecs":["pcmu"]}],
		"sites":[{"match":"http://127.0.0.1/*","login":"http://127.0.0.1/login*"}]}`, pbx.SIP))
	clock := session.NewManualClock(time.Now())
	s := startWith(t, dir, clock)
	events := s.stream()
	waitEvent := func(what string, match func(protocol.Envelope) bool) protocol.Envelope {
		t.Helper()
		return await(t, events, what, match)
	}
	reply := func(id int64) protocol.Envelope {
		t.Helper()
		return await(t, events, fmt.Sprintf("reply %d", id), replyTo(id))
	}
	s.send(`{"type":"hello","id":1,"data":{"protocol":1,"version":"x"}}`)
	reply(1)
	var st protocol.State
	_ = json.Unmarshal(waitEvent("state", func(e protocol.Envelope) bool { return e.Type == protocol.TypeState }).Data, &st)
	if st.Session.State != "waiting" || len(st.Session.Sites) != 1 || len(st.Accounts) != 0 {
		t.Fatalf("before any session: %+v", st)
	}
	s.send(`{"type":"dial","id":2,"data":{"number":"600"}}`)
	if r := reply(2); *r.OK || r.Error.Code != protocol.CodeNoSession {
		t.Fatalf("dial without a session: %+v", r)
	}
	if pbx.Registered(t, "1001") {
		t.Fatal("registered without a Dialer/PBX session")
	}
	s.send(`{"type":"session","id":3,"data":{"active":true,"reason":"bogus"}}`)
	if r := reply(3); *r.OK {
		t.Fatal("unknown reason accepted")
	}

	s.send(`{"type":"session","id":4,"data":{"active":true,"reason":"tab_open"}}`)
	reply(4)
	devpbxtest.WaitFor(t, "registration after the session became active", 5*time.Second, func() bool { return pbx.Registered(t, "1001") })

	s.send(`{"type":"dial","id":5,"data":{"number":"600"}}`)
	if r := reply(5); !*r.OK {
		t.Fatalf("dial: %+v", r.Error)
	}
	devpbxtest.WaitFor(t, "call up", 5*time.Second, func() bool {
		for _, c := range pbx.Calls(t) {
			if c.To == "600" && c.State == "up" {
				return true
			}
		}
		return false
	})

	sent := clock.Now()
	s.send(`{"type":"session","id":6,"data":{"active":false,"reason":"logout"}}`)
	env := waitEvent("closing_soon", func(e protocol.Envelope) bool { return e.Type == protocol.TypeClosingSoon })
	var cs protocol.ClosingSoon
	if err := json.Unmarshal(env.Data, &cs); err != nil {
		t.Fatal(err)
	}
	if cs.Message != "Window will be closed soon, since there is no active session" || cs.Reason != "logout" ||
		cs.Deadline != sent.Add(5*time.Second).UnixMilli() || cs.Seconds != 5 {
		t.Fatalf("closing_soon: %+v", cs)
	}
	// No new call during the warning.
	s.send(`{"type":"dial","id":7,"data":{"number":"601"}}`)
	if r := reply(7); *r.OK || r.Error.Code != protocol.CodeNoSession {
		t.Fatalf("dial during the warning: %+v", r)
	}
	// Nothing ends before the deadline.
	clock.Advance(4900 * time.Millisecond)
	if !pbx.Registered(t, "1001") {
		t.Fatal("unregistered before the 5 s were over")
	}
	clock.Advance(100 * time.Millisecond)
	env = waitEvent("close", func(e protocol.Envelope) bool { return e.Type == protocol.TypeClose })
	if string(env.Data) != `{"reason":"logout"}` {
		t.Fatalf("close: %s", env.Data)
	}
	// The host ends the call, unregisters and exits by itself, without the port closing.
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("host did not exit after close")
	}
	ended := false
	for _, c := range pbx.Calls(t) {
		ended = ended || (c.To == "600" && c.State == "ended" && c.EndedBy == "caller_bye")
	}
	if !ended || pbx.Registered(t, "1001") {
		t.Fatalf("at exit: call ended with BYE %v, still registered %v", ended, pbx.Registered(t, "1001"))
	}
	entries, err := history.Open(dir).Recent(10)
	if err != nil || len(entries) != 1 || entries[0].Number != "600" || entries[0].Result != history.Outgoing {
		t.Fatalf("history after the call: %+v %v", entries, err)
	}
}
