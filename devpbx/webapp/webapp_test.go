package webapp

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tabphone/tabphone/devpbx/users"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	srv      *httptest.Server
	app      *App
	client   *http.Client
	clock    *fakeClock // nil with a real clock
	sessions *Sessions
}

// envOptions change newEnv's defaults: a fake clock, a 30 minute timeout and the
// default ping interval.
type envOptions struct {
	realClock    bool
	timeout      time.Duration
	pingInterval time.Duration
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, envOptions{})
}

func newEnvWith(t *testing.T, o envOptions) *env {
	t.Helper()
	dir, err := users.Parse(strings.NewReader("1001:right\n1002:other\n"))
	if err != nil {
		t.Fatal(err)
	}
	if o.timeout == 0 {
		o.timeout = 30 * time.Minute
	}
	var clock *fakeClock
	var now func() time.Time
	if !o.realClock {
		clock = &fakeClock{t: time.Unix(1_700_000_000, 0)}
		now = clock.now
	}
	sessions := NewSessions(o.timeout, now)
	app := New(Config{Users: dir, Sessions: sessions, PingInterval: o.pingInterval, Log: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	t.Cleanup(app.Close) // runs first: lets socket handlers finish before srv.Close
	return &env{srv: srv, app: app, client: newClient(), clock: clock, sessions: sessions}
}

// newClient is a browser stand-in: its own cookie jar, redirects not followed.
func newClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (e *env) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	return e.getWith(t, e.client, path)
}

func (e *env) getWith(t *testing.T, client *http.Client, path string) (*http.Response, string) {
	t.Helper()
	res, err := client.Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func (e *env) login(t *testing.T, user, password string) *http.Response {
	t.Helper()
	return e.loginWith(t, e.client, user, password)
}

func (e *env) loginWith(t *testing.T, client *http.Client, user, password string) *http.Response {
	t.Helper()
	res, err := client.PostForm(e.srv.URL+LoginPath, url.Values{"user": {user}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

func sessionCookie(res *http.Response) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == CookieName {
			return c
		}
	}
	return nil
}

func TestAppNeedsLogin(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/app/", "/app/anything", "/"} {
		res, _ := e.get(t, p)
		if res.StatusCode != http.StatusFound || !strings.HasSuffix(res.Header.Get("Location"), "/login") && !strings.HasSuffix(res.Header.Get("Location"), "/app/") {
			t.Errorf("%s: %d → %s", p, res.StatusCode, res.Header.Get("Location"))
		}
	}
	res, body := e.get(t, "/login")
	if res.StatusCode != 200 || !strings.Contains(body, `name="user"`) || !strings.Contains(body, `name="password"`) {
		t.Errorf("login page %d: %s", res.StatusCode, body)
	}
}

func TestLoginWrongPassword(t *testing.T) {
	e := newEnv(t)
	res := e.login(t, "1001", "wrong")
	if res.StatusCode != http.StatusUnauthorized || sessionCookie(res) != nil {
		t.Fatalf("wrong password: %d", res.StatusCode)
	}
	if res, _ := e.get(t, "/app/"); res.StatusCode != http.StatusFound {
		t.Error("app reachable after failed login")
	}
}

func TestLoginDashboardLogout(t *testing.T) {
	e := newEnv(t)
	res := e.login(t, "1001", "right")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/app/" {
		t.Fatalf("login: %d → %s", res.StatusCode, res.Header.Get("Location"))
	}
	c := sessionCookie(res)
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || len(c.Value) < 40 || c.Path != "/" {
		t.Fatalf("cookie %+v", c)
	}
	res, body := e.get(t, "/app/")
	if res.StatusCode != 200 {
		t.Fatalf("dashboard %d", res.StatusCode)
	}
	for _, want := range []string{"Demo Dialer", `href="tel:600"`, "Echo test", `href="tel:601"`, "Tone test", `href="/logout"`, ">Logout<", "1001", "30 minutes"} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if res, _ := e.get(t, "/app/nothing-here"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown app page: %d", res.StatusCode)
	}
	if res, body := e.get(t, "/static/style.css"); res.StatusCode != 200 || !strings.Contains(body, "header") {
		t.Errorf("style.css %d", res.StatusCode)
	}

	var ended []EndReason
	e.sessions.OnEnd(func(s Session, why EndReason) { ended = append(ended, why) })
	res, _ = e.get(t, "/logout")
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/login?reason=logout" {
		t.Fatalf("logout: %d → %s", res.StatusCode, res.Header.Get("Location"))
	}
	if c := sessionCookie(res); c == nil || c.MaxAge >= 0 {
		t.Errorf("logout does not clear the cookie: %+v", c)
	}
	if len(ended) != 1 || ended[0] != Logout {
		t.Errorf("ended %v", ended)
	}
	// The old token is dead even if a client keeps sending it.
	req, _ := http.NewRequest("GET", e.srv.URL+"/app/", nil)
	req.AddCookie(&http.Cookie{Name: CookieName, Value: c.Value})
	res2, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res2.Body.Close()
	if res2.StatusCode != http.StatusFound {
		t.Errorf("old session still valid: %d", res2.StatusCode)
	}
}

