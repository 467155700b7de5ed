package phone

import (
	"errors"
	"strings"
	"testing"
)

func TestTarget(t *testing.T) {
	ok := map[string]string{
		"600":                 "sip:600@pbx.example.com",
		" +1 (555) 010-0200 ": "sip:+15550100200@pbx.example.com",
		"*97":                 "sip:*97@pbx.example.com",
		"12#":                 "sip:12%23@pbx.example.com",
		"sip:bob@example.org": "sip:bob@example.org",
	}
	for in, want := range ok {
		u, _, err := Target(in, "pbx.example.com", 0)
		if err != nil || u.String() != want {
			t.Errorf("Target(%q) = %s, %v; want %s", in, u.String(), err, want)
		}
	}
	bad := []string{"", "   ", "abc", "1+2", "++", "60\x000", strings.Repeat("1", 300), "sip:", "sip:@"}
	for _, in := range bad {
		if _, _, err := Target(in, "pbx.example.com", 0); !errors.Is(err, ErrBadNumber) {
			t.Errorf("Target(%q): %v, want ErrBadNumber", in, err)
		}
	}
}

func TestTargetWithRegion(t *testing.T) {
	ok := map[[2]string]string{
		{"020 7946 0958", "GB"}:   "sip:+442079460958@pbx", // valid national → E.164
		{"(202) 555-0143", "US"}:  "sip:+12025550143@pbx",
		{"(555) 010-0200", "US"}:  "sip:5550100200@pbx", // no such area code → as dialled
		{"+44 20 7946 0958", ""}:  "sip:+442079460958@pbx",
		{"600", "US"}:             "sip:600@pbx", // extension
		{"9 020 7946 0958", "GB"}: "sip:902079460958@pbx",
		{"*72 600", "US"}:         "sip:*72600@pbx",
	}
	for in, want := range ok {
		u, _, err := TargetIn(in[0], in[1], "pbx", 0)
		if err != nil || u.String() != want {
			t.Errorf("TargetIn(%q, %q) = %s, %v; want %s", in[0], in[1], u.String(), err, want)
		}
	}
	if _, _, err := TargetIn("+12", "US", "pbx", 0); !errors.Is(err, ErrBadNumber) {
		t.Errorf("impossible international number: %v", err)
	}
}
