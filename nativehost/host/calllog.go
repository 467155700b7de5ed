package host

import (
	"log/slog"
	"sync"
	"time"

	"github.com/tabphone/tabphone/nativehost/phone"
)

// callLog writes each call to host.log at INFO: when it starts, when it is answered
// and when it ends (reason, SIP code, talk time), so a support engineer reading the log
// sees that a call happened. Numbers appear only as their last digits: the full number
// stays in the user's own history.
type callLog struct {
	mu       sync.Mutex
	answered map[string]bool // live calls by id: whether their answer was logged
}

func (l *callLog) changed(log *slog.Logger, c phone.CallInfo) {
	l.mu.Lock()
	if l.answered == nil {
		l.answered = map[string]bool{}
	}
	wasAnswered, known := l.answered[c.ID]
	logAnswer := c.State == phone.CallConnected && !wasAnswered
	switch {
	case c.State == phone.CallEnded:
		delete(l.answered, c.ID)
	case logAnswer || !known:
		l.answered[c.ID] = logAnswer
	}
	l.mu.Unlock()

	if !known {
		log.Info("call started", "call", c.ID, "account", c.Account, "direction", directions[c.Direction], "number", lastDigits(c.Number))
	}
	if logAnswer {
		log.Info("call answered", "call", c.ID, "codec", c.Codec, "after", c.AnsweredAt.Sub(c.StartedAt).Round(time.Millisecond))
	}
	if c.State == phone.CallEnded {
		attrs := []any{"call", c.ID, "duration", c.EndedAt.Sub(c.StartedAt).Round(time.Millisecond)}
		if !c.AnsweredAt.IsZero() {
			attrs = append(attrs, "talk", c.EndedAt.Sub(c.AnsweredAt).Round(time.Second))
		}
		if r := endReasonOf(c.End); r != nil {
			attrs = append(attrs, "reason", r.Message)
			if r.SIPCode != 0 {
				attrs = append(attrs, "sip_code", r.SIPCode)
			}
		}
		log.Info("call ended", attrs...)
	}
}

// lastDigits is a number as the log shows it: its last four characters, the rest
// masked ("…0200"); short numbers (extensions) are masked whole but for their last.
func lastDigits(n string) string {
	r := []rune(n)
	keep := 4
	if len(r) <= keep {
		keep = min(1, len(r))
	}
	return "…" + string(r[len(r)-keep:])
}
