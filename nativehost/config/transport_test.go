package config

import (
	"errors"
	"strings"
	"testing"
)

func TestAccountTransport(t *testing.T) {
	for _, tc := range []struct {
		account, want string
	}{
		{`"domain":"pbx.example.com"`, "udp"},
		{`"domain":"pbx.example.com","transport":"TLS"`, "tls"},
		{`"domain":"sip:pbx.example.com:5080;transport=tcp"`, "tcp"},
		{`"domain":"pbx.example.com","registrar":"sip:reg.example.com;transport=ws"`, "ws"},
		{`"domain":"pbx.example.com","registrar":"sip:reg.example.com;transport=ws","outbound_proxy":"sip:proxy.example.com;transport=wss"`, "wss"},
		{`"domain":"sip:pbx.example.com;transport=tcp","transport":"udp"`, "udp"},
	} {
		c, err := Parse([]byte(`{"accounts":[{"user":"1001",` + tc.account + `}]}`))
		if err != nil {
			t.Fatalf("%s: %v", tc.account, err)
		}
		if got := c.Accounts[0].Transport; got != tc.want {
			t.Errorf("%s: transport %q, want %q", tc.account, got, tc.want)
		}
	}
	for _, bad := range []string{`"transport":"sctp"`, `"transport":"tls","tls_ca_file":"ca.pem"`, `"transport":"tcp","tls_ca_file":"` + strings.Repeat("a", 5000) + `"`} {
		if _, err := Parse([]byte(`{"accounts":[{"user":"1001","domain":"pbx.example.com",` + bad + `}]}`)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%.40s: %v, want ErrInvalid", bad, err)
		}
	}
}
