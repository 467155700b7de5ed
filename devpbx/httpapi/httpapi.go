// Package httpapi serves devpbx's JSON status API, which tests read to see what the
// PBX saw: registrations, failed authentications, calls with their media figures, and
// the demo app's sessions, plus test controls: expiring a user's sessions now, and
// placing, hanging up and cancelling calls to registered users.
package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/tabphone/tabphone/devpbx/calllog"
	"github.com/tabphone/tabphone/devpbx/registrar"
	"github.com/tabphone/tabphone/devpbx/sipauth"
	"github.com/tabphone/tabphone/devpbx/uac"
	"github.com/tabphone/tabphone/devpbx/webapp"
)

// Dialer places and ends outbound calls (uac.Dialer).
type Dialer interface {
	Originate(r uac.Request) (id string, err error)
	Hangup(id string) error
	Cancel(id string) error
}

// Sources are the parts of devpbx the API reports on; all are required except
// Dialer (without it the outbound-call routes answer 501).
type Sources struct {
	Registrar *registrar.Registrar
	Auth      *sipauth.Authenticator
	Calls     *calllog.Log
	Sessions  *webapp.Sessions
	Dialer    Dialer
}

// Registration is one live binding in /api/registrations.
type Registration struct {
	User      string `json:"user"`
	Contact   string `json:"contact"`
	Source    string `json:"source"`
	Transport string `json:"transport"`
	ExpiresAt string `json:"expires_at"` // RFC 3339
}

// WebSession is one live demo-app session in /api/sessions (without its token).
type WebSession struct {
	User      string `json:"user"`
	CreatedAt string `json:"created_at"`
	LastSeen  string `json:"last_seen"`
	ExpiresAt string `json:"expires_at"`
}

// Register adds the API's routes to mux.
func Register(mux *http.ServeMux, src Sources) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
	})
	mux.HandleFunc("GET /api/registrations", func(w http.ResponseWriter, r *http.Request) {
		out := []Registration{}
		for _, b := range src.Registrar.Bindings() {
			out = append(out, Registration{
				User: b.User, Contact: b.Contact, Source: b.Source, Transport: b.Transport,
				ExpiresAt: b.ExpiresAt.UTC().Format(time.RFC3339),
			})
		}
		writeJSON(w, out)
	})
	mux.HandleFunc("GET /api/auth_failures", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, src.Auth.Failures())
	})
	mux.HandleFunc("GET /api/calls", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, src.Calls.Records())
	})
	mux.HandleFunc("GET /api/calls/{id}", func(w http.ResponseWriter, r *http.Request) {
		rec, ok := src.Calls.Get(r.PathValue("id"))
		if !ok {
			writeError(w, http.StatusNotFound, "no such call")
			return
		}
		writeJSON(w, rec)
	})
	mux.HandleFunc("GET /api/sessions", func(w http.ResponseWriter, r *http.Request) {
		list := src.Sessions.List()
		sort.Slice(list, func(i, j int) bool { return list[i].Created.Before(list[j].Created) })
		out := []WebSession{}
		for _, s := range list {
			out = append(out, WebSession{
				User:      s.User,
				CreatedAt: s.Created.UTC().Format(time.RFC3339),
				LastSeen:  s.LastSeen.UTC().Format(time.RFC3339),
				ExpiresAt: s.LastSeen.Add(src.Sessions.Timeout()).UTC().Format(time.RFC3339),
			})
		}
		writeJSON(w, out)
	})
	mux.HandleFunc("POST /api/sessions/expire", func(w http.ResponseWriter, r *http.Request) {
		expireSessions(w, r, src.Sessions)
	})
	mux.HandleFunc("POST /api/originate", func(w http.ResponseWriter, r *http.Request) {
		originate(w, r, src.Dialer, src.Registrar)
	})
	mux.HandleFunc("POST /api/calls/{id}/hangup", func(w http.ResponseWriter, r *http.Request) {
		endCall(w, r, src.Dialer, Dialer.Hangup)
	})
	mux.HandleFunc("POST /api/calls/{id}/cancel", func(w http.ResponseWriter, r *http.Request) {
		endCall(w, r, src.Dialer, Dialer.Cancel)
	})
}

// maxOriginateBody caps the JSON of POST /api/originate.
const maxOriginateBody = 8 << 10

