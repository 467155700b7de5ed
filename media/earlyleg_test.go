package media

import (
	"net"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/tabphone/tabphone/internal/browserpeer"
)

// windowPeer stands in for a browser's RTCPeerConnection, which offers every codec it
// has (in its own order), not only the call's. Its microphone track is bound to send,
// the codec the answer should name (a browser's track is not bound to any: it sends
// in the answer's codec).
func windowPeer(t *testing.T, send Codec, codecs ...Codec) (*webrtc.PeerConnection, *webrtc.TrackLocalStaticRTP, <-chan *rtp.Packet) {
	t.Helper()
	offered := make([]webrtc.RTPCodecCapability, len(codecs))
	for i, c := range codecs {
		offered[i] = webrtc.RTPCodecCapability{MimeType: c.MimeType, ClockRate: c.ClockRate, Channels: c.Channels, SDPFmtpLine: c.Fmtp}
	}
	pc, mic := browserpeer.NewOffering(t, webrtc.RTPCodecCapability{MimeType: send.MimeType, ClockRate: send.ClockRate, Channels: send.Channels}, offered...)
	return pc, mic, heardBy(pc)
}

// offerAndConnect sends the window's offer to the call, applies the answer and waits
// until the window's peer connection is connected; it returns the answer.
func offerAndConnect(t *testing.T, call *Call, pc *webrtc.PeerConnection) string {
	t.Helper()
	answered := make(chan string, 1)
	call.OnAnswer = func(sdp string, err error) {
		if err != nil {
			t.Errorf("browser leg: %v", err)
		}
		answered <- sdp
	}
	connected := make(chan struct{})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			close(connected)
		}
	})
	if err := call.SetBrowserOffer(browserpeer.Offer(t, pc)); err != nil {
		t.Fatal(err)
	}
	var sdp string
	select {
	case sdp = <-answered:
	case <-time.After(5 * time.Second):
		t.Fatal("no answer from the browser leg")
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-connected:
	case <-time.After(5 * time.Second):
		t.Fatal("the browser leg did not connect")
	}
	return sdp
}

// micAtPBX sends from the microphone until the PBX's socket gets a packet (nil when
// nothing came within d).
func micAtPBX(t *testing.T, mic *webrtc.TrackLocalStaticRTP, pbx *net.UDPConn, d time.Duration) *rtp.Packet {
	t.Helper()
	buf := make([]byte, maxRTP)
	deadline := time.Now().Add(d)
	for seq := uint16(1); time.Now().Before(deadline); seq++ {
		_ = mic.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 160}, Payload: []byte{0xd5, 0xd5}})
		_ = pbx.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if n, _, err := pbx.ReadFromUDP(buf); err == nil {
			p := &rtp.Packet{}
			if err := p.Unmarshal(buf[:n]); err != nil {
				t.Fatal(err)
			}
			return p
		}
	}
	return nil
}

// pbxToWindow sends PBX packets of pt until the window hears one (false after d).
func pbxToWindow(t *testing.T, pbx *net.UDPConn, to *net.UDPAddr, pt uint8, heard <-chan *rtp.Packet, d time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(d)
	for seq := uint16(1); time.Now().Before(deadline); seq++ {
		b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: uint32(seq) * 160, SSRC: 7}, Payload: []byte{1, 2, 3}}).Marshal()
		if _, err := pbx.WriteToUDP(b, to); err != nil {
			t.Fatal(err)
		}
		if heardWithin(heard, 20*time.Millisecond) != nil {
			return true
		}
	}
	return false
}

