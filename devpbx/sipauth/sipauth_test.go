package sipauth

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
	icholy "github.com/icholy/digest"

	"github.com/tabphone/tabphone/devpbx/digest"
	"github.com/tabphone/tabphone/devpbx/users"
)

func newAuth(t *testing.T) *Authenticator {
	t.Helper()
	dir, err := users.Parse(strings.NewReader("1001:right\n"))
	if err != nil {
		t.Fatal(err)
	}
	return New(dir, slog.New(slog.DiscardHandler))
}

func request(t *testing.T, method, header, value string) *sip.Request {
	t.Helper()
	raw := fmt.Sprintf("%s sip:600@127.0.0.1 SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK776\r\n"+
		"From: <sip:1001@127.0.0.1>;tag=a\r\nTo: <sip:600@127.0.0.1>\r\n"+
		"Call-ID: c1\r\nCSeq: 1 %s\r\n", method, method)
	if header != "" {
		raw += header + ": " + value + "\r\n"
	}
	raw += "Content-Length: 0\r\n\r\n"
	msg, err := sip.ParseMessage([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return msg.(*sip.Request)
}

// answer computes the client's credentials for a challenge response.
func answer(t *testing.T, res *sip.Response, header, method, user, password string) string {
	t.Helper()
	chal, err := icholy.ParseChallenge(res.GetHeader(header).Value())
	if err != nil {
		t.Fatal(err)
	}
	cred, err := icholy.Digest(chal, icholy.Options{Method: method, URI: "sip:600@127.0.0.1", Username: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return cred.String()
}

func TestProxyChallengeAndCheck(t *testing.T) {
	a := newAuth(t)
	user, res := a.Check(request(t, "INVITE", "", ""), Proxy)
	if user != "" || res == nil || res.StatusCode != 407 || res.GetHeader("Proxy-Authenticate") == nil {
		t.Fatalf("no credentials: %q %v", user, res)
	}
	creds := answer(t, res, "Proxy-Authenticate", "INVITE", "1001", "right")
	if user, res := a.Check(request(t, "INVITE", "Proxy-Authorization", creds), Proxy); user != "1001" || res != nil {
		t.Fatalf("right password: %q %v", user, res)
	}
	wrong := answer(t, res, "Proxy-Authenticate", "INVITE", "1001", "wrong")
	if _, res := a.Check(request(t, "INVITE", "Proxy-Authorization", wrong), Proxy); res == nil || res.StatusCode != 403 {
		t.Fatalf("wrong password: %v", res)
	}
	unknown := answer(t, res, "Proxy-Authenticate", "INVITE", "9999", "x")
	if _, res := a.Check(request(t, "INVITE", "Proxy-Authorization", unknown), Proxy); res == nil || res.StatusCode != 403 {
		t.Fatalf("unknown user: %v", res)
	}
	if f := a.Failures(); f["1001"] != 1 || f["9999"] != 1 {
		t.Errorf("failures %v", f)
	}
}

func TestRegistrarChallenge(t *testing.T) {
	a := newAuth(t)
	_, res := a.Check(request(t, "REGISTER", "", ""), Registrar)
	if res.StatusCode != 401 || !strings.Contains(res.GetHeader("WWW-Authenticate").Value(), `qop="auth"`) {
		t.Fatalf("%v", res)
	}
	creds := answer(t, res, "WWW-Authenticate", "REGISTER", "1001", "right")
	if user, res := a.Check(request(t, "REGISTER", "Authorization", creds), Registrar); user != "1001" {
		t.Fatalf("%v", res)
	}
	// The digest covers the method: the same credentials do not authorize an INVITE.
	if _, res := a.Check(request(t, "INVITE", "Authorization", creds), Proxy); res == nil || res.StatusCode != 403 {
		t.Fatalf("replayed for another method: %v", res)
	}
}

func TestStaleNonce(t *testing.T) {
	a := newAuth(t)
	c := digest.Credentials{Username: "1001", Realm: Realm, Nonce: "not-issued-by-us", URI: "sip:600@127.0.0.1", QOP: "auth", NC: "00000001", CNonce: "x"}
	c.Response = digest.ExpectedResponse(c, "INVITE", "right")
	h := fmt.Sprintf(`Digest username="1001", realm="devpbx", nonce="%s", uri="%s", qop=auth, nc=00000001, cnonce="x", response="%s"`, c.Nonce, c.URI, c.Response)
	_, res := a.Check(request(t, "INVITE", "Proxy-Authorization", h), Proxy)
	if res == nil || res.StatusCode != 407 || !strings.Contains(res.GetHeader("Proxy-Authenticate").Value(), "stale=TRUE") {
		t.Fatalf("stale nonce: %v", res)
	}
	if len(a.Failures()) != 0 {
		t.Error("a stale nonce counted as a failure")
	}
}

func TestOtherRealmAndMalformed(t *testing.T) {
	a := newAuth(t)
	other := `Digest username="1001", realm="elsewhere", nonce="n", uri="sip:x", response="00"`
	if _, res := a.Check(request(t, "INVITE", "Proxy-Authorization", other), Proxy); res.StatusCode != 407 {
		t.Errorf("other realm: %v", res)
	}
	if _, res := a.Check(request(t, "INVITE", "Proxy-Authorization", `Digest username="1001"`), Proxy); res.StatusCode != 400 {
		t.Errorf("malformed: %v", res)
	}
	if _, res := a.Check(request(t, "INVITE", "Proxy-Authorization", `Basic MTAwMTpyaWdodA==`), Proxy); res.StatusCode != 407 {
		t.Errorf("basic: %v", res)
	}
}

func TestFailureTableBounded(t *testing.T) {
	a := newAuth(t)
	for i := range maxFailureKeys + 50 {
		a.fail(fmt.Sprint("u", i))
	}
	f := a.Failures()
	if len(f) != maxFailureKeys+1 || f[otherUsers] != 50 {
		t.Errorf("%d keys, other %d", len(f), f[otherUsers])
	}
}
