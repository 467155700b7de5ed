package sdpanswer

import "errors"

var (
	// ErrMalformed means the body is not SDP devpbx can read.
	ErrMalformed = errors.New("sdp: malformed offer")
	// ErrNoAudio means the offer has no usable audio stream (RTP/AVP, port ≠ 0).
	ErrNoAudio = errors.New("sdp: no RTP/AVP audio stream in offer")
)
