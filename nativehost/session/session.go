// Package session is the Dialer/PBX session state machine: the phone lives only while
// the user has an active Dialer/PBX session in the browser. When the last session ends
// it warns for CloseDelay, then closes; a session coming back during the warning
// cancels the close.
package session

import (
	"sync"
	"time"
)

// CloseDelay is how long the warning shows before the phone closes.
const CloseDelay = 5 * time.Second

// Message is the warning the user sees during ClosingSoon.
const Message = "Window will be closed soon, since there is no active session"

// State of the machine.
type State string

// States. Unbound: no Dialer/PBX site is configured, the phone is a plain softphone and
// session reports change nothing. Waiting: bound, no session seen yet (nothing
// registers). Active: a session is active. ClosingSoon: no session, the warning shows.
// Closed: final.
const (
	Unbound     State = "unbound"
	Waiting     State = "waiting"
	Active      State = "active"
	ClosingSoon State = "closing_soon"
	Closed      State = "closed"
)

// Reasons the extension reports, plus the host's own.
const (
	ReasonTabsClosed = "tabs_closed"
	ReasonLogout     = "logout"
	ReasonTimeout    = "timeout"
	ReasonTabOpen    = "tab_open"
	ReasonBrowser    = "browser_closed" // stdin EOF: the browser exited or closed the port
)

// Snapshot is the machine's state as reported to the UI.
type Snapshot struct {
	State    State     `json:"state"`
	Reason   string    `json:"reason,omitempty"`
	Deadline time.Time `json:"-"`
}

// Clock is time as the machine sees it; tests inject a manual one.
type Clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a stoppable timer.
type Timer interface{ Stop() bool }

type realClock struct{}

func (realClock) Now() time.Time                            { return time.Now() }
func (realClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Machine is safe for concurrent use. OnChange is called after each transition, outside
// the lock, in transition order.
type Machine struct {
	clock    Clock
	onChange func(Snapshot)

	mu     sync.Mutex
	snap   Snapshot
	timer  Timer
	gen    int // invalidates a timer that fired while being stopped
	notify sync.Mutex
}

// New returns a machine, Unbound when bound is false, else Waiting. A nil clock is the
// real one.
func New(bound bool, clock Clock, onChange func(Snapshot)) *Machine {
	if clock == nil {
		clock = realClock{}
	}
	if onChange == nil {
		onChange = func(Snapshot) {}
	}
	st := Unbound
	if bound {
		st = Waiting
	}
	return &Machine{clock: clock, onChange: onChange, snap: Snapshot{State: st}}
}

// Snapshot returns the current state.
func (m *Machine) Snapshot() Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.snap
}

// SetBound switches binding on or off (the config changed). Turning it off cancels a
// pending close; turning it on keeps the phone running as if a session were active,
// until the extension reports otherwise.
func (m *Machine) SetBound(bound bool) {
	m.transition(func(s *Snapshot) bool {
		switch {
		case s.State == Closed:
			return false
		case !bound && s.State != Unbound:
			m.stopTimer()
			*s = Snapshot{State: Unbound}
			return true
		case bound && s.State == Unbound:
			*s = Snapshot{State: Active}
			return true
		}
		return false
	})
}

// Report applies the extension's view: a session is active or not, and why.
func (m *Machine) Report(active bool, reason string) {
	m.transition(func(s *Snapshot) bool {
		switch s.State {
		case Unbound, Closed:
			return false
		case Waiting, Active:
			if active {
				if s.State == Active {
					return false
				}
				*s = Snapshot{State: Active, Reason: reason}
				return true
			}
			if s.State == Waiting {
				return false // nothing to close: the phone never started
			}
			deadline := m.clock.Now().Add(CloseDelay)
			*s = Snapshot{State: ClosingSoon, Reason: reason, Deadline: deadline}
			m.startTimer()
			return true
		case ClosingSoon:
			if !active {
				return false // a second trigger keeps the first deadline
			}
			m.stopTimer()
			*s = Snapshot{State: Active, Reason: reason}
			return true
		}
		return false
	})
}

// Close goes straight to Closed (the browser went away).
func (m *Machine) Close(reason string) {
	m.transition(func(s *Snapshot) bool {
		if s.State == Closed {
			return false
		}
		m.stopTimer()
		*s = Snapshot{State: Closed, Reason: reason}
		return true
	})
}

// transition runs f under the lock and reports the new snapshot if f changed it. The
// notify lock keeps reports in transition order without holding the state lock during
// the callback.
func (m *Machine) transition(f func(*Snapshot) bool) {
	m.notify.Lock()
	defer m.notify.Unlock()
	m.mu.Lock()
	changed := f(&m.snap)
	snap := m.snap
	m.mu.Unlock()
	if changed {
		m.onChange(snap)
	}
}

// startTimer and stopTimer are called with mu held.
func (m *Machine) startTimer() {
	m.gen++
	gen := m.gen
	m.timer = m.clock.AfterFunc(CloseDelay, func() { m.expire(gen) })
}

func (m *Machine) stopTimer() {
	m.gen++
	if m.timer != nil {
		m.timer.Stop()
		m.timer = nil
	}
}

func (m *Machine) expire(gen int) {
	m.transition(func(s *Snapshot) bool {
		if gen != m.gen || s.State != ClosingSoon {
			return false // cancelled while firing
		}
		m.timer = nil
		*s = Snapshot{State: Closed, Reason: s.Reason}
		return true
	})
}
