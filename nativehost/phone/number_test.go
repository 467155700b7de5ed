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