func TestIdleTimeout(t *testing.T) {
	e := newEnv(t)
	e.login(t, "1001", "right")
	var ended []EndReason
	e.sessions.OnEnd(func(s Session, why EndReason) { ended = append(ended, why) })

	// Activity keeps the session alive.
	e.clock.advance(20 * time.Minute)
	if res, _ := e.get(t, "/app/"); res.StatusCode != 200 {
		t.Fatalf("after 20 min: %d", res.StatusCode)
	}
	e.clock.advance(20 * time.Minute)
	if res, _ := e.get(t, "/app/"); res.StatusCode != 200 {
		t.Fatalf("20 min after the last request: %d", res.StatusCode)
	}
	// Idle longer than the timeout: back to the login page saying why, cookie cleared.
	e.clock.advance(31 * time.Minute)
	res, _ := e.get(t, "/app/contacts")
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/login?reason=timeout" {
		t.Fatalf("after idle: %d → %s", res.StatusCode, res.Header.Get("Location"))
	}
	if c := sessionCookie(res); c == nil || c.MaxAge >= 0 {
		t.Errorf("timeout does not clear the cookie: %+v", c)
	}
	if len(ended) != 1 || ended[0] != Timeout {
		t.Errorf("ended %v", ended)
	}
	// The cookie is gone now: a plain redirect, no reason to give.
	if res, _ := e.get(t, "/app/"); res.Header.Get("Location") != "/login" {
		t.Errorf("without a cookie: → %s", res.Header.Get("Location"))
	}
}

// A session the sweeper already removed (the usual case once the timeout passed)
// redirects with the reason too.
func TestSweptSessionRedirectsWithReason(t *testing.T) {
	e := newEnv(t)
	e.login(t, "1001", "right")
	e.clock.advance(31 * time.Minute)
	if swept := e.sessions.Sweep(); len(swept) != 1 {
		t.Fatalf("swept %v", swept)
	}
	res, _ := e.get(t, "/app/")
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/login?reason=timeout" {
		t.Fatalf("after sweep: %d → %s", res.StatusCode, res.Header.Get("Location"))
	}
	if c := sessionCookie(res); c == nil || c.MaxAge >= 0 {
		t.Errorf("cookie not cleared: %+v", c)
	}
}

func TestLoginPageSaysWhy(t *testing.T) {
	e := newEnv(t)
	for query, want := range map[string]string{
		"?reason=timeout": "Your session has expired. Please log in again.",
		"?reason=logout":  "You have been logged out.",
		"?reason=<b>":     "",
		"":                "",
	} {
		res, body := e.get(t, "/login"+query)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", query, res.StatusCode)
		}
		if want == "" && strings.Contains(body, `class="notice"`) || want != "" && !strings.Contains(body, `role="status">`+want) {
			t.Errorf("/login%s: want notice %q in\n%s", query, want, body)
		}
	}
}

