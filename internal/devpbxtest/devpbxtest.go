// Package devpbxtest starts tabphone-devpbx for Go tests: it builds the binary once per
// test binary and runs one dev PBX per test on free loopback ports.
package devpbxtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func binary(t testing.TB) string {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "devpbxtest-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "tabphone-devpbx")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/tabphone/tabphone/devpbx").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("build devpbx: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// PBX is a running dev PBX.
type PBX struct {
	SIP  string // host:port of its SIP socket
	HTTP string // host:port of its API and demo app
}

// Start runs a dev PBX with the users ("user:password" lines) until the test ends.
func Start(t testing.TB, users string, args ...string) *PBX {
	t.Helper()
	f := filepath.Join(t.TempDir(), "users.txt")
	if err := os.WriteFile(f, []byte(users), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary(t), append([]string{"-sip", "127.0.0.1:0", "-http", "127.0.0.1:0", "-users", f}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := regexp.MustCompile(`devpbx ready sip=(\S+) http=(\S+)`)
	found := make(chan *PBX, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := ready.FindStringSubmatch(sc.Text()); m != nil {
				found <- &PBX{SIP: m[1], HTTP: m[2]}
			}
		}
	}()
	select {
	case p := <-found:
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("devpbx did not start")
	}
	return nil
}

// Get decodes a JSON API answer into v.
func (p *PBX) Get(t testing.TB, path string, v any) {
	t.Helper()
	res, err := http.Get("http://" + p.HTTP + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// Call is one call as /api/calls reports it.
type Call struct {
	ID, From, To, Codec, State string
	EndedBy                    string `json:"ended_by"`
}

// Calls returns /api/calls.
func (p *PBX) Calls(t testing.TB) []Call {
	var cs []Call
	p.Get(t, "/api/calls", &cs)
	return cs
}

// Registered reports whether user has a live binding.
func (p *PBX) Registered(t testing.TB, user string) bool {
	var regs []struct{ User string }
	p.Get(t, "/api/registrations", &regs)
	for _, r := range regs {
		if r.User == user {
			return true
		}
	}
	return false
}

// WaitFor polls cond every 20 ms until it holds or the timeout passes.
func WaitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	end := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
