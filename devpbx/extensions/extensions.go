// Package extensions holds devpbx's test services, one function per number, and the
// table that maps numbers to them.
package extensions

import (
	"context"

	"github.com/emiago/sipgo/sip"

	"github.com/tabphone/tabphone/devpbx/rtpmedia"
	"github.com/tabphone/tabphone/devpbx/sdpanswer"
	"github.com/tabphone/tabphone/devpbx/uas"
)

// Numbers of the test services.
const (
	EchoNumber = "600"
	ToneNumber = "601"
)

// ToneFrequency and ToneDBFS describe what 601 plays (RMS level, so the sine's peak
// is about -7 dBFS).
const (
	ToneFrequency = 1000
	ToneDBFS      = -10
)

// Table returns the test services by number. A new service is one function here and
// one line in this table.
func Table() map[string]uas.Extension {
	return map[string]uas.Extension{
		EchoNumber: Echo,
		ToneNumber: Tone,
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
