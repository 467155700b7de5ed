package webapp

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestSweep(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	s := NewSessions(time.Minute, clock.now)
	a := s.Create("1001")
	s.Create("1002")
	clock.advance(30 * time.Second)
	s.Touch(a.Token)
	clock.advance(45 * time.Second)
	ended := s.Sweep()
	if len(ended) != 1 || ended[0].User != "1002" {
		t.Fatalf("swept %+v", ended)
	}
	if l := s.List(); len(l) != 1 || l[0].User != "1001" {
		t.Fatalf("live %+v", l)
	}
}

// recorder collects Watch callbacks.
type recorder struct {
	mu  sync.Mutex
	got []EndReason
}

func (r *recorder) f(why EndReason) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, why)
}

func (r *recorder) reasons() []EndReason {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]EndReason(nil), r.got...)
}

func TestWatch(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	s := NewSessions(time.Minute, clock.now)
	a, b, c := s.Create("1001"), s.Create("1001"), s.Create("1002")
	var ra, rb, rc, stopped recorder
	if _, ok := s.Watch(a.Token, ra.f); !ok {
		t.Fatal("watch a")
	}
	s.Watch(b.Token, rb.f)
	s.Watch(c.Token, rc.f)
	stop, _ := s.Watch(a.Token, stopped.f)
	stop()
	if _, ok := s.Watch("nope", ra.f); ok {
		t.Error("watching an unknown token")
	}

	// Watching is not activity.
	clock.advance(50 * time.Second)
	s.Watch(c.Token, func(EndReason) {})
	if got, _ := s.Get(c.Token); got.LastSeen != c.LastSeen {
		t.Errorf("Watch/Get moved LastSeen to %v", got.LastSeen)
	}

	s.End(a.Token)
	if ended := s.ExpireUser("1001"); len(ended) != 1 || ended[0].Token != b.Token {
		t.Errorf("ExpireUser ended %+v", ended)
	}
	clock.advance(11 * time.Second)
	if _, ok := s.Watch(c.Token, func(EndReason) {}); ok { // idle: ends it
		t.Error("watching an idle session")
	}
	for name, tc := range map[string]struct {
		r    *recorder
		want []EndReason
	}{"logout": {&ra, []EndReason{Logout}}, "expire": {&rb, []EndReason{Timeout}}, "idle": {&rc, []EndReason{Timeout}}, "stopped": {&stopped, nil}} {
		if got := tc.r.reasons(); len(got) != len(tc.want) || len(got) == 1 && got[0] != tc.want[0] {
			t.Errorf("%s: got %v, want %v", name, got, tc.want)
		}
	}
	s.End(a.Token) // twice: nothing more happens
	if got := ra.reasons(); len(got) != 1 {
		t.Errorf("second End notified again: %v", got)
	}
}

// Run ends an idle session without any request, within its sweep interval.
func TestRunSweeps(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	s := NewSessions(time.Minute, clock.now)
	ended := make(chan EndReason, 1)
	sess := s.Create("1001")
	s.Watch(sess.Token, func(why EndReason) { ended <- why })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)

	clock.advance(61 * time.Second)
	select {
	case why := <-ended:
		if why != Timeout {
			t.Errorf("reason %s", why)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not end the idle session")
	}
}

// Ends racing with watches and requests: every watcher hears exactly one end (run
// with -race).
func TestConcurrentEnds(t *testing.T) {
	s := NewSessions(time.Minute, nil)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		sess := s.Create("1001")
		var r recorder
		wg.Add(4)
		go func() { defer wg.Done(); s.Watch(sess.Token, r.f) }()
		go func() { defer wg.Done(); s.Touch(sess.Token) }()
		go func() { defer wg.Done(); s.End(sess.Token) }()
		go func() { defer wg.Done(); s.ExpireUser("1001") }()
		wg.Wait()
		if got := r.reasons(); len(got) > 1 {
			t.Fatalf("watcher heard %v", got)
		}
	}
	if l := s.List(); len(l) != 0 {
		t.Errorf("left %v", l)
	}
}
