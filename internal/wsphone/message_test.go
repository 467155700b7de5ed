package wsphone

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseMessage(t *testing.T) {
	raw := "SIP/2.0 200 OK\r\nv: SIP/2.0/WS a.invalid;branch=z9hG4bK1\r\nRecord-Route: <sip:127.0.0.1:5060;r2=on;lr>, <sip:127.0.0.1:8080;transport=ws;r2=on;lr>\r\n" +
		"From: \"A, B\" <sip:1001@127.0.0.1>;tag=ab\r\nTo: <sip:2002@127.0.0.1>;tag=cd\r\ni: call-1\r\nCSeq: 7 INVITE\r\nm: <sip:2002@127.0.0.1:5070>\r\nContent-Length: 4\r\n\r\nv=0\n"
	m, err := parseMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	if m.status != 200 || m.reason != "OK" || m.get("call-id") != "call-1" || m.get("Call-ID") != "call-1" {
		t.Fatalf("%+v", m)
	}
	if n, meth := m.cseq(); n != 7 || meth != "INVITE" {
		t.Fatalf("cseq %d %s", n, meth)
	}
	if got := m.all("record-route"); !reflect.DeepEqual(got, []string{"<sip:127.0.0.1:5060;r2=on;lr>", "<sip:127.0.0.1:8080;transport=ws;r2=on;lr>"}) {
		t.Fatalf("record-route %q", got)
	}
	if tag(m.get("from")) != "ab" || tag(m.get("to")) != "cd" || uriOf(m.get("contact")) != "sip:2002@127.0.0.1:5070" {
		t.Fatalf("from %q to %q contact %q", tag(m.get("from")), tag(m.get("to")), uriOf(m.get("contact")))
	}
	if m.body != "v=0\n" {
		t.Fatalf("body %q", m.body)
	}
	req, err := parseMessage("BYE sip:1001@a.invalid;transport=ws SIP/2.0\r\nCall-ID: x\r\n\r\n")
	if err != nil || req.method != "BYE" || req.uri != "sip:1001@a.invalid;transport=ws" {
		t.Fatalf("%+v %v", req, err)
	}
	again, err := parseMessage(req.String())
	if err != nil || !reflect.DeepEqual(again, req) {
		t.Fatalf("round trip: %+v %v", again, err)
	}
	for _, bad := range []string{"", "SIP/2.0 200 OK\r\n", "SIP/2.0 99 Low\r\n\r\n", "HELLO\r\n\r\n", "BYE x HTTP/1.1\r\n\r\n", "BYE x SIP/2.0\r\nno colon\r\n\r\n"} {
		if _, err := parseMessage(bad); !errors.Is(err, errMessage) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestDefaultCandidateReplacesHoldAddress(t *testing.T) {
	in := "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n" +
		"a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\na=candidate:1 2 udp 2130706431 127.0.0.1 40000 typ host\r\n"
	out, err := withDefaultCandidate(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "m=audio 40000 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 127.0.0.1\r\n") || strings.Contains(out, "c=IN IP4 0.0.0.0") {
		t.Fatalf("%s", out)
	}
}

// FuzzParseMessage: no frame makes the parser panic, and a parsed message prints to
// text that parses to the same message.
func FuzzParseMessage(f *testing.F) {
	f.Add("SIP/2.0 180 Ringing\r\nVia: SIP/2.0/WS x.invalid\r\nCSeq: 1 INVITE\r\n\r\n")
	f.Add("INVITE sip:a@b SIP/2.0\r\nRecord-Route: <sip:a,b>, <sip:c>\r\n\r\nv=0")
	f.Fuzz(func(t *testing.T, raw string) {
		m, err := parseMessage(raw)
		if err != nil {
			return
		}
		m.all("record-route")
		m.cseq()
		tag(m.get("from"))
		uriOf(m.get("contact"))
		if _, err := parseMessage(m.String()); err != nil {
			t.Fatalf("%q → %q: %v", raw, m.String(), err)
		}
	})
}
