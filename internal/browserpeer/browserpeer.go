// Package browserpeer stands in for the softphone window in Go tests and benchmarks: a
// pion peer connection on loopback that offers audio codecs and sends one track, as
// the browser's RTCPeerConnection does.
package browserpeer

import (
	"net"
	"testing"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// New makes the peer offering one codec, with its microphone track in it; it is closed
// when the test ends.
func New(t testing.TB, capability webrtc.RTPCodecCapability) (*webrtc.PeerConnection, *webrtc.TrackLocalStaticRTP) {
	return NewOffering(t, capability, capability)
}

// NewOffering makes the peer offering every codec of offered, in that order (payload
// types 96, 97, …), as a browser offers all it has; its microphone track is bound to
// send, the codec the answer should name. It is closed when the test ends.
func NewOffering(t testing.TB, send webrtc.RTPCodecCapability, offered ...webrtc.RTPCodecCapability) (*webrtc.PeerConnection, *webrtc.TrackLocalStaticRTP) {
	t.Helper()
	me := &webrtc.MediaEngine{}
	for i, c := range offered {
		if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: c, PayloadType: webrtc.PayloadType(96 + i)}, webrtc.RTPCodecTypeAudio); err != nil {
			t.Fatal(err)
		}
	}
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	track, err := webrtc.NewTrackLocalStaticRTP(send, "mic", "browser")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc, track
}

// Offer makes the peer's complete offer (ICE gathering finished, no trickle), as the
// softphone window sends it.
func Offer(t testing.TB, pc *webrtc.PeerConnection) string {
	t.Helper()
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	return pc.LocalDescription().SDP
}
