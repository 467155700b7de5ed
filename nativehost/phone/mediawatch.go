package phone

import "time"

// mediaCheckEvery is how often a connected call looks at when the PBX last sent media.
const mediaCheckEvery = time.Second

// watchMedia tells the user when a connected call's PBX leg has carried no media for the
// account's rtp_timeout (the PBX's media server died, a firewall closed the path, one-way
// audio) and, when the account says so, ends the call with that reason. Holds do not
// count: a held call is silent on purpose, and the silence is measured again from the
// resume. It returns when the call ends.
func (p *Phone) watchMedia(c *call) {
	limit := time.Duration(c.acct.cfg.RTPTimeout) * time.Second
	if limit <= 0 {
		return
	}
	t := time.NewTicker(mediaCheckEvery)
	defer t.Stop()
	since := time.Now() // silence counts from the answer, the resume, or the last packet
	for {
		select {
		case <-c.hangup:
			return
		case now := <-t.C:
			in := c.info()
			if in.State == CallEnded {
				return
			}
			if in.Held || in.RemoteHold {
				since = now
				continue
			}
			if last := c.media.LastReceived(); last.After(since) {
				since = last
			}
			silent := now.Sub(since) >= limit
			if silent != in.NoMedia {
				p.update(c, func(in *CallInfo) { in.NoMedia = silent })
				if silent {
					p.log.Warn("no media from the PBX", "call", c.id, "for", now.Sub(since).Round(time.Second))
				}
			}
			if silent && c.acct.cfg.RTPTimeoutHangup {
				c.mediaTimedOut.Store(true)
				c.requestHangup()
				return
			}
		}
	}
}
