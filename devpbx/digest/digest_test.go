package digest

import (
	"errors"
	"strings"
	"testing"
	"time"

	icholy "github.com/icholy/digest"
)

// The worked example of RFC 2617 3.5.
const rfc2617Example = `Digest username="Mufasa",
                 realm="testrealm@host.com",
                 nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
                 uri="/dir/index.html",
                 qop=auth,
                 nc=00000001,
                 cnonce="0a4f113b",
                 response="6629fae49393a05397450978507c4ef1",
                 opaque="5ccc069c403ebaf9f0171e9517f40e41"`

func TestRFC2617Example(t *testing.T) {
	c, err := ParseCredentials(strings.ReplaceAll(rfc2617Example, "\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	if c.Username != "Mufasa" || c.URI != "/dir/index.html" || c.NC != "00000001" || c.Opaque == "" {
		t.Fatalf("parsed %+v", c)
	}
	if !c.Verify("GET", "Circle Of Life") {
		t.Errorf("right password rejected; expected %s", ExpectedResponse(c, "GET", "Circle Of Life"))
	}
	if c.Verify("GET", "circle of life") {
		t.Error("wrong password accepted")
	}
	if c.Verify("POST", "Circle Of Life") {
		t.Error("wrong method accepted")
	}
}

// A response made by the client library sipgo uses (github.com/icholy/digest) checks out.
func TestClientLibraryResponse(t *testing.T) {
	chal := Challenge{Realm: "devpbx", Nonce: "abc123"}
	parsed, err := icholy.ParseChallenge(chal.String())
	if err != nil {
		t.Fatalf("client cannot parse our challenge %q: %v", chal.String(), err)
	}
	cred, err := icholy.Digest(parsed, icholy.Options{Method: "REGISTER", URI: "sip:127.0.0.1:5060", Username: "1001", Password: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCredentials(cred.String())
	if err != nil {
		t.Fatalf("parse %q: %v", cred.String(), err)
	}
	if c.QOP != "auth" || c.Nonce != "abc123" || c.Realm != "devpbx" {
		t.Fatalf("parsed %+v", c)
	}
	if !c.Verify("REGISTER", "s3cret") {
		t.Error("right password rejected")
	}
	if c.Verify("REGISTER", "wrong") {
		t.Error("wrong password accepted")
	}
}

func TestNoQOPCompat(t *testing.T) {
	c := Credentials{Username: "u", Realm: "devpbx", Nonce: "n", URI: "sip:x"}
	c.Response = ExpectedResponse(c, "INVITE", "pw")
	h := `Digest username="u", realm="devpbx", nonce="n", uri="sip:x", response="` + c.Response + `"`
	p, err := ParseCredentials(h)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Verify("INVITE", "pw") {
		t.Error("RFC 2069 style response rejected")
	}
}

func TestChallengeString(t *testing.T) {
	got := Challenge{Realm: "devpbx", Nonce: "n1", Stale: true}.String()
	want := `Digest realm="devpbx", nonce="n1", algorithm=MD5, qop="auth", stale=TRUE`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestParseErrors(t *testing.T) {
	cases := map[string]error{
		`Basic dXNlcjpwYXNz`: ErrNotDigest,
		``:                   ErrNotDigest,
		`Digest username="a", realm="r", nonce="n", uri="u"`:                                             ErrMalformed,
		`Digest username="a", realm="r", nonce="n", uri="u", response="x", qop=auth`:                     ErrMalformed,
		`Digest username="a, realm="r"`:                                                                  ErrMalformed,
		`Digest username="a", username="b", realm="r", nonce="n", uri="u", response="x"`:                 ErrMalformed,
		`Digest username="a" realm="r"`:                                                                  ErrMalformed,
		`Digest =x`:                                                                                      ErrMalformed,
		`Digest username="a", realm="r", nonce="n", uri="u", response="x", algorithm=SHA-256`:            ErrUnsupported,
		`Digest username="a", realm="r", nonce="n", uri="u", response="x", qop=auth-int, nc=1, cnonce=c`: ErrUnsupported,
	}
	for h, want := range cases {
		if _, err := ParseCredentials(h); !errors.Is(err, want) {
			t.Errorf("%q: err %v, want %v", h, err, want)
		}
	}
}

func TestParseQuotedEscapes(t *testing.T) {
	c, err := ParseCredentials(`digest USERNAME="a\"b", realm="r,1", nonce=n, uri="sip:a@b;x=1", response=ABC`)
	if err != nil {
		t.Fatal(err)
	}
	if c.Username != `a"b` || c.Realm != "r,1" || c.Nonce != "n" || c.Response != "ABC" {
		t.Errorf("parsed %+v", c)
	}
}

func TestNonces(t *testing.T) {
	now := time.Unix(1000, 0)
	n := NewNonces(time.Minute, func() time.Time { return now })
	a, b := n.New(), n.New()
	if a == b || len(a) != 32 {
		t.Fatalf("nonces %q %q", a, b)
	}
	if !n.Valid(a) || n.Valid("made-up") {
		t.Fatal("validity wrong")
	}
	now = now.Add(2 * time.Minute)
	if n.Valid(a) {
		t.Error("expired nonce still valid")
	}
}

func TestNoncesBounded(t *testing.T) {
	n := NewNonces(time.Hour, nil)
	n.max = 10
	for range 25 {
		n.New()
	}
	if len(n.issued) > 10 {
		t.Errorf("%d nonces kept", len(n.issued))
	}
}

func FuzzParseCredentials(f *testing.F) {
	f.Add(rfc2617Example)
	f.Add(`Digest username="a\"b", realm="r,1", nonce=n, uri="sip:a@b", response=ABC`)
	f.Add(`Digest a=`)
	f.Add(`Digest a="\`)
	f.Fuzz(func(t *testing.T, h string) {
		c, err := ParseCredentials(h)
		if err == nil && (c.Username == "" || c.Response == "") {
			t.Errorf("accepted without username/response: %q", h)
		}
		if err == nil {
			c.Verify("REGISTER", "x")
		}
	})
}
