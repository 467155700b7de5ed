package host

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/kamailiotest"
	"github.com/tabphone/tabphone/internal/sipptest"
	"github.com/tabphone/tabphone/media"
	"github.com/tabphone/tabphone/nativehost/config"
	"github.com/tabphone/tabphone/nativehost/messaging"
	"github.com/tabphone/tabphone/nativehost/protocol"
)

// TestNoSecretLeaves: with SIP traces on, the host registers at Kamailio, takes a call
// through it, and places a call from a second account to a callee that challenges the
// INVITE with 401 and then 407 (so Authorization and Proxy-Authorization both go out);
// the options page reads and saves the config and the history is read. Then neither
// password, nor any digest credential, is in host.log, in any frame sent to the
// extension, in history.jsonl or in any other file the host wrote; the traces did see
// both headers (redacted), and config.json is 0600 after the save.
func TestNoSecretLeaves(t *testing.T) {
	const pwKam, pwTrunk = "kam-Secret-9f3e", "trunk-Secret-7c1a"
	var callee string
	calleeDone := sipptest.Run(t, filepath.Join("..", "phone", "testdata", "sipp", "uas_auth_401_407.xml"), "", 0, &callee)
	k := kamailiotest.Start(t, pwKam, 300)
	dir := writeConfig(t, fmt.Sprintf(`{"accounts":[
		{"id":"work","user":"1001","password":%q,"domain":%q,"codecs":["pcmu"]},
		{"id":"trunk","user":"1001","password":%q,"domain":%q,"codecs":["pcmu"],"register":false}],"sip_trace":true}`,
		pwKam, k.Addr, pwTrunk, callee))
	logDir := t.TempDir()
	logFile, err := os.OpenFile(filepath.Join(logDir, "host.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()

	// Every byte the host sends to the extension, kept as sent.
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	var mu sync.Mutex
	var sent bytes.Buffer
	s := &pipeSession{t: t, in: inW, w: messaging.NewWriter(inW), r: messaging.NewReader(io.TeeReader(outR, writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return sent.Write(p)
	}))), done: make(chan error, 1)}
	go func() {
		s.done <- Run(context.Background(), Options{Stdin: inR, Stdout: outW, ConfigDir: dir, Version: "test",
			Log: slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelDebug})), Media: &media.BrowserNet{LocalIPs: []net.IP{net.IPv4(127, 0, 0, 1)}}})
		outW.Close()
	}()
	defer inW.Close()
	events := s.stream()
	helloRegistered(t, s, events, 2)
	callIs := func(id, state string) func(protocol.Envelope) bool {
		return func(e protocol.Envelope) bool {
			var ce protocol.CallEvent
			return e.Type == protocol.TypeCall && json.Unmarshal(e.Data, &ce) == nil && ce.Call.ID == id && ce.Call.State == state
		}
	}

	// A call in through Kamailio, answered; the caller hangs up.
	caller := sippCaller(t, "invite_answered.xml", k.Addr, 0)
	var in protocol.CallEvent
	await(t, events, "the incoming call", func(e protocol.Envelope) bool {
		return e.Type == protocol.TypeIncoming && json.Unmarshal(e.Data, &in) == nil
	})
	s.send(`{"type":"answer","id":2,"data":{"call_id":"` + in.Call.ID + `"}}`)
	await(t, events, "the incoming call ended", callIs(in.Call.ID, protocol.CallEnded))
	if err := <-caller; err != nil {
		t.Fatalf("caller: %v", err)
	}

	// A call out from the trunk account, through two challenges.
	s.send(`{"type":"dial","id":3,"data":{"account":"trunk","number":"2000"}}`)
	var dialed protocol.DialResult
	if r := await(t, events, "dial reply", replyTo(3)); !*r.OK || json.Unmarshal(r.Data, &dialed) != nil {
		t.Fatalf("dial: %+v %s", r.Error, r.Data)
	}
	await(t, events, "the outgoing call connected", callIs(dialed.CallID, protocol.CallConnected))
	s.send(`{"type":"hangup","id":4,"data":{"call_id":"` + dialed.CallID + `"}}`)
	await(t, events, "the outgoing call ended", callIs(dialed.CallID, protocol.CallEnded))
	select {
	case err := <-calleeDone:
		if err != nil {
			t.Fatalf("callee: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the callee's scenario did not end")
	}

	// The options page reads the config and saves it back (passwords kept, not sent).
	s.send(`{"type":"config_get","id":5}`)
	got := await(t, events, "config_get reply", replyTo(5))
	s.send(`{"type":"config_set","id":6,"data":` + string(got.Data) + `}`)
	if r := await(t, events, "config_set reply", replyTo(6)); !*r.OK {
		t.Fatalf("config_set: %+v", r.Error)
	}
	s.send(`{"type":"history_get","id":7}`)
	if r := await(t, events, "history_get reply", replyTo(7)); !bytes.Contains(r.Data, []byte(dialed.CallID)) {
		t.Fatalf("history %s", r.Data)
	}
	inW.Close()
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the host did not exit")
	}

	st, err := os.Stat(filepath.Join(dir, config.FileName))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("config.json after the save: %v %v", st.Mode(), err)
	}
	if c, err := config.Load(filepath.Join(dir, config.FileName)); err != nil || c.Accounts[1].Password.Reveal() != pwTrunk || !c.SIPTrace {
		t.Fatalf("the save lost a password or the trace switch: %v", err)
	}
	logText, _ := os.ReadFile(filepath.Join(logDir, "host.log"))
	for _, want := range []string{"Authorization: [redacted]", "Proxy-Authorization: [redacted]", `msg="call ended"`} {
		if !bytes.Contains(logText, []byte(want)) {
			t.Errorf("host.log lacks %q: the traces did not see what this test is about", want)
		}
	}
	mu.Lock()
	places := map[string][]byte{"host.log": logText, "frames to the extension": sent.Bytes()}
	mu.Unlock()
	files, _ := os.ReadDir(dir)
	for _, f := range files {
		if f.Name() == config.FileName {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		places[f.Name()] = b
	}
	if _, ok := places["history.jsonl"]; !ok {
		t.Fatal("no history.jsonl written")
	}
	for where, b := range places {
		for _, secret := range []string{pwKam, pwTrunk, "response=", "Digest username", "Authorization: Digest"} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s holds %q", where, secret)
			}
		}
	}
	t.Logf("searched %d places (%d bytes of log, %d bytes of frames)", len(places), len(logText), len(places["frames to the extension"]))
}

// writerFunc is a function as an io.Writer.
type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
