package protocol

import (
	"encoding/json"
	"fmt"
)

// Version is the version of the message set in docs/protocol.md (hello's "protocol").
const Version = 1

// Message types, the same strings as extension/lib/protocol.js.
const (
	// Requests (browser → host).
	TypeHello       = "hello"
	TypePing        = "ping"
	TypeStateGet    = "state_get"
	TypeDial        = "dial"
	TypeHangup      = "hangup"
	TypeWebRTCOffer = "webrtc_offer"
	TypeSession     = "session"
	TypeAnswer      = "answer"
	TypeDecline     = "decline"
	TypeSetStatus   = "set_status"
	TypeConfigGet   = "config_get"
	TypeConfigSet   = "config_set"
	TypeHistoryGet  = "history_get"
	TypeDTMF        = "dtmf"
	TypeMute        = "mute"
	TypeHold        = "hold"
	TypeTransfer    = "transfer"

	// Replies and events (host → browser).
	TypeReply        = "reply"
	TypeState        = "state"
	TypeCall         = "call"
	TypeWebRTCAnswer = "webrtc_answer"
	// TypeWebRTCRestart asks the softphone window to build a call's browser leg again
	// with a new offer (the PBX leg's codec changed).
	TypeWebRTCRestart = "webrtc_restart"
	TypeError         = "error"
	TypeClosingSoon   = "closing_soon"
	TypeClose         = "close"
	TypeIncoming      = "incoming"
	TypeBeep          = "beep"
)

// Envelope is the one message shape: {"type", "id", "data"} plus reply fields.
type Envelope struct {
	Type  string          `json:"type"`
	ID    int64           `json:"id,omitempty"`
	OK    *bool           `json:"ok,omitempty"`
	Data  json.RawMessage `json:"data,omitempty"`
	Error *ErrorBody      `json:"error,omitempty"`
}

// Decode parses a frame into an Envelope, checking the shape every message must have.
func Decode(frame []byte) (Envelope, error) {
	var env Envelope
	if err := json.Unmarshal(frame, &env); err != nil {
		return Envelope{}, fmt.Errorf("%w: %v", ErrBadMessage, err)
	}
	if env.Type == "" {
		return Envelope{}, fmt.Errorf("%w: missing type", ErrBadMessage)
	}
	if env.ID < 0 {
		return Envelope{}, fmt.Errorf("%w: negative id", ErrBadMessage)
	}
	return env, nil
}

// Event builds an event frame.
func Event(typ string, data any) ([]byte, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", typ, err)
	}
	return json.Marshal(Envelope{Type: typ, Data: raw})
}

// Reply builds a successful reply frame.
func Reply(id int64, data any) ([]byte, error) {
	if data == nil {
		data = struct{}{}
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("encode reply: %w", err)
	}
	ok := true
	return json.Marshal(Envelope{Type: TypeReply, ID: id, OK: &ok, Data: raw})
}

// ReplyError builds a failed reply frame.
func ReplyError(id int64, e *ErrorBody) []byte {
	ok := false
	b, _ := json.Marshal(Envelope{Type: TypeReply, ID: id, OK: &ok, Error: e})
	return b
}
