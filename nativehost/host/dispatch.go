package host

import (
	"fmt"
	"path/filepath"

	"github.com/tabphone/tabphone/nativehost/config"
	"github.com/tabphone/tabphone/nativehost/phone"
	"github.com/tabphone/tabphone/nativehost/protocol"
	"github.com/tabphone/tabphone/nativehost/session"
)

// handler serves one request type and returns the reply data or an error.
type handler func(h *Host, env protocol.Envelope) (any, error)

var handlers = map[string]handler{
	protocol.TypeHello:      (*Host).onHello,
	protocol.TypePing:       func(*Host, protocol.Envelope) (any, error) { return struct{}{}, nil },
	protocol.TypeStateGet:   func(h *Host, _ protocol.Envelope) (any, error) { return h.snapshot(), nil },
	protocol.TypeSession:    (*Host).onSessionReport,
	protocol.TypeSetStatus:  (*Host).onSetStatus,
	protocol.TypeConfigGet:  (*Host).onConfigGet,
	protocol.TypeConfigSet:  (*Host).onConfigSet,
	protocol.TypeHistoryGet: (*Host).onHistoryGet,
	protocol.TypeDTMF:       (*Host).onDTMF,

	protocol.TypeDial: (*Host).onDial,
	protocol.TypeHangup: withPhone(func(p *phone.Phone, in protocol.CallRef) (any, error) {
		return struct{}{}, p.Hangup(in.CallID)
	}),
	// Declining a ringing call is hanging it up (486 Busy Here).
	protocol.TypeDecline: withPhone(func(p *phone.Phone, in protocol.CallRef) (any, error) {
		return struct{}{}, p.Hangup(in.CallID)
	}),
	protocol.TypeAnswer: withPhone(func(p *phone.Phone, in protocol.CallRef) (any, error) {
		return struct{}{}, p.Answer(in.CallID)
	}),
	protocol.TypeWebRTCOffer: withPhone(func(p *phone.Phone, in protocol.WebRTCSDP) (any, error) {
		return struct{}{}, p.SetBrowserOffer(in.CallID, in.SDP)
	}),
	protocol.TypeMute: withPhone(func(p *phone.Phone, in protocol.Mute) (any, error) {
		return struct{}{}, p.Mute(in.CallID, in.Muted)
	}),
	protocol.TypeHold: withPhone(func(p *phone.Phone, in protocol.Hold) (any, error) {
		return struct{}{}, p.Hold(in.CallID, in.Hold)
	}),
	protocol.TypeTransfer: withPhone(func(p *phone.Phone, in protocol.Transfer) (any, error) {
		if in.ToCallID != "" {
			return struct{}{}, p.TransferAttended(in.CallID, in.ToCallID)
		}
		return struct{}{}, p.Transfer(in.CallID, in.Target)
	}),
}

// withPhone adapts a call intent: it decodes the request's data into T and runs f with
// the running phone (an error when there is no Dialer/PBX session).
func withPhone[T any](f func(p *phone.Phone, in T) (any, error)) handler {
	return func(h *Host, env protocol.Envelope) (any, error) {
		var in T
		if err := decodeData(env.Data, &in); err != nil {
			return nil, badRequest(err)
		}
		p, err := h.currentPhone()
		if err != nil {
			return nil, err
		}
		return f(p, in)
	}
}

// handle decodes one frame and answers it. Nothing in a frame can stop the host.
func (h *Host) handle(frame []byte) {
	env, err := protocol.Decode(frame)
	if err != nil {
		h.log.Warn("bad message", "err", err)
		h.sendEvent(protocol.TypeError, errorBody(err))
		return
	}
	fn, ok := handlers[env.Type]
	if !ok {
		h.fail(env.ID, fmt.Errorf("%w %q", errUnknownType, env.Type))
		return
	}
	if env.ID == 0 {
		h.sendEvent(protocol.TypeError, errorBody(fmt.Errorf("%s %w", env.Type, errNoID)))
		return
	}
	switch lanes[env.Type] {
	case beside:
		go h.run(fn, env)
	case inSettingsOrder:
		if err := h.settings.add(func() { h.run(fn, env) }); err != nil {
			h.fail(env.ID, err)
		}
	default:
		h.run(fn, env)
	}
}

// lane says where a request runs. The read loop itself runs only requests answered
// from memory at once, in arrival order (so session reports keep their order); none
// may wait on the PBX, the network or a config being applied, or pings, hang-ups and
// session reports would wait behind it.
type lane int

const (
	inLoop          lane = iota // answered at once, in the loop
	beside                      // may wait seconds on the PBX or a connection: its own goroutine
	inSettingsOrder             // reads or changes the config: one after another, beside the loop
)

// lanes lists the requests that do not run in the loop. hold and transfer wait on the
// PBX (a re-INVITE, a REFER and its NOTIFY); dial may first connect the account (up to
// the connect timeout). config_set saves and applies, and changed accounts unregister
// first; set_status saves the config too, and config_get must see what came before.
// answer returns at once (the phone holds other calls on its own goroutine), dtmf
// queues its keys (keys), the rest answer from memory.
var lanes = map[string]lane{
	protocol.TypeHold: beside, protocol.TypeTransfer: beside, protocol.TypeDial: beside,
	protocol.TypeConfigGet: inSettingsOrder, protocol.TypeConfigSet: inSettingsOrder, protocol.TypeSetStatus: inSettingsOrder,
}

