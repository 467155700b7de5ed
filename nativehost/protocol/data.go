package protocol

// The data of each request, reply and event (docs/protocol.md). Times are Unix
// milliseconds; a zero time is left out where the field is optional.

// Hello is the data of hello (both ways).
type Hello struct {
	Protocol int    `json:"protocol"`
	Version  string `json:"version"`
}

// Dial is the data of dial.
type Dial struct {
	Number  string `json:"number"`
	Account string `json:"account,omitempty"`
}

// DialResult is the reply data of dial.
type DialResult struct {
	CallID string `json:"call_id"`
}

// CallRef is the data of hangup, answer, decline and the beep event.
type CallRef struct {
	CallID string `json:"call_id"`
}

// WebRTCSDP is the data of webrtc_offer and webrtc_answer.
type WebRTCSDP struct {
	CallID string `json:"call_id"`
	SDP    string `json:"sdp"`
}

// DTMF is the data of dtmf.
type DTMF struct {
	CallID string `json:"call_id"`
	Digits string `json:"digits"` // 0-9 * # A-D, at most 32
}

// Hold is the data of hold.
type Hold struct {
	CallID string `json:"call_id"`
	Hold   bool   `json:"hold"`
}

// Mute is the data of mute.
type Mute struct {
	CallID string `json:"call_id"`
	Muted  bool   `json:"muted"`
}

// Transfer is the data of transfer.
type Transfer struct {
	CallID string `json:"call_id"`
	Target string `json:"target,omitempty"` // a number or a sip: URI (blind transfer)

	// ToCallID, instead of Target, is another of our connected calls: attended transfer,
	// the two other parties are connected and both our calls end.
	ToCallID string `json:"to_call_id,omitempty"`
}

// Statuses: state.status and the data of set_status.
const (
	StatusAvailable = "available"
	StatusDND       = "dnd" // Do not disturb: incoming calls are rejected and reported missed
)

// Status is the data of set_status.
type Status struct {
	Status string `json:"status"` // StatusAvailable or StatusDND
}

// SessionReport is the data of the session request.
type SessionReport struct {
	Active bool   `json:"active"`
	Reason string `json:"reason"`
}

// HistoryGet is the data of history_get.
type HistoryGet struct {
	Limit int `json:"limit,omitempty"` // default 50, at most 200
}

// History is the reply data of history_get: the last calls, newest first.
type History struct {
	Calls []HistoryCall `json:"calls"`
}

// Results of a call in the history.
const (
	ResultAnswered = "answered" // incoming, answered
	ResultMissed   = "missed"   // incoming, not answered (cancelled, DND, declined)
	ResultOutgoing = "outgoing" // outgoing, connected
	ResultFailed   = "failed"   // outgoing, never connected
)

// HistoryCall is one ended call in the history.
type HistoryCall struct {
	ID         string `json:"id"`
	Account    string `json:"account"`
	Direction  string `json:"direction"`
	Number     string `json:"number"`
	Name       string `json:"name,omitempty"`
	Result     string `json:"result"`
	Reason     string `json:"reason,omitempty"` // the end reason's message
	StartedAt  int64  `json:"started_at"`
	AnsweredAt int64  `json:"answered_at,omitempty"`
	EndedAt    int64  `json:"ended_at"`
	Seconds    int64  `json:"seconds"` // talk time
}

// State is the full snapshot sent as the state event and the state_get reply.
type State struct {
	Accounts    []AccountState `json:"accounts"`
	Status      string         `json:"status"`
	Calls       []Call         `json:"calls"`
	ConfigError *ErrorBody     `json:"config_error,omitempty"`
	Session     SessionState   `json:"session"`
}

// SessionState is the Dialer/PBX session binding as the UI sees it.
type SessionState struct {
	// State: unbound (plain softphone), waiting (no session yet), active, closing_soon, closed.
	State    string `json:"state"`
	Reason   string `json:"reason,omitempty"`
	Deadline int64  `json:"deadline,omitempty"` // Unix ms, during closing_soon
	Message  string `json:"message,omitempty"`  // the warning, during closing_soon
	Sites    []Site `json:"sites"`
}

// Site is a Dialer/PBX web app the phone is bound to (match patterns without ports).
type Site struct {
	URL           string `json:"url,omitempty"`
	Match         string `json:"match"`
	Login         string `json:"login,omitempty"`
	SessionCookie string `json:"session_cookie,omitempty"`
}

// ClosingSoon is the data of the closing_soon event.
type ClosingSoon struct {
	Message  string `json:"message"`
	Reason   string `json:"reason"`
	Deadline int64  `json:"deadline"` // Unix ms
	Seconds  int    `json:"seconds"`
}

// CloseEvent is the data of the close event.
type CloseEvent struct {
	Reason string `json:"reason"`
}

// Registration states of an account.
const (
	RegUnregistered = "unregistered"
	RegRegistering  = "registering"
	RegRegistered   = "registered"
	RegFailed       = "failed"
)

