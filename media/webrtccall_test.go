package media

import (
	"bytes"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// TestWebRTCPBXCallRelaysBothWays: a Call whose account says dtls relays between the
// softphone window and a WebRTC PBX, for a call we place and one the PBX offers, and
// its hold offer keeps the leg's ICE and DTLS identity.
func TestWebRTCPBXCallRelaysBothWays(t *testing.T) {
	lo := net.IPv4(127, 0, 0, 1)
	bnet := &BrowserNet{LocalIPs: []net.IP{lo}, remoteOK: machineIPs()}
	for _, dir := range []string{"outgoing", "incoming"} {
		t.Run(dir, func(t *testing.T) {
			pbx := newTestPBX(t, PCMU, testPBXOptions{})
			var call *Call
			if dir == "outgoing" {
				var err error
				call, err = NewCall(bnet, lo, []Codec{PCMU, PCMA}, SecurityDTLS, discardLog())
				must(t, err)
				offer, err := call.Offer(1)
				must(t, err)
				if !strings.Contains(string(offer), "UDP/TLS/RTP/SAVPF") || !strings.Contains(string(offer), "a=fingerprint:") {
					t.Fatalf("offer:\n%s", offer)
				}
				_, err = call.SetPBXAnswer([]byte(pbx.answer(offer)))
				must(t, err)
			} else {
				var err error
				call, _, err = NewIncomingCall(bnet, lo, []byte(pbx.offer()), []Codec{PCMU}, SecurityDTLS, discardLog())
				must(t, err)
				must(t, pbx.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(call.Answer(1))}))
				call.Connect() // answered, as the phone does after its 200
			}
			defer call.Close()

			mic, heard := connectBrowser(t, call, PCMU)

			mine, theirs := []byte("from-the-microphone"), []byte("from-the-pbx")
			deadline := time.Now().Add(10 * time.Second)
			gotMine, gotTheirs := false, false
			for seq := uint16(1); !(gotMine && gotTheirs); seq++ {
				if time.Now().After(deadline) {
					t.Fatalf("relay: PBX heard the mic %v, browser heard the PBX %v", gotMine, gotTheirs)
				}
				_ = mic.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 160}, Payload: mine})
				_ = pbx.out.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: uint32(seq) * 160}, Payload: theirs})
				select {
				case p := <-pbx.got:
					gotMine = gotMine || (bytes.Equal(p.Payload, mine) && p.PayloadType == 0)
				case p := <-heard:
					gotTheirs = gotTheirs || bytes.Equal(p.Payload, theirs)
				case <-time.After(20 * time.Millisecond):
				}
			}
			if call.LastReceived().IsZero() {
				t.Fatal("no time of the PBX's last packet")
			}

			hold, err := call.HoldOffer(true)
			must(t, err)
			first := string(call.rtc.Describe("sendrecv", 0))
			if !strings.Contains(string(hold), "a=sendonly") || fingerprintOf(string(hold)) != fingerprintOf(first) || fingerprintOf(first) == "" {
				t.Fatalf("hold offer:\n%s", hold)
			}
		})
	}
}

func fingerprintOf(sdp string) string {
	for _, l := range strings.Split(sdp, "\r\n") {
		if strings.HasPrefix(l, "a=fingerprint:") || strings.HasPrefix(l, "a=ice-ufrag:") {
			return l
		}
	}
	return ""
}
