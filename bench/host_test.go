package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tabphone/tabphone/nativehost/messaging"
	"github.com/tabphone/tabphone/nativehost/protocol"
)

// hostBin is the host as `make build` leaves it (make bench builds first), or the binary
// TABPHONE_BENCH_HOST names (to measure an older build against a newer in one session).
var hostBin = func() string {
	if p := os.Getenv("TABPHONE_BENCH_HOST"); p != "" {
		return p
	}
	return filepath.Join("..", "bin", "tabphone-host")
}()

// host is the real tabphone-host process driven as the browser drives it: framed JSON
// on its stdin and stdout.
type host struct {
	t   testing.TB
	cmd *exec.Cmd
	w   *messaging.Writer

	mu      sync.Mutex
	msgs    []protocol.Envelope
	changed chan struct{}
	nextID  int64
}

// startHost runs the host with one account on the PBX until the benchmark ends.
func startHost(t testing.TB, sip, user, password string) *host {
	t.Helper()
	return startHostVia(t, sip, "", user, password)
}

// startHostVia is startHost with an outbound proxy (empty: none).
func startHostVia(t testing.TB, sip, proxy, user, password string) *host {
	t.Helper()
	if _, err := os.Stat(hostBin); err != nil {
		t.Fatalf("%s: run `make build` first (make bench does): %v", hostBin, err)
	}
	dir := t.TempDir()
	cfg := map[string]any{
		"accounts": []map[string]any{{
			"id": "bench", "user": user, "password": password, "domain": sip, "outbound_proxy": proxy, "codecs": []string{"pcmu"},
			"auto_answer": map[string]any{"enabled": false, "seconds": 0},
		}},
		"default_account": "bench",
		"status":          "available",
	}
	raw, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(hostBin, "chrome-extension://fofiikfolgbiahjjnmckkiaefainepgm/")
	// Detached already: the benchmark measures this very process.
	cmd.Env = append(os.Environ(), "TABPHONE_CONFIG_DIR="+dir, "TABPHONE_LOG_DIR="+dir, "TABPHONE_HOST_DETACHED=1")
	cmd.Env = append(cmd.Env, hostEnv()...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &host{t: t, cmd: cmd, w: messaging.NewWriter(stdin), changed: make(chan struct{})}
	t.Cleanup(func() {
		stdin.Close() // EOF: the host hangs up and unregisters, then exits
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	go func() {
		r := messaging.NewReader(stdout)
		for {
			f, err := r.ReadFrame()
			if err != nil {
				return
			}
			env, err := protocol.Decode(f)
			if err != nil {
				continue
			}
			h.mu.Lock()
			h.msgs = append(h.msgs, env)
			close(h.changed)
			h.changed = make(chan struct{})
			h.mu.Unlock()
		}
	}()
	h.request(protocol.TypeHello, map[string]any{"protocol": 1, "version": "bench"})
	return h
}

func (h *host) pid() int { return h.cmd.Process.Pid }

// request sends a request and returns its id.
func (h *host) request(typ string, data any) int64 {
	h.t.Helper()
	h.mu.Lock()
	h.nextID++
	id := h.nextID
	h.mu.Unlock()
	raw, err := json.Marshal(map[string]any{"type": typ, "id": id, "data": data})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.w.WriteFrame(raw); err != nil {
		h.t.Fatalf("write %s: %v", typ, err)
	}
	return id
}

// wait returns the first message from index `from` on that match accepts.
func (h *host) wait(what string, from int, timeout time.Duration, match func(protocol.Envelope) bool) (protocol.Envelope, int) {
	h.t.Helper()
	deadline := time.After(timeout)
	for {
		h.mu.Lock()
		for i := from; i < len(h.msgs); i++ {
			if match(h.msgs[i]) {
				env := h.msgs[i]
				h.mu.Unlock()
				return env, i + 1
			}
		}
		from = len(h.msgs)
		ch := h.changed
		h.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			h.t.Fatalf("no %s from the host within %s", what, timeout)
		}
	}
}

// mark is the index of the next message, for waits that must not see older ones.
func (h *host) mark() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.msgs)
}

// reply waits for the reply to request id and fails on ok:false.
func (h *host) reply(id int64, from int) protocol.Envelope {
	h.t.Helper()
	env, _ := h.wait(fmt.Sprintf("reply %d", id), from, 10*time.Second, func(e protocol.Envelope) bool {
		return e.Type == protocol.TypeReply && e.ID == id
	})
	if env.OK == nil || !*env.OK {
		h.t.Fatalf("request %d failed: %+v", id, env.Error)
	}
	return env
}

// dial places a call and returns its id and the index to wait for its events from.
func (h *host) dial(number string) (string, int) {
	h.t.Helper()
	from := h.mark()
	var res protocol.DialResult
	if err := json.Unmarshal(h.reply(h.request(protocol.TypeDial, map[string]string{"number": number}), from).Data, &res); err != nil {
		h.t.Fatal(err)
	}
	return res.CallID, from
}

// callState waits for a call event of that call in that state.
func (h *host) callState(callID, state string, from int) {
	h.t.Helper()
	h.wait("call "+callID+" "+state, from, 15*time.Second, func(e protocol.Envelope) bool {
		if e.Type != protocol.TypeCall {
			return false
		}
		var d struct {
			Call protocol.Call `json:"call"`
		}
		return json.Unmarshal(e.Data, &d) == nil && d.Call.ID == callID && d.Call.State == state
	})
}

// registered waits until the host's state shows the account registered.
func (h *host) registered() {
	h.t.Helper()
	h.wait("registered state", 0, 15*time.Second, func(e protocol.Envelope) bool {
		if e.Type != protocol.TypeState {
			return false
		}
		var s protocol.State
		return json.Unmarshal(e.Data, &s) == nil && len(s.Accounts) > 0 && s.Accounts[0].Registration == protocol.RegRegistered
	})
}

// hostEnv is TABPHONE_BENCH_HOST_ENV's space-separated NAME=VALUE pairs, given to the
// measured host and relay processes only (not to the bench's own peers): to measure a
// runtime setting such as GOMAXPROCS=1 or GOGC=200 before adopting it.
func hostEnv() []string {
	return strings.Fields(os.Getenv("TABPHONE_BENCH_HOST_ENV"))
}
