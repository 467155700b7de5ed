package messaging

import (
	"encoding/binary"
	"fmt"
	"io"
	"sync"
)

// Size caps from the native-messaging rules: the browser refuses host messages over
// 1 MiB, and the host refuses browser messages over 64 KiB (nothing it needs is larger).
const (
	MaxIncoming = 64 << 10
	MaxOutgoing = 1 << 20
)

// Reader reads frames from the browser.
type Reader struct {
	r     io.Reader
	limit uint32
}

// NewReader returns a Reader with the MaxIncoming cap.
func NewReader(r io.Reader) *Reader { return &Reader{r: r, limit: MaxIncoming} }

// NewReaderSize returns a Reader with another cap: the browser's side of the port (a
// tool that talks to the host as the browser would) reads frames up to MaxOutgoing.
func NewReaderSize(r io.Reader, limit uint32) *Reader { return &Reader{r: r, limit: limit} }

// ReadFrame returns the next frame's payload. It returns io.EOF on a clean end of input
// (the browser closed the port), io.ErrUnexpectedEOF on a truncated frame, and a
// *FrameError wrapping ErrTooLarge for a frame over the cap, after discarding its bytes.
func (r *Reader) ReadFrame() ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r.r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.NativeEndian.Uint32(hdr[:])
	if n > r.limit {
		if _, err := io.CopyN(io.Discard, r.r, int64(n)); err != nil {
			return nil, noEOF(err)
		}
		return nil, &FrameError{Size: n, Limit: r.limit, Err: ErrTooLarge}
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r.r, buf); err != nil {
		return nil, noEOF(err)
	}
	return buf, nil
}

// noEOF turns an EOF in the middle of a frame into ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Writer writes frames to the browser. It is safe for concurrent use: each frame is
// written whole.
type Writer struct {
	mu sync.Mutex
	w  io.Writer
}

// NewWriter returns a Writer.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Discard makes every later write a no-op. After the browser closed the port nobody
// reads the pipe, and a write to a pipe whose reader is stuck (not gone) would block the
// hang-up and unregistration forever.
func (w *Writer) Discard() {
	w.mu.Lock()
	w.w = io.Discard
	w.mu.Unlock()
}

// Redirect sends every later frame to to instead: the browser's port now reaches the
// host through another stream (a successor host relays it, see nativehost/handover).
func (w *Writer) Redirect(to io.Writer) {
	w.mu.Lock()
	w.w = to
	w.mu.Unlock()
}

// WriteFrame writes one frame. Payloads over MaxOutgoing are refused, because the
// browser would close the port on them.
func (w *Writer) WriteFrame(payload []byte) error {
	if len(payload) > MaxOutgoing {
		return &FrameError{Size: uint32(len(payload)), Limit: MaxOutgoing, Err: ErrTooLarge}
	}
	buf := make([]byte, 4+len(payload))
	binary.NativeEndian.PutUint32(buf, uint32(len(payload)))
	copy(buf[4:], payload)
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.w.Write(buf); err != nil {
		return fmt.Errorf("write frame: %w", err)
	}
	return nil
}