// Originate is the body of POST /api/originate; durations in milliseconds.
type Originate struct {
	To            string            `json:"to"`
	AfterMS       int64             `json:"after_ms"`
	Mode          string            `json:"mode"`
	RingTimeoutMS int64             `json:"ring_timeout_ms"`
	HangupAfterMS int64             `json:"hangup_after_ms"`
	From          string            `json:"from"`
	Display       string            `json:"display"`
	Headers       map[string]string `json:"headers"`
}

// CallID is the answer of the call-control routes.
type CallID struct {
	ID string `json:"id"`
}

// originate starts an outbound call. Unknown JSON fields are refused, so a typo in
// a test does not silently fall back to a default. A call without delay to a user
// who is not registered is refused at once (409) rather than recorded as failed.
func originate(w http.ResponseWriter, r *http.Request, d Dialer, reg *registrar.Registrar) {
	if !sameSiteOrNoOrigin(w, r) {
		return
	}
	if d == nil {
		writeError(w, http.StatusNotImplemented, "outbound calls are not available")
		return
	}
	var body Originate
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxOriginateBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "bad JSON: "+err.Error())
		return
	}
	const maxMS = int64(24 * time.Hour / time.Millisecond) // keeps the conversion in range
	for _, v := range []int64{body.AfterMS, body.RingTimeoutMS, body.HangupAfterMS} {
		if v < 0 || v > maxMS {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("durations are 0 to %d ms", maxMS))
			return
		}
	}
	if body.AfterMS == 0 && body.To != "" && len(reg.Lookup(body.To)) == 0 {
		writeError(w, http.StatusConflict, body.To+" is not registered")
		return
	}
	id, err := d.Originate(uac.Request{
		To: body.To, From: body.From, Display: body.Display, Mode: uac.Mode(body.Mode),
		After:       time.Duration(body.AfterMS) * time.Millisecond,
		RingTimeout: time.Duration(body.RingTimeoutMS) * time.Millisecond,
		HangupAfter: time.Duration(body.HangupAfterMS) * time.Millisecond,
		Headers:     body.Headers,
	})
	switch {
	case errors.Is(err, uac.ErrInvalid):
		writeError(w, http.StatusBadRequest, err.Error())
	case err != nil:
		writeError(w, http.StatusServiceUnavailable, err.Error())
	default:
		writeJSON(w, CallID{ID: id})
	}
}

// endCall hangs up or cancels the outbound call {id}.
func endCall(w http.ResponseWriter, r *http.Request, d Dialer, end func(Dialer, string) error) {
	if !sameSiteOrNoOrigin(w, r) {
		return
	}
	if d == nil {
		writeError(w, http.StatusNotImplemented, "outbound calls are not available")
		return
	}
	id := r.PathValue("id")
	err := end(d, id)
	switch {
	case errors.Is(err, uac.ErrNoCall):
		writeError(w, http.StatusNotFound, "no such call")
	case errors.Is(err, uac.ErrNotOutbound), errors.Is(err, uac.ErrEnded), errors.Is(err, uac.ErrAnswered):
		writeError(w, http.StatusConflict, err.Error())
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
	default:
		writeJSON(w, CallID{ID: id})
	}
}

// sameSiteOrNoOrigin refuses a browser request from another site: a page could send
// a simple cross-site POST to these test controls. Test code sends no Origin.
func sameSiteOrNoOrigin(w http.ResponseWriter, r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host {
		writeError(w, http.StatusForbidden, "cross-origin request refused")
		return false
	}
	return true
}

// Expired is the answer of POST /api/sessions/expire.
type Expired struct {
	Expired int `json:"expired"`
}

// expireSessions ends the sessions of ?user= now, as the idle timeout would: their
// open pages get session_expired and go to /login?reason=timeout. Tests use it instead
// of waiting for -session-timeout. A user without sessions is not an error
// ({"expired":0}), so a test can call it unconditionally.
func expireSessions(w http.ResponseWriter, r *http.Request, sessions *webapp.Sessions) {
	if !sameSiteOrNoOrigin(w, r) {
		return
	}
	user := r.URL.Query().Get("user")
	if user == "" {
		writeError(w, http.StatusBadRequest, "missing ?user=")
		return
	}
	writeJSON(w, Expired{Expired: len(sessions.ExpireUser(user))})
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}
