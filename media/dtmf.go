package media

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pion/rtp"
)

// ErrNoDTMF reports that the PBX leg negotiated no telephone-event at the audio's clock
// rate, so digits must go as SIP INFO.
var ErrNoDTMF = errors.New("no RFC 4733 telephone-event on this call")

// DTMF timing (RFC 4733 2.5): one event per digit, updates every 20 ms, three
// retransmitted end packets, and a gap between digits.
const (
	dtmfTone    = 160 * time.Millisecond
	dtmfGap     = 60 * time.Millisecond
	dtmfPacket  = 20 * time.Millisecond
	dtmfVolume  = 10 // -10 dBm0
	dtmfEndRepl = 3
)

// dtmfEvent maps a key to its RFC 4733 event code (section 3.2).
func dtmfEvent(key rune) (byte, bool) {
	switch {
	case key >= '0' && key <= '9':
		return byte(key - '0'), true
	case key == '*':
		return 10, true
	case key == '#':
		return 11, true
	case key >= 'A' && key <= 'D':
		return byte(12 + key - 'A'), true
	}
	return 0, false
}

// ValidDTMF checks a digit string: 0-9, *, #, A-D, at most 32 at once.
func ValidDTMF(digits string) error {
	if digits == "" || len(digits) > 32 {
		return fmt.Errorf("DTMF needs 1 to 32 keys, got %d", len(digits))
	}
	for _, r := range strings.ToUpper(digits) {
		if _, ok := dtmfEvent(r); !ok {
			return fmt.Errorf("%q is not a DTMF key", r)
		}
	}
	return nil
}

// SendDTMF plays digits to the PBX as RFC 4733 events in the call's RTP stream (same
// SSRC and sequence space as the audio, which pauses meanwhile). It returns ErrNoDTMF
// when the PBX did not accept telephone-event at the audio's clock rate.
func (c *Call) SendDTMF(ctx context.Context, digits string) error {
	if err := ValidDTMF(digits); err != nil {
		return err
	}
	c.mu.Lock()
	if c.neg == nil || c.neg.DTMFPT < 0 || c.neg.Codec.ClockRate != 8000 {
		c.mu.Unlock()
		return ErrNoDTMF
	}
	pt := uint8(c.neg.DTMFPT)
	c.mu.Unlock()

	c.dtmfMu.Lock() // one digit string at a time
	defer c.dtmfMu.Unlock()
	for i, key := range strings.ToUpper(digits) {
		ev, _ := dtmfEvent(key)
		if err := c.sendEvent(ctx, pt, ev); err != nil {
			return err
		}
		if i < len(digits)-1 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(dtmfGap):
			}
		}
	}
	return nil
}

func (c *Call) sendEvent(ctx context.Context, pt, ev byte) error {
	c.setSendingDTMF(true)
	defer c.setSendingDTMF(false)
	const step = 160 // timestamp units of 20 ms at 8 kHz
	var start uint32
	packets := int(dtmfTone / dtmfPacket)
	tick := time.NewTicker(dtmfPacket)
	defer tick.Stop()
	for i := 0; i < packets+dtmfEndRepl; i++ {
		duration := uint16(min(i+1, packets)) * step
		end := i >= packets
		payload := make([]byte, 4)
		payload[0] = ev
		payload[1] = dtmfVolume
		if end {
			payload[1] |= 0x80
		}
		binary.BigEndian.PutUint16(payload[2:], duration)
		c.mu.Lock()
		if c.toPBX == nil {
			c.mu.Unlock()
			return ErrClosed
		}
		var p *rtp.Packet
		if i == 0 {
			p = c.toPBX.synth(pt, true, payload)
			start = p.Timestamp
		} else {
			p = c.toPBX.synthAt(pt, start, false, payload)
		}
		c.mu.Unlock()
		if err := c.tr.WriteRTP(p); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

func (c *Call) setSendingDTMF(on bool) {
	c.mu.Lock()
	c.sendingDTMF = on
	c.mu.Unlock()
}
