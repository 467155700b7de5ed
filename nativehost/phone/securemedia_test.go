package phone

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/tabphone/tabphone/internal/audiotest"
	"github.com/tabphone/tabphone/internal/baresiptest"
	"github.com/tabphone/tabphone/internal/browserpeer"
	"github.com/tabphone/tabphone/internal/devpbxtest"
	"github.com/tabphone/tabphone/internal/kamailiotest"
)

// The secure media tests (issue 10): the phone's PBX leg against baresip 1.0 with
// SDES-SRTP, and behind Kamailio + rtpengine as a WebRTC PBX, with a tone measured at
// each end. The softphone window is a pion peer (internal/browserpeer) that sends a
// 1000 Hz tone and measures what it hears; baresip sends 440 Hz and records.

const (
	windowTone  = 1000.0 // what the softphone window's microphone sends
	baresipTone = 440.0  // what baresip sends
)

// window is the softphone window's side of one call.
type window struct {
	mu    sync.Mutex
	heard *audiotest.Analyzer
}

func (w *window) hears(freq float64) audiotest.Level {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.heard.Level(freq)
}

// attachWindow gives a call its browser leg, as the softphone window does: an offer,
// the phone's answer, then a tone out and an analyzer on what comes back.
func attachWindow(t *testing.T, p *Phone, ev *eventLog, callID string) *window {
	t.Helper()
	return attachWindowIn(t, p, ev, callID, audiotest.PCMU)
}

// attachWindowIn is attachWindow with a window that offers the G.711 law given (the
// host answers only the PBX leg's codec).
func attachWindowIn(t *testing.T, p *Phone, ev *eventLog, callID string, law audiotest.Law) *window {
	t.Helper()
	mime := map[audiotest.Law]string{audiotest.PCMU: webrtc.MimeTypePCMU, audiotest.PCMA: webrtc.MimeTypePCMA}[law]
	pc, mic := browserpeer.New(t, webrtc.RTPCodecCapability{MimeType: mime, ClockRate: 8000})
	w := &window{heard: audiotest.NewAnalyzer(audiotest.SampleRate)}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			w.mu.Lock()
			w.heard.WriteG711(law, pkt.Payload)
			w.mu.Unlock()
		}
	})
	ev.mu.Lock()
	delete(ev.answers, callID) // an earlier browser leg's answer is not this one's
	ev.mu.Unlock()
	if err := p.SetBrowserOffer(callID, browserpeer.Offer(t, pc)); err != nil {
		t.Fatal(err)
	}
	var answer string
	devpbxtest.WaitFor(t, "browser leg answer", eventWait, func() bool {
		ev.mu.Lock()
		defer ev.mu.Unlock()
		answer = ev.answers[callID]
		return answer != ""
	})
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = audiotest.Send(ctx, mic, audiotest.NewTone(law, windowTone)) }()
	t.Cleanup(func() { cancel(); <-done })
	return w
}

// reset forgets what the window heard so far.
func (w *window) reset() {
	w.mu.Lock()
	w.heard.Reset()
	w.mu.Unlock()
}

