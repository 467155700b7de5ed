package host

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/kamailiotest"
	"github.com/tabphone/tabphone/internal/syncbuf"
	"github.com/tabphone/tabphone/media"
	"github.com/tabphone/tabphone/nativehost/messaging"
	"github.com/tabphone/tabphone/nativehost/protocol"
)

// killRuns is how many times TestEndDuringACallLeavesNoBinding ends a host during a
// call: TABPHONE_KILL_RUNS (make soak sets 500), else 50.
func killRuns(t *testing.T) int {
	if v := os.Getenv("TABPHONE_KILL_RUNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("TABPHONE_KILL_RUNS=%q", v)
		}
		return n
	}
	return 50
}

// TestEndDuringACallLeavesNoBinding: a host in a call through Kamailio is ended the two
// ways the browser ends it (its input closes: the browser exited or was killed; SIGTERM,
// which is the context main cancels), alternately, killRuns times. Each time the host
// returns only after the BYE and the unREGISTER were answered: the moment it has
// returned, Kamailio's registrar has no binding left (an OPTIONS to the user gets 404)
// and the caller got the BYE. With SIP traces on, a failing run shows the wire.
func TestEndDuringACallLeavesNoBinding(t *testing.T) {
	k := kamailiotest.Start(t, "pw-k", 300)
	runs := killRuns(t)
	var exits []time.Duration
	for i := 0; i < runs; i++ {
		exits = append(exits, endDuringACall(t, k, i))
		if t.Failed() {
			return
		}
	}
	slices.Sort(exits)
	t.Logf("%d runs: host returned %v (median), %v (max) after its input closed or SIGTERM; no binding left after any",
		runs, exits[len(exits)/2].Round(100*time.Microsecond), exits[len(exits)-1].Round(100*time.Microsecond))
}

func endDuringACall(t *testing.T, k *kamailiotest.Kamailio, run int) time.Duration {
	t.Helper()
	dir := writeConfig(t, fmt.Sprintf(`{"accounts":[{"id":"work","user":"1001","password":"pw-k","domain":%q,"codecs":["pcmu"]}],"sip_trace":true}`, k.Addr))
	var logBuf syncbuf.Buffer
	ctx, sigterm := context.WithCancel(context.Background())
	defer sigterm()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s := &pipeSession{t: t, in: inW, w: messaging.NewWriter(inW), r: messaging.NewReader(outR), done: make(chan error, 1)}
	go func() {
		s.done <- Run(ctx, Options{Stdin: inR, Stdout: outW, ConfigDir: dir, Version: "test",
			Log:   slog.New(slog.NewTextHandler(&logBuf, nil)),
			Media: &media.BrowserNet{LocalIPs: []net.IP{net.IPv4(127, 0, 0, 1)}}})
		outW.Close()
	}()
	defer inW.Close()
	events := s.stream()
	helloRegistered(t, s, events, 1)
	caller := sippCaller(t, "invite_callee_hangs_up.xml", k.Addr, 0)
	var ce protocol.CallEvent
	await(t, events, "the incoming call", func(e protocol.Envelope) bool {
		return e.Type == protocol.TypeIncoming && json.Unmarshal(e.Data, &ce) == nil
	})
	s.send(`{"type":"answer","id":2,"data":{"call_id":"` + ce.Call.ID + `"}}`)
	await(t, events, "the call connected", func(e protocol.Envelope) bool {
		var c protocol.CallEvent
		return e.Type == protocol.TypeCall && json.Unmarshal(e.Data, &c) == nil && c.Call.ID == ce.Call.ID && c.Call.State == protocol.CallConnected
	})

	how := "input closed"
	t0 := time.Now()
	if run%2 == 0 {
		inW.Close()
	} else {
		how = "SIGTERM"
		sigterm()
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("run %d (%s): Run: %v", run, how, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("run %d (%s): the host did not return", run, how)
	}
	took := time.Since(t0)
	bound, err := k.Bound("1001")
	if err != nil {
		t.Fatal(err)
	}
	if bound {
		t.Errorf("run %d (%s): Kamailio still holds a binding after the host returned (%v)\nhost log:\n%s", run, how, took, logBuf.String())
	}
	select {
	case err := <-caller:
		if err != nil {
			t.Errorf("run %d (%s): the caller: %v", run, how, err)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("run %d (%s): the caller never got the BYE", run, how)
	}
	return took
}
