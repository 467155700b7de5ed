package host

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/syncbuf"
	"github.com/tabphone/tabphone/media"
	"github.com/tabphone/tabphone/nativehost/handover"
	"github.com/tabphone/tabphone/nativehost/messaging"
	"github.com/tabphone/tabphone/nativehost/protocol"
)

// The browser closes the port but keeps running (its service worker restarted): the
// host the browser starts next relays its port to this one, which keeps serving with
// its state; when no successor comes within the grace, the phone ends.
func TestSuccessorTakesThePortOver(t *testing.T) {
	dir := t.TempDir()
	sock := handover.Path(dir, 99)
	var logBuf syncbuf.Buffer
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), Options{Stdin: inR, Stdout: outW, ConfigDir: dir, Version: "test",
			Log:   slog.New(slog.NewTextHandler(&logBuf, nil)),
			Media: &media.BrowserNet{LocalIPs: []net.IP{net.IPv4(127, 0, 0, 1)}},
			Successor: func(ctx context.Context) (io.ReadWriteCloser, error) {
				return handover.Await(ctx, sock, 2*time.Second)
			}})
		outW.Close()
	}()
	first := &pipeSession{t: t, in: inW, w: messaging.NewWriter(inW), r: messaging.NewReader(outR), done: done}
	first.send(`{"type":"set_status","id":1,"data":{"status":"dnd"}}`)
	if rep := first.until(protocol.TypeReply, 1); rep.OK == nil || !*rep.OK {
		t.Fatalf("set_status: %+v", rep)
	}
	inW.Close() // the worker stopped: its port closed

	// The next host: a relay of its own port to the waiting one.
	relayIn, relayInW := io.Pipe()
	relayOutR, relayOut := io.Pipe()
	relayed := make(chan bool, 1)
	go func() {
		deadline := time.Now().Add(2 * time.Second)
		for time.Now().Before(deadline) {
			if ok, _ := handover.Relay(sock, relayIn, relayOut); ok {
				relayed <- true
				relayOut.Close()
				return
			}
			time.Sleep(10 * time.Millisecond) // until the waiting host listens, bounded
		}
		relayed <- false
	}()
	second := &pipeSession{t: t, in: relayInW, w: messaging.NewWriter(relayInW), r: messaging.NewReader(relayOutR), done: done}
	second.send(`{"type":"hello","id":1,"data":{"protocol":1,"version":"x"}}`)
	if rep := second.until(protocol.TypeReply, 1); rep.OK == nil || !*rep.OK {
		t.Fatalf("hello through the successor: %+v", rep)
	}
	second.send(`{"type":"state_get","id":2}`)
	rep := second.until(protocol.TypeReply, 2)
	var st protocol.State
	if err := json.Unmarshal(rep.Data, &st); err != nil || st.Status != "dnd" {
		t.Fatalf("state through the successor %s (%v): want the first port's dnd", rep.Data, err)
	}
	select {
	case err := <-done:
		t.Fatalf("Run returned during the handover: %v", err)
	default:
	}

	// The successor's port closes too and nobody follows: the phone ends after the grace.
	t0 := time.Now()
	relayInW.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after the grace")
	}
	took := time.Since(t0)
	if took < 1500*time.Millisecond {
		t.Errorf("returned %v after the second port closed; the grace is 2 s", took)
	}
	if !<-relayed {
		t.Fatal("the relay never reached the host")
	}
	t.Logf("handover: served through the successor; without one the host returned %v after its port closed", took.Round(time.Millisecond))
	if !strings.Contains(logBuf.String(), "calls kept") {
		t.Errorf("the log does not say the port was taken over:\n%s", logBuf.String())
	}
}
