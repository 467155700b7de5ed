package phone

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/tabphone/tabphone/media"
	"github.com/tabphone/tabphone/nativehost/config"
)

// TestDialWithoutAccountUsesTheDefault: with two accounts, a dial that names none goes
// out from default_account, not from the first account; a config change moves it.
func TestDialWithoutAccountUsesTheDefault(t *testing.T) {
	doc := func(def string) *config.Config {
		t.Helper()
		cfg, err := config.Parse([]byte(`{"accounts":[` +
			`{"id":"first","user":"1001","domain":"127.0.0.1:9","register":false,"codecs":["pcmu"]},` +
			`{"id":"second","user":"1002","domain":"127.0.0.1:9","register":false,"codecs":["pcmu"]}],` +
			`"default_account":"` + def + `"}`))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	p, err := New(doc("second"), &eventLog{}, Options{Media: &media.BrowserNet{LocalIPs: []net.IP{net.IPv4(127, 0, 0, 1)}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Nobody answers at 127.0.0.1:9: the cancelled INVITEs would wait for Timer B.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		p.Close(ctx)
	})
	dialedFrom := func() string {
		t.Helper()
		id, err := p.Dial("", "2000")
		if err != nil {
			t.Fatal(err)
		}
		defer p.Hangup(id)
		c, err := p.call(id)
		if err != nil {
			t.Fatal(err)
		}
		return c.info().Account
	}
	defaultIs := func(want string) {
		t.Helper()
		accs, _ := p.Snapshot()
		var got []string
		for _, a := range accs {
			if a.Default {
				got = append(got, a.ID)
			}
		}
		if len(got) != 1 || got[0] != want {
			t.Fatalf("the state names %v as the default account, want %s", got, want)
		}
	}
	defaultIs("second")
	if got := dialedFrom(); got != "second" {
		t.Fatalf("dialled from %q, want the default account \"second\"", got)
	}
	if err := p.UpdateAccounts(doc("first")); err != nil {
		t.Fatal(err)
	}
	defaultIs("first")
	if got := dialedFrom(); got != "first" {
		t.Fatalf("after the change dialled from %q, want \"first\"", got)
	}
}

// TestDisplayNameQuotedInFrom: a display name with quotes and a backslash reaches the
// PBX intact (RFC 3261 25.1 quoted-pair), not as a From header that ends mid-name.
func TestDisplayNameQuotedInFrom(t *testing.T) {
	pbx, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pbx.Close()
	const name = `Ann "The Boss" \ O'Neil`
	cfg, err := config.Parse([]byte(fmt.Sprintf(`{"accounts":[{"id":"a","user":"1001","display_name":%q,"domain":%q,"register":false,"codecs":["pcmu"]}]}`,
		name, pbx.LocalAddr().String())))
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(cfg, &eventLog{}, Options{Media: &media.BrowserNet{LocalIPs: []net.IP{net.IPv4(127, 0, 0, 1)}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		p.Close(ctx)
	})
	if _, err := p.Dial("", "2000"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65535)
	_ = pbx.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := pbx.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := sip.ParseMessage(buf[:n])
	if err != nil {
		t.Fatalf("the INVITE does not parse: %v\n%s", err, buf[:n])
	}
	req, ok := msg.(*sip.Request)
	if !ok || req.From() == nil {
		t.Fatalf("not an INVITE with a From:\n%s", buf[:n])
	}
	var uri sip.Uri
	params := sip.NewParams()
	got, err := sip.ParseAddressValue(req.From().Value(), &uri, &params)
	if err != nil || unquote(got) != name || uri.User != "1001" {
		t.Fatalf("From %q read as %q (%v), want the name %q", req.From().Value(), got, err, name)
	}
}

// unquote undoes quoted-pairs (sipgo keeps them in the display name it parses).
func unquote(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
