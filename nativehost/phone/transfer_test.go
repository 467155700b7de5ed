package phone

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/tabphone/tabphone/media"
	"github.com/tabphone/tabphone/nativehost/config"
)

// endWatch reports each call's end on a channel, from the phone's own goroutine.
type endWatch struct {
	eventLog
	ended chan string
}

func (e *endWatch) CallChanged(c CallInfo) {
	if c.State == CallEnded {
		e.ended <- c.ID
	}
}

// TestEndedIsClosedWhenTheCallEnds: what a transfer waits on (the call's done channel)
// is closed by the time the call's end is reported, not a polling interval later.
func TestEndedIsClosedWhenTheCallEnds(t *testing.T) {
	cfg, err := config.Parse([]byte(`{"accounts":[{"id":"a","user":"1001","domain":"127.0.0.1:9","register":false,"codecs":["pcmu"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ev := &endWatch{ended: make(chan string, 1)}
	p, err := New(cfg, ev, Options{Media: &media.BrowserNet{LocalIPs: []net.IP{net.IPv4(127, 0, 0, 1)}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		p.Close(ctx)
	})
	id, err := p.Dial("", "2000")
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.call(id)
	if err != nil {
		t.Fatal(err)
	}
	ended := c.doneChan()
	select {
	case <-ended:
		t.Fatal("ended is closed while the call is up")
	default:
	}
	if err := p.Hangup(id); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ev.ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the call did not end")
	}
	select {
	case <-ended:
	default:
		t.Fatal("the call's end was reported before its done channel was closed")
	}
}