// TestBrowserLegUpWhileRinging: the window offers (all its codecs) while an outgoing
// call rings; the browser leg is answered and connected before the PBX answers, in our
// first codec, and the PBX's 183 and 200 in that codec find it up: audio crosses both
// ways at once, with no new offer.
func TestBrowserLegUpWhileRinging(t *testing.T) {
	lo := net.IPv4(127, 0, 0, 1)
	call, restarts := offeredCall(t, lo)
	pc, mic, heard := windowPeer(t, PCMU, PCMA, PCMU) // the browser's order is not ours

	answer := offerAndConnect(t, call, pc) // before any answer from the PBX
	if !offerCarries(answer, PCMU) || offerCarries(answer, PCMA) {
		t.Fatalf("browser leg answered in another codec than our first:\n%s", answer)
	}

	pbx, _ := net.ListenUDP("udp", &net.UDPAddr{IP: lo})
	defer pbx.Close()
	if _, err := call.SetPBXAnswer(BuildSDP(OfferParams{IP: lo, Port: pbx.LocalAddr().(*net.UDPAddr).Port, Codecs: []Codec{PCMU}})); err != nil {
		t.Fatal(err)
	}
	p := micAtPBX(t, mic, pbx, 5*time.Second)
	if p == nil || p.PayloadType != PCMU.PT {
		t.Fatalf("microphone at the PBX: %v", p)
	}
	if !pbxToWindow(t, pbx, call.pbx.LocalAddr(), PCMU.PT, heard, 5*time.Second) {
		t.Fatal("the PBX's audio did not reach the window")
	}
	// That answer was a 183 (early media on the same leg); the 200 follows with the
	// same SDP and the same leg carries on.
	if _, err := call.SetPBXAnswer(BuildSDP(OfferParams{IP: lo, Port: pbx.LocalAddr().(*net.UDPAddr).Port, Codecs: []Codec{PCMU}})); err != nil {
		t.Fatal(err)
	}
	if !pbxToWindow(t, pbx, call.pbx.LocalAddr(), PCMU.PT, heard, 5*time.Second) {
		t.Fatal("after the 200 the PBX's audio did not reach the window")
	}
	select {
	case <-restarts:
		t.Fatal("the window was asked for a new offer although the leg was in the PBX's codec")
	default:
	}
}

// TestBrowserLegMadeAgainWhenThePBXPicksAnotherCodec: the leg made while ringing is in
// our first codec; a PBX that answers with our second gets the leg made again (the
// window offers anew), never two codecs across the legs.
func TestBrowserLegMadeAgainWhenThePBXPicksAnotherCodec(t *testing.T) {
	lo := net.IPv4(127, 0, 0, 1)
	call, restarts := offeredCall(t, lo)
	pc, _, _ := windowPeer(t, PCMU, PCMU, PCMA)
	offerAndConnect(t, call, pc)

	pbx, _ := net.ListenUDP("udp", &net.UDPAddr{IP: lo})
	defer pbx.Close()
	if _, err := call.SetPBXAnswer(BuildSDP(OfferParams{IP: lo, Port: pbx.LocalAddr().(*net.UDPAddr).Port, Codecs: []Codec{PCMA}})); err != nil {
		t.Fatal(err)
	}
	select {
	case <-restarts:
	case <-time.After(2 * time.Second):
		t.Fatal("the PBX chose PCMA and the window was not asked for a new offer")
	}
	pc2, mic2, _ := windowPeer(t, PCMA, PCMU, PCMA)
	if answer := offerAndConnect(t, call, pc2); !offerCarries(answer, PCMA) || offerCarries(answer, PCMU) {
		t.Fatalf("the new leg is not in the PBX's codec:\n%s", answer)
	}
	if p := micAtPBX(t, mic2, pbx, 5*time.Second); p == nil || p.PayloadType != PCMA.PT {
		t.Fatalf("microphone at the PBX: %v", p)
	}
}

// TestIncomingCallMicWaitsForTheAnswer: an incoming call's browser leg is up while it
// rings (the caller's audio could be heard at once), but nothing from the microphone
// reaches the caller until the call is answered (Connect).
func TestIncomingCallMicWaitsForTheAnswer(t *testing.T) {
	lo := net.IPv4(127, 0, 0, 1)
	bnet := &BrowserNet{LocalIPs: []net.IP{lo}, remoteOK: machineIPs()}
	pbx, _ := net.ListenUDP("udp", &net.UDPAddr{IP: lo})
	defer pbx.Close()
	offer := BuildSDP(OfferParams{SessionID: 1, Version: 1, IP: lo, Port: pbx.LocalAddr().(*net.UDPAddr).Port, Codecs: []Codec{PCMU}})
	call, _, err := NewIncomingCall(bnet, lo, offer, []Codec{PCMU}, SecurityOff, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer call.Close()
	pc, mic, heard := windowPeer(t, PCMU, PCMU)
	offerAndConnect(t, call, pc)
	if !pbxToWindow(t, pbx, call.pbx.LocalAddr(), PCMU.PT, heard, 5*time.Second) {
		t.Fatal("the leg is not carrying audio")
	}
	// 25 packets over half a second, the leg proven up: none may reach the caller.
	if p := micAtPBX(t, mic, pbx, 500*time.Millisecond); p != nil {
		t.Fatalf("the microphone reached the caller before the answer: %v", p)
	}
	call.Connect()
	if p := micAtPBX(t, mic, pbx, 5*time.Second); p == nil {
		t.Fatal("after the answer the microphone does not reach the caller")
	}
}
