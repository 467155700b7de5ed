package phone

import (
	"context"
	"errors"
	"fmt"

	"github.com/emiago/sipgo/sip"
)

// The phone's errors are plain Go errors: these sentinels (wrapped with context), a
// *SIPError when the PBX or the other side answered with a failure, a *CertificateError
// for a server certificate that did not verify. The host maps them to the wire's error
// codes (nativehost/host mapping.go).
var (
	// ErrBadNumber: the number is neither a dialable number nor a SIP URI.
	ErrBadNumber = errors.New("number cannot be dialled")
	// ErrNoAccount: no account has the id (or there is no account at all).
	ErrNoAccount = errors.New("no such account")
	// ErrNotRegistered: the account registers and is not registered now.
	ErrNotRegistered = errors.New("account not registered")
	// ErrNoCall: no call has the id, or the call is not in a state that allows the intent.
	ErrNoCall = errors.New("no such call")
	// ErrClosed: the phone is closing or closed.
	ErrClosed = errors.New("phone closed")
	// ErrBadStatus: a Status that is neither Available nor DND.
	ErrBadStatus = errors.New("bad status")
	// ErrBadDTMF: keys other than 1-32 of 0-9 * # A-D.
	ErrBadDTMF = errors.New("bad DTMF keys")
	// ErrConnectionLost: the account's connection to its server ended (the server closed
	// it, or the keepalive found it dead); the account registers again by itself.
	ErrConnectionLost = errors.New("connection to the PBX lost")
	// ErrNoAnswer: the PBX was not reached (no connection to it could be made) or did
	// not answer a request in time.
	ErrNoAnswer = errors.New("the PBX did not answer")
)

// errNoResponse: the transaction ended without a final response and without an error
// (sipgo reports a transaction its transport closed under it that way).
var errNoResponse = errors.New("the transaction ended without a response")

// errClosedAtOnce: a connection the account dialed ended before sipgo took it into
// service.
var errClosedAtOnce = errors.New("the connection closed at once")

// requestFunc sends a request in a transaction and returns its final response.
type requestFunc func(context.Context, *sip.Request) (*sip.Response, error)

// answered makes a sipgo request function return errNoResponse instead of a nil
// response with a nil error.
func answered(do requestFunc) requestFunc {
	return func(ctx context.Context, req *sip.Request) (*sip.Response, error) {
		res, err := do(ctx, req)
		if err == nil && res == nil {
			return nil, errNoResponse
		}
		return res, err
	}
}

// SIPError is a failure the other side or the PBX answered with: a REGISTER, a hold
// re-INVITE, a REFER or the NOTIFY that reports the transfer's result.
type SIPError struct {
	Code   int    // the final status
	Reason string // its reason phrase as received
}

func (e *SIPError) Error() string {
	return fmt.Sprintf("%s (%d %s)", Sentence(e.Code), e.Code, e.Reason)
}

// CertificateError is a server's TLS certificate that did not verify against the system
// roots and the account's tls_ca_file: a setup problem (a private CA missing, a
// certificate for another name), not a silent PBX.
type CertificateError struct {
	Err error // what failed, with the verification error in its chain
}

func (e *CertificateError) Error() string {
	return "the PBX's TLS certificate is not trusted (is its CA in tls_ca_file?): " + e.Err.Error()
}

func (e *CertificateError) Unwrap() error { return e.Err }

func sipError(res *sip.Response) *SIPError {
	return &SIPError{Code: res.StatusCode, Reason: res.Reason}
}

// Sentence says what a SIP status means for the person at the phone.
func Sentence(code int) string {
	switch code {
	case 401, 407:
		return "Wrong user name or password"
	case 403:
		return "Wrong user name or password, or not allowed"
	case 404:
		return "Number not found"
	case 408, 480:
		return "No answer"
	case 484:
		return "Incomplete number"
	case 486, 600:
		return "Busy"
	case 487:
		return "Call cancelled"
	case 488, 606:
		return "The other side cannot use any of our audio codecs"
	case 503:
		return "Service unavailable, try again later"
	case 603:
		return "Call declined"
	}
	switch {
	case code >= 500 && code < 600:
		return "The PBX failed to handle the call"
	case code >= 400:
		return "The call failed"
	}
	return "SIP error"
}
