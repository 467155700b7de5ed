package phone

import (
	"net"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/tabphone/tabphone/internal/audiotest"
	"github.com/tabphone/tabphone/internal/devpbxtest"
)

// TestForkedEarlyMediaThenAnswerInAnotherCodec: one fork's 183 brings early media in
// PCMA from one port, another fork's 200 answers in PCMU from another. The window's
// PCMA tone reaches the first fork during early media; at the 200 the window is asked
// for a new offer, and after it the window's tone comes back from the second fork's
// echo in PCMU (measured): the two legs never carry different codecs.
func TestForkedEarlyMediaThenAnswerInAnotherCodec(t *testing.T) {
	fork1, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer fork1.Close()
	addr, done := sippCallee(t, "uas_forked_early_media.xml", fork1.LocalAddr().(*net.UDPAddr).Port)
	p, ev := newPhoneAt(t, addr, "pw-callee", `,"register":false,"codecs":["pcmu","pcma"]`)
	id, err := p.Dial("", "2000")
	if err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "early media", 5*time.Second, func() bool { c, _ := ev.lastCall(id); return c.State == CallEarly })
	if c, _ := ev.lastCall(id); c.Codec != "PCMA" {
		t.Fatalf("early media codec %q, want the 183's PCMA", c.Codec)
	}
	attachWindowIn(t, p, ev, id, audiotest.PCMA)
	early := audiotest.NewAnalyzer(audiotest.SampleRate)
	buf := make([]byte, 1500)
	for !early.Present(windowTone) {
		_ = fork1.SetReadDeadline(time.Now().Add(3 * time.Second))
		n, _, err := fork1.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("the first fork got no early audio from the window (%v): %v", early.Level(windowTone), err)
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:n]) == nil && pkt.PayloadType == 8 {
			early.WriteG711(audiotest.PCMA, pkt.Payload)
		}
	}

	devpbxtest.WaitFor(t, "connected in PCMU", 5*time.Second, func() bool {
		c, _ := ev.lastCall(id)
		return c.State == CallConnected && c.Codec == "PCMU"
	})
	devpbxtest.WaitFor(t, "the window asked for a new offer", 5*time.Second, func() bool {
		ev.mu.Lock()
		defer ev.mu.Unlock()
		return len(ev.restarts) == 1 && ev.restarts[0] == id
	})
	w := attachWindowIn(t, p, ev, id, audiotest.PCMU)
	w.waitHears(t, windowTone, 10*time.Second) // sipp's -rtp_echo sends our PCMU back
	if err := p.Hangup(id); err != nil {
		t.Fatal(err)
	}
	wait(t, "callee's scenario (BYE)", done)
}
