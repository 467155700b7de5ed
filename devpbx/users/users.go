// Package users holds devpbx's user directory: SIP users and their passwords, shared
// by the registrar, the INVITE authentication and the demo web app's login.
package users

import (
	"bufio"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// ErrInvalid is wrapped by every error about the content of a users file.
var ErrInvalid = errors.New("users: invalid users file")

// Directory maps user names to passwords. It is read-only after construction and safe
// for concurrent use.
type Directory struct {
	passwords map[string]string
	names     []string
}

// Parse reads `user:password` lines; blank lines and lines starting with # are
// skipped. The password is everything after the first colon.
func Parse(r io.Reader) (*Directory, error) {
	d := &Directory{passwords: make(map[string]string)}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		user, password, ok := strings.Cut(text, ":")
		user = strings.TrimSpace(user)
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: line %d: want user:password", ErrInvalid, line)
		case !validName(user):
			return nil, fmt.Errorf("%w: line %d: user name %q (letters, digits, . _ - + only)", ErrInvalid, line, user)
		case password == "":
			return nil, fmt.Errorf("%w: line %d: empty password for %s", ErrInvalid, line, user)
		}
		if _, dup := d.passwords[user]; dup {
			return nil, fmt.Errorf("%w: line %d: user %s listed twice", ErrInvalid, line, user)
		}
		d.passwords[user] = password
		d.names = append(d.names, user)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(d.names) == 0 {
		return nil, fmt.Errorf("%w: no users", ErrInvalid)
	}
	return d, nil
}

// Load parses the users file at path.
func Load(path string) (*Directory, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// Generate returns a directory of the given users with random passwords.
func Generate(names ...string) *Directory {
	d := &Directory{passwords: make(map[string]string)}
	for _, n := range names {
		d.passwords[n] = rand.Text()[:16]
		d.names = append(d.names, n)
	}
	return d
}

// validName keeps names usable in SIP URIs, HTTP forms and JSON without escaping.
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case r == '.', r == '_', r == '-', r == '+':
		default:
			return false
		}
	}
	return true
}

// Password returns the password of user.
func (d *Directory) Password(user string) (string, bool) {
	p, ok := d.passwords[user]
	return p, ok
}

// Check reports whether password is user's password, in constant time for known users.
func (d *Directory) Check(user, password string) bool {
	p, ok := d.passwords[user]
	if !ok {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(p), []byte(password)) == 1
}

// Has reports whether user exists.
func (d *Directory) Has(user string) bool {
	_, ok := d.passwords[user]
	return ok
}

// Names returns the users in file order.
func (d *Directory) Names() []string {
	return slices.Clone(d.names)
}
