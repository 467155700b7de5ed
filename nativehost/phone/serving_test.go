package phone

import (
	"context"
	"errors"
	"net"
	"testing"
)

// refs is how many references sipgo's transport layer holds on the connection it
// serves at addr (not counting the one taken to look).
func refs(t *testing.T, p *Phone, network, addr string) int {
	t.Helper()
	c, err := p.ua.TransportLayer().GetConnection(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	n := c.Ref(0) - 1
	_, _ = c.TryClose()
	return n
}

// TestWaitingForSipgoTakesNoReference: waiting until sipgo serves a socket looks the
// connection up, which takes a reference; the phone's shared SIP socket and a socket
// served later hold as many references afterwards, so none was left behind.
func TestWaitingForSipgoTakesNoReference(t *testing.T) {
	p, _ := newPhoneAt(t, "127.0.0.1:9", "x", `,"register":false`)
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	go func() {
		if err := p.srv.ServeUDP(conn); err != nil && !errors.Is(err, net.ErrClosed) {
			t.Log(err)
		}
	}()
	if err := p.waitServing(context.Background(), netUDP, conn.LocalAddr().String(), nil); err != nil {
		t.Fatal(err)
	}
	shared, fresh := refs(t, p, netUDP, p.conn.LocalAddr().String()), refs(t, p, netUDP, conn.LocalAddr().String())
	if shared != fresh {
		t.Fatalf("the shared socket holds %d references, a socket served the same way %d", shared, fresh)
	}
}
