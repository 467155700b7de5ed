package phone

import (
	"context"
	"time"
)

// Sleep and resume: the monotonic clock (and so every Go timer) stops while the machine
// sleeps, but the registrar's expiry runs on. After a resume the registration may be
// gone while our refresh timer still waits, and incoming calls would not reach us.
// The watcher compares wall-clock and monotonic time and re-registers at once on a jump.

// resumeCheck is how often the clocks are compared; resumeJump is the gap that counts as
// a sleep (well above scheduling noise and small NTP steps).
const (
	resumeCheck = 5 * time.Second
	resumeJump  = 15 * time.Second
)

// jumped reports whether the wall clock moved more than resumeJump away from the
// monotonic clock over the same interval.
func jumped(mono, wall time.Duration) bool {
	return wall-mono > resumeJump || mono-wall > resumeJump
}

// watchResume re-registers every account after the machine resumes (or the clock is
// set far off) and each account whose route to its server changed, until ctx ends.
func (p *Phone) watchResume(ctx context.Context) {
	last := time.Now()
	tick := time.NewTicker(resumeCheck)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			now := time.Now()
			// Sub uses the monotonic readings (which exclude a sleep); Round(0) strips
			// them, leaving the wall clock (which includes it).
			if jumped(now.Sub(last), now.Round(0).Sub(last.Round(0))) {
				p.log.Info("clock jump (resume from sleep?): registering again")
				p.Reregister()
			}
			p.checkRoutes() // a network change (netchange.go)
			last = now
		}
	}
}

// Reregister makes every registering account send a REGISTER now (after a resume or a
// network change), instead of waiting for its refresh timer.
func (p *Phone) Reregister() {
	p.mu.Lock()
	accs := append([]*account(nil), p.accounts...)
	p.mu.Unlock()
	for _, a := range accs {
		select {
		case a.kick <- struct{}{}:
		default: // a kick is already pending
		}
	}
}
