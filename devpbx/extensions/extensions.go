// Package extensions holds devpbx's test services, one function per number, and the
// table that maps numbers to them.
package extensions

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/tabphone/tabphone/devpbx/rtpmedia"
	"github.com/tabphone/tabphone/devpbx/sdpanswer"
	"github.com/tabphone/tabphone/devpbx/uac"
	"github.com/tabphone/tabphone/devpbx/uas"
)

// Numbers of the test services.
const (
	EchoNumber     = "600"
	ToneNumber     = "601"
	CallbackNumber = "602"
	BusyNumber     = "603"
	RingNumber     = "604"
)

// Callback service (602): what it plays before hanging up, and when it calls back.
const (
	CallbackTone         = time.Second
	DefaultCallbackDelay = 3 * time.Second
	MaxCallbackDelay     = 60 * time.Second
	// CallbackDisplay is the display name of its From and P-Asserted-Identity.
	CallbackDisplay = "Callback 602"
)

// Dialer places outbound calls (uac.Dialer); 602 calls back with it.
type Dialer interface {
	Originate(r uac.Request) (id string, err error)
}

// ToneFrequency and ToneDBFS describe what 601 and 602 play (RMS level, so the
// sine's peak is about -7 dBFS).
const (
	ToneFrequency = rtpmedia.ToneFrequency
	ToneDBFS      = rtpmedia.ToneDBFS
)

// Table returns the test services by number; dialer places 602's callbacks. A new
// service is one function here and one line in this table. A number ending in "*"
// serves the numbers that start with it.
func Table(dialer Dialer) map[string]uas.Extension {
	callback := CallsYouBack(dialer)
	return map[string]uas.Extension{
		EchoNumber:           Echo,
		ToneNumber:           Tone,
		CallbackNumber:       callback,
		CallbackNumber + "*": callback,
		BusyNumber:           Busy,
		RingNumber:           RingsForever,
	}
}

// Echo (600) answers with the first offered codec devpbx knows and sends every
// received packet back until the caller hangs up.
func Echo(ctx context.Context, c *uas.Call) error {
	if _, err := ringAndAnswer(ctx, c, uas.AnswerOptions{Codecs: sdpanswer.AllAudio, Echo: true}); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// Tone (601) answers with PCMU or PCMA (488 otherwise) and plays a 1 kHz tone at
// -10 dBFS until the caller hangs up.
func Tone(ctx context.Context, c *uas.Call) error {
	m, err := ringAndAnswer(ctx, c, uas.AnswerOptions{Codecs: sdpanswer.G711})
	if err != nil {
		return err
	}
	return m.Tone(ctx, ToneFrequency, ToneDBFS)
}

// ringAndAnswer rejects with 488 at once when none of the codecs was offered, and
// otherwise rings and answers.
func ringAndAnswer(ctx context.Context, c *uas.Call, opts uas.AnswerOptions) (*rtpmedia.Session, error) {
	if !c.Offers(opts.Codecs) {
		_ = c.Reject(sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return nil, uas.ErrRejected
	}
	if err := c.Ring(ctx); err != nil {
		return nil, err
	}
	return c.Answer(ctx, opts)
}

// CallsYouBack (602, or 602*N) answers with PCMU or PCMA (488 otherwise), plays the
// tone for CallbackTone and hangs up. N seconds (0-60; DefaultCallbackDelay for
// plain 602) after the hangup, or after the caller's own hangup if that came
// first, it calls the caller at its registration as "Callback 602" <sip:602@…>,
// playing the tone once answered. Another suffix gets 404.
func CallsYouBack(dialer Dialer) uas.Extension {
	return func(ctx context.Context, c *uas.Call) error {
		delay, ok := callbackDelay(c.To())
		if !ok {
			_ = c.Reject(sip.StatusNotFound, "Not Found")
			return uas.ErrRejected
		}
		m, err := ringAndAnswer(ctx, c, uas.AnswerOptions{Codecs: sdpanswer.G711})
		if err != nil {
			return err
		}
		caller := c.From()
		c.AfterEnd(func(hungUp time.Time) error {
			_, err := dialer.Originate(uac.Request{
				To: caller, From: CallbackNumber, Display: CallbackDisplay, Mode: uac.ModeTone,
				After: max(time.Until(hungUp.Add(delay)), 0),
			})
			if err != nil {
				return fmt.Errorf("602 callback to %s: %w", caller, err)
			}
			return nil
		})
		toneCtx, cancel := context.WithTimeout(ctx, CallbackTone)
		defer cancel()
		return m.Tone(toneCtx, ToneFrequency, ToneDBFS)
	}
}

// callbackDelay reads the delay of "602" or "602*N".
func callbackDelay(number string) (time.Duration, bool) {
	_, arg, found := strings.Cut(number, "*")
	if !found {
		return DefaultCallbackDelay, true
	}
	n, err := strconv.Atoi(arg)
	if err != nil || n < 0 || n > int(MaxCallbackDelay/time.Second) || strconv.Itoa(n) != arg {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

// BusyAfter is how long 603 rings at least before its 486.
const BusyAfter = 500 * time.Millisecond

// Busy (603) rings, then rejects the call with 486 Busy Here after BusyAfter (or the
// -ring delay, if longer). The pause keeps the 180 ahead of the 486: sipgo handles
// each response in its own goroutine, and a 486 right behind a 180 can overtake it,
// leaving the caller's transaction to drop the 180.
func Busy(ctx context.Context, c *uas.Call) error {
	t := time.NewTimer(BusyAfter)
	defer t.Stop()
	if err := c.Ring(ctx); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	}
	return c.Reject(sip.StatusBusyHere, "Busy Here")
}

// RingsForever (604) sends 180 Ringing and never answers: the caller must CANCEL
// (or end the early dialog with BYE).
func RingsForever(ctx context.Context, c *uas.Call) error {
	if err := c.Ring(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}