func (h *Host) run(fn handler, env protocol.Envelope) {
	data, err := fn(h, env)
	if err != nil {
		h.fail(env.ID, err)
		return
	}
	h.reply(env.ID, data)
	if env.Type == protocol.TypeHello {
		h.sendEvent(protocol.TypeState, h.snapshot())
	}
}

func (h *Host) onHello(env protocol.Envelope) (any, error) {
	var in protocol.Hello
	if err := decodeData(env.Data, &in); err != nil {
		return nil, badRequest(err)
	}
	if in.Protocol != protocol.Version {
		// Never exit on skew (an error reply): the browser would restart us in a loop.
		return nil, &versionError{extension: in.Protocol}
	}
	h.log.Info("hello", "extension_version", in.Version)
	return protocol.Hello{Protocol: protocol.Version, Version: h.opts.Version}, nil
}

// currentPhone is the running phone. During the close-soon warning it still takes
// intents for calls in progress (hang up, mute…); dial refuses new calls then.
func (h *Host) currentPhone() (*phone.Phone, error) {
	switch h.session.Snapshot().State {
	case session.Waiting, session.Closed:
		return nil, errNoSession
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.phone == nil {
		return nil, fmt.Errorf("%w: the phone is not running", phone.ErrNoAccount)
	}
	return h.phone, nil
}

func (h *Host) onSetStatus(env protocol.Envelope) (any, error) {
	return withPhone(func(p *phone.Phone, in protocol.Status) (any, error) { return h.setStatus(p, in) })(h, env)
}

// setStatus switches DND and saves it, so it survives a restart of the browser.
func (h *Host) setStatus(p *phone.Phone, in protocol.Status) (any, error) {
	st, err := statusFromWire(in.Status)
	if err != nil {
		return nil, err
	}
	if err := p.SetStatus(st); err != nil {
		return nil, err
	}
	h.mu.Lock()
	next := *h.cfg
	h.mu.Unlock()
	next.Status = configStatuses[st]
	if err := config.Save(h.configPath(), &next); err != nil {
		h.log.Warn("status not saved", "err", err)
	}
	return struct{}{}, nil
}

func (h *Host) configPath() string { return filepath.Join(h.opts.ConfigDir, config.FileName) }

// onConfigGet returns the config without passwords (password_set says one is stored).
func (h *Host) onConfigGet(protocol.Envelope) (any, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cfg.Public(), nil
}

// onConfigSet validates, saves (atomically, 0600) and applies a config from the options
// page. Accounts sent without a password keep the stored one.
func (h *Host) onConfigSet(env protocol.Envelope) (any, error) {
	var in config.Public
	if err := decodeData(env.Data, &in); err != nil {
		return nil, badRequest(err)
	}
	h.mu.Lock()
	cur := h.cfg
	h.mu.Unlock()
	next, err := config.Merge(cur, in)
	if err != nil {
		return nil, &configError{stage: configInvalid, err: err}
	}
	if err := config.Save(h.configPath(), next); err != nil {
		return nil, &configError{stage: configNotSaved, err: err}
	}
	h.apply(next)
	return next.Public(), nil
}

// onHistoryGet returns the last calls, newest first.
func (h *Host) onHistoryGet(env protocol.Envelope) (any, error) {
	var in protocol.HistoryGet
	if err := decodeData(env.Data, &in); err != nil {
		return nil, badRequest(err)
	}
	if in.Limit <= 0 {
		in.Limit = 50
	}
	in.Limit = min(in.Limit, 200)
	calls, err := h.history.Recent(in.Limit)
	if err != nil {
		return nil, err
	}
	return historyOf(calls), nil
}

// onDTMF answers at once and plays the keys in the background (220 ms each), after the
// keys of earlier requests; a failure arrives as an error event for the call.
func (h *Host) onDTMF(env protocol.Envelope) (any, error) {
	return withPhone(func(p *phone.Phone, in protocol.DTMF) (any, error) {
		err := h.keys.add(func() {
			if err := p.SendDTMF(in.CallID, in.Digits); err != nil {
				h.log.Warn("DTMF failed", "call", in.CallID, "err", err)
				e := errorBody(err)
				e.CallID = in.CallID
				h.sendEvent(protocol.TypeError, e)
			}
		})
		if err != nil {
			return nil, err
		}
		return struct{}{}, nil
	})(h, env)
}

// onDial places a call; no new call starts during the close-soon warning.
func (h *Host) onDial(env protocol.Envelope) (any, error) {
	return withPhone(func(p *phone.Phone, in protocol.Dial) (any, error) {
		if h.session.Snapshot().State == session.ClosingSoon {
			return nil, errNoSession
		}
		id, err := p.Dial(in.Account, in.Number)
		if err != nil {
			return nil, err
		}
		return protocol.DialResult{CallID: id}, nil
	})(h, env)
}
