package uas

import "errors"

var (
	// ErrRejected is returned by Answer when the call was rejected instead (no
	// acceptable codec, unreadable offer, or the caller went away).
	ErrRejected = errors.New("uas: call rejected")
	// ErrNoACK means the caller never acknowledged devpbx's 200 OK (RFC 3261 13.3.1.4).
	ErrNoACK = errors.New("uas: no ACK for 200 OK")
	// ErrAnswered means a response was asked for after the final one.
	ErrAnswered = errors.New("uas: call already has a final response")
)
