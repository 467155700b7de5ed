package digest

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// Nonces issues random nonces and remembers them for a while, so a response made with
// a nonce devpbx never issued (or issued long ago) is recognized as stale.
//
// The nonce count (nc) is not checked for replays: clients that keep a nonce and count
// from 1 again per request are common, and devpbx is a test peer on loopback.
type Nonces struct {
	ttl time.Duration
	now func() time.Time
	max int

	mu     sync.Mutex
	issued map[string]time.Time
}

// NewNonces returns a nonce store whose nonces live for ttl; now is the clock
// (time.Now when nil).
func NewNonces(ttl time.Duration, now func() time.Time) *Nonces {
	if now == nil {
		now = time.Now
	}
	return &Nonces{ttl: ttl, now: now, max: 10000, issued: make(map[string]time.Time)}
}

// New returns a fresh random nonce.
func (n *Nonces) New() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	nonce := hex.EncodeToString(b[:])
	now := n.now()
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.issued) >= n.max {
		n.pruneLocked(now)
	}
	if len(n.issued) >= n.max {
		// Still full: a flood of unanswered challenges. Forget everything rather than
		// grow without bound; honest clients just get a stale challenge.
		clear(n.issued)
	}
	n.issued[nonce] = now
	return nonce
}

// Valid reports whether nonce was issued by this store and has not expired.
func (n *Nonces) Valid(nonce string) bool {
	now := n.now()
	n.mu.Lock()
	defer n.mu.Unlock()
	at, ok := n.issued[nonce]
	if !ok {
		return false
	}
	if now.Sub(at) > n.ttl {
		delete(n.issued, nonce)
		return false
	}
	return true
}

func (n *Nonces) pruneLocked(now time.Time) {
	for k, at := range n.issued {
		if now.Sub(at) > n.ttl {
			delete(n.issued, k)
		}
	}
}
