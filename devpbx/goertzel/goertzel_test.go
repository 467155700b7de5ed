package goertzel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func sine(n int, freq, rate, amp, phase float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = amp * math.Sin(2*math.Pi*freq*float64(i)/rate+phase)
	}
	return x
}

func toInt16(x []float64) []int16 {
	out := make([]int16, len(x))
	for i, v := range x {
		out[i] = int16(math.Round(v * 32767))
	}
	return out
}

func TestPowerPureToneIsOne(t *testing.T) {
	for _, phase := range []float64{0, 0.3, 1.7} {
		if p := Power(sine(160, 1000, 8000, 0.5, phase), 1000, 8000); math.Abs(p-1) > 1e-9 {
			t.Errorf("phase %v: power %v, want 1", phase, p)
		}
	}
}

func TestPowerOtherFrequencyIsNearZero(t *testing.T) {
	for _, f := range []float64{440, 700, 1300, 2500, 3400} {
		if p := Power(sine(160, f, 8000, 0.5, 0), 1000, 8000); p > 0.02 {
			t.Errorf("%v Hz: power at 1 kHz %v, want ≈0", f, p)
		}
	}
}

func TestPowerSilenceIsZero(t *testing.T) {
	if p := Power(make([]float64, 160), 1000, 8000); p != 0 {
		t.Errorf("silence: %v", p)
	}
	if p := Power(nil, 1000, 8000); p != 0 {
		t.Errorf("empty: %v", p)
	}
}

func TestPowerNoiseIsSmall(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, 800)
	for i := range x {
		x[i] = r.Float64()*2 - 1
	}
	if p := Power(x, 1000, 8000); p > 0.05 {
		t.Errorf("white noise: %v", p)
	}
}

func TestDBFS(t *testing.T) {
	if d := DBFS(sine(160, 1000, 8000, 1, 0)); math.Abs(d-(-3.0103)) > 0.01 {
		t.Errorf("full-scale sine: %v dBFS", d)
	}
	amp := math.Sqrt2 * math.Pow(10, -10.0/20)
	if d := DBFS(sine(160, 1000, 8000, amp, 0)); math.Abs(d+10) > 0.01 {
		t.Errorf("-10 dBFS sine: %v dBFS", d)
	}
	if d := DBFS(make([]float64, 10)); d != SilenceDBFS {
		t.Errorf("silence: %v", d)
	}
}

func TestMeterToneAcrossOddChunks(t *testing.T) {
	m := NewMeter(1000, 8000, Options{})
	x := toInt16(sine(8000, 1000, 8000, 0.3, 0.2))
	// Feed in chunks that do not line up with the 160-sample blocks (e.g. 30 ms packets).
	for i := 0; i < len(x); i += 240 {
		m.WriteInt16(x[i:min(i+240, len(x))])
	}
	r := m.Result()
	if r.Blocks != 50 || r.SignalBlocks != 50 {
		t.Fatalf("blocks %d signal %d, want 50/50", r.Blocks, r.SignalBlocks)
	}
	if r.Ratio < 0.99 {
		t.Errorf("ratio %v, want ≈1", r.Ratio)
	}
	want := 20 * math.Log10(0.3/math.Sqrt2)
	if math.Abs(r.MaxDBFS-want) > 0.1 {
		t.Errorf("max %v dBFS, want %v", r.MaxDBFS, want)
	}
}

func TestMeterIgnoresSilentBlocks(t *testing.T) {
	m := NewMeter(1000, 8000, Options{})
	m.WriteInt16(make([]int16, 1600))                    // 10 silent blocks
	m.WriteInt16(toInt16(sine(320, 1000, 8000, 0.5, 0))) // 2 tone blocks
	r := m.Result()
	if r.Blocks != 12 || r.SignalBlocks != 2 {
		t.Fatalf("blocks %d signal %d", r.Blocks, r.SignalBlocks)
	}
	if r.Ratio < 0.99 {
		t.Errorf("ratio %v", r.Ratio)
	}
}

func TestMeterSilenceAndOtherTone(t *testing.T) {
	m := NewMeter(1000, 8000, Options{})
	m.WriteInt16(make([]int16, 800))
	if r := m.Result(); r.Ratio != 0 || r.SignalBlocks != 0 || r.MaxDBFS != SilenceDBFS {
		t.Errorf("silence: %+v", r)
	}
	m2 := NewMeter(1000, 8000, Options{})
	m2.WriteInt16(toInt16(sine(1600, 440, 8000, 0.5, 0)))
	if r := m2.Result(); r.Ratio > 0.02 || r.SignalBlocks != 10 {
		t.Errorf("440 Hz: %+v", r)
	}
}

// TestMeterFirstToneBlock: silence and another frequency do not count; the first block
// that is mostly the tone is the one named.
func TestMeterFirstToneBlock(t *testing.T) {
	m := NewMeter(1000, 8000, Options{})
	m.WriteInt16(make([]int16, 3*160))                    // blocks 1-3: silence
	m.WriteInt16(toInt16(sine(2*160, 440, 8000, 0.3, 0))) // 4-5: 440 Hz
	if got := m.FirstToneBlock(); got != 0 {
		t.Fatalf("first tone block %d before any tone", got)
	}
	m.WriteInt16(toInt16(sine(3*160, 1000, 8000, 0.3, 0))) // 6-8: the tone
	if got := m.FirstToneBlock(); got != 6 {
		t.Fatalf("first tone block %d, want 6", got)
	}
}

func ExamplePower() {
	x := make([]float64, 160)
	for i := range x {
		x[i] = 0.5 * math.Sin(2*math.Pi*1000*float64(i)/8000)
	}
	fmt.Printf("%.2f\n", Power(x, 1000, 8000))
	// Output: 1.00
}
