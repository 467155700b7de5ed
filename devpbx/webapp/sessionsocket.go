package webapp

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// Messages pushed on SocketPath, as JSON {"type": …}. static/app.js knows the same
// strings: on either it leaves for the login page with the matching reason.
const (
	// MsgSessionExpired: the session timed out (or a test expired it).
	MsgSessionExpired = "session_expired"
	// MsgLoggedOut: the session was logged out, possibly in another tab.
	MsgLoggedOut = "logged_out"
)

// Limits of the session socket.
const (
	// DefaultPingInterval is how often the server pings an open page when
	// Config.PingInterval is zero. Pings keep proxies and NATs from dropping the
	// socket; they are not session activity.
	DefaultPingInterval = 30 * time.Second
	// maxClientMessage caps what a page may send: it has nothing to say, so anything
	// larger than a small frame closes the socket (1009 message too big).
	maxClientMessage = 512
	writeWait        = 10 * time.Second
	// closeWait is how long the server waits for the page's close frame after its own.
	closeWait = time.Second
)

// pushMessage is the one message shape on the socket.
type pushMessage struct {
	Type string `json:"type"`
}

func messageFor(why EndReason) string {
	if why == Logout {
		return MsgLoggedOut
	}
	return MsgSessionExpired
}

// sameOrigin reports whether the request's Origin is this server as the browser
// reached it. Browsers always send Origin on WebSocket handshakes, and cookies go
// with cross-site handshakes too, so without this check any web page could open the
// socket with the user's session (cross-site WebSocket hijacking). A missing Origin
// is refused as well: only browsers need this socket.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return strings.EqualFold(origin, scheme+"://"+r.Host)
}

// sessionSocket serves SocketPath: it tells the page when its session ends. The
// session cookie authenticates it; opening it and its pings are not activity.
//
//   - Origin missing or not this host: 403, no upgrade.
//   - No session cookie: 401, no upgrade.
//   - A cookie whose session is gone (timed out, swept, unknown): upgrade, then
//     session_expired and close at once, so a page that loaded just before the
//     timeout still leaves.
//   - A live session: the socket stays open, pinged every PingInterval, until the
//     session ends (session_expired or logged_out, then close 1000), the page goes,
//     or the server shuts down (close 1001).
func (a *App) sessionSocket(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		a.cfg.Log.Warn("session socket from another origin refused", "origin", r.Header.Get("Origin"), "host", r.Host, "remote", r.RemoteAddr)
		http.Error(w, "Forbidden: cross-origin WebSocket", http.StatusForbidden)
		return
	}
	c, err := r.Cookie(CookieName)
	if err != nil {
		http.Error(w, "Unauthorized: no session", http.StatusUnauthorized)
		return
	}
	// Subscribe before upgrading, so an end during the handshake is not lost.
	ends := make(chan EndReason, 1)
	stop, live := a.cfg.Sessions.Watch(c.Value, func(why EndReason) {
		select {
		case ends <- why:
		default: // one end per session; the first wins
		}
	})
	if live {
		defer stop()
	} else {
		ends <- Timeout
	}
	conn, err := a.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the request
	}
	defer conn.Close()
	a.serveSocket(conn, ends)
}

func (a *App) serveSocket(conn *websocket.Conn, ends <-chan EndReason) {
	interval := a.cfg.PingInterval
	pongWait := 2 * interval
	conn.SetReadLimit(maxClientMessage)
	_ = conn.SetReadDeadline(time.Now().Add(pongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(pongWait)) })

	// The reader only keeps control frames flowing (pongs, the page's close) and
	// notices when the page goes; pages send no messages.
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				var ce *websocket.CloseError
				if !errors.As(err, &ce) {
					a.cfg.Log.Debug("session socket read ended", "error", err)
				}
				return
			}
		}
	}()

	ping := time.NewTicker(interval)
	defer ping.Stop()
	for {
		select {
		case why := <-ends:
			_ = conn.SetWriteDeadline(time.Now().Add(writeWait))
			msg, _ := json.Marshal(pushMessage{Type: messageFor(why)})
			if err := conn.WriteMessage(websocket.TextMessage, msg); err != nil {
				return
			}
			a.closeSocket(conn, gone, websocket.CloseNormalClosure, "session ended")
			return
		case <-ping.C:
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				return
			}
		case <-gone:
			return
		case <-a.closing:
			a.closeSocket(conn, gone, websocket.CloseGoingAway, "server shutting down")
			return
		}
	}
}

// closeSocket starts the close handshake (RFC 6455 section 7.1.2) and waits briefly
// for the page's answer, so the page sees a clean close with our code.
func (a *App) closeSocket(conn *websocket.Conn, gone <-chan struct{}, code int, text string) {
	if err := conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(writeWait)); err != nil {
		return
	}
	t := time.NewTimer(closeWait)
	defer t.Stop()
	select {
	case <-gone:
	case <-t.C:
	}
}
