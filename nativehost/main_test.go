package main

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets a test run this program's serve in a child process (the real stdio a
// browser gives the host).
func TestMain(m *testing.M) {
	if os.Getenv("TABPHONE_TEST_SERVE") == "1" {
		os.Exit(serve(os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestBrowserGoneBeforeAWrite: the browser died (its end of stdout is closed) and the
// host writes before it has read the end of its input, as when an event goes out
// while a killed browser's pipes close. The write fails (EPIPE) instead of killing the
// host with SIGPIPE, which would skip the BYE and the unREGISTER; the host then exits
// normally at the end of its input.
func TestBrowserGoneBeforeAWrite(t *testing.T) {
	logDir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TABPHONE_TEST_SERVE=1", "TABPHONE_CONFIG_DIR="+t.TempDir(), "TABPHONE_LOG_DIR="+logDir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = outW
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	outW.Close()
	outR.Close() // the browser is gone: nobody reads the host's output
	ping := []byte(`{"type":"ping","id":1}`)
	frame := binary.NativeEndian.AppendUint32(nil, uint32(len(ping)))
	if _, err := stdin.Write(append(frame, ping...)); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(logDir, "host.log")
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	deadline := time.After(5 * time.Second)
poll:
	for {
		select {
		case err = <-waited:
			break poll // it ended before its input did
		case <-deadline:
			t.Fatal("the host never wrote")
		case <-time.After(10 * time.Millisecond): // polling the log file
			if b, _ := os.ReadFile(logPath); strings.Contains(string(b), "write to browser failed") {
				stdin.Close()
				err = <-waited
				break poll
			}
		}
	}
	log, _ := os.ReadFile(logPath)
	if err != nil {
		t.Fatalf("host ended with %v; log:\n%s", err, log)
	}
	if !strings.Contains(string(log), "host exited") {
		t.Fatalf("no normal exit in the log:\n%s", log)
	}
}
