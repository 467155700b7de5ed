package audiotest

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// makeWAV returns a 16-bit PCM WAV; dataSize < 0 writes the real size, otherwise that
// value (0 as in a file still being recorded).
func makeWAV(rate, channels int, samples []int16, dataSize int) []byte {
	data := make([]byte, 0, len(samples)*2*channels)
	for _, s := range samples {
		for range channels {
			data = binary.LittleEndian.AppendUint16(data, uint16(s))
		}
	}
	if dataSize < 0 {
		dataSize = len(data)
	}
	b := []byte("RIFF\x00\x00\x00\x00WAVE")
	b = append(b, "fmt "...)
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, uint16(channels))
	b = binary.LittleEndian.AppendUint32(b, uint32(rate))
	b = binary.LittleEndian.AppendUint32(b, uint32(rate*channels*2))
	b = binary.LittleEndian.AppendUint16(b, uint16(channels*2))
	b = binary.LittleEndian.AppendUint16(b, 16)
	b = append(b, "LIST\x03\x00\x00\x00abc\x00"...) // an odd-sized chunk, padded
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(dataSize))
	return append(b, data...)
}

func sine(freq float64, rate, n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(16000 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return out
}

func TestReadWAV(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name     string
		channels int
		size     int
	}{{"mono", 1, -1}, {"stereo", 2, -1}, {"unfinished", 1, 0}} {
		path := filepath.Join(dir, c.name+".wav")
		if err := os.WriteFile(path, makeWAV(16000, c.channels, sine(1000, 16000, 16000), c.size), 0o600); err != nil {
			t.Fatal(err)
		}
		w, err := ReadWAV(path)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if w.Rate != 16000 || w.Channels != c.channels || len(w.Samples) != 16000 {
			t.Fatalf("%s: %d Hz, %d channels, %d samples", c.name, w.Rate, w.Channels, len(w.Samples))
		}
		a, err := AnalyzeWAV(path)
		if err != nil {
			t.Fatal(err)
		}
		if l := a.Level(1000); !l.Present() {
			t.Fatalf("%s: %v", c.name, l)
		}
		if l := a.Level(440); l.Present() {
			t.Fatalf("%s: 440 Hz: %v", c.name, l)
		}
	}
}

func TestReadWAVRejects(t *testing.T) {
	good := makeWAV(8000, 1, sine(440, 8000, 100), -1)
	eightBit := append([]byte(nil), good...)
	eightBit[34] = 8
	for name, b := range map[string][]byte{
		"empty":    nil,
		"not RIFF": []byte("RIFX\x00\x00\x00\x00WAVEfmt "),
		"no data":  good[:36],
		"8 bit":    eightBit,
		"no fmt":   []byte("RIFF\x00\x00\x00\x00WAVEdata\x02\x00\x00\x00\x01\x02"),
		"too long": append(good[:12:12], "fmt \xff\x00\x00\x00"...),
	} {
		if _, err := parseWAV(b); !errors.Is(err, ErrWAV) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzParseWAV: no file makes the reader panic or return samples it did not hold.
func FuzzParseWAV(f *testing.F) {
	f.Add(makeWAV(8000, 1, sine(440, 8000, 20), -1))
	f.Add(makeWAV(48000, 2, sine(440, 48000, 20), 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := parseWAV(b)
		if err == nil && len(w.Samples)*2*w.Channels > len(b) {
			t.Fatalf("%d samples of %d channels from %d bytes", len(w.Samples), w.Channels, len(b))
		}
	})
}
