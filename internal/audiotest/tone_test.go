package audiotest

import (
	"context"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

func TestToneIsPresentOnlyAtItsFrequency(t *testing.T) {
	for _, law := range []Law{PCMU, PCMA} {
		tone := NewTone(law, 1000)
		a := NewAnalyzer(SampleRate)
		for range 50 { // 1 s
			f := tone.Frame()
			if len(f) != FrameSamples {
				t.Fatalf("%v frame of %d bytes", law, len(f))
			}
			a.WriteG711(law, f)
		}
		if l := a.Level(1000); !l.Present() || l.Ratio < 0.95 {
			t.Errorf("%v 1000 Hz: %v", law, l)
		}
		if l := a.Level(440); l.Present() {
			t.Errorf("%v 440 Hz in a 1000 Hz tone: %v", law, l)
		}
		if got := a.Duration(); got != time.Second {
			t.Errorf("%v duration %v", law, got)
		}
		a.Reset()
		if l := a.Level(1000); l.Blocks != 0 || l.Present() {
			t.Errorf("%v after Reset: %v", law, l)
		}
	}
}

// The baseline: silence has no block with signal and noise spreads its energy, so
// neither counts as a tone; two tones mixed are both present.
func TestSilenceNoiseAndTwoTones(t *testing.T) {
	silence := NewAnalyzer(SampleRate)
	silence.WriteInt16(make([]int16, SampleRate))
	if l := silence.Level(1000); l.SignalBlocks != 0 || l.Present() {
		t.Errorf("silence: %v", l)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	noise := NewAnalyzer(SampleRate)
	for range SampleRate {
		noise.WriteInt16([]int16{int16(rng.NormFloat64() * 6000)})
	}
	for _, f := range []float64{440, 1000} {
		if l := noise.Level(f); l.SignalBlocks < 40 || l.Present() || l.Ratio > 0.05 {
			t.Errorf("noise at %v Hz: %v", f, l)
		}
	}
	mix := NewAnalyzer(SampleRate)
	for n := range SampleRate {
		v := 0.3*math.Sin(2*math.Pi*1000*float64(n)/SampleRate) + 0.3*math.Sin(2*math.Pi*440*float64(n)/SampleRate)
		mix.WriteInt16([]int16{int16(v * 32767)})
	}
	for _, f := range []float64{440, 1000} {
		if l := mix.Level(f); !l.Present() {
			t.Errorf("mix at %v Hz: %v", f, l)
		}
	}
	if l := mix.Level(2000); l.Present() {
		t.Errorf("mix at 2000 Hz: %v", l)
	}
}

type fakeWriter struct {
	mu      sync.Mutex
	packets []*rtp.Packet
	fail    error
}

func (w *fakeWriter) WriteRTP(p *rtp.Packet) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fail != nil && len(w.packets) == 3 {
		return w.fail
	}
	w.packets = append(w.packets, p)
	return nil
}

func (w *fakeWriter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.packets)
}

func TestSendPacesConsecutivePackets(t *testing.T) {
	w := &fakeWriter{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- Send(ctx, w, NewTone(PCMA, 440)) }()
	end := time.Now().Add(5 * time.Second)
	for w.count() < 5 && time.Now().Before(end) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ps := w.packets
	if len(ps) < 5 {
		t.Fatalf("%d packets", len(ps))
	}
	for i, p := range ps[1:] {
		if p.SequenceNumber != ps[i].SequenceNumber+1 || p.Timestamp != ps[i].Timestamp+FrameSamples || p.PayloadType != 8 || len(p.Payload) != FrameSamples {
			t.Fatalf("packet %d after %d: %+v after %+v", i+1, i, p.Header, ps[i].Header)
		}
	}
	failing := &fakeWriter{fail: io.ErrClosedPipe}
	if err := Send(context.Background(), failing, NewTone(PCMU, 440)); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("Send on a failing writer: %v", err)
	}
}

type fakeReader struct{ packets []*rtp.Packet }

func (r *fakeReader) ReadRTP() (*rtp.Packet, interceptor.Attributes, error) {
	if len(r.packets) == 0 {
		return nil, nil, io.EOF
	}
	p := r.packets[0]
	r.packets = r.packets[1:]
	return p, nil, nil
}

func TestReceiveG711LeavesOutOtherPayloadTypes(t *testing.T) {
	tone := NewTone(PCMU, 1000)
	r := &fakeReader{}
	for i := range 30 {
		r.packets = append(r.packets, &rtp.Packet{Header: rtp.Header{PayloadType: 0}, Payload: tone.Frame()})
		if i%3 == 0 { // telephone-event: not audio
			r.packets = append(r.packets, &rtp.Packet{Header: rtp.Header{PayloadType: 101}, Payload: []byte{1, 0x8a, 0, 160}})
		}
	}
	a := NewAnalyzer(SampleRate)
	if err := ReceiveG711(r, PCMU, 0, a); !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	if got := a.Duration(); got != 600*time.Millisecond {
		t.Fatalf("kept %v of audio", got)
	}
	if l := a.Level(1000); !l.Present() || l.Ratio < 0.95 {
		t.Fatalf("1000 Hz: %v", l)
	}
}
