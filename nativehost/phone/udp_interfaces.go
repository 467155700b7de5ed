package phone

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// UDP accounts share the SIP socket on the address that faces the first account's
// server. An account whose server is reached from another local address (another
// interface: a VPN, a second network) gets a socket of its own on that address, so its
// Contact, Via and media name an address the server can reach.

// udpFlowFor returns the UDP flow on the local address facing server.
func (p *Phone) udpFlowFor(server string) (*flow, error) {
	ip, err := p.routeTo(server)
	if err != nil || ip.Equal(p.localIP) {
		return p.udp, nil // no route yet: the shared socket, as before
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	if f := p.udpByIP[ip.String()]; f != nil {
		return f, nil
	}
	conn, err := net.ListenPacket("udp", net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		return nil, fmt.Errorf("open SIP socket on %s: %w", ip, err)
	}
	addr := conn.LocalAddr().(*net.UDPAddr)
	f, err := p.newFlow(netUDP, &net.TCPAddr{IP: addr.IP, Port: addr.Port})
	if err != nil {
		conn.Close()
		return nil, err
	}
	f.pconn = conn
	go func() {
		if err := p.srv.ServeUDP(conn); err != nil && !errors.Is(err, net.ErrClosed) {
			p.log.Error("SIP socket stopped", "addr", addr.String(), "err", err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), listenTimeout)
	defer cancel()
	if err := p.waitServing(ctx, netUDP, addr.String(), nil); err != nil {
		conn.Close()
		return nil, fmt.Errorf("SIP socket: %w", err)
	}
	if p.udpByIP == nil {
		p.udpByIP = map[string]*flow{}
	}
	p.udpByIP[ip.String()] = f
	p.log.Info("SIP listening", "addr", addr.String())
	return f, nil
}

// closeUDPSockets closes the sockets of accounts on other interfaces.
func (p *Phone) closeUDPSockets() {
	p.mu.Lock()
	fs := p.udpByIP
	p.udpByIP = nil
	p.mu.Unlock()
	for _, f := range fs {
		f.pconn.Close()
	}
}
