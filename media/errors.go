package media

import "errors"

var (
	// ErrNoCommonCodec reports an SDP that offers or accepts none of our codecs.
	ErrNoCommonCodec = errors.New("no common codec")
	// ErrBadSDP reports an SDP that cannot be parsed or has no usable audio stream.
	ErrBadSDP = errors.New("bad SDP")
	// ErrClosed reports use of a leg or session after Close.
	ErrClosed = errors.New("media closed")
	// ErrTransportChanged reports an SDP from the PBX (a 200 from another fork than the
	// 183, a re-INVITE from another media server) whose ICE credentials or DTLS fingerprint
	// differ from those of the WebRTC leg's running association, which cannot follow it.
	ErrTransportChanged = errors.New("WebRTC media moved to another endpoint")
)

var (
	// ErrBadCrypto reports an a=crypto attribute (RFC 4568) we cannot honour.
	ErrBadCrypto = errors.New("bad a=crypto")
	// ErrSecurity reports an SDP whose media security the account's setting does not
	// allow: plain RTP where SRTP is required, or a profile the account does not speak.
	ErrSecurity = errors.New("media security not allowed by the account")
)
