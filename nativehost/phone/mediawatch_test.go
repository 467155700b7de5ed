package phone

import (
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/devpbxtest"
)

// TestNoMediaIsToldAndEndsTheCall: a connected call whose far end sends no media. With
// rtp_timeout 5 the call says so within 5+2 s of the answer; with rtp_timeout_hangup
// the phone then ends it (BYE) with that reason.
func TestNoMediaIsToldAndEndsTheCall(t *testing.T) {
	for _, hangup := range []bool{false, true} {
		name := map[bool]string{false: "told", true: "ended"}[hangup]
		t.Run(name, func(t *testing.T) {
			extra := `,"rtp_timeout":5`
			if hangup {
				extra += `,"rtp_timeout_hangup":true`
			}
			k, p, ev := kamailioPhone(t, extra)
			done := sipp(t, "invite_silent.xml", k.Addr, 0)
			devpbxtest.WaitFor(t, "incoming event", 10*time.Second, func() bool { _, ok := ev.firstIncoming(); return ok })
			in, _ := ev.firstIncoming()
			if err := p.Answer(in.ID); err != nil {
				t.Fatal(err)
			}
			devpbxtest.WaitFor(t, "connected", 5*time.Second, func() bool { c, _ := ev.lastCall(in.ID); return c.State == CallConnected })
			answered, _ := ev.lastCall(in.ID)
			devpbxtest.WaitFor(t, "no media told", 8*time.Second, func() bool {
				c, _ := ev.lastCall(in.ID)
				return c.NoMedia || c.State == CallEnded
			})
			told := time.Since(answered.AnsweredAt)
			if told < 5*time.Second || told > 7*time.Second {
				t.Fatalf("no media told %v after the answer, want 5–7 s", told)
			}
			if !hangup {
				if c, _ := ev.lastCall(in.ID); c.State != CallConnected || !c.NoMedia {
					t.Fatalf("call %+v, want connected and no media", c)
				}
				if err := p.Hangup(in.ID); err != nil {
					t.Fatal(err)
				}
			}
			wait(t, "caller gets our BYE", done)
			devpbxtest.WaitFor(t, "ended", 5*time.Second, func() bool { _, ok := endedWith(ev, in.ID); return ok })
			c, _ := ev.lastCall(in.ID)
			want := map[bool]EndCause{false: EndHangup, true: EndNoMedia}[hangup]
			if c.End.Cause != want {
				t.Fatalf("end %+v, want cause %v", c.End, want)
			}
		})
	}
}

// TestNoMediaCountsFromTheResume: a silent call held for longer than rtp_timeout is not
// told "no media" while held, nor at the resume: the silence counts again from the
// resume, so it is told rtp_timeout after it (the watch's one timer must see the hold
// and the resume that happened between two of its deadlines).
func TestNoMediaCountsFromTheResume(t *testing.T) {
	k, p, ev := kamailioPhone(t, `,"rtp_timeout":5`)
	done := sipp(t, "invite_silent_held.xml", k.Addr, 0)
	devpbxtest.WaitFor(t, "incoming event", 10*time.Second, func() bool { _, ok := ev.firstIncoming(); return ok })
	in, _ := ev.firstIncoming()
	if err := p.Answer(in.ID); err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "connected", 5*time.Second, func() bool { c, _ := ev.lastCall(in.ID); return c.State == CallConnected })
	if err := p.Hold(in.ID, true); err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "held", 5*time.Second, func() bool { c, _ := ev.lastCall(in.ID); return c.Held })
	// Held past the watch's first deadline (the answer + 5 s): never "no media".
	for end := time.Now().Add(7 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if c, _ := ev.lastCall(in.ID); c.NoMedia {
			t.Fatal("told no media while held")
		}
	}
	if err := p.Hold(in.ID, false); err != nil {
		t.Fatal(err)
	}
	resumed := time.Now()
	devpbxtest.WaitFor(t, "no media told after the resume", 9*time.Second, func() bool { c, _ := ev.lastCall(in.ID); return c.NoMedia })
	if told := time.Since(resumed); told < 5*time.Second || told > 6500*time.Millisecond {
		t.Fatalf("no media told %v after the resume, want 5–6.5 s (rtp_timeout 5 s from the resume)", told)
	}
	if err := p.Hangup(in.ID); err != nil {
		t.Fatal(err)
	}
	wait(t, "caller gets our BYE", done)
}
