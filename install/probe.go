package install

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/tabphone/tabphone/nativehost/messaging"
	"github.com/tabphone/tabphone/nativehost/protocol"
)

// Probe is what the host said when started as a browser starts it.
type Probe struct {
	Version string
	// Err: the host did not answer hello (it did not start, exited, or said no).
	Err error
	// Accounts as the last state event showed them, and the config error it reported.
	Accounts    []protocol.AccountState
	ConfigError *protocol.ErrorBody
}

// Prober starts the host at path and talks to it for at most settle after hello.
type Prober func(ctx context.Context, path string, settle time.Duration) Probe

// helloTimeout bounds the wait for the host's first answer.
var helloTimeout = 5 * time.Second

// ProbeHost starts the host with the argument Chrome gives it, says hello through the
// framing, reports the session active (so a host bound to a Dialer/PBX registers too)
// and reads state events until every account registered or failed, or settle passed.
// Closing stdin then makes the host unregister and exit, as on a browser exit.
func ProbeHost(ctx context.Context, path string, settle time.Duration) (p Probe) {
	cmd := exec.CommandContext(ctx, path, ChromeOrigin)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return Probe{Err: err}
	}
	// Our own pipe, not StdoutPipe: Wait closes that one when the process exits, which
	// would lose the frames still buffered in it.
	stdout, pw, err := os.Pipe()
	if err != nil {
		return Probe{Err: err}
	}
	defer stdout.Close()
	cmd.Stdout = pw
	err = cmd.Start()
	pw.Close()
	if err != nil {
		return Probe{Err: fmt.Errorf("cannot start it: %w", err)}
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(3 * time.Second): // it has 2 s to unregister
			_ = cmd.Process.Kill()
			<-exited
		}
	}()

	frames := make(chan protocol.Envelope, 16)
	readErr := make(chan error, 1)
	go func() {
		r := messaging.NewReaderSize(stdout, messaging.MaxOutgoing)
		for {
			f, err := r.ReadFrame()
			if err != nil {
				readErr <- err
				close(frames)
				return
			}
			if env, err := protocol.Decode(f); err == nil {
				frames <- env
			}
		}
	}()
	w := messaging.NewWriter(stdin)
	send := func(id int64, typ string, data any) {
		raw, _ := json.Marshal(data)
		b, _ := json.Marshal(protocol.Envelope{Type: typ, ID: id, Data: raw})
		_ = w.WriteFrame(b)
	}
	send(1, protocol.TypeHello, protocol.Hello{Protocol: protocol.Version, Version: "doctor"})

	deadline := time.NewTimer(helloTimeout)
	defer deadline.Stop()
	helloDone := false
	for {
		select {
		case <-ctx.Done():
			p.Err = ctx.Err()
			return p
		case <-deadline.C:
			if !helloDone {
				p.Err = fmt.Errorf("no answer to hello within %s", helloTimeout)
			}
			return p
		case env, ok := <-frames:
			if !ok {
				err := <-readErr
				if !helloDone {
					if errors.Is(err, io.EOF) {
						err = errors.New("it exited without answering hello")
					}
					p.Err = err
				}
				return p
			}
			switch {
			case env.Type == protocol.TypeReply && env.ID == 1:
				if env.OK == nil || !*env.OK {
					msg := "it refused hello"
					if env.Error != nil {
						msg += ": " + env.Error.Message
					}
					p.Err = errors.New(msg)
					return p
				}
				var h protocol.Hello
				_ = json.Unmarshal(env.Data, &h)
				p.Version, helloDone = h.Version, true
				send(2, protocol.TypeSession, protocol.SessionReport{Active: true, Reason: "tab_open"})
				deadline.Reset(settle)
			case env.Type == protocol.TypeState:
				var st protocol.State
				if json.Unmarshal(env.Data, &st) != nil {
					continue
				}
				p.Accounts, p.ConfigError = st.Accounts, st.ConfigError
				if helloDone && settled(st.Accounts) {
					return p
				}
			}
		}
	}
}

// settled: every account registered or failed (true with no account at all).
func settled(accounts []protocol.AccountState) bool {
	for _, a := range accounts {
		if a.Registration != protocol.RegRegistered && a.Registration != protocol.RegFailed {
			return false
		}
	}
	return true
}
