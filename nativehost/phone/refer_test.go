package phone

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

func TestParseReferTo(t *testing.T) {
	for _, tc := range []struct {
		in, target, replaces string
		bad                  bool
	}{
		{in: "sip:2002@127.0.0.1", target: "sip:2002@127.0.0.1"},
		{in: "<sip:2002@pbx.example.com:5080;transport=udp>", target: "sip:2002@pbx.example.com:5080;transport=udp"},
		{in: "<sip:2002@h?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>", target: "sip:2002@h", replaces: "abc@h;to-tag=1;from-tag=2"},
		{in: `"Bob" <sips:bob@h?Replaces=x%3Bto-tag%3Da%3Bfrom-tag%3Db>;method=INVITE`, target: "sips:bob@h", replaces: "x;to-tag=a;from-tag=b"},
		{in: "<tel:+15550100200>", bad: true},
		{in: "<http://example.com/>", bad: true},
		{in: "<sip:" + strings.Repeat("a", maxReferTo) + "@h>", bad: true},
		{in: "<sip:a@h?Replaces=%zz>", bad: true},
	} {
		uri, replaces, err := parseReferTo(sip.NewHeader("Refer-To", tc.in))
		if tc.bad {
			if err == nil {
				t.Errorf("%q accepted as %s", tc.in, uri.String())
			}
			continue
		}
		if err != nil || uri.String() != tc.target || replaces != tc.replaces {
			t.Errorf("%q: %s, %q, %v; want %s, %q", tc.in, uri.String(), replaces, err, tc.target, tc.replaces)
		}
	}
	if _, _, err := parseReferTo(nil); err == nil {
		t.Error("a REFER without Refer-To accepted")
	}
}

// The Refer-To of an attended transfer round-trips: what we send is what a transferee
// following it (us, on the other side) puts in its Replaces header.
func TestReplacesRoundTrip(t *testing.T) {
	ids := dialogIDs{callID: "a84b4c76e66710@pc33.atlanta.com", localTag: "xyz;=%", remoteTag: "8321234356"}
	h := sip.NewHeader("Refer-To", "<sip:bob@biloxi.example.com?Replaces="+escapeURIHeader(ids.replacesValue())+">")
	_, replaces, err := parseReferTo(h)
	if err != nil || replaces != ids.replacesValue() {
		t.Fatalf("%q → %q, %v", h.Value(), replaces, err)
	}
}

func FuzzParseReferTo(f *testing.F) {
	f.Add("<sip:2002@h?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>")
	f.Add("sip:2002@127.0.0.1")
	f.Add(`"x" <sips:a@b:1;transport=tcp?Replaces=&x=y>;p=1`)
	f.Fuzz(func(t *testing.T, v string) {
		uri, _, err := parseReferTo(sip.NewHeader("Refer-To", v))
		if err == nil && uri.Headers != nil && uri.Headers.Length() > 0 {
			t.Fatalf("%q: headers kept on the target", v)
		}
	})
}
