// Package registrar is devpbx's SIP registrar (RFC 3261 10.3): it authenticates
// REGISTER requests and keeps each user's contact bindings until they expire.
package registrar

import (
	"cmp"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/tabphone/tabphone/devpbx/sipauth"
)

const (
	// MaxExpires caps the lifetime of a binding, and is the default when a REGISTER
	// gives none.
	MaxExpires = 3600
	// maxBindings bounds the contacts one user can hold.
	maxBindings = 16
)

// Binding is one registered contact of a user.
type Binding struct {
	User string
	// Contact is the contact URI in angle brackets, without header parameters.
	Contact string
	// Source is the address the REGISTER came from (ip:port).
	Source    string
	Transport string
	ExpiresAt time.Time
	// URI is the parsed contact URI (for routing requests to the user).
	URI sip.Uri
}

// Options tune a Registrar; the zero value means the defaults.
type Options struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Log receives registrar events; slog.Default when nil.
	Log *slog.Logger
}

// Registrar holds bindings. It is safe for concurrent use.
type Registrar struct {
	auth *sipauth.Authenticator
	now  func() time.Time
	log  *slog.Logger

	mu       sync.Mutex
	bindings map[string][]Binding // by user
}

// New returns a Registrar that authenticates with auth.
func New(auth *sipauth.Authenticator, opts Options) *Registrar {
	r := &Registrar{auth: auth, now: opts.Now, log: opts.Log, bindings: make(map[string][]Binding)}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	return r
}

func respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string) {
	_ = tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil))
}

// HandleRegister is the sipgo handler for REGISTER.
func (r *Registrar) HandleRegister(req *sip.Request, tx sip.ServerTransaction) {
	to := req.To()
	if to == nil || req.From() == nil || req.CallID() == nil {
		respond(tx, req, sip.StatusBadRequest, "Bad Request (missing To/From/Call-ID)")
		return
	}
	user, reject := r.auth.Check(req, sipauth.Registrar)
	if reject != nil {
		_ = tx.Respond(reject)
		return
	}
	// RFC 3261 10.3 step 6: the authenticated user may only change its own bindings.
	if to.Address.User != user {
		r.log.Warn("REGISTER for another user", "auth_user", user, "aor", to.Address.User)
		respond(tx, req, sip.StatusForbidden, "Forbidden (not your address-of-record)")
		return
	}

	defaultExpires := MaxExpires
	if h := req.GetHeader("Expires"); h != nil {
		v, err := strconv.Atoi(strings.TrimSpace(h.Value()))
		if err != nil || v < 0 {
			respond(tx, req, sip.StatusBadRequest, "Bad Request (Expires)")
			return
		}
		defaultExpires = v
	}

	var contacts []*sip.ContactHeader
	for _, h := range req.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			respond(tx, req, sip.StatusBadRequest, "Bad Request (Contact)")
			return
		}
		contacts = append(contacts, c)
	}

	now := r.now()
	for _, c := range contacts {
		if c.Address.Wildcard {
			// RFC 3261 10.2.2: "*" removes all bindings and needs Expires: 0 alone.
			if len(contacts) != 1 || defaultExpires != 0 {
				respond(tx, req, sip.StatusBadRequest, "Bad Request (Contact: * needs Expires: 0)")
				return
			}
			r.removeAll(user)
			r.log.Info("unregistered all contacts", "user", user, "source", req.Source())
			r.reply(tx, req, user, now)
			return
		}
	}
	for _, c := range contacts {
		expires := defaultExpires
		if v, ok := c.Params.Get("expires"); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				respond(tx, req, sip.StatusBadRequest, "Bad Request (expires parameter)")
				return
			}
			expires = n
		}
		expires = min(expires, MaxExpires)
		b := Binding{
			User:      user,
			Contact:   "<" + c.Address.String() + ">",
			Source:    req.Source(),
			Transport: req.Transport(),
			ExpiresAt: now.Add(time.Duration(expires) * time.Second),
			URI:       *c.Address.Clone(),
		}
		if expires == 0 {
			r.remove(user, b.Contact)
			r.log.Info("unregistered", "user", user, "contact", b.Contact, "source", b.Source)
			continue
		}
		if !r.upsert(b, now) {
			respond(tx, req, sip.StatusForbidden, "Forbidden (too many contacts)")
			return
		}
		r.log.Info("registered", "user", user, "contact", b.Contact, "source", b.Source, "expires", expires)
	}
	r.reply(tx, req, user, now)
}

// reply sends 200 OK listing every current binding of user (RFC 3261 10.3 step 8).
func (r *Registrar) reply(tx sip.ServerTransaction, req *sip.Request, user string, now time.Time) {
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	for _, b := range r.Lookup(user) {
		left := int(b.ExpiresAt.Sub(now).Round(time.Second) / time.Second)
		c := &sip.ContactHeader{Address: *b.URI.Clone()}
		c.Params = sip.NewParams()
		c.Params.Add("expires", strconv.Itoa(max(left, 0)))
		res.AppendHeader(c)
	}
	res.AppendHeader(sip.NewHeader("Date", now.UTC().Format(time.RFC1123)))
	_ = tx.Respond(res)
}

func (r *Registrar) upsert(b Binding, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := live(r.bindings[b.User], now)
	if i := slices.IndexFunc(list, func(x Binding) bool { return x.Contact == b.Contact }); i >= 0 {
		list[i] = b
	} else {
		if len(list) >= maxBindings {
			r.bindings[b.User] = list
			return false
		}
		list = append(list, b)
	}
	r.bindings[b.User] = list
	return true
}

func (r *Registrar) remove(user, contact string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := slices.DeleteFunc(r.bindings[user], func(x Binding) bool { return x.Contact == contact })
	if len(list) == 0 {
		delete(r.bindings, user)
		return
	}
	r.bindings[user] = list
}

func (r *Registrar) removeAll(user string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.bindings, user)
}

// live returns the bindings of list that have not expired at now (reusing list).
func live(list []Binding, now time.Time) []Binding {
	return slices.DeleteFunc(list, func(b Binding) bool { return !b.ExpiresAt.After(now) })
}

// Lookup returns user's live bindings, most recently refreshed last.
func (r *Registrar) Lookup(user string) []Binding {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	list := live(r.bindings[user], now)
	if len(list) == 0 {
		delete(r.bindings, user)
		return nil
	}
	r.bindings[user] = list
	return slices.Clone(list)
}

// Bindings returns every live binding, sorted by user and contact.
func (r *Registrar) Bindings() []Binding {
	now := r.now()
	r.mu.Lock()
	var all []Binding
	for user, list := range r.bindings {
		list = live(list, now)
		if len(list) == 0 {
			delete(r.bindings, user)
			continue
		}
		r.bindings[user] = list
		all = append(all, list...)
	}
	r.mu.Unlock()
	slices.SortFunc(all, func(a, b Binding) int {
		return cmp.Or(cmp.Compare(a.User, b.User), cmp.Compare(a.Contact, b.Contact))
	})
	return all
}
