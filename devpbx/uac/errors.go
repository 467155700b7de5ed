package uac

import "errors"

var (
	// ErrInvalid means a Request breaks one of its rules; the message says which.
	ErrInvalid = errors.New("uac: invalid request")
	// ErrClosed means devpbx is shutting down and places no more calls.
	ErrClosed = errors.New("uac: shutting down")
	// ErrNoCall means no call has that id.
	ErrNoCall = errors.New("uac: no such call")
	// ErrNotOutbound means the call is one devpbx received, not one it placed.
	ErrNotOutbound = errors.New("uac: not an outbound call")
	// ErrEnded means the call has already ended.
	ErrEnded = errors.New("uac: call already ended")
	// ErrAnswered means a cancel came for a call that is already answered (hang
	// it up instead).
	ErrAnswered = errors.New("uac: call already answered")
)
