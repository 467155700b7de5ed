package host

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/devpbxtest"
	"github.com/tabphone/tabphone/nativehost/messaging"
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
	states := make(chan messaging.State, 100)
	go func() {
		for {
			f, err := s.r.ReadFrame()
			if err != nil {
				return
			}
			env, _ := messaging.Decode(f)
			if env.Type == messaging.TypeState {
				var st messaging.State
				if json.Unmarshal(env.Data, &st) == nil {
					states <- st
				}
			}
		}
	}()
	waitState := func(what string, ok func(messaging.State) bool) messaging.State {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case st := <-states:
				if ok(st) {
					return st
				}
			case <-deadline:
				t.Fatalf("no state with %s", what)
			}
		}
	}
	account := func(st messaging.State) messaging.AccountState {
		if len(st.Accounts) != 1 {
			return messaging.AccountState{}
		}
		return st.Accounts[0]
	}
	s.send(`{"type":"hello","id":1,"data":{"protocol":1,"version":"x"}}`)
	waitState("the wrong password reported", func(st messaging.State) bool { return account(st).Registration == messaging.RegFailed })

	// Rename over the file, as atomic writers and many editors do.
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(doc("right", 2)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	st := waitState("registered with the new password", func(st messaging.State) bool { return account(st).Registration == messaging.RegRegistered })
	if a := account(st); a.AutoAnswer.Seconds != 2 || st.ConfigError != nil {
		t.Fatalf("after the rename: %+v, config error %v", a, st.ConfigError)
	}

	// Write in place.
	if err := os.WriteFile(path, []byte(doc("right", 3)), 0o600); err != nil {
		t.Fatal(err)
	}
	waitState("auto-answer 3 s and registered", func(st messaging.State) bool {
		a := account(st)
		return a.AutoAnswer.Seconds == 3 && a.Registration == messaging.RegRegistered
	})

	// A broken edit: reported, and the last good config stays.
	if err := os.WriteFile(path, []byte(`{"accounts": [`), 0o600); err != nil {
		t.Fatal(err)
	}
	st = waitState("the config error", func(st messaging.State) bool { return st.ConfigError != nil })
	if a := account(st); a.AutoAnswer.Seconds != 3 || a.Registration != messaging.RegRegistered {
		t.Fatalf("the broken edit changed the account: %+v", a)
	}
	if !pbx.Registered(t, "1001") {
		t.Fatal("the broken edit unregistered the account")
	}
}
