// Package webapp is the demo "Dialer/PBX" web application served by devpbx: a login
// page, a dashboard and a contacts page with tel: links, Menu → Logout, and an idle
// session timeout that a WebSocket pushes to open pages.
// The phone's session binding is tested against it.
package webapp

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/tabphone/tabphone/devpbx/users"
)

// CookieName is the session cookie; tests and the extension's site settings use it.
const CookieName = "DEVPBX_SESSION"

// Paths of the app.
const (
	LoginPath    = "/login"
	LogoutPath   = "/logout"
	AppPath      = "/app/"
	ContactsPath = "/app/contacts"
	// SocketPath is the WebSocket over which open pages learn that their session
	// ended (see sessionSocket).
	SocketPath = "/app/ws"
)

// ReasonParam is the login page's query parameter that says why the session ended:
// "timeout" (EndReason Timeout) or "logout" (EndReason Logout).
const ReasonParam = "reason"

// LoginURL is the login page telling why the session ended, e.g.
// "/login?reason=timeout".
func LoginURL(why EndReason) string {
	return LoginPath + "?" + url.Values{ReasonParam: {string(why)}}.Encode()
}

//go:embed templates/*.html static/*
var files embed.FS

var pages = template.Must(template.ParseFS(files, "templates/*.html"))

// Contact is one row of the contacts page.
type Contact struct {
	Name    string
	Company string
	// Number as people write it, e.g. "+1 (555) 010-0200"; the tel: link carries
	// only its digits and a leading + (see Tel).
	Number string
	// Favorite contacts are also on the dashboard.
	Favorite bool
}

// Tel is the number in a tel: URI (RFC 3966 global or local number without
// visual separators): "+1 (555) 010-0200" → "+15550100200".
func (c Contact) Tel() string {
	out := make([]byte, 0, len(c.Number))
	for i := 0; i < len(c.Number); i++ {
		switch ch := c.Number[i]; {
		case ch >= '0' && ch <= '9', ch == '*', ch == '#':
			out = append(out, ch)
		case ch == '+' && len(out) == 0:
			out = append(out, ch)
		}
	}
	return string(out)
}

// DefaultContacts are the test services and a few made-up numbers (555-01xx numbers
// are reserved for fiction in North America; 020 7946 0xxx in the UK).
var DefaultContacts = []Contact{
	{Name: "Echo test", Company: "Dev PBX", Number: "600", Favorite: true},
	{Name: "Tone test", Company: "Dev PBX", Number: "601", Favorite: true},
	{Name: "Front desk", Company: "Example Corp", Number: "+1 (555) 010-0200"},
	{Name: "Dana Whitfield", Company: "Example Corp", Number: "+1 555-010-0147"},
	{Name: "Support hotline", Company: "Acme Ltd", Number: "+44 20 7946 0958"},
	{Name: "Sam Ortega", Company: "Northwind", Number: "(555) 010-0311"},
}

// Config wires the app; Users and Sessions are required.
type Config struct {
	Users    *users.Directory
	Sessions *Sessions
	// Contacts on the contacts page; DefaultContacts when nil.
	Contacts []Contact
	// PingInterval of the session socket; DefaultPingInterval when zero. A page
	// that does not answer within two intervals is dropped.
	PingInterval time.Duration
	Log          *slog.Logger
}

// App serves the demo web app.
type App struct {
	cfg      Config
	mux      *http.ServeMux
	upgrader websocket.Upgrader

	closeOnce sync.Once
	closing   chan struct{}
}

// New returns the app.
func New(cfg Config) *App {
	if cfg.Contacts == nil {
		cfg.Contacts = DefaultContacts
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = DefaultPingInterval
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	a := &App{cfg: cfg, mux: http.NewServeMux(), closing: make(chan struct{})}
	a.upgrader = websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   1024,
		WriteBufferSize:  1024,
		CheckOrigin:      sameOrigin, // also checked before, to answer 403 before 401
	}
	static, _ := fs.Sub(files, "static")
	a.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	a.mux.HandleFunc("GET "+LoginPath, a.loginPage)
	a.mux.HandleFunc("POST "+LoginPath, a.login)
	a.mux.HandleFunc("GET "+LogoutPath, a.logout)
	// Not behind requireSession: the socket is not activity (see sessionSocket).
	a.mux.HandleFunc("GET "+SocketPath, a.sessionSocket)
	a.mux.HandleFunc("GET "+AppPath+"{$}", a.requireSession(a.dashboard))
	a.mux.HandleFunc("GET "+ContactsPath, a.requireSession(a.contacts))
	a.mux.HandleFunc("/app/", a.requireSession(http.NotFound))
	a.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, AppPath, http.StatusFound)
	})
	return a
}

// Close ends the open session sockets with 1001 (going away). http.Server.Shutdown
// does not touch hijacked connections, so register it with RegisterOnShutdown.
func (a *App) Close() {
	a.closeOnce.Do(func() { close(a.closing) })
}

// ServeHTTP implements http.Handler.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Only this origin's script (static/app.js, no inline code) and its WebSocket;
	// no framing. 'self' in connect-src covers ws:// to the same host (CSP Level 3).
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
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
	Error  string
	Notice string
	User   string
}

// loginNotices are the login page's words for ReasonParam.
var loginNotices = map[string]string{
	string(Timeout): "Your session has expired. Please log in again.",
	string(Logout):  "You have been logged out.",
}

func (a *App) loginPage(w http.ResponseWriter, r *http.Request) {
	// A page told over the socket that its session ended comes here with the old
	// cookie; drop it, as the app's own redirects do.
	if c, err := r.Cookie(CookieName); err == nil {
		if _, live := a.cfg.Sessions.Get(c.Value); !live {
			clearCookie(w)
		}
	}
	a.render(w, http.StatusOK, "login.html", loginData{Notice: loginNotices[r.URL.Query().Get(ReasonParam)]})
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

// logout ends the session; its other open pages are told over their sockets.
func (a *App) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(CookieName); err == nil {
		a.cfg.Sessions.End(c.Value)
	}
	clearCookie(w)
	http.Redirect(w, r, LoginURL(Logout), http.StatusFound)
}

type sessionKey struct{}

// requireSession sends requests without a live session to the login page: without a
// cookie to plain /login, with a cookie whose session timed out (or is otherwise
// gone) to /login?reason=timeout, clearing the cookie. A request that passes is
// activity: it restarts the idle timeout.
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
			http.Redirect(w, r, LoginURL(Timeout), http.StatusFound)
			return
		}
		next(w, r.WithContext(withSession(r.Context(), sess)))
	}
}

// pageData is what every app page shows: the header with the user's menu.
type pageData struct {
	Page     string // "dashboard" or "contacts": the current item of the main nav
	User     string
	Timeout  string
	Contacts []Contact
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

func (a *App) page(r *http.Request, name string, contacts []Contact) pageData {
	sess, _ := sessionFrom(r.Context())
	return pageData{Page: name, User: sess.User, Timeout: humanDuration(a.cfg.Sessions.Timeout()), Contacts: contacts}
}

func (a *App) dashboard(w http.ResponseWriter, r *http.Request) {
	var favorites []Contact
	for _, c := range a.cfg.Contacts {
		if c.Favorite {
			favorites = append(favorites, c)
		}
	}
	a.render(w, http.StatusOK, "app.html", a.page(r, "dashboard", favorites))
}

func (a *App) contacts(w http.ResponseWriter, r *http.Request) {
	a.render(w, http.StatusOK, "contacts.html", a.page(r, "contacts", a.cfg.Contacts))
}
