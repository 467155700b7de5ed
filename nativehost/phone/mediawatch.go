package phone

import "time"

// mediaCheckEvery is how often a call already told "no media" looks for media coming
// back.
const mediaCheckEvery = time.Second

// watchMedia tells the user when a connected call's PBX leg has carried no media for the
// account's rtp_timeout (the PBX's media server died, a firewall closed the path, one-way
// audio) and, when the account says so, ends the call with that reason. Holds do not
// count: a held call is silent on purpose, and the silence is measured again from the
// resume. It returns when the call ends.
//
// One timer per call, set for the moment the silence would reach the limit (the last
// packet, answer or resume + rtp_timeout): while media flows it wakes once per
// rtp_timeout (30 s) instead of every second; only a call already silent checks every
// mediaCheckEvery for its media to come back.
func (p *Phone) watchMedia(c *call) {
	limit := time.Duration(c.acct.cfg.RTPTimeout) * time.Second
	if limit <= 0 {
		return
	}
	since := time.Now() // silence counts from the answer, the resume, or the last packet
	t := time.NewTimer(limit)
	defer t.Stop()
	for {
		select {
		case <-c.hangup:
			return
		case now := <-t.C:
			in := c.info()
			if in.State == CallEnded {
				return
			}
			if changed := time.Unix(0, c.holdChanged.Load()); changed.After(since) {
				since = changed // a resume (or a hold) since the last look
			}
			if in.Held || in.RemoteHold {
				since = now
				t.Reset(limit)
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
			next := since.Add(limit).Sub(now)
			if silent {
				next = mediaCheckEvery
			}
			t.Reset(max(next, time.Millisecond))
		}
	}
}
