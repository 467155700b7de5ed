package host

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tabphone/tabphone/nativehost/messaging"
	"github.com/tabphone/tabphone/nativehost/protocol"
)

// TestBadConfigEditsKeepTheLastGood: a config.json edit that does not parse, one with
// a value out of range and one the user left readable by others are each reported in
// the state with a sentence that says what is wrong; the last good config stays in
// force (config_get still returns it), and the host never rewrites the file.
func TestBadConfigEditsKeepTheLastGood(t *testing.T) {
	good := `{"accounts":[{"id":"good","user":"1001","domain":"127.0.0.1:9","codecs":["pcmu"],"register":false}]}`
	dir := writeConfig(t, good)
	path := filepath.Join(dir, "config.json")
	s := start(t, dir)
	events := s.stream()
	s.send(`{"type":"hello","id":1,"data":{"protocol":1,"version":"x"}}`)
	await(t, events, "hello reply", replyTo(1))
	id := int64(1)
	for _, tc := range []struct {
		name, doc string
		mode      os.FileMode
		words     string
	}{
		{"bad JSON", `{"accounts": [`, 0o600, "config.json was not applied, the previous settings stay in force"},
		{"out of range", strings.Replace(good, `"register":false`, `"register":false,"dnd_code":200`, 1), 0o600, "dnd_code 200 is not a SIP failure status"},
		{"readable by others", strings.Replace(good, `"good"`, `"other"`, 1), 0o644, "has mode 0644, but it holds passwords: run chmod 600"},
	} {
		// Rename over the file: the mode is the new file's, as an editor's save gives it.
		tmp := path + ".new"
		if err := os.WriteFile(tmp, []byte(tc.doc), tc.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(tmp, tc.mode); err != nil { // whatever the umask
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
		var st protocol.State
		await(t, events, tc.name+": the config error", func(e protocol.Envelope) bool {
			st = protocol.State{}
			return e.Type == protocol.TypeState && json.Unmarshal(e.Data, &st) == nil && st.ConfigError != nil &&
				strings.Contains(st.ConfigError.Message, tc.words)
		})
		id++
		s.send(fmt.Sprintf(`{"type":"config_get","id":%d}`, id))
		if r := await(t, events, "config_get reply", replyTo(id)); !bytes.Contains(r.Data, []byte(`"id":"good"`)) {
			t.Fatalf("%s: the config in force is %s", tc.name, r.Data)
		}
		if b, _ := os.ReadFile(path); string(b) != tc.doc {
			t.Fatalf("%s: the host rewrote the file: %s", tc.name, b)
		}
		t.Logf("%s: %q", tc.name, st.ConfigError.Message)
	}
}

// TestBadInputBurst: 10,000 native messages as fast as the pipe takes them, a mix of
// not JSON, unknown types, wrong field types, no id, oversized frames and pings; each
// gets exactly one reply or error event, and a ping sent after them is answered.
func TestBadInputBurst(t *testing.T) {
	s := start(t, t.TempDir())
	events := s.stream()
	s.send(`{"type":"hello","id":1,"data":{"protocol":1,"version":"x"}}`)
	await(t, events, "hello reply", replyTo(1))
	const n = 10000
	kinds := []func(id int) string{
		func(int) string { return `{"type":` },                                                        // truncated JSON
		func(int) string { return "\xff\xfe not json" },                                               // not JSON, not UTF-8
		func(id int) string { return fmt.Sprintf(`{"type":"toString","id":%d}`, id) },                 // unknown type
		func(id int) string { return fmt.Sprintf(`{"type":"dial","id":%d,"data":{"number":5}}`, id) }, // wrong field type
		func(id int) string { return fmt.Sprintf(`{"type":"hold","id":%d,"data":[]}`, id) },           // wrong data type
		func(int) string { return `{"type":"ping"}` },                                                 // no id
		func(id int) string { return fmt.Sprintf(`{"type":"ping","id":"%d"}`, id) },                   // id of the wrong type
		func(id int) string { return fmt.Sprintf(`{"type":"ping","id":%d}`, id) },
	}
	oversized := `{"type":"ping","id":1,"data":"` + strings.Repeat("x", messaging.MaxIncoming) + `"}`
	t0 := time.Now()
	go func() {
		for i := 0; i < n; i++ {
			msg := kinds[i%len(kinds)](1000 + i)
			if i%1000 == 999 {
				msg = oversized
			}
			if err := s.w.WriteFrame([]byte(msg)); err != nil {
				return
			}
		}
		_ = s.w.WriteFrame([]byte(`{"type":"ping","id":99}`))
	}()
	answered, pingAfter := 0, false
	deadline := time.After(30 * time.Second)
	for !pingAfter || answered < n { // dial and hold answer beside the loop, maybe after the ping
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatalf("the host closed its output after %d answers", answered)
			}
			switch {
			case e.Type == protocol.TypeReply && e.ID == 99:
				pingAfter = true
			case e.Type == protocol.TypeReply || e.Type == protocol.TypeError:
				answered++
			}
		case <-deadline:
			t.Fatalf("%d of %d answered in 30 s", answered, n)
		}
	}
	took := time.Since(t0)
	if answered != n {
		t.Fatalf("%d answers to %d messages", answered, n)
	}
	t.Logf("%d bad and good messages answered in %v (%.0f/s); the ping after was answered", n, took.Round(time.Millisecond), n/took.Seconds())
}

// TestTruncatedFrameAtTheEnd: the input ends inside a frame (the browser died while
// writing). The host treats it as the end of its input: it closes the session and
// returns, saying the input was cut.
func TestTruncatedFrameAtTheEnd(t *testing.T) {
	s := start(t, t.TempDir())
	events := s.stream()
	s.send(`{"type":"ping","id":1}`)
	await(t, events, "ping reply", replyTo(1))
	hdr := []byte{0, 0, 0, 0}
	binary.NativeEndian.PutUint32(hdr, 100)
	if _, err := s.in.Write(append(hdr, []byte(`{"type":"pi`)...)); err != nil {
		t.Fatal(err)
	}
	s.in.Close()
	select {
	case err := <-s.done:
		if err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the host did not return")
	}
}
