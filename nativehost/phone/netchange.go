package phone

import (
	"net"

	"github.com/tabphone/tabphone/media"
)

// Network change: a laptop moves from Wi-Fi to cable, a VPN comes up or goes down. The
// account's flow then sits on an address its server no longer reaches us at (or that is
// gone), and the registrar would send calls to a dead Contact until the next refresh.
// Every resumeCheck the phone asks the routing table which local address faces each
// account's server; where it is not the flow's, the flow is dropped and the account
// registers again at once, over a socket or connection on the new address.

// routeTo is the local address facing a server, as the routing table says now.
func (p *Phone) routeTo(server string) (net.IP, error) {
	p.mu.Lock()
	route := p.route
	p.mu.Unlock()
	if route == nil {
		return media.LocalIPFor(server)
	}
	return route(server)
}

// checkRoutes re-registers the accounts whose server is now reached from another local
// address than their flow's. An account without a route now keeps its flow (the network
// may be back in a moment; its refresh or keepalive notices a lasting loss).
func (p *Phone) checkRoutes() {
	p.mu.Lock()
	accs := append([]*account(nil), p.accounts...)
	p.mu.Unlock()
	for _, a := range accs {
		f := a.currentFlow()
		if f == nil || f.ip == nil {
			continue
		}
		ip, err := p.routeTo(a.server.Addr())
		if err != nil || ip.Equal(f.ip) {
			continue
		}
		p.log.Info("network change: the account's server is now reached from another address",
			"account", a.cfg.ID, "was", f.ip.String(), "now", ip.String())
		a.dropFlow()
		select {
		case a.kick <- struct{}{}:
		default: // a kick is already pending
		}
	}
}
