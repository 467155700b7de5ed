package host

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tabphone/tabphone/media"
	"github.com/tabphone/tabphone/nativehost/config"
	"github.com/tabphone/tabphone/nativehost/history"
	"github.com/tabphone/tabphone/nativehost/messaging"
	"github.com/tabphone/tabphone/nativehost/phone"
	"github.com/tabphone/tabphone/nativehost/protocol"
	"github.com/tabphone/tabphone/nativehost/session"
)

// The one place where the phone's state and everyone's errors become the wire's words
// (docs/protocol.md). The phone knows nothing of the wire and the wire nothing of SIP,
// so a change on either side is made here, and mapping_test.go covers every value.

var directions = map[phone.Direction]string{
	phone.Outgoing: protocol.DirectionOutgoing,
	phone.Incoming: protocol.DirectionIncoming,
}

var callStates = map[phone.CallState]string{
	phone.CallCalling:   protocol.CallCalling,
	phone.CallRinging:   protocol.CallRinging,
	phone.CallEarly:     protocol.CallEarly,
	phone.CallConnected: protocol.CallConnected,
	phone.CallEnded:     protocol.CallEnded,
}

var registrations = map[phone.Registration]string{
	phone.RegUnregistered: protocol.RegUnregistered,
	phone.RegRegistering:  protocol.RegRegistering,
	phone.RegRegistered:   protocol.RegRegistered,
	phone.RegFailed:       protocol.RegFailed,
}

var statuses = map[phone.Status]string{
	phone.Available: protocol.StatusAvailable,
	phone.DND:       protocol.StatusDND,
}

// configStatuses are the statuses as config.json saves them (phone.StatusFromConfig
// reads them).
var configStatuses = map[phone.Status]string{
	phone.Available: config.StatusAvailable,
	phone.DND:       config.StatusDND,
}

// endMessages word why a call ended. EndRejected is worded by its status and
// EndNotSent with its error (endReasonOf).
var endMessages = map[phone.EndCause]string{
	phone.EndHangup:        "Call ended",
	phone.EndRemoteHangup:  "The other side hung up",
	phone.EndCancelled:     "Call cancelled",
	phone.EndNoAnswer:      "No answer from the PBX",
	phone.EndNoCommonCodec: "The other side cannot use any of our audio codecs",
	phone.EndMissed:        protocol.EndMissed,
	phone.EndDeclined:      protocol.EndDeclined,
	phone.EndDND:           protocol.EndDNDMissed,
	phone.EndAnswerFailed:  "The call could not be answered",
	phone.EndNoMedia:       "No audio from the other side: the call was ended",
}

// unixMilli is a wire time: Unix milliseconds, 0 for none.
func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func callOf(c phone.CallInfo) protocol.Call {
	return protocol.Call{
		ID: c.ID, Account: c.Account, Direction: directions[c.Direction], Number: c.Number, Name: c.Name,
		State: callStates[c.State], AutoAnswerAt: unixMilli(c.AutoAnswerAt), Codec: c.Codec,
		Muted: c.Muted, NoMedia: c.NoMedia, RemoteHold: c.RemoteHold, Held: c.Held, Transferring: c.Transferring,
		StartedAt: unixMilli(c.StartedAt), AnsweredAt: unixMilli(c.AnsweredAt), EndedAt: unixMilli(c.EndedAt),
		EndReason: endReasonOf(c.End), TransferredBy: c.TransferredBy, Replaces: c.Replaces,
	}
}

// endReasonOf is nil for a call that has not ended.
func endReasonOf(r phone.EndReason) *protocol.EndReason {
	if r.Cause == 0 {
		return nil
	}
	e := &protocol.EndReason{SIPCode: r.SIPCode, Message: endMessages[r.Cause]}
	switch {
	case r.Cause == phone.EndRejected:
		e.Message = phone.Sentence(r.SIPCode)
	case r.Cause == phone.EndNotSent && r.Err != nil:
		e.Message = "Could not send the call: " + r.Err.Error()
	case r.Cause == phone.EndMediaSecurity:
		e.Message = "Call refused: secure media does not match"
		if r.Err != nil {
			e.Message += " (" + strings.TrimPrefix(r.Err.Error(), media.ErrSecurity.Error()+": ") + ")"
		}
	case e.Message == "":
		e.Message = endMessages[phone.EndHangup]
	}
	return e
}

