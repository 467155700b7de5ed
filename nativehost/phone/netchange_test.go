package phone

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/devpbxtest"
	"github.com/tabphone/tabphone/internal/kamailiotest"
)

// TestNetworkChangeRegistersFromTheNewAddress: the route to the registrar moves to
// another local address (127.0.0.2 stands in for a new network); the account drops its
// flow and registers again at once from a socket on that address, whose Contact the
// registrar now holds. A second check with the route unchanged sends nothing.
func TestNetworkChangeRegistersFromTheNewAddress(t *testing.T) {
	k := kamailiotest.StartOpts(t, kamailiotest.Options{Password: "pw-n", MaxExpires: 300})
	p, _ := phoneWith(t, accountJSON("work", "1001", "pw-n", k.Addr, "udp", ""))
	waitRegistered(t, p, "work", 10*time.Second)
	if ip := flowOf(t, p, "work").ip; !ip.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Fatalf("first flow on %v", ip)
	}
	moved := net.IPv4(127, 0, 0, 2)
	p.mu.Lock()
	p.route = func(string) (net.IP, error) { return moved, nil }
	p.mu.Unlock()
	before := len(k.Registers())
	p.checkRoutes()
	devpbxtest.WaitFor(t, "REGISTER from the new address", 10*time.Second, func() bool {
		rs := k.Registers()
		return len(rs) > before && strings.HasPrefix(rs[len(rs)-1].Source, "127.0.0.2:")
	})
	rs := k.Registers()
	if last := rs[len(rs)-1]; !strings.HasPrefix(last.Contact, "<sip:1001@127.0.0.2:") {
		t.Fatalf("Contact after the change: %s", last.Contact)
	}
	waitRegistered(t, p, "work", 5*time.Second)
	if ip := flowOf(t, p, "work").ip; !ip.Equal(moved) {
		t.Fatalf("flow on %v after the change", ip)
	}
	n := len(k.Registers())
	p.checkRoutes() // same route: nothing to do
	if a, _ := p.account("work"); len(a.kick) != 0 {
		t.Fatal("an unchanged route asked for a REGISTER")
	}
	if len(k.Registers()) != n {
		t.Fatal("an unchanged route sent a REGISTER")
	}
}
