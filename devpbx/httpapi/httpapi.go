// Package httpapi serves devpbx's JSON status API, which tests read to see what the
// PBX saw: registrations, failed authentications, calls with their media figures, and
// the demo app's sessions.
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
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":"no such call"}` + "\n"))
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
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}
