package phone

import (
	"context"
	"net"
	"time"
)

// crlf is the keepalive ping of RFC 5626 3.5.1: on UDP servers ignore it and NATs see
// traffic and keep the phone's mapping open, so incoming calls still reach it; on TCP
// and TLS the server answers it with a CRLF pong.
var crlf = []byte("\r\n\r\n")

// keepalive pings the account's server every interval until ctx ends: a CRLF pair on
// UDP (from the SIP socket), TCP and TLS, a WebSocket ping frame on WS and WSS (a CRLF
// text frame is no SIP message; RFC 7118 leaves keepalives to the WebSocket). A
// connection whose ping cannot be written, or that misses a pong for
// Options.PongTimeout after the server has shown it answers pings (WebSocket servers
// always must), is closed, which makes the account register again over a new one.
func (a *account) keepalive(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var (
		pinged  *flow
		pending time.Time // the unanswered ping
	)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		f := a.currentFlow()
		if f == nil || f.conn == nil {
			if a.cfg.Transport == netUDP {
				a.pingUDP(f)
			}
			continue
		}
		if f != pinged {
			pinged, pending = f, time.Time{}
		}
		var last int64
		if f.ws != nil {
			last = f.ws.lastPong.Load()
		} else {
			last = f.conn.lastPong.Load()
		}
		answers := f.ws != nil || last != 0
		if answers && !pending.IsZero() && last < pending.UnixNano() {
			if time.Since(pending) < a.p.pongTimeout {
				continue // the pong may still come
			}
			a.p.log.Warn("keepalive: no pong from the server, connection closed", "account", a.cfg.ID)
			f.close()
			continue
		}
		var err error
		if f.ws != nil {
			err = f.ws.ping()
		} else {
			_, err = f.conn.Conn.Write(crlf)
		}
		if err != nil {
			a.p.log.Warn("keepalive failed, connection closed", "account", a.cfg.ID, "err", err)
			f.close()
			continue
		}
		pending = time.Now()
	}
}

// pingUDP sends the CRLF pair to the server from the flow's SIP socket.
func (a *account) pingUDP(f *flow) {
	dst, err := net.ResolveUDPAddr("udp", a.server.Addr())
	if err != nil {
		a.p.log.Debug("keepalive: server address", "account", a.cfg.ID, "err", err)
		return
	}
	conn := a.p.conn
	if f != nil && f.pconn != nil {
		conn = f.pconn
	}
	if _, err := conn.WriteTo(crlf, dst); err != nil {
		a.p.log.Debug("keepalive", "account", a.cfg.ID, "err", err)
	}
}
