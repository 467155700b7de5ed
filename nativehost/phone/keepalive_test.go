package phone

import (
	"net"
	"testing"
	"time"
)

func TestKeepaliveReachesTheServerFromTheSIPSocket(t *testing.T) {
	srv, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	p, _ := newPhoneAt(t, srv.LocalAddr().String(), "x", `,"register":false,"keepalive":1`)
	_ = srv.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 64)
	n, from, err := srv.ReadFrom(buf)
	if err != nil {
		t.Fatalf("no keepalive within 3 s: %v", err)
	}
	if string(buf[:n]) != "\r\n\r\n" || from.String() != p.conn.LocalAddr().String() {
		t.Fatalf("got %q from %s, want CRLFCRLF from %s", buf[:n], from, p.conn.LocalAddr())
	}
}
