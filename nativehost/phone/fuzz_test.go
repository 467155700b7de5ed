package phone

import (
	"bytes"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// FuzzTarget: whatever the user types, pastes or a page's link hands to dial becomes a
// Request-URI on the account's domain or a clear ErrBadNumber, never a panic; a number
// that passes holds only what a dial string may (no way to add a header or a parameter).
func FuzzTarget(f *testing.F) {
	for _, s := range []string{"+1 (555) 010-0200", "600", "*72#", "0044 20 7946 0000", "sip:bob@pbx.example.com;transport=tcp",
		"sips:a@[::1]:5061", "+", "++1", "9,1", "2125550100", "+44 20 7946 0000 ext 1"} {
		f.Add(s, "US")
	}
	f.Add("020 7946 0000", "gb")
	f.Add("030 123456", "XX")
	f.Fuzz(func(t *testing.T, in, region string) {
		uri, num, err := TargetIn(in, region, "pbx.example.com", 5060)
		if err != nil {
			if !strings.Contains(err.Error(), ErrBadNumber.Error()) {
				t.Fatalf("%q: error %v is not ErrBadNumber", in, err)
			}
			return
		}
		lower := strings.ToLower(strings.TrimSpace(in))
		if strings.HasPrefix(lower, "sip:") || strings.HasPrefix(lower, "sips:") {
			if uri.Host == "" {
				t.Fatalf("%q: a SIP address without a host", in)
			}
			return
		}
		if num == "" || len(num) > maxNumber {
			t.Fatalf("%q → %q", in, num)
		}
		for i, r := range num {
			if !(r >= '0' && r <= '9' || r == '*' || r == '#' || r == '+' && i == 0) {
				t.Fatalf("%q → %q: %q is not a dial character", in, num, r)
			}
		}
		if uri.Host != "pbx.example.com" || strings.ContainsAny(uri.User, ";?@:# \r\n") {
			t.Fatalf("%q → %s", in, uri.String())
		}
	})
}

// FuzzIncomingSIP: a SIP message from the network as the phone's transport hands it on
// (parsed by sipgo), run through every reader of the phone's own: caller id, the
// auto-answer hints, Replaces, Refer-To, Session-Expires, the MWI summary and the
// transfer NOTIFY's status line for a request; the registrar's granted expiry and the
// session timer for a response. Nothing panics and every figure stays in its range.
func FuzzIncomingSIP(f *testing.F) {
	f.Add([]byte("INVITE sip:1001@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n" +
		"From: \"Alice\" <sip:2002@pbx>;tag=a\r\nTo: <sip:1001@pbx>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n" +
		"P-Asserted-Identity: \"Boss\" <sip:+15550100@pbx>\r\nCall-Info: <sip:pbx>;answer-after=3\r\nAlert-Info: <http://x>;info=alert-autoanswer\r\n" +
		"Replaces: abc@h;to-tag=1;from-tag=2\r\nSession-Expires: 1800;refresher=uac\r\nContent-Length: 0\r\n\r\n"))
	f.Add([]byte("NOTIFY sip:1001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK2\r\nFrom: <sip:1001@pbx>;tag=b\r\n" +
		"To: <sip:1001@pbx>;tag=c\r\nCall-ID: c2\r\nCSeq: 2 NOTIFY\r\nEvent: message-summary\r\nSubscription-State: active\r\n" +
		"Content-Type: application/simple-message-summary\r\nContent-Length: 47\r\n\r\nMessages-Waiting: yes\r\nVoice-Message: 2/8 (0/2)\r\n"))
	f.Add([]byte("REFER sip:1001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK3\r\nFrom: <sip:2@pbx>;tag=d\r\n" +
		"To: <sip:1001@pbx>;tag=e\r\nCall-ID: c3\r\nCSeq: 3 REFER\r\nRefer-To: <sip:2002@h?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>\r\n" +
		"Event: refer\r\nContent-Length: 14\r\n\r\nSIP/2.0 200 OK"))
	f.Add([]byte("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK4\r\nFrom: <sip:1001@pbx>;tag=f\r\nTo: <sip:1001@pbx>;tag=g\r\n" +
		"Call-ID: c4\r\nCSeq: 4 REGISTER\r\nContact: <sip:1001@127.0.0.1:5070>;expires=300\r\nExpires: 600\r\nMin-Expires: 60\r\n" +
		"Session-Expires: 90;refresher=uas\r\nContent-Length: 0\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		msg, err := sip.ParseMessage(raw)
		if err != nil {
			return
		}
		switch m := msg.(type) {
		case *sip.Request:
			number, name := callerID(m)
			if len(number) > 128 || len(name) > 128 {
				t.Fatalf("caller id of %d and %d bytes", len(number), len(name))
			}
			_ = inDialog(m)
			if s, _ := pbxAnswerHint(m); s < 0 || s > maxAnswerAfter {
				t.Fatalf("answer-after %d", s)
			}
			if c, _ := (&Phone{}).replacedCall(m); c != nil {
				t.Fatal("a Replaces matched a call of a phone with none")
			}
			if h := m.GetHeader("Refer-To"); h != nil {
				_, _, _ = parseReferTo(h)
			}
			if s, _, ok := parseSessionExpires(m); ok && s <= 0 {
				t.Fatalf("Session-Expires %d taken", s)
			}
			if isMessageSummary(m) {
				_, _ = parseMessageSummary(m.Body())
			}
		case *sip.Response:
			if g := grantedExpires(m, 3600); g <= 0 {
				t.Fatalf("granted expiry %d", g)
			}
			if st := timerFromResponse(m); st.seconds < 0 {
				t.Fatalf("session timer %+v", st)
			}
			_ = sipError(m).Error()
		}
	})
}

// FuzzRedactSIP: whatever a message holds, a trace line never carries the value of an
// Authorization or Proxy-Authorization header, nor the account's password.
func FuzzRedactSIP(f *testing.F) {
	f.Add([]byte("REGISTER sip:pbx SIP/2.0\r\nAuthorization: Digest username=\"1001\", response=\"abc\"\r\n\tnonce=\"x\"\r\nX: secret99\r\n\r\n"), "secret99")
	f.Add([]byte("INVITE sip:x SIP/2.0\nproxy-authorization : Digest response=1\nContent-Length: 0\n\nv=0 pw=hunter22"), "hunter22")
	f.Fuzz(func(t *testing.T, msg []byte, secret string) {
		// Passwords are ≥ 4 characters; keep to those the marker cannot itself spell.
		ok := len(secret) >= 4 && !strings.Contains(Redacted, secret)
		for _, r := range secret {
			ok = ok && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
		}
		var secrets [][]byte
		if ok {
			secrets = [][]byte{[]byte(secret)}
		}
		out := RedactSIP(msg, secrets)
		if ok && bytes.Contains(out, []byte(secret)) {
			t.Fatalf("the password survived: %q", out)
		}
		for _, line := range bytes.Split(out, []byte("\n")) {
			name, isHeader := headerName(line)
			if !isHeader || !isRedacted(name) {
				continue
			}
			if v := bytes.TrimSpace(line[bytes.IndexByte(line, ':')+1:]); string(v) != Redacted {
				t.Fatalf("a credential header kept %q", v)
			}
		}
	})
}
