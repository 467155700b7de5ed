// Package webapp is the demo "Dialer/PBX" web application served by devpbx: a login
// page, a dashboard with tel: links and Menu → Logout, and an idle session timeout.
// The phone's session binding is tested against it.
package webapp

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/tabphone/tabphone/devpbx/users"
)

// CookieName is the session cookie; tests and the extension's site settings use it.
const CookieName = "DEVPBX_SESSION"

// Paths of the app.
const (
	LoginPath  = "/login"
	LogoutPath = "/logout"
	AppPath    = "/app/"
)

//go:embed templates/*.html static/*
var files embed.FS

var pages = template.Must(template.ParseFS(files, "templates/*.html"))

// Contact is one row of the dashboard's contact table.
type Contact struct {
	Name   string
	Number string
}

// DefaultContacts are the test services.
var DefaultContacts = []Contact{
	{Name: "Echo test", Number: "600"},
	{Name: "Tone test", Number: "601"},
}

// Config wires the app; Users and Sessions are required.
type Config struct {
	Users    *users.Directory
	Sessions *Sessions
	// Contacts on the dashboard; DefaultContacts when nil.
	Contacts []Contact
	Log      *slog.Logger
}

// App serves the demo web app.
type App struct {
	cfg Config
	mux *http.ServeMux
}

// New returns the app.
func New(cfg Config) *App {
	if cfg.Contacts == nil {
		cfg.Contacts = DefaultContacts
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	a := &App{cfg: cfg, mux: http.NewServeMux()}
	static, _ := fs.Sub(files, "static")
	a.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	a.mux.HandleFunc("GET "+LoginPath, a.loginPage)
	a.mux.HandleFunc("POST "+LoginPath, a.login)
	a.mux.HandleFunc("GET "+LogoutPath, a.logout)
	a.mux.HandleFunc("GET "+AppPath+"{$}", a.requireSession(a.dashboard))
	a.mux.HandleFunc("/app/", a.requireSession(http.NotFound))
	a.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, AppPath, http.StatusFound)
	})
	// The WebSocket that pushes the session timeout to open pages will be served
	// under /app/ here, fed by Sessions.OnEnd.
	return a
}

// ServeHTTP implements http.Handler.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Plain pages from this origin only: no scripts at all, no framing.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	a.mux.ServeHTTP(w, r)
}

func (a *App) render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		a.cfg.Log.Error("render", "page", name, "error", err)
	}
}

type loginData struct {
	Error string
	User  string
}

func (a *App) loginPage(w http.ResponseWriter, r *http.Request) {
	a.render(w, http.StatusOK, "login.html", loginData{})
}

func (a *App) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	user, password := r.PostForm.Get("user"), r.PostForm.Get("password")
	if !a.cfg.Users.Check(user, password) {
		a.cfg.Log.Warn("web login failed", "user", user, "remote", r.RemoteAddr)
		a.render(w, http.StatusUnauthorized, "login.html", loginData{Error: "Wrong user or password.", User: user})
		return
	}
	sess := a.cfg.Sessions.Create(user)
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: sess.Token, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
	a.cfg.Log.Info("web login", "user", user)
	http.Redirect(w, r, AppPath, http.StatusSeeOther)
}

// clearCookie removes the session cookie, so a browser watching cookies sees the
// session end.
func clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
		HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}

func (a *App) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(CookieName); err == nil {
		a.cfg.Sessions.End(c.Value)
	}
	clearCookie(w)
	http.Redirect(w, r, LoginPath, http.StatusFound)
}

type sessionKey struct{}

// requireSession sends requests without a live session to the login page.
func (a *App) requireSession(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(CookieName)
		if err != nil {
			http.Redirect(w, r, LoginPath, http.StatusFound)
			return
		}
		sess, ok := a.cfg.Sessions.Touch(c.Value)
		if !ok {
			clearCookie(w)
			http.Redirect(w, r, LoginPath, http.StatusFound)
			return
		}
		next(w, r.WithContext(withSession(r.Context(), sess)))
	}
}

type dashboardData struct {
	User     string
	Contacts []Contact
	Timeout  string
}

// humanDuration writes 30m as "30 minutes" and 90s as "90 seconds".
func humanDuration(d time.Duration) string {
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return strconv.FormatInt(n, 10) + " " + unit + "s"
	}
	switch {
	case d >= time.Minute && d%time.Minute == 0:
		return plural(int64(d/time.Minute), "minute")
	case d >= time.Second && d%time.Second == 0:
		return plural(int64(d/time.Second), "second")
	}
	return d.String()
}

func (a *App) dashboard(w http.ResponseWriter, r *http.Request) {
	sess, _ := sessionFrom(r.Context())
	a.render(w, http.StatusOK, "app.html", dashboardData{
		User: sess.User, Contacts: a.cfg.Contacts, Timeout: humanDuration(a.cfg.Sessions.Timeout()),
	})
}
