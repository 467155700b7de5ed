package phone

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/tabphone/tabphone/internal/devpbxtest"
	"github.com/tabphone/tabphone/media"
	"github.com/tabphone/tabphone/nativehost/config"
)

// slowRegistrar answers every REGISTER 200 OK (no auth), the refreshes after delay,
// and records what it received and when it answered, in order.
type slowRegistrar struct {
	conn  net.PacketConn
	delay time.Duration
	mu    sync.Mutex
	seen  int
	wire  []string // "recv Expires: N" and "sent 200 to Expires: N", in order
}

func startSlowRegistrar(t *testing.T, delay time.Duration) *slowRegistrar {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	r := &slowRegistrar{conn: conn, delay: delay}
	go func() {
		buf := make([]byte, 65535)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			msg, err := sip.ParseMessage(append([]byte(nil), buf[:n]...))
			req, ok := msg.(*sip.Request)
			if err != nil || !ok || req.Method != sip.REGISTER {
				continue
			}
			expires := req.GetHeader("Expires").Value()
			r.mu.Lock()
			r.seen++
			first := r.seen == 1
			r.wire = append(r.wire, "recv Expires: "+expires)
			r.mu.Unlock()
			go func() {
				if !first && expires != "0" {
					time.Sleep(r.delay) // a busy registrar
				}
				res := sip.NewResponseFromRequest(req, 200, "OK", nil)
				res.AppendHeader(sip.NewHeader("Expires", expires))
				r.mu.Lock()
				r.wire = append(r.wire, "sent 200 to Expires: "+expires)
				r.mu.Unlock()
				_, _ = conn.WriteTo([]byte(res.String()), from)
			}()
		}
	}()
	return r
}

func (r *slowRegistrar) log() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.wire...)
}

// TestUnregisterWaitsForTheREGISTERInFlight: the phone closes while a refresh REGISTER
// waits for its answer. The unREGISTER goes out only after that answer, so the
// registrar can never handle it before the refresh (which would leave a binding
// behind); and Close returns after the unREGISTER's own answer.
func TestUnregisterWaitsForTheREGISTERInFlight(t *testing.T) {
	r := startSlowRegistrar(t, 300*time.Millisecond)
	cfg, err := config.Parse([]byte(fmt.Sprintf(`{"accounts":[{"id":"work","user":"1001","password":"pw","domain":%q,"codecs":["pcmu"]}]}`, r.conn.LocalAddr())))
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(cfg, &eventLog{}, Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Media: &media.BrowserNet{LocalIPs: []net.IP{net.IPv4(127, 0, 0, 1)}}})
	if err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "registered", 5*time.Second, func() bool { return accountState(p).Registration == RegRegistered })
	p.Reregister() // a refresh now (as after a network change)
	devpbxtest.WaitFor(t, "the refresh at the registrar", 5*time.Second, func() bool { return len(r.log()) == 3 })
	t0 := time.Now()
	p.Close(context.Background())
	took := time.Since(t0)
	want := "recv Expires: 300, sent 200 to Expires: 300, recv Expires: 300, sent 200 to Expires: 300, recv Expires: 0, sent 200 to Expires: 0"
	if got := strings.Join(r.log(), ", "); got != want {
		t.Fatalf("on the wire:\n%s\nwant\n%s", got, want)
	}
	t.Logf("Close took %v with the refresh answered after 300 ms", took)
}
