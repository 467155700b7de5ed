package extensions

import (
	"testing"
	"time"
)

func TestCallbackDelay(t *testing.T) {
	for number, want := range map[string]time.Duration{
		"602": DefaultCallbackDelay, "602*0": 0, "602*1": time.Second, "602*60": time.Minute,
		"602*61": -1, "602*": -1, "602*-1": -1, "602*01": -1, "602*1*2": -1, "602*x": -1, "602*9223372036854775807": -1,
	} {
		got, ok := callbackDelay(number)
		if want < 0 {
			if ok {
				t.Errorf("%s accepted: %v", number, got)
			}
			continue
		}
		if !ok || got != want {
			t.Errorf("%s: %v %v, want %v", number, got, ok, want)
		}
	}
}
