package phone

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/baresiptest"
	"github.com/tabphone/tabphone/internal/kamailiotest"
	"github.com/tabphone/tabphone/internal/rtpenginetest"
)

// webRTCWire is what our SDP must carry toward a WebRTC PBX (RFC 8829-style media:
// DTLS-SRTP with ICE, rtcp-mux, a=mid).
var webRTCWire = []string{" UDP/TLS/RTP/SAVPF ", "a=fingerprint:sha-256 ", "a=setup:", "a=ice-ufrag:", "a=ice-pwd:", "a=candidate:", "a=rtcp-mux", "a=mid:"}

// TestWebRTCPBXCallsWithBaresip: the phone registered over WS and WSS at Kamailio,
// whose rtpengine gives it WebRTC media (the account's srtp is "auto", so dtls), calls
// a plain RTP baresip behind the gateway and takes its call. Each time: the tone crosses
// both ways, our SDP as Kamailio received it is WebRTC media, hold and resume work (the
// tone comes back), baresip receives the DTMF keys 123#, and reports our RTCP.
func TestWebRTCPBXCallsWithBaresip(t *testing.T) {
	for _, tp := range []string{"ws", "wss"} {
		for _, dir := range []string{"we call", "baresip calls"} {
			t.Run(tp+"/"+dir, func(t *testing.T) {
				r := rtpenginetest.Start(t, rtpenginetest.Options{})
				k := kamailiotest.StartOpts(t, kamailiotest.Options{Password: "pw-g", MaxExpires: 300, Transports: true, RTPEngine: r.NG})
				b := baresiptest.Start(t, baresiptest.Options{User: "2001", Password: "pw-g", Registrar: k.Addr, AnswerMode: "auto",
					Record: true, ToneHz: int(baresipTone)})
				server, extra := k.WS, ""
				if tp == "wss" {
					server, extra = k.WSS, fmt.Sprintf(`,"tls_ca_file":%q`, k.CAFile)
				}
				p, st := phoneWith(t, accountJSON("a", "1001", "pw-g", server, tp, extra))
				ev := &st.eventLog
				waitRegistered(t, p, "a", 10*time.Second)
				t.Cleanup(func() {
					if t.Failed() {
						t.Logf("rtpengine log:\n%s", r.Log())
					}
				})

				id := connectWith(t, p, ev, b, "a", dir == "we call")
				w := attachWindow(t, p, ev, id)
				b.WaitTone(windowTone, 10*time.Second)
				w.waitHears(t, baresipTone, 10*time.Second)

				est := b.WaitEvent("CALL_ESTABLISHED", eventWait, nil)
				ours := 0
				for _, m := range k.SDPs() {
					if m.CallID != est.ID || m.Method != "INVITE" || m.Proto != tp || m.Sent || !(m.Request() || m.Status == 200) {
						continue
					}
					ours++
					for _, want := range webRTCWire {
						if !strings.Contains(m.SDP, want) {
							t.Errorf("our SDP as Kamailio received it lacks %q:\n%s", want, m.SDP)
						}
					}
				}
				if ours == 0 {
					t.Fatalf("Kamailio logged no SDP from us over %s:\n%v", tp, k.SDPs())
				}

				holdResumeAndKeys(t, p, ev, k, b, w, id, est.ID)

				if err := p.Hangup(id); err != nil {
					t.Fatal(err)
				}
				b.WaitEvent("CALL_CLOSED", eventWait, nil)
			})
		}
	}
}