// A page sent to the login page over the socket still carries the dead cookie; the
// login page drops it (so a cookie watcher sees the end), but leaves a live one.
func TestLoginPageClearsDeadCookie(t *testing.T) {
	e := newEnv(t)
	e.login(t, "1001", "right")
	if res, _ := e.get(t, "/login"); sessionCookie(res) != nil {
		t.Errorf("live cookie touched: %+v", sessionCookie(res))
	}
	e.sessions.ExpireUser("1001")
	res, _ := e.get(t, "/login?reason=timeout")
	if c := sessionCookie(res); c == nil || c.MaxAge >= 0 {
		t.Errorf("dead cookie not cleared: %+v", c)
	}
}

func TestContactsPage(t *testing.T) {
	e := newEnv(t)
	e.login(t, "1001", "right")
	res, body := e.get(t, "/app/contacts")
	if res.StatusCode != 200 {
		t.Fatalf("contacts %d", res.StatusCode)
	}
	for _, want := range []string{
		"<h1>Contacts</h1>",
		`<a href="tel:600">600</a>`, "Echo test",
		`<a href="tel:601">601</a>`, "Tone test",
		`<a href="tel:&#43;15550100200">&#43;1 (555) 010-0200</a>`,
		`<a href="/app/contacts" aria-current="page">Contacts</a>`,
		`<a href="/app/">Dashboard</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("contacts page lacks %q", want)
		}
	}
	if n := strings.Count(body, `href="tel:`); n != len(DefaultContacts) {
		t.Errorf("%d tel: links, want %d", n, len(DefaultContacts))
	}
	// A second page view is activity like any other.
	e.clock.advance(29 * time.Minute)
	if res, _ := e.get(t, "/app/contacts"); res.StatusCode != 200 {
		t.Fatal(res.Status)
	}
	e.clock.advance(29 * time.Minute)
	if res, _ := e.get(t, "/app/"); res.StatusCode != 200 {
		t.Fatal(res.Status)
	}
}

// The header's Menu: a real button named "Menu" that controls a list holding the
// "Logout" link; the list is plain markup, so it works without script too.
func TestMenuMarkup(t *testing.T) {
	e := newEnv(t)
	e.login(t, "1001", "right")
	for _, path := range []string{"/app/", "/app/contacts"} {
		res, body := e.get(t, path)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
		for _, want := range []string{
			`<button type="button" id="menu-button" aria-expanded="false" aria-controls="menu" hidden>Menu</button>`,
			`<ul id="menu">`,
			`<a href="/logout" id="logout">Logout</a>`,
			`<script src="/static/app.js" defer></script>`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
		// No inline script: every <script> has a src, and no on… handlers.
		if strings.Count(body, "<script") != strings.Count(body, "<script src=") || strings.Contains(body, " onclick=") {
			t.Errorf("%s has inline script", path)
		}
		csp := res.Header.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "connect-src 'self'", "default-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
	}
	res, body := e.get(t, "/static/app.js")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("app.js: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{"/app/ws", `session_expired: '/login?reason=timeout'`, `logged_out: '/login?reason=logout'`} {
		if !strings.Contains(body, want) {
			t.Errorf("app.js lacks %s", want)
		}
	}
}

func TestContactTel(t *testing.T) {
	for number, want := range map[string]string{
		"600":               "600",
		"+1 (555) 010-0200": "+15550100200",
		"+44 20 7946 0958":  "+442079460958",
		"(555) 010-0311":    "5550100311",
		"*97":               "*97",
		"1+2":               "12",
	} {
		if got := (Contact{Number: number}).Tel(); got != want {
			t.Errorf("Tel(%q) = %q, want %q", number, got, want)
		}
	}
}
