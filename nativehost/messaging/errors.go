package messaging

import (
	"errors"
	"fmt"
)

// ErrTooLarge reports a frame whose declared length is over the reader's cap. The frame's
// bytes have been consumed, so the next frame can still be read.
var ErrTooLarge = errors.New("frame too large")

// FrameError carries the size of a frame that was rejected.
type FrameError struct {
	Size  uint32
	Limit uint32
	Err   error
}

func (e *FrameError) Error() string {
	return fmt.Sprintf("message of %d bytes is over the %d-byte limit", e.Size, e.Limit)
}

func (e *FrameError) Unwrap() error { return e.Err }
