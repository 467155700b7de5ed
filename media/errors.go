package media

import "errors"

var (
	// ErrNoCommonCodec reports an SDP that offers or accepts none of our codecs.
	ErrNoCommonCodec = errors.New("no common codec")
	// ErrBadSDP reports an SDP that cannot be parsed or has no usable audio stream.
	ErrBadSDP = errors.New("bad SDP")
	// ErrClosed reports use of a leg or session after Close.
	ErrClosed = errors.New("media closed")
)
