// Package digest implements the server side of HTTP Digest authentication as SIP uses
// it (RFC 3261 22.4, RFC 2617, RFC 7616 with MD5 and qop=auth): challenges, parsing
// of credentials and checking the response.
package digest

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
)

// Challenge is one WWW-Authenticate or Proxy-Authenticate value.
type Challenge struct {
	Realm  string
	Nonce  string
	Opaque string
	// Stale tells the client its credentials were right but the nonce expired, so it
	// may retry at once without asking the user (RFC 7616 3.3).
	Stale bool
}

// String formats the challenge with algorithm=MD5 and qop="auth".
func (c Challenge) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Digest realm=%s, nonce=%s, algorithm=MD5, qop=\"auth\"", quote(c.Realm), quote(c.Nonce))
	if c.Opaque != "" {
		fmt.Fprintf(&b, ", opaque=%s", quote(c.Opaque))
	}
	if c.Stale {
		b.WriteString(", stale=TRUE")
	}
	return b.String()
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// Credentials are the fields of one Authorization or Proxy-Authorization value.
type Credentials struct {
	Username  string
	Realm     string
	Nonce     string
	URI       string
	Response  string
	Algorithm string
	Opaque    string
	QOP       string
	NC        string
	CNonce    string
}

// ParseCredentials parses a `Digest k=v, k="v", ...` header value. It checks that the
// fields needed to verify the response are present and that algorithm and qop are ones
// this package supports (MD5; auth or none).
func ParseCredentials(header string) (Credentials, error) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(header), " ")
	if !strings.EqualFold(scheme, "Digest") {
		return Credentials{}, ErrNotDigest
	}
	params, err := parseParams(rest)
	if err != nil {
		return Credentials{}, err
	}
	c := Credentials{
		Username:  params["username"],
		Realm:     params["realm"],
		Nonce:     params["nonce"],
		URI:       params["uri"],
		Response:  params["response"],
		Algorithm: params["algorithm"],
		Opaque:    params["opaque"],
		QOP:       params["qop"],
		NC:        params["nc"],
		CNonce:    params["cnonce"],
	}
	for name, v := range map[string]string{"username": c.Username, "realm": c.Realm, "nonce": c.Nonce, "uri": c.URI, "response": c.Response} {
		if v == "" {
			return Credentials{}, fmt.Errorf("%w: no %s", ErrMalformed, name)
		}
	}
	if c.Algorithm != "" && !strings.EqualFold(c.Algorithm, "MD5") {
		return Credentials{}, fmt.Errorf("%w: algorithm %q", ErrUnsupported, c.Algorithm)
	}
	switch strings.ToLower(c.QOP) {
	case "":
		// RFC 2069 compatibility: the response covers only nonce and HA2.
	case "auth":
		if c.NC == "" || c.CNonce == "" {
			return Credentials{}, fmt.Errorf("%w: qop=auth without nc or cnonce", ErrMalformed)
		}
	default:
		return Credentials{}, fmt.Errorf("%w: qop %q", ErrUnsupported, c.QOP)
	}
	return c, nil
}

// parseParams splits `k=v, k="quoted \" v"` into a map with lower-case keys.
func parseParams(s string) (map[string]string, error) {
	params := make(map[string]string)
	i := 0
	for {
		// Skip separators and whitespace between parameters.
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == ',') {
			i++
		}
		if i == len(s) {
			return params, nil
		}
		eq := strings.IndexByte(s[i:], '=')
		if eq <= 0 {
			return nil, fmt.Errorf("%w: parameter without value at %d", ErrMalformed, i)
		}
		name := strings.ToLower(strings.TrimSpace(s[i : i+eq]))
		if name == "" || strings.ContainsAny(name, " \t,\"") {
			return nil, fmt.Errorf("%w: bad parameter name %q", ErrMalformed, name)
		}
		i += eq + 1
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		var value string
		if i < len(s) && s[i] == '"' {
			var b strings.Builder
			i++
			closed := false
			for i < len(s) {
				ch := s[i]
				if ch == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				i++
				if ch == '"' {
					closed = true
					break
				}
				b.WriteByte(ch)
			}
			if !closed {
				return nil, fmt.Errorf("%w: unterminated quoted value of %s", ErrMalformed, name)
			}
			value = b.String()
		} else {
			end := strings.IndexByte(s[i:], ',')
			if end < 0 {
				end = len(s) - i
			}
			value = strings.TrimSpace(s[i : i+end])
			i += end
		}
		if _, dup := params[name]; dup {
			return nil, fmt.Errorf("%w: duplicate parameter %s", ErrMalformed, name)
		}
		params[name] = value
		// After a value only whitespace and a comma may follow.
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i < len(s) && s[i] != ',' {
			return nil, fmt.Errorf("%w: junk after %s", ErrMalformed, name)
		}
	}
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// ExpectedResponse computes the response a client knowing password must send for
// these credentials and the request method (RFC 2617 3.2.2.1).
func ExpectedResponse(c Credentials, method, password string) string {
	ha1 := md5Hex(c.Username + ":" + c.Realm + ":" + password)
	ha2 := md5Hex(method + ":" + c.URI)
	if c.QOP == "" {
		return md5Hex(ha1 + ":" + c.Nonce + ":" + ha2)
	}
	return md5Hex(ha1 + ":" + c.Nonce + ":" + c.NC + ":" + c.CNonce + ":" + strings.ToLower(c.QOP) + ":" + ha2)
}

// Verify reports whether the credentials' response matches password, in constant time.
func (c Credentials) Verify(method, password string) bool {
	want := ExpectedResponse(c, method, password)
	got := strings.ToLower(c.Response)
	return subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}
