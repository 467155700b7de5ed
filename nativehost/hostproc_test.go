package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/kamailiotest"
	"github.com/tabphone/tabphone/nativehost/messaging"
	"github.com/tabphone/tabphone/nativehost/protocol"
)

// hostProc is the host program run as the browser runs it (this test binary's serve,
// real stdio), for tests that measure the process: its frames are kept in order.
type hostProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	logDir string
	w      *messaging.Writer
	in     io.Closer
	mu     sync.Mutex
	frames []protocol.Envelope
	closed bool
	nextID int64
}

// startHost starts the host with config.json cfg; prefix (e.g. "ip netns exec NS")
// goes before the program. The host ends (input closed) in cleanup.
func startHost(t *testing.T, cfg string, prefix ...string) *hostProc {
	t.Helper()
	configDir, logDir := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(configDir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{}, prefix...), os.Args[0], "-test.run=^$")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "TABPHONE_TEST_SERVE=1", "TABPHONE_CONFIG_DIR="+configDir, "TABPHONE_LOG_DIR="+logDir)
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
	h := &hostProc{t: t, cmd: cmd, logDir: logDir, w: messaging.NewWriter(stdin), in: stdin, nextID: 1}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	go func() {
		r := messaging.NewReader(stdout)
		for {
			f, err := r.ReadFrame()
			if err != nil {
				h.mu.Lock()
				h.closed = true
				h.mu.Unlock()
				return
			}
			if env, err := protocol.Decode(f); err == nil {
				h.mu.Lock()
				h.frames = append(h.frames, env)
				h.mu.Unlock()
			}
		}
	}()
	h.request(protocol.TypeHello, `{"protocol":1,"version":"x"}`)
	return h
}

// request sends a request and returns its id.
func (h *hostProc) request(typ, data string) int64 {
	h.t.Helper()
	h.mu.Lock()
	id := h.nextID
	h.nextID++
	h.mu.Unlock()
	if err := h.w.WriteFrame([]byte(fmt.Sprintf(`{"type":%q,"id":%d,"data":%s}`, typ, id, data))); err != nil {
		h.t.Fatalf("write to the host: %v", err)
	}
	return id
}

// count returns how many frames so far match.
func (h *hostProc) count(match func(protocol.Envelope) bool) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, f := range h.frames {
		if match(f) {
			n++
		}
	}
	return n
}

// await polls the frames for the first one after index from that matches, up to
// timeout, and returns it with the index after it.
func (h *hostProc) await(what string, from int, timeout time.Duration, match func(protocol.Envelope) bool) (protocol.Envelope, int) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		h.mu.Lock()
		for i := from; i < len(h.frames); i++ {
			if match(h.frames[i]) {
				env := h.frames[i]
				h.mu.Unlock()
				return env, i + 1
			}
		}
		closed := h.closed
		h.mu.Unlock()
		if closed {
			h.t.Fatalf("the host closed its output waiting for %s", what)
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("no %s within %v", what, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// len returns the number of frames so far.
func (h *hostProc) len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.frames)
}

// ping sends a ping and waits for its reply.
func (h *hostProc) ping(timeout time.Duration) time.Duration {
	h.t.Helper()
	start := time.Now()
	id := h.request(protocol.TypePing, `{}`)
	h.await("the ping's reply", 0, timeout, isReply(id))
	return time.Since(start)
}

func isReply(id int64) func(protocol.Envelope) bool {
	return func(e protocol.Envelope) bool { return e.Type == protocol.TypeReply && e.ID == id }
}

// registration returns a matcher of a state event whose first account is in state reg.
func registration(reg string) func(protocol.Envelope) bool {
	return func(e protocol.Envelope) bool {
		var st protocol.State
		return e.Type == protocol.TypeState && json.Unmarshal(e.Data, &st) == nil && len(st.Accounts) > 0 && st.Accounts[0].Registration == reg
	}
}

// callState returns a matcher of a call event in the given state.
func callState(state string) func(protocol.Envelope) bool {
	return func(e protocol.Envelope) bool {
		var ce protocol.CallEvent
		return e.Type == protocol.TypeCall && json.Unmarshal(e.Data, &ce) == nil && ce.Call.State == state
	}
}

// rssKiB reads the process's resident set from /proc/PID/status.
func (h *hostProc) rssKiB() int {
	h.t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", h.cmd.Process.Pid))
	if err != nil {
		h.t.Fatalf("host status: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	h.t.Fatal("no VmRSS")
	return 0
}

// alive reports whether the host process is still running.
func (h *hostProc) alive() bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d/status", h.cmd.Process.Pid))
	return err == nil && h.cmd.ProcessState == nil
}

var contactAddr = regexp.MustCompile(`@([0-9.]+:[0-9]+)`)

// registeredContact returns host:port of the last Contact Kamailio accepted for a
// REGISTER (the host's SIP socket).
func registeredContact(t *testing.T, k *kamailiotest.Kamailio) string {
	t.Helper()
	regs := k.Registers()
	if len(regs) == 0 {
		t.Fatal("no REGISTER at Kamailio")
	}
	m := contactAddr.FindStringSubmatch(regs[len(regs)-1].Contact)
	if m == nil {
		t.Fatalf("no address in the Contact %q", regs[len(regs)-1].Contact)
	}
	return m[1]
}
