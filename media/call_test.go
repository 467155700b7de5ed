package media

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/tabphone/tabphone/internal/browserpeer"
)

// browserPeer stands in for the softphone window: a pion peer that offers the codec.
func browserPeer(t testing.TB, c Codec) (*webrtc.PeerConnection, *webrtc.TrackLocalStaticRTP) {
	return browserpeer.New(t, webrtc.RTPCodecCapability{MimeType: c.MimeType, ClockRate: c.ClockRate, Channels: c.Channels, SDPFmtpLine: c.Fmtp})
}

// heardBy collects what the peer receives (up to 100 packets waiting; more are dropped).
func heardBy(pc *webrtc.PeerConnection) <-chan *rtp.Packet {
	heard := make(chan *rtp.Packet, 100)
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			select {
			case heard <- p:
			default:
			}
		}
	})
	return heard
}

// connectBrowser gives a call its browser leg as the softphone window does (a pion
// peer that offers codec) and returns the window's microphone and what it hears.
func connectBrowser(t testing.TB, call *Call, codec Codec) (*webrtc.TrackLocalStaticRTP, <-chan *rtp.Packet) {
	t.Helper()
	pc, mic := browserPeer(t, codec)
	heard := heardBy(pc)
	answered := make(chan string, 1)
	call.OnAnswer = func(sdp string, err error) {
		if err != nil {
			t.Errorf("browser leg: %v", err)
		}
		answered <- sdp
	}
	if err := call.SetBrowserOffer(browserpeer.Offer(t, pc)); err != nil {
		t.Fatal(err)
	}
	select {
	case sdp := <-answered:
		if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no answer from the browser leg")
	}
	return mic, heard
}

// TestCallRelaysBothWays sets up both legs on loopback and checks that payloads cross
// unchanged in both directions, with the PBX leg's payload type and one SSRC per leg.
func TestCallRelaysBothWays(t *testing.T) {
	for _, codec := range []Codec{PCMU, Opus} {
		t.Run(codec.Name, func(t *testing.T) { relayBothWays(t, codec, SecurityOff) })
	}
}

// TestSDESCallRelaysBothWays is the same relay with the PBX leg in SDES-SRTP: the fake
// PBX takes our offered key for the suite it chooses and answers with its own, and
// only ciphertext crosses the PBX leg.
func TestSDESCallRelaysBothWays(t *testing.T) {
	for _, sec := range []Security{SecuritySDES, SecuritySDESOptional} {
		t.Run(sec.String(), func(t *testing.T) { relayBothWays(t, PCMU, sec) })
	}
}

func relayBothWays(t *testing.T, codec Codec, sec Security) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	bnet := &BrowserNet{LocalIPs: []net.IP{net.IPv4(127, 0, 0, 1)}, remoteOK: machineIPs()}
	call, err := NewCall(bnet, net.IPv4(127, 0, 0, 1), []Codec{Opus, PCMU}, sec, log)
	if err != nil {
		t.Fatal(err)
	}
	defer call.Close()
	offerSDP, err := call.Offer(1)
	if err != nil {
		t.Fatal(err)
	}
	offer := string(offerSDP)

	pbx, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer pbx.Close()
	pbxPT := codec.PT
	if codec.Key == "opus" {
		pbxPT = 109 // a PBX's own dynamic number, not ours
	}
	answer := codec
	answer.PT = pbxPT
	params := OfferParams{IP: net.IPv4(127, 0, 0, 1), Port: pbx.LocalAddr().(*net.UDPAddr).Port, Codecs: []Codec{answer}}
	end := fakePBXEnd{}
	if sec != SecurityOff {
		end, params.Proto, params.Crypto = sdesPBXEnd(t, offer, SuiteAESCM128SHA1_32)
	}
	if _, err := call.SetPBXAnswer(BuildSDP(params)); err != nil {
		t.Fatal(err)
	}

	mic, heard := connectBrowser(t, call, codec)

	// Browser → PBX: send until the PBX socket sees our payload.
	mine := []byte("from-the-microphone")
	got := make([]byte, 1500)
	deadline := time.Now().Add(5 * time.Second)
	var atPBX rtp.Packet
	for seq := uint16(1); ; seq++ {
		if time.Now().After(deadline) {
			t.Fatal("nothing from the browser reached the PBX")
		}
		_ = mic.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 160}, Payload: mine})
		_ = pbx.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		n, _, err := pbx.ReadFromUDP(got)
		if err != nil {
			continue
		}
		if err := atPBX.Unmarshal(end.open(t, got[:n])); err != nil {
			t.Fatal(err)
		}
		break
	}
	if !bytes.Equal(atPBX.Payload, mine) || atPBX.PayloadType != pbxPT {
		t.Fatalf("at PBX: pt %d payload %q", atPBX.PayloadType, atPBX.Payload)
	}

	// PBX → browser, then from a new source (the PBX switched media servers mid-call:
	// new SSRC, new sequence numbers) on the same address.
	leg := call.pbx.LocalAddr()
	for _, src := range []struct {
		ssrc    uint32
		seq     uint16
		payload []byte
	}{{42, 1, []byte("from-the-pbx")}, {4242, 30000, []byte("from-a-new-source")}} {
		deadline = time.Now().Add(5 * time.Second)
		for seq := src.seq; ; seq++ {
			if time.Now().After(deadline) {
				t.Fatalf("nothing from PBX source %d reached the browser", src.ssrc)
			}
			b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pbxPT, SequenceNumber: seq, Timestamp: uint32(seq) * 160, SSRC: src.ssrc}, Payload: src.payload}).Marshal()
			if _, err := pbx.WriteToUDP(end.seal(t, b), leg); err != nil {
				t.Fatal(err)
			}
			p := heardWithin(heard, 20*time.Millisecond)
			if p != nil && bytes.Equal(p.Payload, src.payload) {
				break
			}
		}
	}
}

// heardWithin is the next packet the browser heard, or nil after d.
func heardWithin(heard <-chan *rtp.Packet, d time.Duration) *rtp.Packet {
	select {
	case p := <-heard:
		return p
	case <-time.After(d):
		return nil
	}
}
