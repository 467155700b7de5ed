// Package testpeer lets the test peers of internal/ (kamailiotest, rtpenginetest,
// baresiptest) run outside `go test`. T is the part of testing.TB they use, and
// Program is a T for a program, so the browser E2E suite can start the same peers.
package testpeer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
)

// T is what a test peer needs from its caller: testing.TB satisfies it, and so does
// Program. Fatal, Fatalf and Skip end the calling goroutine, as testing's do.
type T interface {
	Helper()
	Cleanup(func())
	TempDir() string
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Skip(args ...any)
	Logf(format string, args ...any)
	Failed() bool
}

// ErrFailed and ErrSkipped are what Program.Do returns when its function called Fatal
// (or Fatalf) or Skip; the message follows.
var (
	ErrFailed  = errors.New("failed")
	ErrSkipped = errors.New("skipped")
)

// Program is a T for a program that starts test peers: Do runs the starting code as
// `go test` runs a test, Close runs the cleanups the peers registered (newest first,
// as testing does) and removes their temporary directories. Its zero value is not
// usable; call NewProgram.
type Program struct {
	name string
	log  io.Writer

	mu       sync.Mutex
	cleanups []func()
	base     string // parent of every TempDir, made on first use
	failed   bool
	ended    error // why the function in Do stopped early: ErrFailed or ErrSkipped, wrapped
	closed   bool
}

// NewProgram returns a Program whose Logf and failures go to log; name prefixes its
// temporary directories.
func NewProgram(name string, log io.Writer) *Program {
	return &Program{name: name, log: log}
}

var _ T = (*Program)(nil)

// Do runs f on a goroutine of its own and waits for it, so that Fatal and Skip can end
// f (runtime.Goexit) without ending the caller. It returns nil when f returned, else
// ErrFailed or ErrSkipped with the message. Peers started by f keep running until Close.
func (p *Program) Do(f func(T)) error {
	done := make(chan struct{})
	returned := false
	go func() {
		defer close(done)
		f(p)
		returned = true
	}()
	<-done
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended != nil {
		err := p.ended
		p.ended = nil
		return err
	}
	if !returned {
		return fmt.Errorf("%w: the function exited without Fatal or Skip", ErrFailed)
	}
	return nil
}

// Helper does nothing: there is no test log whose lines it would mark.
func (p *Program) Helper() {}

// Cleanup registers f to run at Close, after every f registered later.
func (p *Program) Cleanup(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cleanups = append(p.cleanups, f)
}

// TempDir returns a new directory, removed by Close; failing to make one is fatal.
func (p *Program) TempDir() string {
	p.mu.Lock()
	base, err := p.base, error(nil)
	if base == "" {
		base, err = os.MkdirTemp("", p.name+"-")
		p.base = base
	}
	p.mu.Unlock()
	if err != nil {
		p.Fatalf("temp dir: %v", err)
	}
	dir, err := os.MkdirTemp(base, "")
	if err != nil {
		p.Fatalf("temp dir: %v", err)
	}
	return dir
}

// Fatal logs args, marks the program failed and ends the calling goroutine.
func (p *Program) Fatal(args ...any) { p.end(ErrFailed, fmt.Sprint(args...)) }

// Fatalf is Fatal with a format.
func (p *Program) Fatalf(format string, args ...any) { p.end(ErrFailed, fmt.Sprintf(format, args...)) }

// Skip ends the calling goroutine with args as the reason; it is not a failure.
func (p *Program) Skip(args ...any) { p.end(ErrSkipped, fmt.Sprint(args...)) }

func (p *Program) end(kind error, msg string) {
	p.mu.Lock()
	if kind == ErrFailed {
		p.failed = true
	}
	p.ended = fmt.Errorf("%w: %s", kind, msg)
	p.mu.Unlock()
	p.Logf("%s: %s", kind, msg)
	runtime.Goexit()
}

// Logf writes one line to the program's log.
func (p *Program) Logf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = io.WriteString(p.log, msg)
}

// Failed reports whether Fatal or Fatalf was called.
func (p *Program) Failed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failed
}

// Close runs the registered cleanups, newest first, then removes the temporary
// directories. Calling it again does nothing.
func (p *Program) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	for {
		p.mu.Lock()
		n := len(p.cleanups)
		if n == 0 {
			p.mu.Unlock()
			break
		}
		f := p.cleanups[n-1]
		p.cleanups = p.cleanups[:n-1]
		p.mu.Unlock()
		p.runCleanup(f)
	}
	p.mu.Lock()
	base := p.base
	p.mu.Unlock()
	if base == "" {
		return nil
	}
	return os.RemoveAll(base)
}

// runCleanup runs f so that a Fatal in it ends only f, as in testing.
func (p *Program) runCleanup(f func()) {
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	<-done
	p.mu.Lock()
	p.ended = nil
	p.mu.Unlock()
}
