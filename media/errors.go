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

var (
	// ErrBadCrypto reports an a=crypto attribute (RFC 4568) we cannot honour.
	ErrBadCrypto = errors.New("bad a=crypto")
	// ErrSecurity reports an SDP whose media security the account's setting does not
	// allow: plain RTP where SRTP is required, or a profile the account does not speak.
	ErrSecurity = errors.New("media security not allowed by the account")
)
