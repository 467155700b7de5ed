package handover

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestRelayReachesTheWaitingHostBothWays(t *testing.T) {
	path := Path(t.TempDir(), 4242)
	accepted := make(chan io.ReadWriteCloser, 1)
	go func() {
		c, err := Await(context.Background(), path, 5*time.Second)
		if err != nil {
			t.Error(err)
			close(accepted)
			return
		}
		accepted <- c
	}()
	// The successor dials as soon as the socket is there.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no socket")
		}
		time.Sleep(5 * time.Millisecond) // polling for the file, bounded by the deadline
	}
	inR, inW := io.Pipe()
	var out bytes.Buffer
	relayed := make(chan bool, 1)
	go func() {
		ok, err := Relay(path, inR, &out)
		if err != nil {
			t.Error(err)
		}
		relayed <- ok
	}()
	host := <-accepted
	if host == nil {
		t.FailNow()
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket outlived the handover: %v", err)
	}
	go func() { _, _ = inW.Write([]byte("to-host")) }()
	buf := make([]byte, 7)
	if _, err := io.ReadFull(host, buf); err != nil || string(buf) != "to-host" {
		t.Fatalf("host read %q, %v", buf, err)
	}
	if _, err := host.Write([]byte("to-browser")); err != nil {
		t.Fatal(err)
	}
	// The browser closes the successor's port: the host sees EOF.
	inW.Close()
	if n, err := host.Read(buf); err != io.EOF {
		t.Fatalf("host read %d, %v after the port closed; want EOF", n, err)
	}
	host.Close()
	select {
	case ok := <-relayed:
		if !ok {
			t.Fatal("Relay reported no host")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the relay did not end with the host")
	}
	if out.String() != "to-browser" {
		t.Fatalf("browser got %q", out.String())
	}
}

func TestAwaitGivesUpAfterTheGrace(t *testing.T) {
	path := Path(t.TempDir(), 1)
	// A socket file left by a killed host is no obstacle.
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	_, err := Await(context.Background(), path, 300*time.Millisecond)
	took := time.Since(t0)
	if !errors.Is(err, ErrNoSuccessor) {
		t.Fatalf("err %v", err)
	}
	if took < 250*time.Millisecond || took > 2*time.Second {
		t.Fatalf("gave up after %v; grace 300ms", took)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left: %v", err)
	}
}

func TestAwaitEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	t0 := time.Now()
	if _, err := Await(ctx, Path(t.TempDir(), 1), 10*time.Second); err == nil {
		t.Fatal("no error")
	}
	if time.Since(t0) > time.Second {
		t.Fatalf("took %v after the context ended", time.Since(t0))
	}
}

func TestRelayWithoutAWaitingHost(t *testing.T) {
	dir := t.TempDir()
	ok, err := Relay(Path(dir, 7), bytes.NewReader(nil), io.Discard)
	if ok || err != nil {
		t.Fatalf("no socket: %v %v", ok, err)
	}
	// A stale socket file nobody listens on.
	if err := os.WriteFile(filepath.Join(dir, "host-7.sock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if ok, _ := Relay(Path(dir, 7), bytes.NewReader(nil), io.Discard); ok {
		t.Fatal("relayed to a stale file")
	}
}
