package host

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/devpbxtest"
	"github.com/tabphone/tabphone/nativehost/protocol"
)

// TestConfigEditsApplyLive edits config.json the two ways editors do (rename over it,
// write in place) and checks that a new password and new auto-answer seconds apply
// without a restart, and that a broken edit keeps the last good config and says so.
func TestConfigEditsApplyLive(t *testing.T) {
	pbx := devpbxtest.Start(t, "1001:right\n")
	doc := func(password string, seconds int) string {
		return fmt.Sprintf(`{"accounts":[{"id":"work","user":"1001","password":%q,"domain":%q,"codecs":["pcmu"],"auto_answer":{"enabled":true,"seconds":%d}}]}`, password, pbx.SIP, seconds)
	}
	dir := writeConfig(t, doc("wrong", 5))
	path := filepath.Join(dir, "config.json")
	s := start(t, dir)
	events := s.stream()
	waitState := func(what string, ok func(protocol.State) bool) protocol.State {
		t.Helper()
		var st protocol.State
		await(t, events, "a state with "+what, func(e protocol.Envelope) bool {
			st = protocol.State{}
			return e.Type == protocol.TypeState && json.Unmarshal(e.Data, &st) == nil && ok(st)
		})
		return st
	}
	account := func(st protocol.State) protocol.AccountState {
		if len(st.Accounts) != 1 {
			return protocol.AccountState{}
		}
		return st.Accounts[0]
	}
	s.send(`{"type":"hello","id":1,"data":{"protocol":1,"version":"x"}}`)
	waitState("the wrong password reported", func(st protocol.State) bool { return account(st).Registration == protocol.RegFailed })

	// Rename over the file, as atomic writers and many editors do.
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(doc("right", 2)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	st := waitState("registered with the new password", func(st protocol.State) bool { return account(st).Registration == protocol.RegRegistered })
	if a := account(st); a.AutoAnswer.Seconds != 2 || st.ConfigError != nil {
		t.Fatalf("after the rename: %+v, config error %v", a, st.ConfigError)
	}

	// Write in place.
	if err := os.WriteFile(path, []byte(doc("right", 3)), 0o600); err != nil {
		t.Fatal(err)
	}
	waitState("auto-answer 3 s and registered", func(st protocol.State) bool {
		a := account(st)
		return a.AutoAnswer.Seconds == 3 && a.Registration == protocol.RegRegistered
	})

	// A broken edit: reported, and the last good config stays.
	if err := os.WriteFile(path, []byte(`{"accounts": [`), 0o600); err != nil {
		t.Fatal(err)
	}
	st = waitState("the config error", func(st protocol.State) bool { return st.ConfigError != nil })
	if a := account(st); a.AutoAnswer.Seconds != 3 || a.Registration != protocol.RegRegistered {
		t.Fatalf("the broken edit changed the account: %+v", a)
	}
	if !pbx.Registered(t, "1001") {
		t.Fatal("the broken edit unregistered the account")
	}
}

// TestConfigGetSetKeepPasswordsInside: config_get never returns a password, config_set
// without one keeps the stored password, saves 0600 and applies at once.
func TestConfigGetSetKeepPasswordsInside(t *testing.T) {
	pbx := devpbxtest.Start(t, "1001:s3cret-pw\n")
	dir := writeConfig(t, fmt.Sprintf(`{"accounts":[{"id":"work","user":"1001","password":"s3cret-pw","domain":%q,"codecs":["pcmu"]}]}`, pbx.SIP))
	s := start(t, dir)
	frames := s.stream()
	reply := func(id int64) protocol.Envelope {
		t.Helper()
		return await(t, frames, fmt.Sprintf("reply %d", id), func(env protocol.Envelope) bool {
			if bytes.Contains(env.Data, []byte("s3cret-pw")) {
				t.Fatalf("the password left the host in %s", env.Type)
			}
			return env.Type == protocol.TypeReply && env.ID == id
		})
	}
	s.send(`{"type":"hello","id":1,"data":{"protocol":1,"version":"x"}}`)
	reply(1)
	devpbxtest.WaitFor(t, "registered", 10*time.Second, func() bool { return pbx.Registered(t, "1001") })
	s.send(`{"type":"config_get","id":2}`)
	got := reply(2)
	var pub struct {
		Accounts []map[string]any `json:"accounts"`
	}
	if err := json.Unmarshal(got.Data, &pub); err != nil || len(pub.Accounts) != 1 || pub.Accounts[0]["password_set"] != true {
		t.Fatalf("config_get: %s", got.Data)
	}
	pub.Accounts[0]["auto_answer"] = map[string]any{"enabled": true, "seconds": 4}
	data, _ := json.Marshal(pub)
	s.send(`{"type":"config_set","id":3,"data":` + string(data) + `}`)
	if r := reply(3); !*r.OK {
		t.Fatalf("config_set: %+v", r.Error)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil || !bytes.Contains(raw, []byte(`"s3cret-pw"`)) || !bytes.Contains(raw, []byte(`"seconds": 4`)) {
		t.Fatalf("saved file: %s %v", raw, err)
	}
	if st, _ := os.Stat(filepath.Join(dir, "config.json")); st.Mode().Perm() != 0o600 {
		t.Fatalf("saved with mode %v", st.Mode())
	}
	s.send(`{"type":"config_set","id":4,"data":{"accounts":[{"id":"work","user":"","domain":""}]}}`)
	if r := reply(4); *r.OK || r.Error.Code != protocol.CodeConfig {
		t.Fatalf("invalid config_set: %+v", r)
	}
	devpbxtest.WaitFor(t, "still registered", 5*time.Second, func() bool { return pbx.Registered(t, "1001") })
}
