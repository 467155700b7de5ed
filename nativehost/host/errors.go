package host

import (
	"errors"
	"fmt"

	"github.com/tabphone/tabphone/nativehost/protocol"
)

// The host's own errors. Like the phone's, they are plain Go errors; mapping.go gives
// each its protocol error code and the words the user sees.
var (
	// errBadRequest: a request's data does not fit its type.
	errBadRequest = errors.New("bad request")
	// errUnknownType: a message type the host does not serve.
	errUnknownType = errors.New("unknown message type")
	// errNoID: a request without an id, which no reply could name.
	errNoID = errors.New("needs an id")
	// errNoSession: the phone is bound to a Dialer/PBX session and none is active.
	errNoSession = errors.New("no Dialer/PBX session is active")
	// errTooManyKeys: maxQueuedKeyRequests dtmf requests are already waiting.
	errTooManyKeys = errors.New("too many DTMF keys are waiting to be sent")
	// errTooManySettings: maxQueuedSettings settings requests are already waiting.
	errTooManySettings = errors.New("too many settings requests are waiting")
	// errUnencodable: a reply's data could not be encoded (a bug).
	errUnencodable = errors.New("reply could not be encoded")
)

func badRequest(err error) error { return fmt.Errorf("%w: %v", errBadRequest, err) }

// versionError is a hello from an extension that speaks another protocol version.
type versionError struct{ extension int }

func (e *versionError) Error() string {
	return fmt.Sprintf("the extension speaks protocol %d, the host %d", e.extension, protocol.Version)
}

// configStage says where a config was stopped; the config in force did not change.
type configStage int

const (
	configInvalid    configStage = iota // config_set's config, or config.json at start, broke a rule or did not parse
	configNotSaved                      // config_set's config could not be written
	configNotApplied                    // a changed config.json broke a rule or did not parse
)

// configError is a config that was not put in force.
type configError struct {
	stage configStage
	err   error
}

func (e *configError) Error() string { return e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

// startError: the phone could not start (its SIP socket could not be opened).
type startError struct{ err error }

func (e *startError) Error() string { return "the phone could not start: " + e.err.Error() }
func (e *startError) Unwrap() error { return e.err }
