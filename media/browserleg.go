package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// BrowserNet decides which addresses the browser leg uses: 127.0.0.1 plus the machine's
// default-route address (Firefox does not send checks to a remote 127.0.0.1 and hides
// its own address behind mDNS, so it needs the second one), and it accepts checks only
// from this machine's own addresses. No STUN, no TURN, no mDNS.
type BrowserNet struct {
	LocalIPs []net.IP        // addresses to gather host candidates on
	remoteOK map[string]bool // addresses of this machine; nil: looked up when a leg is made
}

// NewBrowserNet looks at the machine's addresses once.
func NewBrowserNet() *BrowserNet {
	n := &BrowserNet{LocalIPs: []net.IP{net.IPv4(127, 0, 0, 1)}, remoteOK: machineIPs()}
	if ip := DefaultRouteIPv4(); ip != nil {
		n.LocalIPs = append(n.LocalIPs, ip)
	}
	return n
}

func (n *BrowserNet) settingEngine() webrtc.SettingEngine {
	var se webrtc.SettingEngine
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	allowed := map[string]bool{}
	for _, ip := range n.LocalIPs {
		allowed[ip.String()] = true
	}
	se.SetIPFilter(func(ip net.IP) bool { return allowed[ip.String()] })
	remoteOK := n.remoteOK
	if remoteOK == nil { // a BrowserNet made as a literal: this machine's addresses
		remoteOK = machineIPs()
	}
	se.SetRemoteIPFilter(func(ip net.IP) bool { return remoteOK[ip.String()] })
	return se
}

// BrowserLeg is the WebRTC connection to the softphone window for one call. It carries
// exactly one codec, the one the PBX leg negotiated.
type BrowserLeg struct {
	pc    *webrtc.PeerConnection
	track *webrtc.TrackLocalStaticRTP
	log   *slog.Logger
	pt    uint8 // the payload type the browser leg was built with
}

// NewBrowserLeg makes a peer connection that can only negotiate codec (plus nothing
// else: DTMF goes to the PBX from the host, not from the browser).
func NewBrowserLeg(n *BrowserNet, codec Codec, log *slog.Logger) (*BrowserLeg, error) {
	me := &webrtc.MediaEngine{}
	capability := webrtc.RTPCodecCapability{MimeType: codec.MimeType, ClockRate: codec.ClockRate, Channels: codec.Channels, SDPFmtpLine: codec.Fmtp}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: capability, PayloadType: webrtc.PayloadType(codec.PT)}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("register %s: %w", codec.Name, err)
	}
	// No interceptors: this leg runs over loopback to a window on the same machine.
	//  - NACK: nothing is lost on loopback, browsers do not NACK audio, and the responder
	//    keeps a copy of every packet we send.
	//  - TWCC: bandwidth estimation is meaningless on loopback and the rate is the PBX
	//    leg's codec's anyway; it adds a header extension to every packet and a feedback
	//    report (a timer wake-up) every 100 ms.
	//  - Sender and receiver reports: nothing reads them (the window shows no getStats
	//    figures, audio-only needs no lip sync, browsers end no call for missing RTCP);
	//    their per-packet bookkeeping cost two allocations a packet and two timers a call.
	//  - Stats: the host never calls GetStats.
	// The browser's own reports still arrive and are drained (drainRTCP).
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(n.settingEngine()), webrtc.WithInterceptorRegistry(&interceptor.Registry{}))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, fmt.Errorf("new peer connection: %w", err)
	}
	track, err := webrtc.NewTrackLocalStaticRTP(capability, "audio", "tabphone")
	if err != nil {
		pc.Close()
		return nil, fmt.Errorf("new track: %w", err)
	}
	sender, err := pc.AddTrack(track)
	if err != nil {
		pc.Close()
		return nil, fmt.Errorf("add track: %w", err)
	}
	go drainRTCP(sender)
	return &BrowserLeg{pc: pc, track: track, log: log, pt: codec.PT}, nil
}

// drainRTCP reads the other side's RTCP: what the interceptors (if any) do with it
// happens on this read, and unread reports would pile up in pion's buffer.
func drainRTCP(s *webrtc.RTPSender) {
	buf := make([]byte, maxRTP)
	for {
		if _, _, err := s.Read(buf); err != nil {
			return
		}
	}
}

// Answer applies the browser's offer and returns our answer with all candidates in it
// (no trickle: only host candidates exist, gathered in milliseconds).
func (b *BrowserLeg) Answer(ctx context.Context, offer string) (string, error) {
	if len(offer) > MaxBrowserSDP {
		return "", fmt.Errorf("%w: browser offer of %d bytes", ErrBadSDP, len(offer))
	}
	if err := b.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("%w: browser offer: %v", ErrBadSDP, err)
	}
	answer, err := b.pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("create answer: %w", err)
	}
	if !strings.Contains(answer.SDP, "a=rtpmap:") {
		return "", fmt.Errorf("%w: the browser did not offer the call's codec", ErrNoCommonCodec)
	}
	gathered := webrtc.GatheringCompletePromise(b.pc)
	if err := b.pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("set local description: %w", err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", fmt.Errorf("gather candidates: %w", ctx.Err())
	}
	return b.pc.LocalDescription().SDP, nil
}

// OnTrack calls f with each RTP packet the browser sends (its microphone), on one
// goroutine, until the leg closes. The packet and its payload are reused for the next
// one (pion's ReadRTP would allocate a 1500-byte buffer and a packet each time).
func (b *BrowserLeg) OnTrack(f func(*rtp.Packet)) {
	b.pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		buf := make([]byte, maxRTP)
		p := &rtp.Packet{}
		for {
			n, _, err := t.Read(buf)
			if err != nil {
				return
			}
			if p.Unmarshal(buf[:n]) != nil {
				continue
			}
			f(p)
		}
	})
}

// OnState reports connection state changes (for logs and for "connected" in the UI).
func (b *BrowserLeg) OnState(f func(webrtc.PeerConnectionState)) {
	b.pc.OnConnectionStateChange(f)
}

// WriteRTP sends a packet to the browser. Packets written before the connection is up
// are dropped by pion, which is what we want.
func (b *BrowserLeg) WriteRTP(p *rtp.Packet) error {
	if err := b.track.WriteRTP(p); err != nil && !errors.Is(err, io.ErrClosedPipe) {
		return fmt.Errorf("send RTP to browser: %w", err)
	}
	return nil
}

// Close ends the peer connection.
func (b *BrowserLeg) Close() error { return b.pc.Close() }

// MaxBrowserSDP caps the browser's offer (the native-messaging cap is 64 KiB anyway).
const MaxBrowserSDP = 32 << 10
