package media

import (
	"net"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// offeredCall is an outgoing call on loopback offering PCMU and PCMA to the PBX, as the
// phone makes it when it dials; restarts receives each OnRestart (the window asked for a
// new offer). The call is closed in cleanup.
func offeredCall(t *testing.T, lo net.IP) (*Call, chan struct{}) {
	t.Helper()
	bnet := &BrowserNet{LocalIPs: []net.IP{lo}, remoteOK: machineIPs()}
	call, err := NewCall(bnet, lo, []Codec{PCMU, PCMA}, SecurityOff, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(call.Close)
	if _, err := call.Offer(1); err != nil {
		t.Fatal(err)
	}
	restarts := make(chan struct{}, 4)
	call.OnRestart = func() { restarts <- struct{}{} }
	return call, restarts
}

// TestForkedAnswerRestartsTheBrowserLeg: a 183 with PCMA from one fork, then the 200
// with PCMU from another on another port. The browser leg built for PCMA is dropped,
// the window is asked for a new offer, and after it the microphone reaches the 200's
// address as PCMU: the two legs never carry different codecs.
func TestForkedAnswerRestartsTheBrowserLeg(t *testing.T) {
	lo := net.IPv4(127, 0, 0, 1)
	call, restarts := offeredCall(t, lo)

	fork1, _ := net.ListenUDP("udp", &net.UDPAddr{IP: lo})
	fork2, _ := net.ListenUDP("udp", &net.UDPAddr{IP: lo})
	defer fork1.Close()
	defer fork2.Close()
	sdpFor := func(c net.PacketConn, codec Codec) []byte {
		return BuildSDP(OfferParams{IP: lo, Port: c.LocalAddr().(*net.UDPAddr).Port, Codecs: []Codec{codec}})
	}
	connect := func(codec Codec) *webrtc.TrackLocalStaticRTP {
		mic, _ := connectBrowser(t, call, codec)
		return mic
	}
	// heardAt sends from the microphone until the fork's socket gets a packet.
	heardAt := func(mic *webrtc.TrackLocalStaticRTP, fork *net.UDPConn) rtp.Packet {
		buf := make([]byte, maxRTP)
		deadline := time.Now().Add(5 * time.Second)
		for seq := uint16(1); time.Now().Before(deadline); seq++ {
			_ = mic.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 160}, Payload: []byte{0xd5, 0xd5}})
			_ = fork.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			if n, _, err := fork.ReadFromUDP(buf); err == nil {
				var p rtp.Packet
				if err := p.Unmarshal(buf[:n]); err != nil {
					t.Fatal(err)
				}
				return p
			}
		}
		t.Fatal("nothing from the microphone reached the fork")
		return rtp.Packet{}
	}

	if _, err := call.SetPBXAnswer(sdpFor(fork1, PCMA)); err != nil {
		t.Fatal(err)
	}
	if p := heardAt(connect(PCMA), fork1); p.PayloadType != PCMA.PT {
		t.Fatalf("early media went out as PT %d", p.PayloadType)
	}
	if _, err := call.SetPBXAnswer(sdpFor(fork2, PCMU)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-restarts:
	case <-time.After(2 * time.Second):
		t.Fatal("the codec changed and the window was not asked for a new offer")
	}
	if p := heardAt(connect(PCMU), fork2); p.PayloadType != PCMU.PT {
		t.Fatalf("after the 200 the audio went out as PT %d, want PCMU", p.PayloadType)
	}
}
