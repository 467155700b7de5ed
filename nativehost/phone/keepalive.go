package phone

import (
	"context"
	"net"
	"time"
)

// crlf is the UDP keepalive (RFC 5626 3.5.1): servers ignore it, NATs see traffic and
// keep the phone's mapping open, so incoming calls still reach it.
var crlf = []byte("\r\n\r\n")

// keepalive sends a CRLF pair to the account's server from the SIP socket every
// interval until ctx ends.
func (a *account) keepalive(ctx context.Context, interval time.Duration) {
	dst, err := net.ResolveUDPAddr("udp", a.server.Addr())
	if err != nil {
		a.p.log.Warn("keepalive off: server address", "account", a.cfg.ID, "err", err)
		return
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if _, err := a.p.conn.WriteTo(crlf, dst); err != nil {
				a.p.log.Debug("keepalive", "account", a.cfg.ID, "err", err)
			}
		}
	}
}
