package audiotest

import (
	"fmt"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"

	"github.com/tabphone/tabphone/devpbx/g711"
	"github.com/tabphone/tabphone/devpbx/goertzel"
)

// PresentRatio is the share of a block's energy that must sit at a frequency for the
// tone to count as present. A clean tone gives about 1, two equal tones about 0.5
// each; white noise gives about 2/160 per 20 ms block, so the margin is wide.
const PresentRatio = 0.2

// MinSignalBlocks is how many 20 ms blocks must carry signal before a tone can count
// as present: 200 ms of it, so a click or a lone frame is not a tone.
const MinSignalBlocks = 10

// Level is how strongly one frequency sits in what an Analyzer holds.
type Level struct {
	Freq float64
	// Ratio is the mean share of energy at Freq over the blocks with signal (0 to 1;
	// 0 when no block had signal).
	Ratio float64
	// Blocks and SignalBlocks count the 20 ms blocks measured and those above the
	// silence threshold (goertzel.DefaultSignalDBFS).
	Blocks, SignalBlocks int
	// MaxDBFS is the loudest block's level.
	MaxDBFS float64
}

// Present reports whether the tone is there: enough blocks with signal, and enough of
// their energy at the frequency.
func (l Level) Present() bool { return l.SignalBlocks >= MinSignalBlocks && l.Ratio >= PresentRatio }

func (l Level) String() string {
	return fmt.Sprintf("%.0f Hz: ratio %.3f over %d/%d blocks with signal, loudest %.1f dBFS",
		l.Freq, l.Ratio, l.SignalBlocks, l.Blocks, l.MaxDBFS)
}

// Analyzer collects received audio (16-bit linear samples) and measures tones in it.
// It is safe for concurrent use: one goroutine may write while the test polls.
type Analyzer struct {
	rate    int
	mu      sync.Mutex
	samples []int16
}

// NewAnalyzer returns an empty Analyzer for audio sampled at sampleRate Hz.
func NewAnalyzer(sampleRate int) *Analyzer { return &Analyzer{rate: sampleRate} }

// WriteInt16 adds linear samples.
func (a *Analyzer) WriteInt16(samples []int16) {
	a.mu.Lock()
	a.samples = append(a.samples, samples...)
	a.mu.Unlock()
}

// WriteG711 decodes one G.711 payload with law and adds it.
func (a *Analyzer) WriteG711(law Law, payload []byte) {
	a.mu.Lock()
	a.samples = g711.DecodeFrame(a.samples, payload, law.decoder())
	a.mu.Unlock()
}

// Reset forgets everything written so far, so that the next measurement covers only
// what arrives from now on (after a hold, a codec change…).
func (a *Analyzer) Reset() {
	a.mu.Lock()
	a.samples = nil
	a.mu.Unlock()
}

// Duration is how much audio the Analyzer holds.
func (a *Analyzer) Duration() time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	return time.Duration(len(a.samples)) * time.Second / time.Duration(a.rate)
}

// Level measures freq over everything written since the last Reset, in 20 ms blocks.
func (a *Analyzer) Level(freq float64) Level {
	a.mu.Lock()
	samples := a.samples
	a.mu.Unlock() // appends never change what samples already holds
	m := goertzel.NewMeter(freq, float64(a.rate), goertzel.Options{})
	m.WriteInt16(samples)
	r := m.Result()
	return Level{Freq: freq, Ratio: r.Ratio, Blocks: r.Blocks, SignalBlocks: r.SignalBlocks, MaxDBFS: r.MaxDBFS}
}

// Present reports whether freq is present (see Level.Present).
func (a *Analyzer) Present(freq float64) bool { return a.Level(freq).Present() }

// RTPReader yields received RTP packets; pion's *webrtc.TrackRemote is one.
type RTPReader interface {
	ReadRTP() (*rtp.Packet, interceptor.Attributes, error)
}

// ReceiveG711 reads r until it fails (its peer connection closed) and writes the
// payloads of payload type pt, decoded with law, into a; other payload types
// (telephone-event, comfort noise) are not audio and are left out.
func ReceiveG711(r RTPReader, law Law, pt uint8, a *Analyzer) error {
	for {
		p, _, err := r.ReadRTP()
		if err != nil {
			return err
		}
		if p.PayloadType == pt {
			a.WriteG711(law, p.Payload)
		}
	}
}
