package phone

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emiago/sipgo/sip"
	"github.com/tabphone/tabphone/media"
)

// Sentinel errors of intents; the host maps them to protocol error codes.
var (
	ErrBadNumber     = errors.New("number cannot be dialled")
	ErrNoAccount     = errors.New("no such account")
	ErrNotRegistered = errors.New("account not registered")
	ErrNoCall        = errors.New("no such call")
	ErrClosed        = errors.New("phone closed")
	ErrBadStatus     = errors.New("bad status")
	ErrBadDTMF       = errors.New("bad DTMF keys")
)

// errNoResponse: the transaction ended without a final response and without an error
// (sipgo reports a transaction its transport closed under it that way).
var errNoResponse = errors.New("the transaction ended without a response")

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

// SIPError is a failure the other side or the PBX answered with.
type SIPError struct {
	Code   int
	Reason string
}

func (e *SIPError) Error() string {
	return fmt.Sprintf("%s (%d %s)", Sentence(e.Code), e.Code, e.Reason)
}

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

// answerSDPWords says why a call's media could not be agreed, for the user: a media
// security mismatch names both sides' settings, anything else is a codec problem.
func answerSDPWords(err error) string {
	if errors.Is(err, media.ErrSecurity) {
		return "Call refused: secure media does not match (" + strings.TrimPrefix(err.Error(), media.ErrSecurity.Error()+": ") + ")"
	}
	return "The other side cannot use any of our audio codecs"
}
