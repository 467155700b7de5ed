// Package goertzel measures how much of a signal's energy sits at one frequency.
// devpbx uses it to prove that a caller's test tone really arrived.
package goertzel

import "math"

// SilenceDBFS is the level reported for digital silence; quieter blocks do not count.
const SilenceDBFS = -120.0

// DefaultSignalDBFS is the block level below which a block is treated as silence and
// left out of the tone average (comfort noise and idle μ-law codes stay below it).
const DefaultSignalDBFS = -55.0

// Power returns the normalized Goertzel power of x at freq: the energy in that
// frequency divided by the block's total energy. A pure tone at freq whose block holds
// a whole number of periods gives 1.0; silence gives 0; other frequencies give ≈0.
func Power(x []float64, freq, sampleRate float64) float64 {
	n := len(x)
	if n == 0 {
		return 0
	}
	w := 2 * math.Pi * freq / sampleRate
	coeff := 2 * math.Cos(w)
	var s1, s2, energy float64
	for _, v := range x {
		s0 := v + coeff*s1 - s2
		s2, s1 = s1, s0
		energy += v * v
	}
	if energy == 0 {
		return 0
	}
	// |X(f)|² from the last two states of the recurrence.
	mag2 := s1*s1 + s2*s2 - coeff*s1*s2
	// A sine of amplitude A over n samples has |X|² = (A·n/2)² and energy A²·n/2,
	// so 2|X|²/(n·energy) is 1 for a pure tone (Parseval).
	r := 2 * mag2 / (float64(n) * energy)
	return min(max(r, 0), 1)
}

// DBFS returns the RMS level of x (samples in [-1, 1]) in dB relative to full scale,
// the same convention as WebAudio measurements: a full-scale sine is about -3 dBFS.
func DBFS(x []float64) float64 {
	if len(x) == 0 {
		return SilenceDBFS
	}
	var sum float64
	for _, v := range x {
		sum += v * v
	}
	rms := math.Sqrt(sum / float64(len(x)))
	if rms == 0 {
		return SilenceDBFS
	}
	return max(20*math.Log10(rms), SilenceDBFS)
}

// Meter cuts a stream of samples into fixed blocks and keeps, over the whole stream,
// the average tone ratio of the blocks that carried signal and the loudest block.
// It is not safe for concurrent use.
type Meter struct {
	freq, rate float64
	block      []float64
	size       int
	threshold  float64

	blocks       int
	signalBlocks int
	ratioSum     float64
	maxDBFS      float64
	firstTone    int // the block number (from 1) of the first signal block that is mostly the tone; 0: none yet
}

// ToneBlockRatio is how much of a signal block's energy must be at the frequency for
// the block to count as the tone (FirstToneBlock).
const ToneBlockRatio = 0.5

// Options tune a Meter; the zero value means the defaults.
type Options struct {
	// BlockSize in samples; default 20 ms at the sample rate.
	BlockSize int
	// SignalDBFS is the level a block must exceed to count as signal; default
	// DefaultSignalDBFS.
	SignalDBFS float64
}

// NewMeter returns a Meter for freq in a stream sampled at sampleRate.
func NewMeter(freq, sampleRate float64, opts Options) *Meter {
	size := opts.BlockSize
	if size <= 0 {
		size = int(sampleRate / 50)
	}
	threshold := opts.SignalDBFS
	if threshold == 0 {
		threshold = DefaultSignalDBFS
	}
	return &Meter{
		freq: freq, rate: sampleRate, size: size, threshold: threshold,
		block: make([]float64, 0, size), maxDBFS: SilenceDBFS,
	}
}

// WriteInt16 adds 16-bit linear samples to the stream.
func (m *Meter) WriteInt16(samples []int16) {
	for _, s := range samples {
		m.block = append(m.block, float64(s)/32768)
		if len(m.block) == m.size {
			m.finishBlock()
		}
	}
}

func (m *Meter) finishBlock() {
	level := DBFS(m.block)
	m.blocks++
	m.maxDBFS = max(m.maxDBFS, level)
	if level > m.threshold {
		m.signalBlocks++
		r := Power(m.block, m.freq, m.rate)
		m.ratioSum += r
		if m.firstTone == 0 && r >= ToneBlockRatio {
			m.firstTone = m.blocks
		}
	}
	m.block = m.block[:0]
}

// FirstToneBlock is the number (from 1) of the first block louder than the signal
// threshold with at least ToneBlockRatio of its energy at the frequency; 0 until one.
func (m *Meter) FirstToneBlock() int { return m.firstTone }

// Result is what a Meter has seen so far.
type Result struct {
	// Blocks is the number of complete blocks measured.
	Blocks int
	// SignalBlocks is how many of them were louder than the signal threshold.
	SignalBlocks int
	// Ratio is the mean tone ratio over the signal blocks (0 without any).
	Ratio float64
	// MaxDBFS is the level of the loudest block (SilenceDBFS without any).
	MaxDBFS float64
}

// Result returns the measurement so far; samples of an incomplete block are not in it.
func (m *Meter) Result() Result {
	r := Result{Blocks: m.blocks, SignalBlocks: m.signalBlocks, MaxDBFS: m.maxDBFS}
	if m.signalBlocks > 0 {
		r.Ratio = m.ratioSum / float64(m.signalBlocks)
	}
	return r
}
