package webapp

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// wait bounds every wait for a push; pushes come within milliseconds, so this only
// matters when something is broken.
const wait = 5 * time.Second

// socket is a page's session socket as a test sees it.
type socket struct {
	conn *websocket.Conn
	// events are the messages in order, then the read error that ended the socket.
	events chan event
	pings  atomic.Int32
	mute   atomic.Bool // stop answering pings
}

// dialSocket opens SocketPath like a page of e's origin would, with client's cookies.
func (e *env) dialSocket(client *http.Client, origin string) (*socket, *http.Response, error) {
	d := websocket.Dialer{Jar: client.Jar, HandshakeTimeout: wait}
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	conn, res, err := d.Dial("ws"+strings.TrimPrefix(e.srv.URL, "http")+SocketPath, h)
	if err != nil {
		return nil, res, err
	}
	s := &socket{conn: conn, events: make(chan event, 10)}
	conn.SetPingHandler(func(data string) error {
		s.pings.Add(1)
		if s.mute.Load() {
			return nil
		}
		return conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	go func() {
		for {
			_, msg, err := conn.ReadMessage()
			s.events <- event{msg: string(msg), err: err}
			if err != nil {
				return
			}
		}
	}()
	return s, res, nil
}

func (e *env) mustDial(t *testing.T, client *http.Client) *socket {
	t.Helper()
	s, res, err := e.dialSocket(client, e.srv.URL)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		t.Fatalf("dial: %v (HTTP %d)", err, status)
	}
	t.Cleanup(func() { s.conn.Close() })
	return s
}

type event struct {
	msg string
	err error
}

// next returns the next message, failing the test if none comes before the deadline.
func (s *socket) next(t *testing.T) string {
	t.Helper()
	select {
	case ev := <-s.events:
		if ev.err != nil {
			t.Fatalf("socket closed without a message: %v", ev.err)
		}
		return ev.msg
	case <-time.After(wait):
		t.Fatal("no message")
	}
	return ""
}

// closed waits for the socket to end and returns the close code (1006 when the
// server dropped it without a close frame).
func (s *socket) closed(t *testing.T) int {
	t.Helper()
	select {
	case ev := <-s.events:
		var ce *websocket.CloseError
		switch {
		case ev.err == nil:
			t.Fatalf("message %s, want the close", ev.msg)
		case errors.As(ev.err, &ce):
			return ce.Code
		}
		return websocket.CloseAbnormalClosure
	case <-time.After(wait):
		t.Fatal("socket still open")
	}
	return 0
}

// quiet checks that nothing arrived so far and the socket is still open.
func (s *socket) quiet(t *testing.T) {
	t.Helper()
	select {
	case ev := <-s.events:
		t.Fatalf("unexpected %q / %v", ev.msg, ev.err)
	default:
	}
}

func TestSocketPushesTimeout(t *testing.T) {
	e := newEnv(t)
	e.login(t, "1001", "right")
	s := e.mustDial(t, e.client)

	e.clock.advance(29 * time.Minute)
	e.sessions.Sweep()
	s.quiet(t)

	e.clock.advance(2 * time.Minute)
	e.sessions.Sweep()
	if m := s.next(t); m != `{"type":"session_expired"}` {
		t.Fatalf("got %s", m)
	}
	if code := s.closed(t); code != websocket.CloseNormalClosure {
		t.Errorf("close code %d", code)
	}
	// The page goes to the login page; had it not (no script), its next request is
	// redirected there.
	if res, _ := e.get(t, "/app/"); res.Header.Get("Location") != "/login?reason=timeout" {
		t.Errorf("fallback → %s", res.Header.Get("Location"))
	}
}

// With a real clock and the sweeper running: the push comes on its own, with the page
// idle, although the socket was answering pings all along (pings are not activity).
func TestSocketPushesRealTimeoutDespitePings(t *testing.T) {
	const timeout = 300 * time.Millisecond
	e := newEnvWith(t, envOptions{realClock: true, timeout: timeout, pingInterval: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.sessions.Run(ctx)

	// The login is the session's last request; timing from before it is sent can only
	// make the measured idle time longer than the server's, never shorter.
	lastRequest := time.Now()
	e.login(t, "1001", "right")
	s := e.mustDial(t, e.client)
	if m := s.next(t); m != `{"type":"session_expired"}` {
		t.Fatalf("got %s", m)
	}
	elapsed := time.Since(lastRequest)
	if elapsed < timeout {
		t.Errorf("expired after %v, before the %v timeout", elapsed, timeout)
	}
	if n := s.pings.Load(); n < 3 {
		t.Errorf("%d pings in %v at a 20ms interval", n, elapsed)
	}
	t.Logf("pushed %v after the last request (timeout %v), %d pings answered", elapsed, timeout, s.pings.Load())
}

func TestSocketOriginCheck(t *testing.T) {
	e := newEnv(t)
	e.login(t, "1001", "right")
	for _, origin := range []string{
		"",
		"null",
		"http://evil.example",
		"https" + strings.TrimPrefix(e.srv.URL, "http"), // other scheme
		e.srv.URL + ".evil.example",
		"http://localhost:" + e.srv.URL[strings.LastIndex(e.srv.URL, ":")+1:], // other host name
	} {
		_, res, err := e.dialSocket(e.client, origin)
		if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
			status := 0
			if res != nil {
				status = res.StatusCode
			}
			t.Errorf("Origin %q: err %v, HTTP %d, want 403", origin, err, status)
		}
	}
	// The right origin without a session cookie: 401.
	if _, res, err := e.dialSocket(newClient(), e.srv.URL); err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
		t.Errorf("no cookie: %v %+v", err, res)
	}
	// The right origin with the cookie works, and the refusals did not touch the session.
	s := e.mustDial(t, e.client)
	s.quiet(t)
	if l := e.sessions.List(); len(l) != 1 {
		t.Errorf("sessions %v", l)
	}
}

func TestSocketLogoutPush(t *testing.T) {
	e := newEnv(t)
	e.login(t, "1001", "right")
	tab1 := e.mustDial(t, e.client)
	tab2 := e.mustDial(t, e.client)
	// The same user in another browser: a session of its own.
	other := newClient()
	e.loginWith(t, other, "1001", "right")
	otherTab := e.mustDial(t, other)

	res, _ := e.get(t, "/logout") // from a third tab of the first browser
	if res.Header.Get("Location") != "/login?reason=logout" {
		t.Fatalf("logout → %s", res.Header.Get("Location"))
	}
	for _, s := range []*socket{tab1, tab2} {
		if m := s.next(t); m != `{"type":"logged_out"}` {
			t.Errorf("got %s", m)
		}
		if code := s.closed(t); code != websocket.CloseNormalClosure {
			t.Errorf("close code %d", code)
		}
	}
	otherTab.quiet(t)
	// The other browser's first message is its own end, not the logout.
	if n := len(e.sessions.ExpireUser("1001")); n != 1 {
		t.Fatalf("expired %d sessions", n)
	}
	if m := otherTab.next(t); m != `{"type":"session_expired"}` {
		t.Errorf("other browser got %s", m)
	}
}

// A page that loads just as its session ends still learns it: a dead or unknown
// session cookie gets session_expired at once.
func TestSocketDeadCookie(t *testing.T) {
	e := newEnv(t)
	e.login(t, "1001", "right")
	e.sessions.ExpireUser("1001")
	s := e.mustDial(t, e.client)
	if m := s.next(t); m != `{"type":"session_expired"}` {
		t.Fatalf("got %s", m)
	}
	if code := s.closed(t); code != websocket.CloseNormalClosure {
		t.Errorf("close code %d", code)
	}
}

// Pages have nothing to send; a large message closes the socket with 1009.
func TestSocketMessageCap(t *testing.T) {
	e := newEnv(t)
	e.login(t, "1001", "right")
	s := e.mustDial(t, e.client)
	if err := s.conn.WriteMessage(websocket.TextMessage, []byte("small")); err != nil {
		t.Fatal(err)
	}
	if err := s.conn.WriteMessage(websocket.TextMessage, make([]byte, maxClientMessage+1)); err != nil {
		t.Fatal(err)
	}
	if code := s.closed(t); code != websocket.CloseMessageTooBig {
		t.Errorf("close code %d, want 1009", code)
	}
	// The session itself is fine.
	if res, _ := e.get(t, "/app/"); res.StatusCode != 200 {
		t.Errorf("app %d", res.StatusCode)
	}
}

// A page that stops answering pings is dropped after two intervals; one that answers
// stays.
func TestSocketKeepalive(t *testing.T) {
	e := newEnvWith(t, envOptions{pingInterval: 20 * time.Millisecond})
	e.login(t, "1001", "right")
	alive := e.mustDial(t, e.client)
	dead := e.mustDial(t, e.client)
	dead.mute.Store(true)

	dead.closed(t)
	if dead.pings.Load() == 0 {
		t.Error("no pings before the drop")
	}
	alive.quiet(t)
	if alive.pings.Load() == 0 {
		t.Error("answering page got no pings")
	}
}

func TestSocketServerShutdown(t *testing.T) {
	e := newEnv(t)
	e.login(t, "1001", "right")
	s := e.mustDial(t, e.client)
	e.app.Close()
	if code := s.closed(t); code != websocket.CloseGoingAway {
		t.Errorf("close code %d, want 1001", code)
	}
}
