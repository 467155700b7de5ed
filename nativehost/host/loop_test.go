package host

import (
	"fmt"
	"net"
	"testing"
	"time"
)

// TestDialConnectingDoesNotStallTheHost: a dial on an account that first has to connect
// (WebSocket to a server that takes the connection and never answers the handshake)
// waits up to the connect timeout; meanwhile pings are answered at once.
func TestDialConnectingDoesNotStallTheHost(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // silent: never answers the WebSocket handshake
		}
	}()
	dir := writeConfig(t, fmt.Sprintf(`{"accounts":[{"id":"work","user":"1001","domain":%q,"transport":"ws","register":false}]}`, l.Addr()))
	s := start(t, dir)
	events := s.stream()
	s.send(`{"type":"hello","id":1,"data":{"protocol":1,"version":"x"}}`)
	await(t, events, "hello reply", replyTo(1))

	s.send(`{"type":"dial","id":2,"data":{"number":"600"}}`)
	time.Sleep(200 * time.Millisecond) // the dial is connecting now
	for id := int64(3); id < 6; id++ {
		t0 := time.Now()
		s.send(fmt.Sprintf(`{"type":"ping","id":%d}`, id))
		if r := await(t, events, "ping reply", replyTo(id)); !*r.OK || time.Since(t0) > 100*time.Millisecond {
			t.Fatalf("ping replied %+v after %v while a dial connects", r.Error, time.Since(t0))
		}
	}
	r := await(t, events, "dial reply", replyTo(2))
	if r.OK == nil || *r.OK || r.Error == nil {
		t.Fatalf("dial to a silent server: %+v", r)
	}
	t.Logf("dial failed with %s: %s", r.Error.Code, r.Error.Message)
}
