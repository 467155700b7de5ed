// Package sipauth authenticates SIP requests against devpbx's users with Digest
// (RFC 3261 22) and counts failed attempts per user so tests can see them.
package sipauth

import (
	"errors"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/tabphone/tabphone/devpbx/digest"
	"github.com/tabphone/tabphone/devpbx/users"
)

// Realm is devpbx's authentication realm.
const Realm = "devpbx"

// NonceLifetime is how long a challenge's nonce stays valid.
const NonceLifetime = 5 * time.Minute

// maxFailureKeys bounds the failure table: user names come from the network.
const maxFailureKeys = 1000

// otherUsers collects failures for names beyond maxFailureKeys.
const otherUsers = "*other*"

// Mode picks the header pair and status code of a challenge.
type Mode int

const (
	// Registrar challenges with 401 and WWW-Authenticate, answered by Authorization
	// (RFC 3261 22.2): used for REGISTER.
	Registrar Mode = iota
	// Proxy challenges with 407 and Proxy-Authenticate, answered by
	// Proxy-Authorization (RFC 3261 22.3): used for INVITE.
	Proxy
)

// Authenticator checks Digest credentials. It is safe for concurrent use.
type Authenticator struct {
	users  *users.Directory
	nonces *digest.Nonces
	log    *slog.Logger

	mu       sync.Mutex
	failures map[string]int
}

// New returns an Authenticator for the users in dir; log may be nil.
func New(dir *users.Directory, log *slog.Logger) *Authenticator {
	if log == nil {
		log = slog.Default()
	}
	return &Authenticator{
		users:    dir,
		nonces:   digest.NewNonces(NonceLifetime, nil),
		log:      log,
		failures: make(map[string]int),
	}
}

// Check authenticates req. It returns the user name, or a response to send instead:
// a challenge (401/407, also when the nonce is stale), 403 Forbidden when a digest was
// given but does not match (counted as a failure), or 400 for unreadable credentials.
func (a *Authenticator) Check(req *sip.Request, mode Mode) (string, *sip.Response) {
	creds, found, err := a.credentials(req, mode)
	switch {
	case errors.Is(err, digest.ErrMalformed):
		return "", sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Request (malformed credentials)", nil)
	case err != nil || !found:
		// No credentials for our realm, or a scheme/algorithm we do not do: challenge.
		return "", a.challenge(req, mode, false)
	}
	password, known := a.users.Password(creds.Username)
	if !known || !creds.Verify(req.Method.String(), password) {
		a.fail(creds.Username)
		a.log.Warn("authentication failed", "user", creds.Username, "method", req.Method, "source", req.Source(), "known_user", known)
		return "", sip.NewResponseFromRequest(req, sip.StatusForbidden, "Forbidden", nil)
	}
	if !a.nonces.Valid(creds.Nonce) {
		// The password was right but the nonce is not one of ours (any more).
		return "", a.challenge(req, mode, true)
	}
	return creds.Username, nil
}

// credentials finds the Digest credentials for our realm in the header that mode uses.
func (a *Authenticator) credentials(req *sip.Request, mode Mode) (digest.Credentials, bool, error) {
	names := []string{"Authorization"}
	if mode == Proxy {
		// Some clients answer a 407 with Authorization; accept it as well.
		names = []string{"Proxy-Authorization", "Authorization"}
	}
	var firstErr error
	for _, name := range names {
		for _, h := range req.GetHeaders(name) {
			c, err := digest.ParseCredentials(h.Value())
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			if c.Realm == Realm {
				return c, true, nil
			}
		}
	}
	return digest.Credentials{}, false, firstErr
}

func (a *Authenticator) challenge(req *sip.Request, mode Mode, stale bool) *sip.Response {
	chal := digest.Challenge{Realm: Realm, Nonce: a.nonces.New(), Stale: stale}
	status, reason, header := sip.StatusUnauthorized, "Unauthorized", "WWW-Authenticate"
	if mode == Proxy {
		status, reason, header = sip.StatusProxyAuthRequired, "Proxy Authentication Required", "Proxy-Authenticate"
	}
	res := sip.NewResponseFromRequest(req, status, reason, nil)
	res.AppendHeader(sip.NewHeader(header, chal.String()))
	return res
}

func (a *Authenticator) fail(user string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.failures[user]; !ok && len(a.failures) >= maxFailureKeys {
		user = otherUsers
	}
	a.failures[user]++
}

// Failures returns the number of failed digests per claimed user name.
func (a *Authenticator) Failures() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.failures)
}
