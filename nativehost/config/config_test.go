package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const example = `{
  "accounts": [{
    "id": "work", "user": "1001", "auth_user": "", "password": "secret",
    "domain": "pbx.example.com", "registrar": "", "outbound_proxy": "",
    "transport": "udp", "srtp": "off", "codecs": ["opus", "g722", "pcmu", "pcma"],
    "auto_answer": {"enabled": false, "seconds": 5}, "dnd_code": 486, "region": "US"
  }],
  "default_account": "work",
  "status": "available",
  "sites": [{"match": "https://pbx.example.com/*", "login": "https://pbx.example.com/login*",
             "session_cookie": "PHPSESSID"}],
  "close_without_session": true
}`

func TestParseDesignExample(t *testing.T) {
	c, err := Parse([]byte(example))
	if err != nil {
		t.Fatal(err)
	}
	a, ok := c.Account("")
	if !ok || a.ID != "work" || a.Password.Reveal() != "secret" || a.Expires != 300 {
		t.Fatalf("default account: %+v", a)
	}
	if s := fmt.Sprint(a.Password); strings.Contains(s, "secret") {
		t.Fatalf("password printed: %s", s)
	}
}

func TestParseRejects(t *testing.T) {
	cases := map[string]string{
		"not json":        `{`,
		"unknown field":   `{"acounts": []}`,
		"no user":         `{"accounts":[{"id":"a","domain":"x"}]}`,
		"dup id":          `{"accounts":[{"id":"a","user":"1","domain":"x"},{"id":"a","user":"2","domain":"x"}]}`,
		"bad codec":       `{"accounts":[{"user":"1","domain":"x","codecs":["gsm"]}]}`,
		"bad port":        `{"accounts":[{"user":"1","domain":"x:99999"}]}`,
		"bad default":     `{"accounts":[{"user":"1","domain":"x"}],"default_account":"nope"}`,
		"bad status":      `{"status":"away"}`,
		"bad transport":   `{"accounts":[{"user":"1","domain":"x","transport":"sctp"}]}`,
		"garbage address": `{"accounts":[{"user":"1","domain":"a b"}]}`,
		"site with port":  `{"sites":[{"match":"http://127.0.0.1:8080/*"}]}`,
		"site no scheme":  `{"sites":[{"match":"pbx.example.com/*"}]}`,
		"site bad host":   `{"sites":[{"match":"https://pbx.*.com/*"}]}`,
		"site bad url":    `{"sites":[{"match":"https://pbx.example.com/*","url":"javascript:alert(1)"}]}`,
	}
	for name, doc := range cases {
		if _, err := Parse([]byte(doc)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
	}
}

func TestParseServer(t *testing.T) {
	cases := map[string]Server{
		"pbx.example.com":                        {Host: "pbx.example.com"},
		"127.0.0.1:5070":                         {Host: "127.0.0.1", Port: 5070},
		"sip:pbx.example.com:5080;transport=TCP": {Host: "pbx.example.com", Port: 5080, Transport: "tcp"},
		"sip:1001@10.0.0.1":                      {Host: "10.0.0.1"},
		"[::1]:5060":                             {Host: "::1", Port: 5060},
	}
	for in, want := range cases {
		got, err := ParseServer(in)
		if err != nil || got != want {
			t.Errorf("ParseServer(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	if got := (Server{Host: "x"}).Addr(); got != "x:5060" {
		t.Errorf("default port: %s", got)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "none.json")); !errors.Is(err, ErrNoFile) {
		t.Fatalf("missing file: %v", err)
	}
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, make([]byte, MaxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); !errors.Is(err, ErrInvalid) {
		t.Fatalf("oversized file: %v", err)
	}
}

func TestWSPathChecked(t *testing.T) {
	for _, good := range []string{"", "/", "/ws", "/sip/ws-1", "/a;b=c"} {
		if _, err := Parse([]byte(`{"accounts":[{"id":"a","user":"1","domain":"pbx","transport":"wss","ws_path":"` + good + `"}]}`)); err != nil {
			t.Errorf("%q refused: %v", good, err)
		}
	}
	for _, bad := range []string{"ws", "/w s", "/ws?x=1", "/ws#f", "/" + strings.Repeat("a", 300)} {
		if _, err := Parse([]byte(`{"accounts":[{"id":"a","user":"1","domain":"pbx","transport":"wss","ws_path":"` + bad + `"}]}`)); err == nil {
			t.Errorf("%q taken", bad)
		}
	}
}

// TestEveryFieldHonouredOrRefused: values the phone could not honour as written are
// refused with words that name the field, never taken and then ignored or misused.
func TestEveryFieldHonouredOrRefused(t *testing.T) {
	account := func(fields string) string {
		return `{"accounts":[{"id":"a","user":"1001","domain":"pbx.example.com"` + fields + `}]}`
	}
	for doc, words := range map[string]string{
		account(`,"dnd_code":200`):                               "dnd_code 200",
		account(`,"dnd_code":99`):                                "dnd_code 99",
		account(`,"dnd_code":700`):                               "dnd_code 700",
		account(`,"auto_answer":{"enabled":true,"seconds":-1}`):  "auto_answer.seconds -1",
		account(`,"auto_answer":{"enabled":true,"seconds":601}`): "auto_answer.seconds 601",
		account(`,"region":"ZZ"`):                                `region "ZZ"`,
		account(`,"region":"USA"`):                               `region "USA"`,
		account(`,"display_name":"Ann\r\nX-Evil: 1"`):            "display_name",
		`{"accounts":[{"id":"a","user":"10 01","domain":"x"}]}`:  "user",
		`{"accounts":[{"id":"a","user":"1001>","domain":"x"}]}`:  "user",
		account(`,"auth_user":"a\"b"`):                           "auth_user",
		account(`,"codecs":["pcmu","PCMU"]`):                     `codec "PCMU" is listed twice`,
		`{"default_account":"work"}`:                             `default_account "work" names no account`,
		// Every other value's range, with the sentence the user is shown.
		`{"accounts":[{"id":"a\u0007","user":"1","domain":"x"}]}`:                         "id must be at most 64 characters",
		`{"accounts":[{"id":"` + strings.Repeat("i", 65) + `","user":"1","domain":"x"}]}`: "id must be at most 64 characters",
		account(`,"password":"` + strings.Repeat("p", 1025) + `"`):                        "password is over 1024 characters",
		account(`,"domain":"pbx\r\nX-Evil:1"`):                                            "is not a host name or an IP address",
		account(`,"registrar":"sip:pb\u0000x:5060"`):                                      "is not a host name or an IP address",
		account(`,"outbound_proxy":"pbx:0"`):                                              "bad port",
		account(`,"transport":"sctp"`):                                                    `transport "sctp" is not udp`,
		account(`,"srtp":"zrtp"`):                                                         `srtp "zrtp" is not off`,
		account(`,"tls_ca_file":"ca.pem"`):                                                "tls_ca_file must be an absolute path",
		account(`,"tls_ca_file":"/etc/ca\n.pem"`):                                         "tls_ca_file must be an absolute path",
		account(`,"ws_path":"ws"`):                                                        "ws_path must be a path",
		account(`,"codecs":["gsm"]`):                                                      `unknown codec "gsm"`,
		account(`,"keepalive":-2`):                                                        "keepalive -2 is outside -1..3600",
		account(`,"keepalive":3601`):                                                      "keepalive 3601 is outside -1..3600",
		account(`,"rtp_timeout":4`):                                                       "rtp_timeout 4 must be -1 (never) or 5..3600",
		account(`,"rtp_timeout":3601`):                                                    "rtp_timeout 3601 must be -1 (never) or 5..3600",
		account(`,"expires":29`):                                                          "expires 29 is outside 30..86400",
		account(`,"expires":86401`):                                                       "expires 86401 is outside 30..86400",
		account(`,"display_name":"` + strings.Repeat("d", 129) + `"`):                     "display_name is over 128 characters",
		`{"status":"away"}`:                                                               `status "away" is not available or dnd`,
		`{"sites":[{"match":"ftp://x/*"}]}`:                                               "sites[0].match",
		`{"sites":[{"match":"https://x/*","login":"x"}]}`:                                 "sites[0].login",
		`{"sites":[{"match":"https://x/*","url":"file:///etc"}]}`:                         "sites[0].url",
		`{"sites":[{"match":"https://x/*","session_cookie":"a b"}]}`:                      "sites[0].session_cookie must be a cookie name",
	} {
		_, err := Parse([]byte(doc))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), words) {
			t.Errorf("%s: %v, want an error that says %q", doc, err, words)
		}
	}
	c, err := Parse([]byte(account(`,"region":"gb","dnd_code":603,"auto_answer":{"enabled":true,"seconds":600},"display_name":"Ann \"The Boss\" O'Neil","user":"+44-1001%40x"`)))
	if err != nil {
		t.Fatal(err)
	}
	if a := c.Accounts[0]; a.Region != "GB" {
		t.Errorf("region kept as %q, want GB", a.Region)
	}
}
