package bench

import (
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/tabphone/tabphone/internal/browserpeer"
	"github.com/tabphone/tabphone/nativehost/protocol"
)

// browserLeg is the softphone window's side of a call: it offers PCMU, sends a 20 ms
// packet every 20 ms and counts what comes back.
type browserLeg struct {
	stop  chan struct{}
	heard atomic.Int64
}

// connectBrowser sets up the call's browser leg through the host and starts sending.
func connectBrowser(t testing.TB, h *host, callID string) *browserLeg {
	t.Helper()
	pc, mic := browserpeer.New(t, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1})
	leg := &browserLeg{stop: make(chan struct{})}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
			leg.heard.Add(1)
		}
	})
	from := h.mark()
	h.request(protocol.TypeWebRTCOffer, map[string]string{"call_id": callID, "sdp": browserpeer.Offer(t, pc)})
	env, _ := h.wait("webrtc_answer", from, 15*time.Second, func(e protocol.Envelope) bool { return e.Type == protocol.TypeWebRTCAnswer })
	var ans struct {
		SDP string `json:"sdp"`
	}
	if err := json.Unmarshal(env.Data, &ans); err != nil || ans.SDP == "" {
		t.Fatalf("webrtc_answer without sdp: %s", env.Data)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: ans.SDP}); err != nil {
		t.Fatal(err)
	}
	go func() {
		payload := make([]byte, 160)
		for i := range payload {
			payload[i] = 0xff // μ-law silence
		}
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		var seq uint16
		var ts uint32
		for {
			select {
			case <-leg.stop:
				return
			case <-tick.C:
				seq++
				ts += 160
				_ = mic.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: ts}, Payload: payload})
			}
		}
	}()
	t.Cleanup(leg.close)
	return leg
}

func (l *browserLeg) close() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
}
