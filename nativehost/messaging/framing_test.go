package messaging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

func frame(payload []byte) []byte {
	b := make([]byte, 4+len(payload))
	binary.NativeEndian.PutUint32(b, uint32(len(payload)))
	copy(b[4:], payload)
	return b
}

func TestReadFrameRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, p := range []string{`{"type":"hello"}`, `{}`, ""} {
		if err := w.WriteFrame([]byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	r := NewReader(&buf)
	for _, want := range []string{`{"type":"hello"}`, `{}`, ""} {
		got, err := r.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Fatalf("got %q want %q", got, want)
		}
	}
	if _, err := r.ReadFrame(); err != io.EOF {
		t.Fatalf("after last frame: %v, want io.EOF", err)
	}
}

func TestReadFrameSizes(t *testing.T) {
	exact := bytes.Repeat([]byte("a"), MaxIncoming)
	over := bytes.Repeat([]byte("b"), MaxIncoming+1)
	in := append(append(frame(exact), frame(over)...), frame([]byte(`{"type":"ping"}`))...)
	r := NewReader(bytes.NewReader(in))

	got, err := r.ReadFrame()
	if err != nil || len(got) != MaxIncoming {
		t.Fatalf("frame at the cap: len %d err %v", len(got), err)
	}
	_, err = r.ReadFrame()
	var fe *FrameError
	if !errors.Is(err, ErrTooLarge) || !errors.As(err, &fe) || fe.Size != MaxIncoming+1 {
		t.Fatalf("frame over the cap: %v", err)
	}
	got, err = r.ReadFrame()
	if err != nil || string(got) != `{"type":"ping"}` {
		t.Fatalf("frame after the oversized one: %q %v", got, err)
	}
}

func TestReadFrameTruncated(t *testing.T) {
	cases := map[string][]byte{
		"short header": {1, 0},
		"short body":   frame([]byte(`{"type":"hello"}`))[:10],
		"huge body cut": func() []byte {
			b := make([]byte, 4, 8)
			binary.NativeEndian.PutUint32(b, MaxIncoming+10)
			return append(b, "abcd"...)
		}(),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := NewReader(bytes.NewReader(in)).ReadFrame()
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("got %v, want io.ErrUnexpectedEOF", err)
			}
		})
	}
}

func TestWriteFrameCap(t *testing.T) {
	var buf bytes.Buffer
	err := NewWriter(&buf).WriteFrame(bytes.Repeat([]byte("x"), MaxOutgoing+1))
	if !errors.Is(err, ErrTooLarge) || buf.Len() != 0 {
		t.Fatalf("oversized outgoing frame: err %v, wrote %d bytes", err, buf.Len())
	}
}

// FuzzFraming feeds arbitrary bytes to the reader: it may return errors but must never
// panic, never return a frame over the cap, and always make progress.
func FuzzFraming(f *testing.F) {
	f.Add(frame([]byte(`{"type":"hello","id":1,"data":{"protocol":1}}`)))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add(frame([]byte(`{"type":`)))
	f.Add(append(frame([]byte(`{}`)), 3, 0))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader(bytes.NewReader(in))
		for i := 0; i <= len(in); i++ {
			p, err := r.ReadFrame()
			if err != nil {
				if errors.Is(err, ErrTooLarge) {
					continue
				}
				return
			}
			if len(p) > MaxIncoming {
				t.Fatalf("frame of %d bytes passed the cap", len(p))
			}
		}
		t.Fatalf("reader made no progress over %d bytes", len(in))
	})
}
