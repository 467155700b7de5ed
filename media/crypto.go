package media

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/pion/srtp/v3"
)

// CryptoSuite is an SRTP crypto suite that SDES (RFC 4568) can name.
type CryptoSuite struct {
	Name    string // as written in a=crypto
	Profile srtp.ProtectionProfile
	KeyLen  int // master key bytes
	SaltLen int // master salt bytes
}

// The suites we offer and accept, in our order of preference. AES_CM_128_HMAC_SHA1_80
// comes first: every SDES PBX has it (RFC 4568 6.2.1), and the 80-bit tag is the
// stronger of the two HMAC variants (RFC 3711 5.2).
var (
	SuiteAESCM128SHA1_80 = CryptoSuite{Name: "AES_CM_128_HMAC_SHA1_80", Profile: srtp.ProtectionProfileAes128CmHmacSha1_80, KeyLen: 16, SaltLen: 14}
	SuiteAESCM128SHA1_32 = CryptoSuite{Name: "AES_CM_128_HMAC_SHA1_32", Profile: srtp.ProtectionProfileAes128CmHmacSha1_32, KeyLen: 16, SaltLen: 14}
	SuiteAEADAES128GCM   = CryptoSuite{Name: "AEAD_AES_128_GCM", Profile: srtp.ProtectionProfileAeadAes128Gcm, KeyLen: 16, SaltLen: 12} // RFC 7714 12
)

var cryptoSuites = []CryptoSuite{SuiteAESCM128SHA1_80, SuiteAESCM128SHA1_32, SuiteAEADAES128GCM}

func suiteByName(name string) (CryptoSuite, bool) {
	for _, s := range cryptoSuites {
		if s.Name == name {
			return s, true
		}
	}
	return CryptoSuite{}, false
}

// maxCryptoLine caps one a=crypto value; real ones are under 100 bytes.
const maxCryptoLine = 256

// Crypto is one a=crypto attribute (RFC 4568 9.1) with a single inline master key.
type Crypto struct {
	Tag   int
	Suite CryptoSuite
	Key   []byte // master key followed by master salt
}

// NewCrypto makes our own key for a suite from crypto/rand.
func NewCrypto(tag int, suite CryptoSuite) (Crypto, error) {
	key := make([]byte, suite.KeyLen+suite.SaltLen)
	if _, err := rand.Read(key); err != nil {
		return Crypto{}, fmt.Errorf("make an SRTP key: %w", err)
	}
	return Crypto{Tag: tag, Suite: suite, Key: key}, nil
}

// String writes the attribute's value, as after "a=crypto:".
func (c Crypto) String() string {
	return fmt.Sprintf("%d %s inline:%s", c.Tag, c.Suite.Name, base64.StdEncoding.EncodeToString(c.Key))
}

// masterKey and masterSalt split the inline key.
func (c Crypto) masterKey() []byte  { return c.Key[:c.Suite.KeyLen] }
func (c Crypto) masterSalt() []byte { return c.Key[c.Suite.KeyLen:] }

// LogValue keeps keys out of logs.
func (c Crypto) LogValue() string { return fmt.Sprintf("%d %s inline:<redacted>", c.Tag, c.Suite.Name) }

// ParseCrypto reads the value of an a=crypto attribute (RFC 4568 9.1) strictly. Only
// what we can honour is accepted: a known suite, exactly one inline key of the suite's
// length, no MKI, and no session parameter that changes the protection (RFC 4568 6.3:
// an attribute with a parameter we do not understand is invalid). An error means this
// one attribute is unusable; another in the same SDP may still be.
func ParseCrypto(val string) (Crypto, error) {
	if len(val) > maxCryptoLine {
		return Crypto{}, fmt.Errorf("%w: a=crypto of %d bytes", ErrBadCrypto, len(val))
	}
	f := strings.Fields(val)
	if len(f) < 3 {
		return Crypto{}, fmt.Errorf("%w: %q needs a tag, a suite and a key", ErrBadCrypto, val)
	}
	if len(f[0]) > 9 || !allDigits(f[0]) {
		return Crypto{}, fmt.Errorf("%w: tag %q is not 1 to 9 digits", ErrBadCrypto, f[0])
	}
	tag, _ := strconv.Atoi(f[0])
	suite, ok := suiteByName(f[1])
	if !ok {
		return Crypto{}, fmt.Errorf("%w: suite %q is not supported", ErrBadCrypto, f[1])
	}
	if strings.Contains(f[2], ";") {
		return Crypto{}, fmt.Errorf("%w: more than one master key", ErrBadCrypto)
	}
	info, ok := strings.CutPrefix(f[2], "inline:")
	if !ok {
		return Crypto{}, fmt.Errorf("%w: key method of %q is not inline", ErrBadCrypto, f[2])
	}
	parts := strings.Split(info, "|")
	key, err := decodeKey(parts[0])
	if err != nil || len(key) != suite.KeyLen+suite.SaltLen {
		return Crypto{}, fmt.Errorf("%w: the key is not %d bytes of base64", ErrBadCrypto, suite.KeyLen+suite.SaltLen)
	}
	for _, p := range parts[1:] {
		if strings.Contains(p, ":") {
			return Crypto{}, fmt.Errorf("%w: MKI is not supported", ErrBadCrypto)
		}
		if !validLifetime(p) {
			return Crypto{}, fmt.Errorf("%w: bad key lifetime %q", ErrBadCrypto, p)
		}
	}
	if len(parts) > 2 {
		return Crypto{}, fmt.Errorf("%w: more than one lifetime", ErrBadCrypto)
	}
	for _, sp := range f[3:] {
		if !harmlessSessionParam(sp) {
			return Crypto{}, fmt.Errorf("%w: session parameter %q is not supported", ErrBadCrypto, sp)
		}
	}
	return Crypto{Tag: tag, Suite: suite, Key: key}, nil
}

// decodeKey takes standard base64 with or without padding.
func decodeKey(s string) ([]byte, error) {
	if strings.HasSuffix(s, "=") {
		return base64.StdEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// validLifetime accepts "2^N" (N ≤ 48, the SRTP limit) or a decimal count.
func validLifetime(s string) bool {
	if n, ok := strings.CutPrefix(s, "2^"); ok {
		v, err := strconv.Atoi(n)
		return allDigits(n) && err == nil && v <= 48
	}
	return allDigits(s) && len(s) <= 15
}

// harmlessSessionParam reports session parameters (RFC 4568 6.3) that leave the
// protection as negotiated: a window size hint, and a key derivation rate of 0.
func harmlessSessionParam(p string) bool {
	name, val, _ := strings.Cut(p, "=")
	switch name {
	case "WSH":
		return allDigits(val) && len(val) <= 9
	case "KDR":
		return val == "0"
	}
	return false
}
