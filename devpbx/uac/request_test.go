package uac

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNormalizeFillsDefaults(t *testing.T) {
	r := Request{To: "1001", Headers: map[string]string{"call-info": " <sip:x>;answer-after=2 ", "ALERT-INFO": "<urn:alert:service:call-waiting>"}}
	if err := r.normalize(); err != nil {
		t.Fatal(err)
	}
	if r.From != DefaultFrom || r.Mode != ModeTone || r.RingTimeout != DefaultRingTimeout || r.After != 0 || r.HangupAfter != 0 {
		t.Errorf("defaults %+v", r)
	}
	if r.Headers["Call-Info"] != "<sip:x>;answer-after=2" || r.Headers["Alert-Info"] == "" || len(r.Headers) != 2 {
		t.Errorf("headers %v", r.Headers)
	}
	if got := strings.Join(r.extraHeaders(), ","); got != "Call-Info,Alert-Info" {
		t.Errorf("order %s", got)
	}
}

func TestNormalizeRefuses(t *testing.T) {
	for name, r := range map[string]Request{
		"no to":             {},
		"to with space":     {To: "10 01"},
		"to with hash":      {To: "1001#"},
		"long from":         {To: "1001", From: strings.Repeat("1", 33)},
		"display quote":     {To: "1001", Display: `say "hi"`},
		"display newline":   {To: "1001", Display: "a\r\nVia: x"},
		"mode":              {To: "1001", Mode: "music"},
		"negative after":    {To: "1001", After: -time.Millisecond},
		"ring too long":     {To: "1001", RingTimeout: MaxRingTimeout + time.Millisecond},
		"hangup too long":   {To: "1001", HangupAfter: 2 * time.Hour},
		"header not listed": {To: "1001", Headers: map[string]string{"Route": "<sip:x>"}},
		"header twice":      {To: "1001", Headers: map[string]string{"call-info": "a", "Call-Info": "b"}},
		"header injection":  {To: "1001", Headers: map[string]string{"Alert-Info": "<x>\r\nContact: <sip:evil>"}},
		"header too long":   {To: "1001", Headers: map[string]string{"Alert-Info": strings.Repeat("x", 257)}},
		"header empty":      {To: "1001", Headers: map[string]string{"Alert-Info": " "}},
	} {
		if err := r.normalize(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
