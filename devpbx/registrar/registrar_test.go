package registrar

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/emiago/sipgo/siptest"
	icholy "github.com/icholy/digest"

	"github.com/tabphone/tabphone/devpbx/sipauth"
	"github.com/tabphone/tabphone/devpbx/users"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newRegistrar(t *testing.T) (*Registrar, *clock) {
	t.Helper()
	dir, err := users.Parse(strings.NewReader("1001:pw1\n1002:pw2\n"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	return New(sipauth.New(dir, log), Options{Now: c.now, Log: log}), c
}

var cseq = 0

// register sends a REGISTER with the given extra header lines through the challenge
// and returns the final response.
func register(t *testing.T, r *Registrar, aor, user, password string, headers ...string) *sip.Response {
	t.Helper()
	build := func(auth string) *sip.Request {
		cseq++
		raw := fmt.Sprintf("REGISTER sip:127.0.0.1 SIP/2.0\r\n"+
			"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK%d\r\n"+
			"From: <sip:%s@127.0.0.1>;tag=a\r\nTo: <sip:%s@127.0.0.1>\r\n"+
			"Call-ID: reg-1\r\nCSeq: %d REGISTER\r\n", cseq, aor, aor, cseq)
		for _, h := range headers {
			raw += h + "\r\n"
		}
		if auth != "" {
			raw += "Authorization: " + auth + "\r\n"
		}
		raw += "Content-Length: 0\r\n\r\n"
		msg, err := sip.ParseMessage([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		req := msg.(*sip.Request)
		req.SetSource("127.0.0.1:5070")
		return req
	}
	send := func(req *sip.Request) *sip.Response {
		tx := siptest.NewServerTxRecorder(req)
		r.HandleRegister(req, tx)
		res := tx.Result()
		if len(res) != 1 {
			t.Fatalf("%d responses", len(res))
		}
		return res[0]
	}
	res := send(build(""))
	if res.StatusCode != 401 {
		return res
	}
	chal, err := icholy.ParseChallenge(res.GetHeader("WWW-Authenticate").Value())
	if err != nil {
		t.Fatal(err)
	}
	cred, err := icholy.Digest(chal, icholy.Options{Method: "REGISTER", URI: "sip:127.0.0.1", Username: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return send(build(cred.String()))
}

func TestRegisterLifecycle(t *testing.T) {
	r, clk := newRegistrar(t)
	res := register(t, r, "1001", "1001", "pw1", "Contact: <sip:1001@127.0.0.1:5070;transport=udp>;expires=120")
	if res.StatusCode != 200 {
		t.Fatalf("%s", res.StartLine())
	}
	if c := res.Contact(); c == nil || c.Params.GetOr("expires", "") != "120" {
		t.Fatalf("contact %v", res.GetHeaders("Contact"))
	}
	b := r.Bindings()
	if len(b) != 1 || b[0].Contact != "<sip:1001@127.0.0.1:5070;transport=udp>" || b[0].Source != "127.0.0.1:5070" || b[0].Transport != "UDP" {
		t.Fatalf("bindings %+v", b)
	}
	// A refresh with the same contact replaces the binding.
	register(t, r, "1001", "1001", "pw1", "Contact: <sip:1001@127.0.0.1:5070;transport=udp>", "Expires: 60")
	if b := r.Bindings(); len(b) != 1 || !b[0].ExpiresAt.Equal(clk.now().Add(60*time.Second)) {
		t.Fatalf("refresh %+v", b)
	}
	// A second device adds a binding; both are listed in the 200.
	res = register(t, r, "1001", "1001", "pw1", "Contact: <sip:1001@127.0.0.1:5080>")
	if n := len(res.GetHeaders("Contact")); n != 2 {
		t.Errorf("200 lists %d contacts", n)
	}
	clk.advance(61 * time.Second)
	if b := r.Bindings(); len(b) != 1 || b[0].Contact != "<sip:1001@127.0.0.1:5080>" {
		t.Fatalf("after expiry %+v", b)
	}
	register(t, r, "1001", "1001", "pw1", "Contact: <sip:1001@127.0.0.1:5080>;expires=0")
	if b := r.Bindings(); len(b) != 0 {
		t.Fatalf("after unregister %+v", b)
	}
}

func TestMaxExpiresAndDefault(t *testing.T) {
	r, clk := newRegistrar(t)
	register(t, r, "1001", "1001", "pw1", "Contact: <sip:1001@127.0.0.1:5070>", "Expires: 86400")
	register(t, r, "1002", "1002", "pw2", "Contact: <sip:1002@127.0.0.1:5071>")
	for _, b := range r.Bindings() {
		if !b.ExpiresAt.Equal(clk.now().Add(MaxExpires * time.Second)) {
			t.Errorf("%s expires at %v", b.User, b.ExpiresAt)
		}
	}
}

func TestWildcardUnregister(t *testing.T) {
	r, _ := newRegistrar(t)
	register(t, r, "1001", "1001", "pw1", "Contact: <sip:1001@127.0.0.1:5070>")
	register(t, r, "1001", "1001", "pw1", "Contact: <sip:1001@127.0.0.1:5080>")
	if res := register(t, r, "1001", "1001", "pw1", "Contact: *"); res.StatusCode != 400 {
		t.Errorf("* without Expires: 0 → %d", res.StatusCode)
	}
	if res := register(t, r, "1001", "1001", "pw1", "Contact: *", "Expires: 0"); res.StatusCode != 200 || len(r.Bindings()) != 0 {
		t.Errorf("* → %d, bindings %+v", res.StatusCode, r.Bindings())
	}
}

func TestRegisterRefusals(t *testing.T) {
	r, _ := newRegistrar(t)
	if res := register(t, r, "1001", "1002", "pw2", "Contact: <sip:x@127.0.0.1>"); res.StatusCode != 403 {
		t.Errorf("another user's AOR: %d", res.StatusCode)
	}
	if res := register(t, r, "1001", "1001", "nope", "Contact: <sip:x@127.0.0.1>"); res.StatusCode != 403 {
		t.Errorf("wrong password: %d", res.StatusCode)
	}
	if res := register(t, r, "1001", "1001", "pw1", "Contact: <sip:x@127.0.0.1>", "Expires: soon"); res.StatusCode != 400 {
		t.Errorf("bad Expires: %d", res.StatusCode)
	}
	if len(r.Bindings()) != 0 {
		t.Errorf("bindings %+v", r.Bindings())
	}
	// A REGISTER without Contact only queries the bindings.
	if res := register(t, r, "1001", "1001", "pw1"); res.StatusCode != 200 || res.Contact() != nil {
		t.Errorf("query: %v", res)
	}
}
