package digest

import "errors"

var (
	// ErrNotDigest means the header uses another scheme (e.g. Basic).
	ErrNotDigest = errors.New("digest: not a Digest header")
	// ErrMalformed means the header could not be parsed or misses a required field.
	ErrMalformed = errors.New("digest: malformed credentials")
	// ErrUnsupported means a well-formed header asks for something devpbx does not do,
	// such as SHA-256, MD5-sess or qop=auth-int.
	ErrUnsupported = errors.New("digest: unsupported algorithm or qop")
)
