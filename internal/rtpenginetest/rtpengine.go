// Package rtpenginetest runs rtpengine, from Debian, as the media relay of a WebRTC
// gateway in Go tests, and talks to it over its ng control protocol (bencode over UDP)
// so a test can ask what it relayed.
package rtpenginetest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tabphone/tabphone/internal/peerbin"
	"github.com/tabphone/tabphone/internal/testpeer"
)

// Options shape the rtpengine a test gets; the zero value means the defaults.
type Options struct {
	// LogLevel is rtpengine's --log-level (syslog levels, 7 is debug); 0 means 6,
	// which logs every ng command and every stream it opens.
	LogLevel int
	// Args go on rtpengine's command line after the ones Start chooses.
	Args []string
}

// RTPEngine is a running rtpengine on 127.0.0.1, relaying in user space (no kernel
// module: --table=-1), that forgets a call as soon as it is deleted (--delete-delay=0).
type RTPEngine struct {
	NG               string // ng control address, 127.0.0.1:port (UDP)
	PortMin, PortMax int    // the media ports it allocates from

	logPath string
	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
}

// ErrNG is a failed or unanswered ng command.
var ErrNG = errors.New("rtpengine ng")

// startAttempts: a port found free can be taken by a parallel test before rtpengine
// binds it; rtpengine then exits at once and runs again on other ports.
const startAttempts = 3

// Start runs rtpengine until the test ends; it returns once an ng ping answers pong.
// Its log is printed if the test fails.
func Start(t testpeer.T, o Options) *RTPEngine {
	t.Helper()
	bin := peerbin.Find(t, "rtpengine", "rtpengine-daemon", "/usr/bin", "/usr/sbin")
	if o.LogLevel == 0 {
		o.LogLevel = 6
	}
	dir := t.TempDir()
	r := &RTPEngine{logPath: filepath.Join(dir, "rtpengine.log")}
	t.Cleanup(func() {
		r.stop()
		if t.Failed() {
			t.Logf("rtpengine log:\n%s", r.Log())
		}
	})
	var err error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		if err = r.start(bin, o); err == nil {
			return r
		}
		r.stop()
	}
	t.Fatalf("rtpengine: %v\n%s", err, r.Log())
	return nil
}

func (r *RTPEngine) start(bin string, o Options) error {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	r.NG = c.LocalAddr().String()
	c.Close()
	// 200 ports somewhere in 30000-50000; rtpengine skips ports that are taken.
	r.PortMin = 30000 + mrand.IntN(100)*200
	r.PortMax = r.PortMin + 199
	args := append([]string{"--config-file=none", "--foreground", "--log-stderr", "--table=-1",
		"--interface=127.0.0.1", "--listen-ng=" + r.NG,
		fmt.Sprintf("--port-min=%d", r.PortMin), fmt.Sprintf("--port-max=%d", r.PortMax),
		fmt.Sprintf("--log-level=%d", o.LogLevel),
		// A deleted call goes at once, not after the default 30 s, so a test can see a
		// BYE end it.
		"--delete-delay=0"}, o.Args...)
	logFile, err := os.OpenFile(r.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close()
	fmt.Fprintf(logFile, "$ %s %s\n", bin, strings.Join(args, " "))
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	r.mu.Lock()
	r.cmd, r.exited = cmd, exited
	r.mu.Unlock()
	end := time.Now().Add(5 * time.Second)
	for {
		select {
		case <-exited:
			return fmt.Errorf("rtpengine exited at start")
		default:
		}
		if err := r.Ping(200 * time.Millisecond); err == nil {
			return nil
		} else if time.Now().After(end) {
			return err
		}
	}
}

// stop kills rtpengine and waits for it.
func (r *RTPEngine) stop() {
	r.mu.Lock()
	cmd, exited := r.cmd, r.exited
	r.cmd = nil
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-exited
}

// Log is rtpengine's output so far.
func (r *RTPEngine) Log() string {
	b, _ := os.ReadFile(r.logPath)
	return string(b)
}

// Ping sends an ng ping and waits up to timeout for its pong.
func (r *RTPEngine) Ping(timeout time.Duration) error {
	res, err := r.command("ping", nil, timeout)
	if err != nil {
		return err
	}
	if res["result"] != "pong" {
		return fmt.Errorf("%w: ping answered %v", ErrNG, res)
	}
	return nil
}

// commandTimeout bounds one ng command.
const commandTimeout = 3 * time.Second

// Command sends the ng command cmd ("offer", "answer", "delete", "query", "list"…)
// with args (the other keys of its dictionary: "call-id", "from-tag", "sdp", "flags"…)
// and returns rtpengine's reply. A reply whose result is "error" is returned with
// ErrNG and its error-reason.
func (r *RTPEngine) Command(cmd string, args map[string]any) (map[string]any, error) {
	res, err := r.command(cmd, args, commandTimeout)
	if err != nil {
		return nil, err
	}
	if res["result"] == "error" {
		return res, fmt.Errorf("%w: %s: %v", ErrNG, cmd, res["error-reason"])
	}
	return res, nil
}

// command sends one request and resends it with the same cookie until a reply comes:
// rtpengine answers a repeated cookie from its cache instead of running it again.
func (r *RTPEngine) command(cmd string, args map[string]any, timeout time.Duration) (map[string]any, error) {
	dict := map[string]any{"command": cmd}
	for k, v := range args {
		dict[k] = v
	}
	body, err := encodeBencode(nil, dict)
	if err != nil {
		return nil, err
	}
	var raw [8]byte
	_, _ = rand.Read(raw[:])
	cookie := hex.EncodeToString(raw[:])
	msg := append([]byte(cookie+" "), body...)
	conn, err := net.Dial("udp", r.NG)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	buf := make([]byte, 1<<16)
	end := time.Now().Add(timeout)
	for time.Now().Before(end) {
		if _, err := conn.Write(msg); err != nil {
			return nil, err
		}
		wait := time.Now().Add(500 * time.Millisecond)
		if wait.After(end) {
			wait = end
		}
		_ = conn.SetReadDeadline(wait)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				break // resend
			}
			got, rest, ok := strings.Cut(string(buf[:n]), " ")
			if !ok || got != cookie {
				continue
			}
			v, _, err := decodeBencode([]byte(rest))
			if err != nil {
				return nil, fmt.Errorf("%w: %s reply: %v", ErrNG, cmd, err)
			}
			d, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%w: %s reply is %T", ErrNG, cmd, v)
			}
			return d, nil
		}
	}
	return nil, fmt.Errorf("%w: no reply to %s from %s in %v", ErrNG, cmd, r.NG, timeout)
}

// List returns the Call-IDs of the calls rtpengine holds.
func (r *RTPEngine) List() ([]string, error) {
	res, err := r.Command("list", nil)
	if err != nil {
		return nil, err
	}
	var ids []string
	list, _ := res["calls"].([]any)
	for _, v := range list {
		if s, ok := v.(string); ok {
			ids = append(ids, s)
		}
	}
	return ids, nil
}

// Query returns rtpengine's reply to an ng query for one call: its tags, their
// streams and the packet counters of each.
func (r *RTPEngine) Query(callID string) (map[string]any, error) {
	return r.Command("query", map[string]any{"call-id": callID})
}
