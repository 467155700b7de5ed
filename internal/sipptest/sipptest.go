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
	return RunIn(t, "", "127.0.0.1", scenarioFile, target, code, addr, extra...)
}

// RunIn is Run inside network namespace netns (none: "") on address ip.
func RunIn(t testing.TB, netns, ip, scenarioFile, target string, code int, addr *string, extra ...string) <-chan error {
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
		*addr = net.JoinHostPort(ip, fmt.Sprint(port))
	}
	args := func(mport int) []string {
		a := []string{"-sf", f, "-m", "1", "-i", ip, "-p", fmt.Sprint(port),
			"-mi", ip, "-mp", fmt.Sprint(mport), "-rtp_echo", "-timeout", "20s", "-timeout_error", "-nostdin", "-trace_err",
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
			argv := append([]string{bin}, args(mport)...)
			if netns != "" {
				argv = append([]string{"ip", "netns", "exec", netns}, argv...)
			}
			c := exec.Command(argv[0], argv[1:]...)
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

// Flood runs calls calls of the scenario file at rate calls a second from a free
// loopback port against target (user service), bounded in count and in time (the
// calls' time plus 10 s), and returns how many calls sipp counted as successful.
// Answers sipp cannot map to a live call are discarded, as a scanner ignores them.
func Flood(t testing.TB, scenarioFile, target, service string, calls, rate int) (int, error) {
	t.Helper()
	bin := peerbin.Find(t, "sipp", "sip-tester")
	dir := t.TempDir()
	stats := filepath.Join(dir, "stats.csv")
	limit := calls/rate + 10
	c := exec.Command(bin, "-sf", scenarioFile, "-m", fmt.Sprint(calls), "-r", fmt.Sprint(rate), "-rp", "1000",
		"-i", "127.0.0.1", "-p", fmt.Sprint(FreePort(t)), "-mi", "127.0.0.1", "-mp", fmt.Sprint(FreePort(t)),
		"-timeout", fmt.Sprintf("%ds", limit), "-nostdin", "-trace_stat", "-stf", stats, "-fd", "1",
		"-s", service, target)
	out, err := c.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("sipp %s: %v\n%s", filepath.Base(scenarioFile), err, out)
	}
	raw, err := os.ReadFile(stats)
	if err != nil {
		return 0, fmt.Errorf("sipp statistics: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) < 2 {
		return 0, fmt.Errorf("sipp statistics: %q", raw)
	}
	head, last := strings.Split(lines[0], ";"), strings.Split(lines[len(lines)-1], ";")
	for i, h := range head {
		if h == "SuccessfulCall(C)" && i < len(last) {
			var n int
			_, err := fmt.Sscan(last[i], &n)
			return n, err
		}
	}
	return 0, fmt.Errorf("sipp statistics without SuccessfulCall(C): %q", lines[0])
}
