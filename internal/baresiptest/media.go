package baresiptest

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/tabphone/tabphone/internal/audiotest"
)

// Recordings returns the WAV files of the audio baresip decoded (what it received),
// one per call, oldest first; Options.Record must be set. baresip names them by the
// second the call's audio started (dump-YYYY-MM-DD-hh-mm-ss-dec.wav), so two calls
// starting in the same second share one file.
func (b *Baresip) Recordings() []string {
	files, _ := filepath.Glob(filepath.Join(b.dir, "dump-*-dec.wav"))
	slices.Sort(files)
	return files
}

// ReceivedTone measures freq in the newest recording, which baresip may still be
// writing (the call need not have ended).
func (b *Baresip) ReceivedTone(freq float64) (audiotest.Level, error) {
	files := b.Recordings()
	if len(files) == 0 {
		return audiotest.Level{Freq: freq}, fmt.Errorf("baresip %s: no recording (is Options.Record set, has a call started?)", b.User)
	}
	a, err := audiotest.AnalyzeWAV(files[len(files)-1])
	if err != nil {
		return audiotest.Level{Freq: freq}, err
	}
	return a.Level(freq), nil
}

// ReceivedToneLast measures freq in the last `last` of the newest recording only, for
// audio that changed during the call (a conference merged mid-call).
func (b *Baresip) ReceivedToneLast(freq float64, last time.Duration) (audiotest.Level, error) {
	files := b.Recordings()
	if len(files) == 0 {
		return audiotest.Level{Freq: freq}, fmt.Errorf("baresip %s: no recording (is Options.Record set, has a call started?)", b.User)
	}
	w, err := audiotest.ReadWAV(files[len(files)-1])
	if err != nil {
		return audiotest.Level{Freq: freq}, err
	}
	n := int(last.Seconds() * float64(w.Rate))
	samples := w.Samples
	if n > 0 && n < len(samples) {
		samples = samples[len(samples)-n:]
	}
	a := audiotest.NewAnalyzer(w.Rate)
	a.WriteInt16(samples)
	return a.Level(freq), nil
}

// WaitTone polls the newest recording until freq is present in it, and fails the test
// with the level it reached if that takes longer than timeout.
func (b *Baresip) WaitTone(freq float64, timeout time.Duration) audiotest.Level {
	b.t.Helper()
	end := time.Now().Add(timeout)
	for {
		l, err := b.ReceivedTone(freq)
		if err == nil && l.Present() {
			return l
		}
		if time.Now().After(end) {
			b.t.Fatalf("baresip %s did not receive %v Hz in %v: %v %v", b.User, freq, timeout, l, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// RTCP is what baresip reported on receiving an RTCP sender report (a CALL_RTCP
// event: baresip 1.0 emits one per SR or APP packet received, none for a lone
// receiver report): libre's statistics of the call's audio stream at that moment.
type RTCP struct {
	CallID string
	At     time.Time
	// TX is baresip's own stream: packets it sent, and the loss and jitter
	// (microseconds) the peer reported in its reception report.
	TX RTCPFigures
	// RX is the peer's stream as baresip saw it: Sent counts the packets baresip
	// received, Lost those missing, Jitter in microseconds.
	RX  RTCPFigures
	RTT int // round-trip time from the peer's reports, microseconds (0: not known)
}

// RTCPFigures are one direction's counters in an RTCP event.
type RTCPFigures struct {
	Sent   int `json:"sent"`
	Lost   int `json:"lost"`
	Jitter int `json:"jit"`
}

// RTCPReceived lists the RTCP sender reports baresip received in the call with
// Call-ID callID (every call when empty), oldest first.
func (b *Baresip) RTCPReceived(callID string) []RTCP {
	var out []RTCP
	for _, e := range b.Events() {
		if e.Type != "CALL_RTCP" || (callID != "" && e.ID != callID) {
			continue
		}
		var raw struct {
			Stats struct {
				TX  RTCPFigures `json:"tx"`
				RX  RTCPFigures `json:"rx"`
				RTT int         `json:"rtt"`
			} `json:"rtcp_stats"`
		}
		_ = json.Unmarshal([]byte(e.Raw), &raw)
		out = append(out, RTCP{CallID: e.ID, At: e.At, TX: raw.Stats.TX, RX: raw.Stats.RX, RTT: raw.Stats.RTT})
	}
	return out
}
