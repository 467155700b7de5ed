package webapp

import (
	"context"
	"crypto/rand"
	"slices"
	"sync"
	"time"
)

// EndReason says why a session ended.
type EndReason string

const (
	// Logout: the user chose Menu → Logout.
	Logout EndReason = "logout"
	// Timeout: the session was idle longer than the session timeout (or a test
	// expired it through ExpireUser, which stands in for the timeout).
	Timeout EndReason = "timeout"
)

// MaxSweepInterval bounds how late Run notices an idle session: a session ends at
// most this long after its last request plus the timeout.
const MaxSweepInterval = 250 * time.Millisecond

// Session is one logged-in browser.
type Session struct {
	Token    string
	User     string
	Created  time.Time
	LastSeen time.Time
}

// entry is a live session and the watchers of its end (the open pages' sockets).
type entry struct {
	Session
	watchers map[*watcher]struct{}
}

type watcher struct{ f func(EndReason) }

// ended is a session that just ended, with whom to tell; it is built under the lock
// and delivered after it is released.
type ended struct {
	sess     Session
	watchers []*watcher
}

// Sessions is the session store. It is safe for concurrent use.
//
// Only requests that go through Touch are activity. Get and Watch (the page's
// WebSocket and its pings) are not: otherwise an open page would keep its session
// alive forever and the idle timeout could never happen.
type Sessions struct {
	timeout time.Duration
	now     func() time.Time

	mu    sync.Mutex
	byTok map[string]*entry
	onEnd []func(Session, EndReason)
}

// NewSessions returns a store whose sessions end after timeout without a request;
// now is the clock (time.Now when nil).
func NewSessions(timeout time.Duration, now func() time.Time) *Sessions {
	if now == nil {
		now = time.Now
	}
	return &Sessions{timeout: timeout, now: now, byTok: make(map[string]*entry)}
}

// Timeout is the idle timeout.
func (s *Sessions) Timeout() time.Duration { return s.timeout }

// OnEnd registers f to be called (outside the store's lock) when any session ends by
// logout or by timeout. Timeouts are noticed by Run (Sweep), by requests and by
// ExpireUser.
func (s *Sessions) OnEnd(f func(Session, EndReason)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onEnd = append(s.onEnd, f)
}

// Create starts a session for user.
func (s *Sessions) Create(user string) Session {
	now := s.now()
	e := &entry{Session: Session{Token: rand.Text() + rand.Text(), User: user, Created: now, LastSeen: now}}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byTok[e.Token] = e
	return e.Session
}

// Touch returns the live session for token and records the request as activity. An
// idle session found here is ended with Timeout.
func (s *Sessions) Touch(token string) (Session, bool) {
	return s.lookup(token, true, nil)
}

// Get returns the live session for token without recording activity. An idle
// session found here is ended with Timeout.
func (s *Sessions) Get(token string) (Session, bool) {
	return s.lookup(token, false, nil)
}

// lookup finds the live session for token, recording activity if asked and adding w
// (when not nil) to its watchers, all under one lock.
func (s *Sessions) lookup(token string, activity bool, w *watcher) (Session, bool) {
	now := s.now()
	s.mu.Lock()
	e, ok := s.byTok[token]
	if !ok {
		s.mu.Unlock()
		return Session{}, false
	}
	if s.idle(e, now) {
		gone := s.removeLocked(e)
		hooks := s.hooksLocked()
		s.mu.Unlock()
		deliver(hooks, Timeout, gone)
		return Session{}, false
	}
	if activity {
		e.LastSeen = now
	}
	if w != nil {
		if e.watchers == nil {
			e.watchers = make(map[*watcher]struct{})
		}
		e.watchers[w] = struct{}{}
	}
	out := e.Session
	s.mu.Unlock()
	return out, true
}

// Watch calls f once, outside the store's lock, when the live session for token
// ends, with the reason. It reports false (and never calls f) when there is no live
// session for token. Checking and subscribing are one step, so an end cannot fall
// between them. stop cancels the watch; it is safe to call more than once and after
// f ran, but an end being delivered at that moment may still call f, so f must not
// block. Watching is not activity.
func (s *Sessions) Watch(token string, f func(EndReason)) (stop func(), ok bool) {
	w := &watcher{f: f}
	if _, ok := s.lookup(token, false, w); !ok {
		return nil, false
	}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if e, ok := s.byTok[token]; ok {
			delete(e.watchers, w)
		}
	}, true
}

// End ends the session for token (logout).
func (s *Sessions) End(token string) {
	s.mu.Lock()
	e, ok := s.byTok[token]
	if !ok {
		s.mu.Unlock()
		return
	}
	gone := s.removeLocked(e)
	hooks := s.hooksLocked()
	s.mu.Unlock()
	deliver(hooks, Logout, gone)
}

// ExpireUser ends every session of user now, exactly as the idle timeout would (reason
// Timeout), and returns them. Tests use it so they need not wait for the timeout.
func (s *Sessions) ExpireUser(user string) []Session {
	return s.endWhere(Timeout, func(e *entry, _ time.Time) bool { return e.User == user })
}

// Sweep ends every session idle longer than the timeout and returns them.
func (s *Sessions) Sweep() []Session {
	return s.endWhere(Timeout, s.idle)
}

func (s *Sessions) endWhere(why EndReason, match func(*entry, time.Time) bool) []Session {
	now := s.now()
	s.mu.Lock()
	var gone []ended
	for _, e := range s.byTok {
		if match(e, now) {
			gone = append(gone, s.removeLocked(e))
		}
	}
	hooks := s.hooksLocked()
	s.mu.Unlock()
	out := make([]Session, 0, len(gone))
	for _, g := range gone {
		deliver(hooks, why, g)
		out = append(out, g.sess)
	}
	return out
}

// Run sweeps idle sessions until ctx ends, so a session times out (and its open
// pages are told) even when no request comes. It checks every MaxSweepInterval, or
// a quarter of the timeout if that is shorter.
func (s *Sessions) Run(ctx context.Context) {
	every := min(MaxSweepInterval, max(s.timeout/4, 10*time.Millisecond))
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Sweep()
		}
	}
}

// List returns the live sessions.
func (s *Sessions) List() []Session {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Session, 0, len(s.byTok))
	for _, e := range s.byTok {
		if !s.idle(e, now) {
			out = append(out, e.Session)
		}
	}
	return out
}

func (s *Sessions) idle(e *entry, now time.Time) bool {
	return now.Sub(e.LastSeen) > s.timeout
}

// removeLocked drops e from the store and hands back who to tell.
func (s *Sessions) removeLocked(e *entry) ended {
	delete(s.byTok, e.Token)
	g := ended{sess: e.Session}
	for w := range e.watchers {
		g.watchers = append(g.watchers, w)
	}
	e.watchers = nil
	return g
}

func (s *Sessions) hooksLocked() []func(Session, EndReason) {
	return slices.Clone(s.onEnd)
}

// deliver tells the session's watchers, then the store-wide hooks; the caller holds
// no lock (style: never call a callback under a lock).
func deliver(hooks []func(Session, EndReason), why EndReason, g ended) {
	for _, w := range g.watchers {
		w.f(why)
	}
	for _, f := range hooks {
		f(g.sess, why)
	}
}