func accountOf(a phone.AccountState) protocol.AccountState {
	out := protocol.AccountState{
		ID: a.ID, Default: a.Default, User: a.User, DisplayName: a.DisplayName, Domain: a.Domain, Transport: a.Transport,
		Registration: registrations[a.Registration], Error: accountErrorBody(a.Err),
		AutoAnswer: protocol.AutoAnswer{Enabled: a.AutoAnswer.Enabled, Seconds: a.AutoAnswer.Seconds, FromPBX: a.AutoAnswer.FromPBX},
		DNDCode:    a.DNDCode,
	}
	if v := a.Voicemail; v != nil {
		out.Voicemail = &protocol.Voicemail{Waiting: v.Waiting, New: v.New, Old: v.Old, UrgentNew: v.UrgentNew, UrgentOld: v.UrgentOld}
	}
	if len(a.Lamps) > 0 {
		out.PickupPrefix = a.PickupPrefix
		out.Lamps = make([]protocol.Lamp, 0, len(a.Lamps))
		for _, l := range a.Lamps {
			out.Lamps = append(out.Lamps, protocol.Lamp{Extension: l.Extension, State: lampStates[l.State],
				Direction: lampDirections[l.Direction], RemoteNumber: l.RemoteNumber, RemoteName: l.RemoteName})
		}
	}
	return out
}

var lampStates = map[phone.Lamp]string{
	phone.LampUnknown: protocol.LampUnknown, phone.LampIdle: protocol.LampIdle,
	phone.LampRinging: protocol.LampRinging, phone.LampBusy: protocol.LampBusy,
}

// lampDirections: no direction is "" (omitted).
var lampDirections = map[phone.Direction]string{phone.Incoming: "in", phone.Outgoing: "out"}

// phoneState is the phone's part of the state snapshot.
func phoneState(p *phone.Phone) ([]protocol.AccountState, []protocol.Call) {
	accs, calls := p.Snapshot()
	as := make([]protocol.AccountState, 0, len(accs))
	for _, a := range accs {
		as = append(as, accountOf(a))
	}
	cs := make([]protocol.Call, 0, len(calls))
	for _, c := range calls {
		cs = append(cs, callOf(c))
	}
	return as, cs
}

// historyCallOf is an ended call as the history is told it: the reason in the words
// the extension was sent.
func historyCallOf(c phone.CallInfo) history.Call {
	hc := history.Call{ID: c.ID, Account: c.Account, Incoming: c.Direction == phone.Incoming, Number: c.Number, Name: c.Name,
		StartedAt: c.StartedAt, AnsweredAt: c.AnsweredAt, EndedAt: c.EndedAt}
	if r := endReasonOf(c.End); r != nil {
		hc.Reason = r.Message
	}
	return hc
}

var historyDirections = map[string]string{
	history.DirectionIncoming: protocol.DirectionIncoming,
	history.DirectionOutgoing: protocol.DirectionOutgoing,
}

var historyResults = map[string]string{
	history.Answered: protocol.ResultAnswered,
	history.Missed:   protocol.ResultMissed,
	history.Outgoing: protocol.ResultOutgoing,
	history.Failed:   protocol.ResultFailed,
}

// historyOf is history_get's reply. A word the host does not know (a hand-edited file)
// goes out as it is.
func historyOf(entries []history.Entry) protocol.History {
	out := protocol.History{Calls: make([]protocol.HistoryCall, 0, len(entries))}
	for _, e := range entries {
		dir, ok := historyDirections[e.Direction]
		if !ok {
			dir = e.Direction
		}
		result, ok := historyResults[e.Result]
		if !ok {
			result = e.Result
		}
		out.Calls = append(out.Calls, protocol.HistoryCall{ID: e.ID, Account: e.Account, Direction: dir, Number: e.Number, Name: e.Name,
			Result: result, Reason: e.Reason, StartedAt: e.StartedAt, AnsweredAt: e.AnsweredAt, EndedAt: e.EndedAt, Seconds: e.Seconds})
	}
	return out
}

// statusFromWire reads set_status's status.
func statusFromWire(s string) (phone.Status, error) {
	for st, w := range statuses {
		if w == s {
			return st, nil
		}
	}
	return 0, fmt.Errorf("%w: status %q is not available or dnd", phone.ErrBadStatus, s)
}

// sessionStateOf is the session binding as the UI sees it.
func sessionStateOf(s session.Snapshot, sites []config.Site) protocol.SessionState {
	st := protocol.SessionState{State: string(s.State), Reason: s.Reason, Sites: []protocol.Site{}}
	if s.State == session.ClosingSoon {
		st.Deadline = unixMilli(s.Deadline)
		st.Message = session.Message
	}
	for _, site := range sites {
		st.Sites = append(st.Sites, protocol.Site{URL: site.URL, Match: site.Match, Login: site.Login, SessionCookie: site.SessionCookie})
	}
	return st
}

func closingSoonOf(s session.Snapshot) protocol.ClosingSoon {
	return protocol.ClosingSoon{Message: session.Message, Reason: s.Reason,
		Deadline: unixMilli(s.Deadline), Seconds: int(session.CloseDelay.Seconds())}
}

