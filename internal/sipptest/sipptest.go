// Package sipptest runs sipp (Debian's sip-tester) with a scenario kept in the repo, for
// Go tests: one call as a scripted caller or callee on free loopback ports, its error
// log and message trace returned when the scenario did not complete as written.
package sipptest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tabphone/tabphone/internal/peerbin"
)

// Run starts one call of the scenario file (CODE in it replaced by code). With a target
// sipp calls user 1001 there; without one it waits as the callee and *addr (when not
// nil) gets the address to call it at. extra goes on sipp's command line. The channel
// gets nil when the scenario completed. sipp missing skips the test.
func Run(t testing.TB, scenarioFile, target string, code int, addr *string, extra ...string) <-chan error {
	t.Helper()
	bin := peerbin.Find(t, "sipp", "sip-tester")
	raw, err := os.ReadFile(scenarioFile)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(scenarioFile)
	dir := t.TempDir()
	f := filepath.Join(dir, name)
	if err := os.WriteFile(f, []byte(strings.ReplaceAll(string(raw), "CODE", fmt.Sprint(code))), 0o600); err != nil {
		t.Fatal(err)
	}
	port := FreePort(t)
	errFile := filepath.Join(dir, "sipp-errors.log")
	if addr != nil {
		*addr = fmt.Sprintf("127.0.0.1:%d", port)
	}
	args := func(mport int) []string {
		a := []string{"-sf", f, "-m", "1", "-i", "127.0.0.1", "-p", fmt.Sprint(port),
			"-mi", "127.0.0.1", "-mp", fmt.Sprint(mport), "-rtp_echo", "-timeout", "20s", "-timeout_error", "-nostdin", "-trace_err",
			"-error_file", errFile, "-trace_msg", "-message_file", errFile + ".msg"}
		a = append(a, extra...)
		if target != "" { // a caller; without a target sipp waits as the callee on port
			a = append(a, "-s", "1001", target)
		}
		return a
	}
	done := make(chan error, 1)
	var mu sync.Mutex
	var cmd *exec.Cmd
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if cmd != nil && cmd.Process != nil {
			_ = cmd.Process.Kill()
		}
	})
	go func() {
		// A media port found free can be taken by a parallel test before sipp binds it:
		// sipp then stops at once, before any message, and runs again on another.
		for attempt := 1; ; attempt++ {
			mport, err := freeUDPPort()
			if err != nil {
				done <- err
				return
			}
			var out strings.Builder
			c := exec.Command(bin, args(mport)...)
			c.Stdout, c.Stderr = &out, &out
			mu.Lock()
			cmd = c
			err = c.Start()
			mu.Unlock()
			if err == nil {
				err = c.Wait()
			}
			if err == nil {
				done <- nil
				return
			}
			log, _ := os.ReadFile(errFile)
			msgs, _ := os.ReadFile(errFile + ".msg")
			if strings.Contains(out.String()+string(log), "Address already in use") && attempt < 3 {
				_ = os.Remove(errFile)
				continue
			}
			done <- fmt.Errorf("sipp %s: %v\n%s\n%s%s", name, err, out.String(), log, msgs)
			return
		}
	}()
	return done
}

// FreePort returns a UDP port that was free a moment ago (sipp binds it itself; its
// default media port 6000 would collide between runs).
func FreePort(t testing.TB) int {
	t.Helper()
	p, err := freeUDPPort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func freeUDPPort() (int, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free UDP port: %w", err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}
