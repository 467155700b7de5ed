package main

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// browser is a stand-in for one browser profile on the demo app.
type browser struct {
	d      *devpbx
	client *http.Client
}

func newBrowser(d *devpbx) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{d: d, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(t *testing.T, method, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	var res *http.Response
	var err error
	if method == "POST" {
		res, err = b.client.PostForm(b.d.base+path, form)
	} else {
		res, err = b.client.Get(b.d.base + path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func (b *browser) login(t *testing.T, user, password string) {
	t.Helper()
	res, _ := b.do(t, "POST", "/login", url.Values{"user": {user}, "password": {password}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %s", res.Status)
	}
}

// socket opens the page's session socket as the page script does.
func (b *browser) socket(t *testing.T) *websocket.Conn {
	t.Helper()
	dialer := websocket.Dialer{Jar: b.client.Jar, HandshakeTimeout: 5 * time.Second}
	conn, _, err := dialer.Dial("ws"+strings.TrimPrefix(b.d.base, "http")+"/app/ws", http.Header{"Origin": {b.d.base}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// push reads the next message; the read deadline is only a guard against a hang.
func push(t *testing.T, conn *websocket.Conn) string {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, msg, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("no push: %v", err)
	}
	return string(msg)
}

func TestWebSessionExpireEndpoint(t *testing.T) {
	d := startDevpbx(t, "-session-timeout", "15s")
	b := newBrowser(d)
	b.login(t, "1001", pw1001)
	if res, body := b.do(t, "GET", "/app/", nil); res.StatusCode != 200 || !strings.Contains(body, "15 seconds") {
		t.Fatalf("dashboard %d", res.StatusCode)
	}
	if res, body := b.do(t, "GET", "/app/contacts", nil); res.StatusCode != 200 || !strings.Contains(body, `href="tel:601"`) {
		t.Fatalf("contacts %d", res.StatusCode)
	}
	conn := b.socket(t)

	req, _ := http.NewRequest("POST", d.base+"/api/sessions/expire?user=1001", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Expired int }
	err = json.NewDecoder(res.Body).Decode(&got)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 || got.Expired != 1 {
		t.Fatalf("expire: %s %+v %v", res.Status, got, err)
	}
	if m := push(t, conn); m != `{"type":"session_expired"}` {
		t.Fatalf("pushed %s", m)
	}
	if res, _ := b.do(t, "GET", "/app/contacts", nil); res.Header.Get("Location") != "/login?reason=timeout" {
		t.Errorf("next request → %s", res.Header.Get("Location"))
	}

	// Logged in again, an open page hears the shutdown as 1001 going away.
	b.login(t, "1001", pw1001)
	conn = b.socket(t)
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err = conn.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Errorf("at shutdown: %v", err)
	}
}

// The real timeout through the binary's flags: the idle page is told on its own.
func TestWebSessionTimeoutPush(t *testing.T) {
	const timeout = 300 * time.Millisecond
	d := startDevpbx(t, "-session-timeout", timeout.String())
	b := newBrowser(d)
	before := time.Now()
	b.login(t, "1002", pw1002)
	conn := b.socket(t)
	if m := push(t, conn); m != `{"type":"session_expired"}` {
		t.Fatalf("pushed %s", m)
	}
	if idle := time.Since(before); idle < timeout {
		t.Errorf("expired after %v", idle)
	}
	var sessions []json.RawMessage
	d.get(t, "/api/sessions", &sessions)
	if len(sessions) != 0 {
		t.Errorf("sessions left: %s", sessions)
	}
}
