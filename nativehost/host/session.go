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
		h.sendEvent(protocol.TypeClosingSoon, protocol.ClosingSoon{
			Message: session.Message, Reason: s.Reason,
			Deadline: s.Deadline.UnixMilli(), Seconds: int(session.CloseDelay.Seconds()),
		})
	case session.Closed:
		h.closeOnce.Do(func() { close(h.closed) })
	}
	h.sendEvent(protocol.TypeState, h.snapshot())
}

func (h *Host) sessionState(cfg *config.Config) protocol.SessionState {
	s := h.session.Snapshot()
	st := protocol.SessionState{State: string(s.State), Reason: s.Reason, Sites: []protocol.Site{}}
	if s.State == session.ClosingSoon {
		st.Deadline = s.Deadline.UnixMilli()
		st.Message = session.Message
	}
	for _, site := range cfg.Sites {
		st.Sites = append(st.Sites, protocol.Site{URL: site.URL, Match: site.Match, Login: site.Login, SessionCookie: site.SessionCookie})
	}
	return st
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
