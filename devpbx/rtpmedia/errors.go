package rtpmedia

import "errors"

var (
	// ErrBusy means the session already sends (it echoes, or a tone runs).
	ErrBusy = errors.New("rtpmedia: session already sends")
	// ErrCodec means the operation needs a codec devpbx can encode (PCMU or PCMA).
	ErrCodec = errors.New("rtpmedia: codec cannot carry a generated tone")
)
