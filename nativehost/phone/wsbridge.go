package phone

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// SIP over WebSocket (RFC 7118) with gorilla/websocket. sipgo's own WebSocket client
// breaks on the first ping frame a server sends with a payload (Kamailio does, every
// keepalive_timeout; measured in TestSipgoWSAgainstKamailio), and it cannot take the
// account's TLS roots. So the phone holds the WebSocket to the server with gorilla (which
// answers pings, sends ours and reads control frames correctly) and relays each SIP
// message to and from sipgo over an in-process pipe on which sipgo serves its own
// WebSocket framing, with the real connection's addresses.

// maxWSMessage caps one SIP message from the server.
const maxWSMessage = 64 << 10

// wsBridge relays SIP messages between the server's WebSocket and sipgo.
type wsBridge struct {
	remote   *websocket.Conn
	local    net.Conn // the pipe end sipgo serves
	pipe     net.Conn // our end of the pipe
	log      *slog.Logger
	once     sync.Once
	closed   chan struct{}
	lastPong atomic.Int64 // Unix ns of the server's last pong
}

// addrConn is a pipe end that reports the WebSocket's real addresses, so sipgo's pool,
// Via and the request sources name the real connection.
type addrConn struct {
	net.Conn
	local, remote net.Addr
}

func (c *addrConn) LocalAddr() net.Addr  { return c.local }
func (c *addrConn) RemoteAddr() net.Addr { return c.remote }

// dialWS opens a ws:// or wss:// connection with the "sip" subprotocol to addr and
// path ("/" when empty).
func dialWS(ctx context.Context, network, addr, path string, cfg *tls.Config, log *slog.Logger) (*wsBridge, error) {
	scheme := "ws"
	if network == netWSS {
		scheme = "wss"
	}
	if path == "" {
		path = "/"
	}
	d := websocket.Dialer{Subprotocols: []string{"sip"}, TLSClientConfig: cfg, HandshakeTimeout: dialTimeout}
	remote, res, err := d.DialContext(ctx, scheme+"://"+addr+path, nil)
	if err != nil {
		return nil, fmt.Errorf("WebSocket to %s: %w", addr, err)
	}
	if res.Header.Get("Sec-WebSocket-Protocol") != "sip" {
		remote.Close()
		return nil, fmt.Errorf("WebSocket to %s: the server did not accept the sip subprotocol", addr)
	}
	remote.SetReadLimit(maxWSMessage)
	a, b := net.Pipe()
	br := &wsBridge{remote: remote, local: &addrConn{Conn: a, local: remote.LocalAddr(), remote: remote.RemoteAddr()}, pipe: b,
		log: log, closed: make(chan struct{})}
	remote.SetPongHandler(func(string) error {
		br.lastPong.Store(time.Now().UnixNano())
		return nil
	})
	go br.run()
	return br, nil
}

// run does the WebSocket handshake with sipgo over the pipe (sipgo takes the server's
// side) and then relays messages both ways until either side ends.
func (br *wsBridge) run() {
	defer br.close()
	d := websocket.Dialer{
		Subprotocols:     []string{"sip"},
		HandshakeTimeout: dialTimeout,
		NetDialContext:   func(context.Context, string, string) (net.Conn, error) { return br.pipe, nil },
	}
	inner, _, err := d.Dial("ws://sipgo/", nil)
	if err != nil {
		br.log.Warn("WebSocket relay to sipgo", "err", err)
		return
	}
	defer inner.Close()
	go func() {
		defer br.close()
		for {
			_, data, err := inner.ReadMessage()
			if err != nil {
				return
			}
			if err := br.remote.WriteMessage(websocket.TextMessage, data); err != nil {
				br.log.Debug("WebSocket write", "err", err)
				return
			}
		}
	}()
	for {
		kind, data, err := br.remote.ReadMessage()
		if err != nil {
			br.log.Debug("WebSocket closed", "err", err)
			return
		}
		if kind != websocket.TextMessage && kind != websocket.BinaryMessage {
			continue
		}
		// sipgo reads text frames only; RFC 7118 allows SIP in either.
		if err := inner.WriteMessage(websocket.TextMessage, data); err != nil {
			return
		}
	}
}

// ping sends a WebSocket ping frame (the keepalive on WS and WSS).
func (br *wsBridge) ping() error {
	return br.remote.WriteControl(websocket.PingMessage, nil, time.Now().Add(5*time.Second))
}

func (br *wsBridge) close() {
	br.once.Do(func() {
		_ = br.remote.Close()
		_ = br.pipe.Close()
		_ = br.local.Close()
		close(br.closed)
	})
}
