package uac

import (
	"fmt"
	"maps"
	"net/textproto"
	"slices"
	"strings"
	"time"
)

// Mode is what devpbx does with the media once the callee answers.
type Mode string

const (
	// ModeTone plays the 1 kHz test tone when a G.711 codec was chosen, and sends
	// nothing otherwise (devpbx cannot encode Opus).
	ModeTone Mode = "tone"
	// ModeEcho sends every received audio packet back.
	ModeEcho Mode = "echo"
	// ModeSilence sends nothing.
	ModeSilence Mode = "silence"
)

// Defaults and limits of a Request.
const (
	DefaultRingTimeout = 30 * time.Second
	// MaxRingTimeout also keeps a ringing call below sipgo's limit of 10 responses
	// per INVITE (a phone repeating 180 once a minute, RFC 3261 13.3.1.1).
	MaxRingTimeout = 5 * time.Minute
	MaxAfter       = 10 * time.Minute
	MaxHangupAfter = time.Hour
	// DefaultFrom is the calling user when a Request names none.
	DefaultFrom = "devpbx"

	maxUserLen        = 32
	maxDisplayLen     = 64
	maxHeaderValueLen = 256
)

// ExtraHeaders are the headers a Request may add to the INVITE, as they are
// written. A P-Asserted-Identity given here replaces devpbx's own.
var ExtraHeaders = []string{"Call-Info", "Alert-Info", "P-Asserted-Identity"}

// Request describes one call devpbx places to a registered user.
type Request struct {
	// To is the user to call; devpbx calls its most recently refreshed binding.
	To string
	// From is the calling number shown (From and P-Asserted-Identity user);
	// DefaultFrom when empty. Display is its display name, none when empty.
	From    string
	Display string
	// After delays the INVITE; the call is "scheduled" meanwhile.
	After time.Duration
	// Mode is ModeTone when empty.
	Mode Mode
	// RingTimeout is how long the INVITE may go unanswered before devpbx cancels it,
	// counted from the INVITE; DefaultRingTimeout when 0.
	RingTimeout time.Duration
	// HangupAfter makes devpbx hang up that long after the answer; 0: never (the
	// callee hangs up, or an API request, or shutdown).
	HangupAfter time.Duration
	// Headers adds ExtraHeaders to the INVITE, by name (any case).
	Headers map[string]string
}

// normalize fills in the defaults and checks every field; the values end up in SIP
// headers, so they are held to conservative character sets and sizes.
func (r *Request) normalize() error {
	if !isUser(r.To) {
		return fmt.Errorf("%w: to %q: want 1-%d of 0-9 a-z A-Z . _ - + *", ErrInvalid, r.To, maxUserLen)
	}
	if r.From == "" {
		r.From = DefaultFrom
	}
	if !isUser(r.From) {
		return fmt.Errorf("%w: from %q: want 1-%d of 0-9 a-z A-Z . _ - + *", ErrInvalid, r.From, maxUserLen)
	}
	if len(r.Display) > maxDisplayLen || strings.ContainsAny(r.Display, `"\`) || hasControl(r.Display) {
		return fmt.Errorf("%w: display: at most %d bytes, no quotes, backslashes or control characters", ErrInvalid, maxDisplayLen)
	}
	if r.Mode == "" {
		r.Mode = ModeTone
	}
	switch r.Mode {
	case ModeTone, ModeEcho, ModeSilence:
	default:
		return fmt.Errorf("%w: mode %q: want tone, echo or silence", ErrInvalid, r.Mode)
	}
	if r.RingTimeout == 0 {
		r.RingTimeout = DefaultRingTimeout
	}
	for _, d := range []struct {
		name string
		v    time.Duration
		max  time.Duration
	}{{"after", r.After, MaxAfter}, {"ring_timeout", r.RingTimeout, MaxRingTimeout}, {"hangup_after", r.HangupAfter, MaxHangupAfter}} {
		if d.v < 0 || d.v > d.max {
			return fmt.Errorf("%w: %s %v: want 0 to %v", ErrInvalid, d.name, d.v, d.max)
		}
	}
	headers := make(map[string]string, len(r.Headers))
	for name, value := range r.Headers {
		canonical := textproto.CanonicalMIMEHeaderKey(name)
		i := slices.IndexFunc(ExtraHeaders, func(h string) bool { return strings.EqualFold(h, canonical) })
		if i < 0 {
			return fmt.Errorf("%w: header %q: only %s may be added", ErrInvalid, name, strings.Join(ExtraHeaders, ", "))
		}
		if _, dup := headers[ExtraHeaders[i]]; dup {
			return fmt.Errorf("%w: header %q given twice", ErrInvalid, name)
		}
		value = strings.TrimSpace(value)
		if value == "" || len(value) > maxHeaderValueLen || hasControl(value) {
			return fmt.Errorf("%w: header %s: 1-%d bytes without control characters", ErrInvalid, ExtraHeaders[i], maxHeaderValueLen)
		}
		headers[ExtraHeaders[i]] = value
	}
	r.Headers = headers
	return nil
}

// extraHeaders lists the extra headers in ExtraHeaders order, so INVITEs are
// reproducible.
func (r *Request) extraHeaders() []string {
	return slices.DeleteFunc(slices.Clone(ExtraHeaders), func(h string) bool {
		_, ok := r.Headers[h]
		return !ok
	})
}

func (r Request) clone() Request {
	r.Headers = maps.Clone(r.Headers)
	return r
}

// isUser accepts the user part of a SIP URI that needs no escaping, limited to what
// phone numbers and devpbx's user names use.
func isUser(s string) bool {
	if s == "" || len(s) > maxUserLen {
		return false
	}
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case strings.ContainsRune("._-+*", r): // no '#': a URI would need it escaped
		default:
			return false
		}
	}
	return true
}

// hasControl reports control characters (CR and LF above all: header injection);
// tabs are allowed.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return (r < 0x20 && r != '\t') || r == 0x7f })
}