// codes gives the errors whose own text is the message their protocol code.
var codes = []struct {
	err  error
	code string
}{
	{errBadRequest, protocol.CodeBadRequest},
	{errUnknownType, protocol.CodeBadRequest},
	{errNoID, protocol.CodeBadRequest},
	{protocol.ErrBadMessage, protocol.CodeBadRequest},
	{phone.ErrBadStatus, protocol.CodeBadRequest},
	{phone.ErrBadDTMF, protocol.CodeBadRequest},
	{messaging.ErrTooLarge, protocol.CodeTooLarge},
	{errTooManyKeys, protocol.CodeTooLarge},
	{errTooManySettings, protocol.CodeTooLarge},
	{phone.ErrBadNumber, protocol.CodeBadNumber},
	{phone.ErrNoAccount, protocol.CodeNoAccount},
	{phone.ErrNotRegistered, protocol.CodeNotRegistered},
	{phone.ErrNoCall, protocol.CodeNoCall},
	{phone.ErrClosed, protocol.CodeInternal},
	{media.ErrBadSDP, protocol.CodeMedia},
	{media.ErrNoCommonCodec, protocol.CodeMedia},
	{media.ErrClosed, protocol.CodeMedia},
}

// errorBody is a failed request's error, or an error event's: the code the error
// stands for, and a sentence for the user.
func errorBody(err error) *protocol.ErrorBody {
	var (
		ve *versionError
		ce *configError
		se *startError
	)
	switch {
	case errors.As(err, &ve):
		// Never exit on skew: the browser would restart us in a loop.
		return &protocol.ErrorBody{Code: protocol.CodeProtocol, Message: fmt.Sprintf(
			"The extension speaks protocol %d and the host speaks %d: update both to the same release", ve.extension, protocol.Version)}
	case errors.As(err, &ce):
		return &protocol.ErrorBody{Code: protocol.CodeConfig, Message: configWords[ce.stage] + ce.err.Error()}
	case errors.As(err, &se):
		return &protocol.ErrorBody{Code: protocol.CodeInternal, Message: "The phone could not start: " + se.err.Error()}
	case errors.Is(err, errNoSession):
		return &protocol.ErrorBody{Code: protocol.CodeNoSession, Message: "Open the Dialer/PBX to use the phone"}
	}
	if b := sipErrorBody(err); b != nil {
		return b
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return &protocol.ErrorBody{Code: c.code, Message: err.Error()}
		}
	}
	return &protocol.ErrorBody{Code: protocol.CodeInternal, Message: err.Error()}
}

// configWords begin the message of a config that was not put in force.
var configWords = map[configStage]string{
	configInvalid:    "",
	configNotSaved:   "The settings could not be saved: ",
	configNotApplied: "config.json was not applied, the previous settings stay in force: ",
}

// sipErrorBody words what the PBX or the other side answered (code sip, with the
// status), a lost connection to it, or its untrusted certificate; nil for other errors.
func sipErrorBody(err error) *protocol.ErrorBody {
	var (
		se *phone.SIPError
		ce *phone.CertificateError
	)
	switch {
	case errors.Is(err, phone.ErrConnectionLost):
		return &protocol.ErrorBody{Code: protocol.CodeSIP, Message: "Connection to the PBX lost"}
	case errors.Is(err, phone.ErrNoAnswer):
		return &protocol.ErrorBody{Code: protocol.CodeSIP, Message: "The PBX did not answer: " + strings.TrimPrefix(err.Error(), phone.ErrNoAnswer.Error()+": ")}
	case errors.As(err, &ce):
		return &protocol.ErrorBody{Code: protocol.CodeSIP, Message: "The PBX's TLS certificate is not trusted (is its CA in tls_ca_file?): " + ce.Err.Error()}
	case errors.As(err, &se):
		return &protocol.ErrorBody{Code: protocol.CodeSIP, SIPCode: se.Code, Message: se.Error()}
	}
	return nil
}

// accountErrorBody is why an account's registration failed (nil: it did not): always
// code sip, since every failure is the PBX's answer or its silence.
func accountErrorBody(err error) *protocol.ErrorBody {
	if err == nil {
		return nil
	}
	if b := sipErrorBody(err); b != nil {
		return b
	}
	return &protocol.ErrorBody{Code: protocol.CodeSIP, Message: "No answer from the PBX: " + err.Error()}
}

// audioErrorBody is the error event of a call whose browser leg could not be set up.
func audioErrorBody(callID string, err error) *protocol.ErrorBody {
	return &protocol.ErrorBody{Code: protocol.CodeMedia, Message: "Audio could not be connected: " + err.Error(), CallID: callID}
}
