// Package httpapi serves devpbx's JSON status API, which tests read to see what the
// PBX saw: registrations, failed authentications, calls with their media figures, and
// the demo app's sessions, plus one test control: expiring a user's sessions now.
package httpapi

import (
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"github.com/tabphone/tabphone/devpbx/calllog"
	"github.com/tabphone/tabphone/devpbx/registrar"
	"github.com/tabphone/tabphone/devpbx/sipauth"
	"github.com/tabphone/tabphone/devpbx/webapp"
)

// Sources are the parts of devpbx the API reports on; all are required.
type Sources struct {
	Registrar *registrar.Registrar
	Auth      *sipauth.Authenticator
	Calls     *calllog.Log
	Sessions  *webapp.Sessions
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
	// Tests call this from outside a browser (no Origin). A browser page of another
	// site could send a simple cross-site POST here; refuse it, as its Origin says.
	if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host {
		writeError(w, http.StatusForbidden, "cross-origin request refused")
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
