package audiotest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
)

// ErrWAV is a file that is not 16-bit PCM WAV.
var ErrWAV = errors.New("audiotest: not a 16-bit PCM WAV file")

// WAV is the audio of a WAV file.
type WAV struct {
	Rate, Channels int
	// Samples holds the first channel.
	Samples []int16
}

// ReadWAV reads a 16-bit PCM WAV file. A file still being written (baresip's sndfile
// updates the sizes in the header only when the call ends) is read up to its current
// end, whole frames only.
func ReadWAV(path string) (WAV, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return WAV{}, err
	}
	return parseWAV(b)
}

func parseWAV(b []byte) (WAV, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return WAV{}, fmt.Errorf("%w: no RIFF/WAVE header", ErrWAV)
	}
	var w WAV
	bits := 0
	rest := b[12:]
	for len(rest) >= 8 {
		id, size := string(rest[:4]), int(binary.LittleEndian.Uint32(rest[4:8]))
		body := rest[8:]
		if id == "data" {
			if w.Channels == 0 {
				return WAV{}, fmt.Errorf("%w: data before fmt", ErrWAV)
			}
			if size == 0 || size > len(body) { // not finished: take what is there
				size = len(body)
			}
			frame := 2 * w.Channels
			body = body[:size-size%frame]
			w.Samples = make([]int16, 0, len(body)/frame)
			for i := 0; i+frame <= len(body); i += frame {
				w.Samples = append(w.Samples, int16(binary.LittleEndian.Uint16(body[i:])))
			}
			return w, nil
		}
		if size > len(body) {
			return WAV{}, fmt.Errorf("%w: chunk %q runs past the end", ErrWAV, id)
		}
		if id == "fmt " {
			if size < 16 {
				return WAV{}, fmt.Errorf("%w: short fmt chunk", ErrWAV)
			}
			format := binary.LittleEndian.Uint16(body[0:2])
			w.Channels = int(binary.LittleEndian.Uint16(body[2:4]))
			w.Rate = int(binary.LittleEndian.Uint32(body[4:8]))
			bits = int(binary.LittleEndian.Uint16(body[14:16]))
			// 1 is PCM; 0xFFFE (extensible) carries PCM too in the files we read.
			if (format != 1 && format != 0xFFFE) || bits != 16 || w.Channels < 1 || w.Rate < 1 {
				return WAV{}, fmt.Errorf("%w: format %d, %d bits, %d channels, %d Hz", ErrWAV, format, bits, w.Channels, w.Rate)
			}
		}
		rest = body[min(size+size%2, len(body)):] // chunks are padded to even sizes
	}
	return WAV{}, fmt.Errorf("%w: no data chunk", ErrWAV)
}

// AnalyzeWAV returns an Analyzer holding the first channel of the WAV file at path.
func AnalyzeWAV(path string) (*Analyzer, error) {
	w, err := ReadWAV(path)
	if err != nil {
		return nil, err
	}
	a := NewAnalyzer(w.Rate)
	a.WriteInt16(w.Samples)
	return a, nil
}