// AccountState is one account as the UI sees it. It never holds the password.
type AccountState struct {
	ID           string     `json:"id"`
	Default      bool       `json:"default,omitempty"` // dial without an account uses this one (config's default_account)
	User         string     `json:"user"`
	DisplayName  string     `json:"display_name,omitempty"` // the configured display name, if any
	Domain       string     `json:"domain"`
	Transport    string     `json:"transport,omitempty"` // udp, tcp, tls, ws, wss
	Registration string     `json:"registration"`
	Error        *ErrorBody `json:"error,omitempty"` // why the registration failed, code sip
	AutoAnswer   AutoAnswer `json:"auto_answer"`
	DNDCode      int        `json:"dnd_code"`
	Voicemail    *Voicemail `json:"voicemail,omitempty"` // the last message summary (RFC 3842), if any
	// Lamps are the busy lamps of the account's watch list (blf), in its order.
	Lamps []Lamp `json:"lamps,omitempty"`
	// PickupPrefix is the PBX's directed pickup code: a pickup of a ringing lamp dials
	// it followed by the lamp's extension.
	PickupPrefix string `json:"pickup_prefix,omitempty"`
}

// Values of Lamp.State.
const (
	LampUnknown = "unknown" // not subscribed (yet), or the PBX refused
	LampIdle    = "idle"
	LampRinging = "ringing"
	LampBusy    = "busy" // in a call
)

// Lamp is one watched extension's busy lamp (RFC 4235 dialog state).
type Lamp struct {
	Extension string `json:"extension"`
	State     string `json:"state"`
	// Direction of the ringing or busy call: "in" (the extension is being called, a
	// pickup can take it) or "out" (it called); empty when the PBX does not say.
	Direction string `json:"direction,omitempty"`
	// The other party, when the PBX tells.
	RemoteNumber string `json:"remote_number,omitempty"`
	RemoteName   string `json:"remote_name,omitempty"`
}

// Voicemail is the account's mailbox as the PBX last reported it.
type Voicemail struct {
	Waiting   bool `json:"waiting"`
	New       int  `json:"new"`
	Old       int  `json:"old"`
	UrgentNew int  `json:"urgent_new,omitempty"`
	UrgentOld int  `json:"urgent_old,omitempty"`
}

// AutoAnswer is an account's auto-answer setting.
type AutoAnswer struct {
	Enabled bool `json:"enabled"`
	Seconds int  `json:"seconds"`
	FromPBX bool `json:"from_pbx,omitempty"` // the PBX's answer-after/intercom hint decides
}

// Call directions.
const (
	DirectionIncoming = "incoming"
	DirectionOutgoing = "outgoing"
)

// Call states.
const (
	CallCalling   = "calling"
	CallRinging   = "ringing"
	CallEarly     = "early"
	CallConnected = "connected"
	CallEnded     = "ended"
)

// Call is one call as the UI sees it. Times are Unix milliseconds.
type Call struct {
	ID           string     `json:"id"`
	Account      string     `json:"account"`
	Direction    string     `json:"direction"`
	Number       string     `json:"number"`
	Name         string     `json:"name,omitempty"` // caller's display name
	State        string     `json:"state"`
	AutoAnswerAt int64      `json:"auto_answer_at,omitempty"` // Unix ms, when auto-answer will pick up
	Codec        string     `json:"codec,omitempty"`
	Muted        bool       `json:"muted,omitempty"`
	NoMedia      bool       `json:"no_media,omitempty"`     // connected, but no audio from the PBX for the account's rtp_timeout
	RemoteHold   bool       `json:"remote_hold,omitempty"`  // the other side put us on hold
	Held         bool       `json:"held,omitempty"`         // we put the call on hold
	Transferring bool       `json:"transferring,omitempty"` // a transfer (ours or the other side's REFER) is in progress
	StartedAt    int64      `json:"started_at"`
	AnsweredAt   int64      `json:"answered_at,omitempty"`
	EndedAt      int64      `json:"ended_at,omitempty"`
	EndReason    *EndReason `json:"end_reason,omitempty"`

	// TransferredBy is the number of the party whose REFER made this outgoing call.
	TransferredBy string `json:"transferred_by,omitempty"`
	// Replaces is the id of our call this incoming call took over (attended transfer to
	// us: its INVITE's Replaces header named that call).
	Replaces string `json:"replaces,omitempty"`
}

// EndReason says why a call ended, in words for the user.
type EndReason struct {
	SIPCode int    `json:"sip_code,omitempty"`
	Message string `json:"message"`
}

// End reason messages the extension tells apart (DECLINED_MESSAGE, DND_MISSED_MESSAGE
// in extension/lib/protocol.js); the other messages are only shown.
const (
	EndDeclined  = "Declined"               // the user declined a ringing call (486)
	EndDNDMissed = "Missed: Do not disturb" // rejected by DND with the account's dnd_code
	EndMissed    = "Missed call"            // the caller gave up, or the INVITE timed out
)

// CallEvent is the data of the call and incoming events.
type CallEvent struct {
	Call Call `json:"call"`
}
