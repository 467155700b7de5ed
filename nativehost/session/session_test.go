package session

import (
	"sync"
	"testing"
	"time"
)

type recorder struct {
	mu   sync.Mutex
	seen []Snapshot
}

func (r *recorder) add(s Snapshot) {
	r.mu.Lock()
	r.seen = append(r.seen, s)
	r.mu.Unlock()
}

func (r *recorder) states() []State {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]State, len(r.seen))
	for i, s := range r.seen {
		out[i] = s.State
	}
	return out
}

func equal(a, b []State) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func newMachine(bound bool) (*Machine, *ManualClock, *recorder) {
	c, r := NewManualClock(time.Unix(1_800_000_000, 0)), &recorder{}
	return New(bound, c, r.add), c, r
}

func TestClosesFiveSecondsAfterTheLastSession(t *testing.T) {
	m, c, r := newMachine(true)
	m.Report(true, ReasonTabOpen)
	m.Report(false, ReasonTabsClosed)
	s := m.Snapshot()
	if s.State != ClosingSoon || s.Reason != ReasonTabsClosed || !s.Deadline.Equal(c.Now().Add(CloseDelay)) {
		t.Fatalf("after the last tab: %+v", s)
	}
	c.Advance(CloseDelay - time.Millisecond)
	if m.Snapshot().State != ClosingSoon {
		t.Fatal("closed early")
	}
	c.Advance(time.Millisecond)
	if s := m.Snapshot(); s.State != Closed || s.Reason != ReasonTabsClosed {
		t.Fatalf("at the deadline: %+v", s)
	}
	if want := []State{Active, ClosingSoon, Closed}; !equal(r.states(), want) {
		t.Fatalf("transitions %v, want %v", r.states(), want)
	}
}

func TestSessionBackAt4900msCancelsTheClose(t *testing.T) {
	m, c, r := newMachine(true)
	m.Report(true, ReasonTabOpen)
	m.Report(false, ReasonTimeout)
	c.Advance(4900 * time.Millisecond)
	m.Report(true, ReasonTabOpen)
	c.Advance(time.Minute)
	if s := m.Snapshot(); s.State != Active {
		t.Fatalf("after the session came back: %+v", s)
	}
	if want := []State{Active, ClosingSoon, Active}; !equal(r.states(), want) {
		t.Fatalf("transitions %v, want %v", r.states(), want)
	}
	// A later loss starts a fresh 5 s.
	m.Report(false, ReasonLogout)
	c.Advance(CloseDelay)
	if s := m.Snapshot(); s.State != Closed || s.Reason != ReasonLogout {
		t.Fatalf("second loss: %+v", s)
	}
}

func TestSecondTriggerKeepsTheFirstDeadline(t *testing.T) {
	m, c, r := newMachine(true)
	m.Report(true, ReasonTabOpen)
	m.Report(false, ReasonLogout)
	first := m.Snapshot().Deadline
	c.Advance(2 * time.Second)
	m.Report(false, ReasonTabsClosed) // the logout tab closes too
	if s := m.Snapshot(); !s.Deadline.Equal(first) || s.Reason != ReasonLogout {
		t.Fatalf("second trigger moved the close: %+v", s)
	}
	c.Advance(3 * time.Second)
	if m.Snapshot().State != Closed {
		t.Fatal("not closed at the first deadline")
	}
	if want := []State{Active, ClosingSoon, Closed}; !equal(r.states(), want) {
		t.Fatalf("transitions %v, want %v", r.states(), want)
	}
}

func TestBrowserExitClosesAtOnce(t *testing.T) {
	m, c, _ := newMachine(true)
	m.Report(true, ReasonTabOpen)
	m.Report(false, ReasonTabsClosed)
	m.Close(ReasonBrowser)
	if s := m.Snapshot(); s.State != Closed || s.Reason != ReasonBrowser {
		t.Fatalf("%+v", s)
	}
	c.Advance(CloseDelay) // the old timer must not fire a second Closed
	m.Report(true, ReasonTabOpen)
	if m.Snapshot().State != Closed {
		t.Fatal("Closed is not final")
	}
}

func TestUnboundIgnoresSessions(t *testing.T) {
	m, c, r := newMachine(false)
	m.Report(false, ReasonTabsClosed)
	c.Advance(time.Minute)
	if m.Snapshot().State != Unbound || len(r.states()) != 0 {
		t.Fatalf("unbound phone reacted: %v", r.states())
	}
	m.Close(ReasonBrowser)
	if m.Snapshot().State != Closed {
		t.Fatal("browser exit must close an unbound phone too")
	}
}

func TestWaitingNeedsASessionAndUnbindingCancels(t *testing.T) {
	m, c, _ := newMachine(true)
	m.Report(false, ReasonTabsClosed)
	if m.Snapshot().State != Waiting {
		t.Fatal("no session yet must not start a close")
	}
	m.Report(true, ReasonTabOpen)
	m.Report(false, ReasonTabsClosed)
	m.SetBound(false) // the admin removed the site during the warning
	c.Advance(CloseDelay)
	if m.Snapshot().State != Unbound {
		t.Fatalf("unbinding did not cancel: %+v", m.Snapshot())
	}
	m.SetBound(true)
	if m.Snapshot().State != Active {
		t.Fatal("binding again must keep the running phone")
	}
}

// TestRacingReportsAndTimer hammers the machine from several goroutines while the
// deadline passes: it must end Closed or Active, never both, and report in order.
func TestRacingReportsAndTimer(t *testing.T) {
	for i := 0; i < 200; i++ {
		m, c, r := newMachine(true)
		m.Report(true, ReasonTabOpen)
		m.Report(false, ReasonTabsClosed)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); c.Advance(CloseDelay) }()
		go func() { defer wg.Done(); m.Report(true, ReasonTabOpen) }()
		wg.Wait()
		st := r.states()
		final := m.Snapshot().State
		if final != st[len(st)-1] {
			t.Fatalf("last report %s, state %s", st[len(st)-1], final)
		}
		if final == Closed && st[len(st)-2] != ClosingSoon {
			t.Fatalf("closed from %s: %v", st[len(st)-2], st)
		}
	}
}
