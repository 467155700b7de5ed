package phone

import (
	"log/slog"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Requests from strangers (scanners send INVITEs and OPTIONS straight to SIP ports, at
// thousands a second) are answered once and forgotten: the transaction ends with the
// answer, so it is not kept for 32 s to retransmit a 403 to a sender that never ACKs
// (measured: a 20,000-INVITE flood grew the host from 20 MB to 127 MB and made it send
// every 403 up to 11 times), and the log gets one line per strangerLogEvery, not one per
// request (docs/reliability.md, TestFloodStrangerINVITEs).

// respondOnce answers req and ends its transaction at once: a retransmission of the
// request is a new request and gets the same answer.
func respondOnce(tx sip.ServerTransaction, req *sip.Request, code int, reason string) {
	respond(tx, req, code, reason)
	tx.Terminate()
}

// strangerLogEvery is how often the log may say that requests from strangers were
// refused.
const strangerLogEvery = 10 * time.Second

// strangerLog logs refused requests from strangers: the first at once, then one line
// per strangerLogEvery with how many were refused since.
type strangerLog struct {
	mu      sync.Mutex
	last    time.Time
	skipped int
}

func (s *strangerLog) refused(log *slog.Logger, msg string, args ...any) {
	s.mu.Lock()
	now := time.Now()
	if !s.last.IsZero() && now.Sub(s.last) < strangerLogEvery {
		s.skipped++
		s.mu.Unlock()
		return
	}
	skipped := s.skipped
	s.last, s.skipped = now, 0
	s.mu.Unlock()
	if skipped > 0 {
		args = append(args, "refused_since_last_line", skipped)
	}
	log.Warn(msg, args...)
}
