package webapp

import (
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
	// Timeout: the session was idle longer than the session timeout.
	Timeout EndReason = "timeout"
)

// Session is one logged-in browser.
type Session struct {
	Token    string
	User     string
	Created  time.Time
	LastSeen time.Time
}

// Sessions is the session store. It is safe for concurrent use.
type Sessions struct {
	timeout time.Duration
	now     func() time.Time

	mu    sync.Mutex
	byTok map[string]*Session
	onEnd []func(Session, EndReason)
}

// NewSessions returns a store whose sessions end after timeout without a request;
// now is the clock (time.Now when nil).
func NewSessions(timeout time.Duration, now func() time.Time) *Sessions {
	if now == nil {
		now = time.Now
	}
	return &Sessions{timeout: timeout, now: now, byTok: make(map[string]*Session)}
}

// Timeout is the idle timeout.
func (s *Sessions) Timeout() time.Duration { return s.timeout }

// OnEnd registers f to be called (outside the store's lock) when a session ends by
// logout or by timeout. Timeouts are noticed by Sweep and by requests.
//
// This is where a push to the page plugs in: the WebSocket that tells an open
// Dialer/PBX page "your session timed out" (so it can go to the login page at once)
// registers here.
func (s *Sessions) OnEnd(f func(Session, EndReason)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onEnd = append(s.onEnd, f)
}

// Create starts a session for user.
func (s *Sessions) Create(user string) Session {
	now := s.now()
	sess := &Session{Token: rand.Text() + rand.Text(), User: user, Created: now, LastSeen: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byTok[sess.Token] = sess
	return *sess
}

// Touch returns the live session for token and records the request as activity. An
// idle session found here is ended with Timeout.
func (s *Sessions) Touch(token string) (Session, bool) {
	now := s.now()
	s.mu.Lock()
	sess, ok := s.byTok[token]
	if !ok {
		s.mu.Unlock()
		return Session{}, false
	}
	if now.Sub(sess.LastSeen) > s.timeout {
		delete(s.byTok, token)
		ended, hooks := *sess, s.hooksLocked()
		s.mu.Unlock()
		notify(hooks, ended, Timeout)
		return Session{}, false
	}
	sess.LastSeen = now
	out := *sess
	s.mu.Unlock()
	return out, true
}

// End ends the session for token (logout).
func (s *Sessions) End(token string) {
	s.mu.Lock()
	sess, ok := s.byTok[token]
	if !ok {
		s.mu.Unlock()
		return
	}
	delete(s.byTok, token)
	ended, hooks := *sess, s.hooksLocked()
	s.mu.Unlock()
	notify(hooks, ended, Logout)
}

// Sweep ends every session idle longer than the timeout and returns them.
func (s *Sessions) Sweep() []Session {
	now := s.now()
	s.mu.Lock()
	var ended []Session
	for tok, sess := range s.byTok {
		if now.Sub(sess.LastSeen) > s.timeout {
			delete(s.byTok, tok)
			ended = append(ended, *sess)
		}
	}
	hooks := s.hooksLocked()
	s.mu.Unlock()
	for _, sess := range ended {
		notify(hooks, sess, Timeout)
	}
	return ended
}

// List returns the live sessions.
func (s *Sessions) List() []Session {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Session, 0, len(s.byTok))
	for _, sess := range s.byTok {
		if now.Sub(sess.LastSeen) <= s.timeout {
			out = append(out, *sess)
		}
	}
	return out
}

func (s *Sessions) hooksLocked() []func(Session, EndReason) {
	return slices.Clone(s.onEnd)
}

func notify(hooks []func(Session, EndReason), sess Session, why EndReason) {
	for _, f := range hooks {
		f(sess, why)
	}
}
