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
	client   *http.Client
	clock    *fakeClock
	sessions *Sessions
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir, err := users.Parse(strings.NewReader("1001:right\n"))
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	sessions := NewSessions(30*time.Minute, clock.now)
	srv := httptest.NewServer(New(Config{Users: dir, Sessions: sessions, Log: slog.New(slog.DiscardHandler)}))
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &env{srv: srv, client: client, clock: clock, sessions: sessions}
}

func (e *env) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	res, err := e.client.Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func (e *env) login(t *testing.T, user, password string) *http.Response {
	t.Helper()
	res, err := e.client.PostForm(e.srv.URL+LoginPath, url.Values{"user": {user}, "password": {password}})
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
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/login" {
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
	// Idle longer than the timeout: back to the login page, cookie cleared.
	e.clock.advance(31 * time.Minute)
	res, _ := e.get(t, "/app/")
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/login" {
		t.Fatalf("after idle: %d → %s", res.StatusCode, res.Header.Get("Location"))
	}
	if c := sessionCookie(res); c == nil || c.MaxAge >= 0 {
		t.Errorf("timeout does not clear the cookie: %+v", c)
	}
	if len(ended) != 1 || ended[0] != Timeout {
		t.Errorf("ended %v", ended)
	}
}

func TestSweep(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	s := NewSessions(time.Minute, clock.now)
	a := s.Create("1001")
	s.Create("1002")
	clock.advance(30 * time.Second)
	s.Touch(a.Token)
	clock.advance(45 * time.Second)
	ended := s.Sweep()
	if len(ended) != 1 || ended[0].User != "1002" {
		t.Fatalf("swept %+v", ended)
	}
	if l := s.List(); len(l) != 1 || l[0].User != "1001" {
		t.Fatalf("live %+v", l)
	}
}
