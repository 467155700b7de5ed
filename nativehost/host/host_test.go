package host

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"testing"
	"time"

	"github.com/tabphone/tabphone/media"
	"github.com/tabphone/tabphone/nativehost/messaging"
	"github.com/tabphone/tabphone/nativehost/protocol"
	"github.com/tabphone/tabphone/nativehost/session"
)

// session runs the host on pipes, as the browser would.
type pipeSession struct {
	t    *testing.T
	in   *io.PipeWriter
	w    *messaging.Writer
	r    *messaging.Reader
	done chan error
}

func start(t *testing.T, configDir string) *pipeSession {
	return startWith(t, configDir, nil)
}

func startWith(t *testing.T, configDir string, clock session.Clock) *pipeSession {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s := &pipeSession{t: t, in: inW, w: messaging.NewWriter(inW), r: messaging.NewReader(outR), done: make(chan error, 1)}
	go func() {
		s.done <- Run(context.Background(), Options{Stdin: inR, Stdout: outW, ConfigDir: configDir, Version: "test",
			Media: &media.BrowserNet{LocalIPs: []net.IP{net.IPv4(127, 0, 0, 1)}}, Clock: clock})
		outW.Close()
	}()
	t.Cleanup(func() { inW.Close() })
	return s
}

func (s *pipeSession) send(raw string) {
	s.t.Helper()
	if err := s.w.WriteFrame([]byte(raw)); err != nil {
		s.t.Fatal(err)
	}
}

// next returns the next message, failing after a deadline.
func (s *pipeSession) next() protocol.Envelope {
	s.t.Helper()
	ch := make(chan []byte, 1)
	go func() {
		f, err := s.r.ReadFrame()
		if err != nil {
			close(ch)
			return
		}
		ch <- f
	}()
	select {
	case f, ok := <-ch:
		if !ok {
			s.t.Fatal("host closed its output")
		}
		env, err := protocol.Decode(f)
		if err != nil {
			s.t.Fatalf("host sent %q: %v", f, err)
		}
		return env
	case <-time.After(5 * time.Second):
		s.t.Fatal("no message from the host")
	}
	return protocol.Envelope{}
}

// until skips events until one of type typ (and id, for replies) arrives.
func (s *pipeSession) until(typ string, id int64) protocol.Envelope {
	s.t.Helper()
	for i := 0; i < 20; i++ {
		env := s.next()
		if env.Type == typ && env.ID == id {
			return env
		}
	}
	s.t.Fatalf("no %s %d", typ, id)
	return protocol.Envelope{}
}

func TestHelloStateAndBadInput(t *testing.T) {
	s := start(t, t.TempDir()) // no config file: a plain phone with no account
	s.send(`{"type":"hello","id":1,"data":{"protocol":1,"version":"x"}}`)
	rep := s.until(protocol.TypeReply, 1)
	if rep.OK == nil || !*rep.OK || !bytes.Contains(rep.Data, []byte(`"protocol":1`)) {
		t.Fatalf("hello reply %+v %s", rep, rep.Data)
	}
	st := s.until(protocol.TypeState, 0)
	var state protocol.State
	if err := json.Unmarshal(st.Data, &state); err != nil || state.ConfigError == nil {
		t.Fatalf("state without the missing-config error: %s", st.Data)
	}

	// Oversized, malformed, unknown, id-less: each gets an error and the host stays up.
	s.send(`{"type":"ping","id":2,"data":"` + string(bytes.Repeat([]byte("x"), messaging.MaxIncoming)) + `"}`)
	if e := s.until(protocol.TypeError, 0); !bytes.Contains(e.Data, []byte(protocol.CodeTooLarge)) {
		t.Fatalf("oversized: %s", e.Data)
	}
	s.send(`{"type":`)
	if e := s.until(protocol.TypeError, 0); !bytes.Contains(e.Data, []byte(protocol.CodeBadRequest)) {
		t.Fatalf("malformed: %s", e.Data)
	}
	s.send(`{"type":"toString","id":3}`)
	if r := s.until(protocol.TypeReply, 3); *r.OK || r.Error.Code != protocol.CodeBadRequest {
		t.Fatalf("unknown type: %+v", r)
	}
	s.send(`{"type":"dial","data":{"number":"600"}}`)
	s.until(protocol.TypeError, 0)
	s.send(`{"type":"dial","id":4,"data":{"number":5}}`)
	if r := s.until(protocol.TypeReply, 4); *r.OK || r.Error.Code != protocol.CodeBadRequest {
		t.Fatalf("bad data: %+v", r)
	}
	s.send(`{"type":"dial","id":5,"data":{"number":"600"}}`)
	if r := s.until(protocol.TypeReply, 5); *r.OK || r.Error.Code != protocol.CodeNoAccount {
		t.Fatalf("dial without account: %+v", r)
	}
	s.send(`{"type":"hello","id":6,"data":{"protocol":99}}`)
	if r := s.until(protocol.TypeReply, 6); *r.OK || r.Error.Code != protocol.CodeProtocol {
		t.Fatalf("protocol skew: %+v", r)
	}
	s.send(`{"type":"ping","id":7}`)
	if r := s.until(protocol.TypeReply, 7); !*r.OK {
		t.Fatalf("ping after all that: %+v", r)
	}

	s.in.Close() // the browser closes the port
	go func() {  // and reads whatever the host still says
		for {
			if _, err := s.r.ReadFrame(); err != nil {
				return
			}
		}
	}()
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("host did not exit on EOF")
	}
}

// stream reads every frame the host sends from now on, as the browser does.
func (s *pipeSession) stream() <-chan protocol.Envelope {
	ch := make(chan protocol.Envelope, 100)
	go func() {
		defer close(ch)
		for {
			f, err := s.r.ReadFrame()
			if err != nil {
				return
			}
			env, err := protocol.Decode(f)
			if err != nil {
				s.t.Errorf("host sent %q: %v", f, err)
				return
			}
			ch <- env
		}
	}()
	return ch
}

// await returns the first message from ch that matches, failing after 10 s.
func await(t *testing.T, ch <-chan protocol.Envelope, what string, match func(protocol.Envelope) bool) protocol.Envelope {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case env, ok := <-ch:
			if !ok {
				t.Fatalf("host closed its output waiting for %s", what)
			}
			if match(env) {
				return env
			}
		case <-deadline:
			t.Fatalf("no %s", what)
		}
	}
}

// replyTo matches the reply to request id.
func replyTo(id int64) func(protocol.Envelope) bool {
	return func(e protocol.Envelope) bool { return e.Type == protocol.TypeReply && e.ID == id }
}

// helloRegistered says hello and waits for a state with n accounts, the first one
// registered.
func helloRegistered(t *testing.T, s *pipeSession, events <-chan protocol.Envelope, n int) {
	t.Helper()
	s.send(`{"type":"hello","id":1,"data":{"protocol":1,"version":"x"}}`)
	await(t, events, "registered", func(e protocol.Envelope) bool {
		var st protocol.State
		return e.Type == protocol.TypeState && json.Unmarshal(e.Data, &st) == nil && len(st.Accounts) == n &&
			st.Accounts[0].Registration == protocol.RegRegistered
	})
}
