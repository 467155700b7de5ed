package media

import (
	"fmt"
	"net"
)

// DefaultRouteIPv4 returns the local address the machine uses to reach the internet, or
// nil when there is no default route. Connecting a UDP socket sends nothing.
func DefaultRouteIPv4() net.IP {
	c, err := net.Dial("udp4", "203.0.113.1:9") // TEST-NET-3: routed by the default route only
	if err != nil {
		return nil
	}
	defer c.Close()
	ip := c.LocalAddr().(*net.UDPAddr).IP
	if ip.IsLoopback() {
		return nil
	}
	return ip.To4()
}

// LocalIPFor returns the local address used to reach host:port, so SIP and RTP can bind
// to the interface that faces the PBX.
func LocalIPFor(hostport string) (net.IP, error) {
	c, err := net.Dial("udp", hostport)
	if err != nil {
		return nil, fmt.Errorf("find local address for %s: %w", hostport, err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).IP, nil
}

// machineIPs returns every address of this machine's interfaces.
func machineIPs() map[string]bool {
	ips := map[string]bool{"127.0.0.1": true, "::1": true}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ips
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			ips[n.IP.String()] = true
		}
	}
	return ips
}
