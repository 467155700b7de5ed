// Package audiotest makes and measures test tones for Go tests: 20 ms G.711 RTP
// payloads of a sine for a pion track standing in for the browser, and Goertzel levels
// of what arrived, from RTP payloads or from a WAV recording.
package audiotest

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"math"
	"time"

	"github.com/pion/rtp"

	"github.com/tabphone/tabphone/devpbx/g711"
)

// Law is a G.711 companding law.
type Law int

// The two G.711 laws, as RTP names them (RFC 3551 4.5.14).
const (
	PCMU Law = iota // μ-law, static payload type 0
	PCMA            // A-law, static payload type 8
)

func (l Law) String() string {
	if l == PCMA {
		return "PCMA"
	}
	return "PCMU"
}

// PayloadType is the law's static RTP payload type.
func (l Law) PayloadType() uint8 {
	if l == PCMA {
		return 8
	}
	return 0
}

func (l Law) encoder() g711.Encoder {
	if l == PCMA {
		return g711.EncodeALaw
	}
	return g711.EncodeULaw
}

func (l Law) decoder() g711.Decoder {
	if l == PCMA {
		return g711.DecodeALaw
	}
	return g711.DecodeULaw
}

// G.711 framing: 8000 samples a second, 20 ms (160 samples, 160 bytes) per packet.
const (
	SampleRate    = 8000
	FrameSamples  = 160
	FrameDuration = 20 * time.Millisecond
)

// DefaultAmplitude is a tone's peak as a fraction of full scale: 0.5 is -9 dBFS RMS,
// loud enough to stand clear of any noise floor and far from clipping.
const DefaultAmplitude = 0.5

// Tone is a sine cut into consecutive 20 ms G.711 frames. It is not safe for
// concurrent use.
type Tone struct {
	Law       Law
	Freq      float64 // Hz
	Amplitude float64 // peak, fraction of full scale; 0 means DefaultAmplitude
	n         int     // samples made so far: the phase continues across frames
}

// NewTone returns a tone of freq Hz encoded with law.
func NewTone(law Law, freq float64) *Tone {
	return &Tone{Law: law, Freq: freq, Amplitude: DefaultAmplitude}
}

// Frame returns the next 20 ms payload (160 bytes).
func (t *Tone) Frame() []byte {
	amp := t.Amplitude
	if amp == 0 {
		amp = DefaultAmplitude
	}
	enc := t.Law.encoder()
	out := make([]byte, FrameSamples)
	for i := range out {
		v := amp * math.Sin(2*math.Pi*t.Freq*float64(t.n)/SampleRate)
		out[i] = enc(int16(v * 32767))
		t.n++
	}
	return out
}

// RTPWriter takes RTP packets; pion's *webrtc.TrackLocalStaticRTP is one (it sets the
// negotiated payload type and SSRC itself).
type RTPWriter interface {
	WriteRTP(p *rtp.Packet) error
}

// Send writes t to w as one RTP packet every 20 ms, sequence numbers and timestamps
// continuing from random starts, until ctx ends (nil) or a write fails (its error).
// Packets written before the track is negotiated are dropped by pion, not queued.
func Send(ctx context.Context, w RTPWriter, t *Tone) error {
	var seed [8]byte
	_, _ = rand.Read(seed[:])
	seq := binary.BigEndian.Uint16(seed[:2])
	ts := binary.BigEndian.Uint32(seed[2:6])
	tick := time.NewTicker(FrameDuration)
	defer tick.Stop()
	for {
		p := &rtp.Packet{
			Header:  rtp.Header{Version: 2, PayloadType: t.Law.PayloadType(), SequenceNumber: seq, Timestamp: ts},
			Payload: t.Frame(),
		}
		if err := w.WriteRTP(p); err != nil {
			return err
		}
		seq++
		ts += FrameSamples
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
