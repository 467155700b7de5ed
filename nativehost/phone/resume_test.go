package phone

import (
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/devpbxtest"
)

func TestJumpedTellsSleepFromNoise(t *testing.T) {
	cases := []struct {
		mono, wall time.Duration
		want       bool
	}{
		{5 * time.Second, 5 * time.Second, false},
		{5 * time.Second, 7 * time.Second, false},            // an NTP step
		{5 * time.Second, 10 * time.Minute, true},            // ten minutes asleep
		{5 * time.Second, 5*time.Second - time.Hour, true},   // clock set back an hour
		{5 * time.Second, 5*time.Second + resumeJump, false}, // at the threshold
	}
	for _, c := range cases {
		if got := jumped(c.mono, c.wall); got != c.want {
			t.Errorf("jumped(%v, %v) = %v", c.mono, c.wall, got)
		}
	}
}

func TestReregisterSendsAREGISTERNow(t *testing.T) {
	d := devpbxtest.Start(t, "1001:pw\n")
	p, _ := newPhone(t, d, "pw")
	devpbxtest.WaitFor(t, "registered", 10*time.Second, func() bool { return accountState(p).Registration == RegRegistered })
	expiry := func() string {
		var regs []struct {
			User      string
			ExpiresAt string `json:"expires_at"`
		}
		d.Get(t, "/api/registrations", &regs)
		for _, r := range regs {
			if r.User == "1001" {
				return r.ExpiresAt
			}
		}
		return ""
	}
	first := expiry()
	time.Sleep(1100 * time.Millisecond) // expires_at has one-second resolution
	p.Reregister()
	devpbxtest.WaitFor(t, "a fresh REGISTER", 5*time.Second, func() bool { return expiry() != first })
}
