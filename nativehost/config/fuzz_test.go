package config

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParse: any config.json the user (or a program) writes is taken or refused with an
// error, never a panic; what is taken obeys the rules the phone relies on (a DND code
// that rejects, bounded auto-answer, hosts without line breaks), and saving it gives a
// file that parses back to the same config (a save never loses or changes a value).
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"accounts":[{"id":"work","user":"1001","password":"secret","domain":"pbx.example.com","registrar":"","outbound_proxy":"","transport":"udp","srtp":"auto","codecs":["opus","g722","pcmu","pcma"],"auto_answer":{"enabled":false,"seconds":5},"dnd_code":486,"region":"US"}],"default_account":"work","status":"available","sites":[{"match":"https://pbx.example.com/*","login":"https://pbx.example.com/login*","session_cookie":"PHPSESSID"}],"close_without_session":true}`))
	f.Add([]byte(`{"accounts":[{"user":"1001","domain":"sip:10.0.0.1:5080;transport=tcp","outbound_proxy":"[::1]:5061","transport":"tls","tls_ca_file":"/tmp/ca.pem","keepalive":-1,"rtp_timeout":60,"expires":120,"register":false}],"sip_trace":true}`))
	f.Add([]byte(`{"accounts":[{"id":"a","user":"1","domain":"h","transport":"wss","ws_path":"/ws","srtp":"dtls","dnd_code":603,"auto_answer":{"enabled":true,"seconds":0,"from_pbx":true}}],"status":"dnd"}`))
	f.Add([]byte(`{"accounts":[{"id":"a","user":"1","domain":"pbx\r\nX-Evil: 1"}]}`))
	f.Add([]byte(`{"accounts": [`))
	f.Add([]byte(`{"accounts":[],"unknown":1}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := Parse(in)
		if err != nil {
			if c != nil {
				t.Fatalf("Parse returned a config with the error %v", err)
			}
			return
		}
		for _, a := range c.Accounts {
			if a.DNDCode != 0 && (a.DNDCode < 400 || a.DNDCode > 699) {
				t.Fatalf("dnd_code %d taken: DND would not reject", a.DNDCode)
			}
			if a.AutoAnswer.Seconds < 0 || a.AutoAnswer.Seconds > MaxAutoAnswerSeconds {
				t.Fatalf("auto_answer.seconds %d taken", a.AutoAnswer.Seconds)
			}
			for _, s := range []string{a.ID, a.User, a.AuthUser, a.Domain, a.Registrar, a.OutboundProxy, a.Transport, a.Region, a.WSPath} {
				if strings.ContainsAny(s, "\r\n\x00") {
					t.Fatalf("a line break or NUL taken in %q", s)
				}
			}
		}
		raw, err := json.Marshal(c.file())
		if err != nil {
			t.Fatalf("a parsed config does not encode: %v", err)
		}
		again, err := Parse(raw)
		if err != nil {
			t.Fatalf("the saved form of a parsed config is refused: %v\n%s", err, raw)
		}
		raw2, err := json.Marshal(again.file())
		if err != nil || string(raw) != string(raw2) {
			t.Fatalf("saving changed the config:\n%s\n%s", raw, raw2)
		}
	})
}

// FuzzMerge: config_set's data from the extension (the web of the options page) is
// decoded and merged with the config in force; bad data is an error, never a panic,
// and a stored password is never sent back in Public.
func FuzzMerge(f *testing.F) {
	f.Add([]byte(`{"accounts":[{"id":"work","user":"1001","domain":"pbx.example.com","password_set":true}],"sites":[]}`))
	f.Add([]byte(`{"accounts":[{"id":"new","user":"2","domain":"10.0.0.1","password":"pw"}],"status":"dnd","sites":[{"match":"https://x/*"}]}`))
	f.Add([]byte(`{"accounts":[{"id":"work","user":"1001","domain":"pbx.example.com","dnd_code":200}]}`))
	f.Add([]byte(`{"accounts":null}`))
	cur, err := Parse([]byte(`{"accounts":[{"id":"work","user":"1001","password":"stored-secret","domain":"pbx.example.com"}],"sip_trace":true}`))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var p Public
		if json.Unmarshal(in, &p) != nil {
			return
		}
		next, err := Merge(cur, p)
		if err != nil {
			return
		}
		if !next.SIPTrace {
			t.Fatal("config_set turned sip_trace off")
		}
		out, err := json.Marshal(next.Public())
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(out), "stored-secret") {
			t.Fatalf("Public carries a password: %s", out)
		}
	})
}
