package rtpenginetest

import (
	"errors"
	"reflect"
	"testing"
)

func TestBencodeRoundTrip(t *testing.T) {
	in := map[string]any{
		"command": "offer",
		"flags":   []string{"trust-address", "generate-mid"},
		"n":       int64(-42),
		"nested":  map[string]any{"list": []any{"a", int64(1), map[string]any{}}},
		"empty":   "",
	}
	b, err := encodeBencode(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	// Keys sorted, as bencode requires.
	const want = "d7:command5:offer5:empty0:5:flagsl13:trust-address12:generate-mide1:ni-42e6:nestedd4:listl1:ai1edeeee"
	if string(b) != want {
		t.Fatalf("encoded %s\nwant    %s", b, want)
	}
	out, rest, err := decodeBencode(b)
	if err != nil || len(rest) != 0 {
		t.Fatalf("decode: %v rest %q", err, rest)
	}
	in["flags"] = []any{"trust-address", "generate-mid"}
	if !reflect.DeepEqual(out, in) {
		t.Fatalf("round trip:\n%#v\n%#v", out, in)
	}
}

func TestBencodeRejects(t *testing.T) {
	for _, s := range []string{"", "i12", "5:abc", "l1:a", "d1:a", "di1e1:ae", "x", "-1:", "i1x2e"} {
		if _, _, err := decodeBencode([]byte(s)); !errors.Is(err, errBencode) {
			t.Errorf("%q: err %v", s, err)
		}
	}
	deep := make([]byte, 0, 200)
	for range 100 {
		deep = append(deep, 'l')
	}
	if _, _, err := decodeBencode(deep); !errors.Is(err, errBencode) {
		t.Errorf("deep nesting: %v", err)
	}
	if _, err := encodeBencode(nil, 1.5); !errors.Is(err, errBencode) {
		t.Errorf("float: %v", err)
	}
}

// FuzzDecodeBencode: no input panics, and what decodes re-encodes to input that
// decodes to the same value.
func FuzzDecodeBencode(f *testing.F) {
	for _, s := range []string{"d6:result4:ponge", "li1e3:abce", "d1:ad1:bl0:eee", "i-0e"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, _, err := decodeBencode(b)
		if err != nil {
			return
		}
		enc, err := encodeBencode(nil, v)
		if err != nil {
			t.Fatalf("re-encode %#v: %v", v, err)
		}
		v2, rest, err := decodeBencode(enc)
		if err != nil || len(rest) != 0 || !reflect.DeepEqual(v, v2) {
			t.Fatalf("%q → %#v → %q → %#v %v", b, v, enc, v2, err)
		}
	})
}
