package protocol

import "errors"

// ErrBadMessage reports a frame that is not a JSON object with a string "type".
var ErrBadMessage = errors.New("bad message")

// Error codes carried in replies, error events, an account's error and the state's
// config_error; the same strings as ERR in extension/lib/protocol.js.
const (
	CodeBadRequest    = "bad_request"    // malformed or unknown message, or data the request cannot take
	CodeTooLarge      = "too_large"      // a frame over the cap, or too many DTMF requests waiting
	CodeProtocol      = "protocol"       // hello with another protocol version
	CodeBadNumber     = "bad_number"     // the number cannot be dialled
	CodeNoAccount     = "no_account"     // no such account, or the phone is not running
	CodeNotRegistered = "not_registered" // the account is not registered
	CodeNoCall        = "no_call"        // no such call, or not in a state that allows the request
	CodeMedia         = "media"          // the audio could not be set up
	CodeSIP           = "sip"            // the PBX or the other side refused (sip_code) or did not answer
	CodeNoSession     = "no_session"     // bound to a Dialer/PBX and no session is active
	CodeConfig        = "config"         // the config is invalid or could not be saved or read; nothing changed
	CodeInternal      = "internal"       // anything else: a bug or a failure of the machine
)

// ErrorBody is the error of a failed reply or an error event. It is wire data, not a
// Go error: the host maps its errors to it in one place.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	SIPCode int    `json:"sip_code,omitempty"`
	CallID  string `json:"call_id,omitempty"`
}
