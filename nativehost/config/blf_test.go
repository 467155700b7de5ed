package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestBLFAndPickupPrefix(t *testing.T) {
	c, err := Parse([]byte(`{"accounts":[{"user":"1","domain":"x","blf":["2000","2001","sales.desk"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if a := c.Accounts[0]; len(a.BLF) != 3 || a.PickupPrefix != "**" {
		t.Fatalf("account %+v: want three lamps and the default pickup code **", a)
	}
	c, err = Parse([]byte(`{"accounts":[{"user":"1","domain":"x","pickup_prefix":"*8#"}]}`))
	if err != nil || c.Accounts[0].PickupPrefix != "*8#" {
		t.Fatalf("pickup_prefix *8#: %+v %v", c, err)
	}
	many := make([]string, MaxBLF+1)
	for i := range many {
		many[i] = fmt.Sprintf("%q", fmt.Sprint(2000+i))
	}
	cases := map[string]struct{ doc, says string }{
		"too many":       {`{"accounts":[{"user":"1","domain":"x","blf":[` + strings.Join(many, ",") + `]}]}`, "at most 50"},
		"empty":          {`{"accounts":[{"user":"1","domain":"x","blf":[""]}]}`, "not an extension"},
		"space":          {`{"accounts":[{"user":"1","domain":"x","blf":["20 00"]}]}`, "not an extension"},
		"at":             {`{"accounts":[{"user":"1","domain":"x","blf":["2000@evil"]}]}`, "not an extension"},
		"long":           {`{"accounts":[{"user":"1","domain":"x","blf":["` + strings.Repeat("1", 33) + `"]}]}`, "not an extension"},
		"twice":          {`{"accounts":[{"user":"1","domain":"x","blf":["2000","2000"]}]}`, "twice"},
		"letters code":   {`{"accounts":[{"user":"1","domain":"x","pickup_prefix":"ab"}]}`, "feature code"},
		"long code":      {`{"accounts":[{"user":"1","domain":"x","pickup_prefix":"*********"}]}`, "feature code"},
		"not a list":     {`{"accounts":[{"user":"1","domain":"x","blf":"2000"}]}`, ""},
		"number in list": {`{"accounts":[{"user":"1","domain":"x","blf":[2000]}]}`, ""},
	}
	for name, tc := range cases {
		_, err := Parse([]byte(tc.doc))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: got %v, want ErrInvalid saying %q", name, err, tc.says)
		}
	}
}
