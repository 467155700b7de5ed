package protocol

import (
	"errors"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	good := []string{`{"type":"dial","id":3,"data":{"number":"600"}}`, `{"type":"ping"}`}
	for _, s := range good {
		if _, err := Decode([]byte(s)); err != nil {
			t.Errorf("Decode(%s): %v", s, err)
		}
	}
	bad := []string{``, `null`, `[]`, `{"id":1}`, `{"type":""}`, `{"type":5}`, `{"type":"x","id":-1}`, `{"type":"x"`, "\xff"}
	for _, s := range bad {
		if _, err := Decode([]byte(s)); !errors.Is(err, ErrBadMessage) {
			t.Errorf("Decode(%q) = %v, want ErrBadMessage", s, err)
		}
	}
}

func TestReplyShapes(t *testing.T) {
	b, err := Reply(7, DialResult{CallID: "c1"})
	if err != nil || string(b) != `{"type":"reply","id":7,"ok":true,"data":{"call_id":"c1"}}` {
		t.Fatalf("Reply: %s %v", b, err)
	}
	b = ReplyError(8, &ErrorBody{Code: CodeBadNumber, Message: "no digits"})
	if !strings.Contains(string(b), `"ok":false`) || !strings.Contains(string(b), `"code":"bad_number"`) {
		t.Fatalf("ReplyError: %s", b)
	}
}

// FuzzDecode: any frame the reader lets through may be refused, never panic.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"type":"hello","id":1,"data":{"protocol":1}}`))
	f.Add([]byte(`{"type":`))
	f.Add([]byte(`{"type":"reply","id":2,"ok":false,"error":{"code":"sip","sip_code":488}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		env, err := Decode(in)
		if err == nil && (env.Type == "" || env.ID < 0) {
			t.Fatalf("Decode accepted %q as %+v", in, env)
		}
	})
}
