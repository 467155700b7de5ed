package host

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tabphone/tabphone/nativehost/protocol"
)

// transfer with to_call_id is the attended transfer: it reaches the phone's attended
// path (which refuses a call transferred to itself) and unknown calls are no_call.
func TestTransferIntentForms(t *testing.T) {
	dir := t.TempDir()
	cfg := `{"accounts":[{"id":"work","user":"1001","domain":"127.0.0.1:9","register":false}]}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s := start(t, dir)
	ch := s.stream()
	s.send(`{"type":"hello","id":1,"data":{"protocol":1,"version":"x"}}`)
	await(t, ch, "hello reply", replyTo(1))
	for id, tc := range map[int64]struct{ data, msg string }{
		2: {`{"call_id":"c1","to_call_id":"c1"}`, "itself"},
		3: {`{"call_id":"c1","to_call_id":"c2"}`, "c1"},
		4: {`{"call_id":"c1","target":"700"}`, "c1"},
	} {
		s.send(`{"type":"transfer","id":` + strconv.FormatInt(id, 10) + `,"data":` + tc.data + `}`)
		r := await(t, ch, "transfer reply", replyTo(id))
		if r.OK == nil || *r.OK || r.Error == nil || r.Error.Code != protocol.CodeNoCall || !strings.Contains(r.Error.Message, tc.msg) {
			t.Fatalf("transfer %s: %+v %+v", tc.data, r, r.Error)
		}
	}
}
