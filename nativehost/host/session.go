package host

import (
	"fmt"

	"github.com/tabphone/tabphone/nativehost/config"
	"github.com/tabphone/tabphone/nativehost/protocol"
	"github.com/tabphone/tabphone/nativehost/session"
)

var reasons = map[string]bool{
	session.ReasonTabsClosed: true, session.ReasonLogout: true, session.ReasonTimeout: true, session.ReasonTabOpen: true,
}

// onSession reacts to the session machine. It runs outside the machine's lock.
func (h *Host) onSession(s session.Snapshot) {
	h.log.Info("session", "state", s.State, "reason", s.Reason)
	switch s.State {
	case session.Active, session.Unbound:
		h.ensurePhone()
	case session.ClosingSoon:
		h.sendEvent(protocol.TypeClosingSoon, closingSoonOf(s))
	case session.Closed:
		h.closeOnce.Do(func() { close(h.closed) })
	}
	h.sendEvent(protocol.TypeState, h.snapshot())
}

func (h *Host) sessionState(cfg *config.Config) protocol.SessionState {
	return sessionStateOf(h.session.Snapshot(), cfg.Sites)
}

func (h *Host) onSessionReport(env protocol.Envelope) (any, error) {
	var in protocol.SessionReport
	if err := decodeData(env.Data, &in); err != nil {
		return nil, badRequest(err)
	}
	if !reasons[in.Reason] {
		return nil, badRequest(fmt.Errorf("unknown session reason %q", in.Reason))
	}
	h.session.Report(in.Active, in.Reason)
	h.mu.Lock()
	cfg := h.cfg
	h.mu.Unlock()
	return h.sessionState(cfg), nil
}