// waitHears polls until the window hears freq.
func (w *window) waitHears(t *testing.T, freq float64, within time.Duration) {
	t.Helper()
	end := time.Now().Add(within)
	for !w.hears(freq).Present() {
		if time.Now().After(end) {
			t.Fatalf("the window did not hear %v Hz in %v: %v", freq, within, w.hears(freq))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// connectWith connects a call between the phone's account and baresip 2001 (auto
// answer): the phone dials it, or it dials us and the phone answers.
func connectWith(t *testing.T, p *Phone, ev *eventLog, b *baresiptest.Baresip, account string, weCall bool) string {
	t.Helper()
	var id string
	if weCall {
		var err error
		if id, err = p.Dial(account, "2001"); err != nil {
			t.Fatal(err)
		}
	} else {
		b.Dial(us)
		id = waitIncoming(t, ev, 1).ID
		if err := p.Answer(id); err != nil {
			t.Fatal(err)
		}
	}
	waitState(t, ev, id, CallConnected)
	return id
}

// holdResumeAndKeys holds a connected call (baresip, behind Kamailio, answers
// recvonly), resumes it (the window hears baresip again), sends the DTMF keys 123#
// (baresip receives them) and waits for baresip to report our RTCP.
func holdResumeAndKeys(t *testing.T, p *Phone, ev *eventLog, k *kamailiotest.Kamailio, b *baresiptest.Baresip, w *window, id, sipCallID string) {
	t.Helper()
	if err := p.Hold(id, true); err != nil {
		t.Fatalf("hold: %v", err)
	}
	if c, _ := ev.lastCall(id); !c.Held {
		t.Fatalf("held call %+v", c)
	}
	devpbxtest.WaitFor(t, "baresip's recvonly answer to the hold", eventWait, func() bool {
		for _, m := range k.SDPs() {
			if m.CallID == sipCallID && m.Proto == "udp" && !m.Sent && m.Status == 200 && strings.Contains(m.SDP, "a=recvonly") {
				return true
			}
		}
		return false
	})
	if err := p.Hold(id, false); err != nil {
		t.Fatalf("resume: %v", err)
	}
	w.reset()
	w.waitHears(t, baresipTone, 10*time.Second)
	if err := p.SendDTMF(id, "123#"); err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "baresip receives 123#", eventWait, func() bool { return b.DTMF() == "123#" })
	devpbxtest.WaitFor(t, "baresip reports our RTCP", 15*time.Second, func() bool { return len(b.RTCPReceived(sipCallID)) > 0 })
}

// sdesPeers is our 1001 with the given srtp value and a recording baresip 2001 with
// mediaenc, both at a fresh Kamailio.
func sdesPeers(t *testing.T, srtp, mediaenc, answerMode string) (*kamailiotest.Kamailio, *Phone, *eventLog, *baresiptest.Baresip) {
	t.Helper()
	k, p, ev := kamailioPhone(t, `,"srtp":"`+srtp+`"`)
	b := baresiptest.Start(t, baresiptest.Options{User: "2001", Password: "pw-k", Registrar: k.Addr, AnswerMode: answerMode,
		MediaEnc: mediaenc, Record: true, ToneHz: int(baresipTone)})
	t.Cleanup(func() { p.Close(context.Background()) })
	return k, p, ev, b
}

// TestSDESCallsWithBaresip: through Kamailio, the phone with srtp "sdes" calls a
// baresip that requires SDES-SRTP (mediaenc=srtp-mand), and that baresip calls the
// phone. Each time the window's tone reaches baresip's recording and baresip's tone
// reaches the window, the SDP on the wire is RTP/SAVP with a=crypto both ways, hold and
// resume and the DTMF keys 123# work, and baresip reports the phone's RTCP.
func TestSDESCallsWithBaresip(t *testing.T) {
	for _, dir := range []string{"we call", "baresip calls"} {
		t.Run(dir, func(t *testing.T) {
			k, p, ev, b := sdesPeers(t, "sdes", "srtp-mand", "auto")
			id := connectWith(t, p, ev, b, "", dir == "we call")
			w := attachWindow(t, p, ev, id)
			b.WaitTone(windowTone, 10*time.Second)
			w.waitHears(t, baresipTone, 10*time.Second)
			if e := b.WaitEvent("CALL_MENC", eventWait, nil); !strings.Contains(e.Param, "AES_CM_128_HMAC_SHA1") {
				t.Fatalf("baresip's media encryption: %+v", e)
			}
			est := b.WaitEvent("CALL_ESTABLISHED", eventWait, nil)
			var savp int
			for _, m := range k.SDPs() {
				if m.CallID == est.ID && m.Method == "INVITE" && (m.Request() || m.Status == 200) {
					if !strings.Contains(m.SDP, " RTP/SAVP ") || !strings.Contains(m.SDP, "a=crypto:") {
						t.Fatalf("not SDES on the wire: %v", m)
					}
					savp++
				}
			}
			if savp < 2 {
				t.Fatalf("Kamailio saw %d SDES offers/answers:\n%v", savp, k.SDPs())
			}
			holdResumeAndKeys(t, p, ev, k, b, w, id, est.ID)
			if err := p.Hangup(id); err != nil {
				t.Fatal(err)
			}
			b.WaitEvent("CALL_CLOSED", eventWait, nil)
		})
	}
}

// TestSDESRequiredRefusesPlain: with srtp "sdes", a peer that answers plain RTP fails
// our call with words, and its plain call to us gets 488; with "sdes-optional" the
// same plain peer gets a call.
func TestSDESRequiredRefusesPlain(t *testing.T) {
	t.Run("sdes", func(t *testing.T) {
		_, p, ev, b := sdesPeers(t, "sdes", "", "auto")
		id, err := p.Dial("", "2001")
		if err != nil {
			t.Fatal(err)
		}
		c := waitState(t, ev, id, CallEnded)
		if c.End.Cause != EndMediaSecurity && !(c.End.Cause == EndRejected && c.End.SIPCode == 488) {
			t.Fatalf("our SDES call to a plain peer ended %+v", c.End)
		}
		b.Dial(us)
		b.WaitEvent("CALL_CLOSED", eventWait, nil) // baresip words a 488 "No audio codecs"
		if n := strings.Count(b.Log(), "SIP/2.0 488 Not Acceptable Here"); n != 2 {
			t.Fatalf("baresip saw %d 488s, want 2: its own to our RTP/SAVP offer, ours to its plain offer", n)
		}
		devpbxtest.WaitFor(t, "the refused call told", eventWait, func() bool {
			ev.mu.Lock()
			defer ev.mu.Unlock()
			for _, c := range ev.calls {
				if c.Direction == Incoming && c.End.Cause == EndMediaSecurity && c.End.SIPCode == 488 {
					return true
				}
			}
			return false
		})
	})
	t.Run("sdes-optional", func(t *testing.T) {
		_, p, ev, b := sdesPeers(t, "sdes-optional", "", "auto")
		id, err := p.Dial("", "2001")
		if err != nil {
			t.Fatal(err)
		}
		waitState(t, ev, id, CallConnected)
		w := attachWindow(t, p, ev, id)
		b.WaitTone(windowTone, 10*time.Second)
		w.waitHears(t, baresipTone, 10*time.Second)
	})
}
