package media

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Every wait in these tests polls for a condition with this deadline.
const webrtcDeadline = 5 * time.Second

var loopback = net.IPv4(127, 0, 0, 1)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testPBX is a pion peer on loopback standing in for a WebRTC PBX (Asterisk webrtc=yes,
// FreeSWITCH, rtpengine): one audio codec plus telephone-event/8000 at 101.
type testPBX struct {
	t      *testing.T
	pc     *webrtc.PeerConnection
	codec  Codec
	out    *webrtc.TrackLocalStaticRTP
	ssrc   uint32
	got    chan *rtp.Packet // RTP from us
	rtcpIn chan rtcp.Packet // RTCP from us
}

type testPBXOptions struct {
	lite bool
	role webrtc.DTLSRole // its role when it answers; zero is pion's default (active)
}

func newTestPBX(t *testing.T, codec Codec, o testPBXOptions) *testPBX {
	t.Helper()
	me := &webrtc.MediaEngine{}
	capability := webrtc.RTPCodecCapability{MimeType: codec.MimeType, ClockRate: codec.ClockRate, Channels: codec.Channels, SDPFmtpLine: codec.Fmtp}
	must(t, me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: capability, PayloadType: webrtc.PayloadType(codec.PT)}, webrtc.RTPCodecTypeAudio))
	must(t, me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeTelephoneEvent, ClockRate: 8000, SDPFmtpLine: "0-16"}, PayloadType: 101}, webrtc.RTPCodecTypeAudio))
	var se webrtc.SettingEngine
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetLite(o.lite)
	if o.role != webrtc.DTLSRoleUnknown {
		must(t, se.SetAnsweringDTLSRole(o.role))
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	must(t, err)
	t.Cleanup(func() { pc.Close() })
	out, err := webrtc.NewTrackLocalStaticRTP(capability, "pbx", "pbx")
	must(t, err)
	sender, err := pc.AddTrack(out)
	must(t, err)
	p := &testPBX{t: t, pc: pc, codec: codec, out: out, ssrc: uint32(sender.GetParameters().Encodings[0].SSRC),
		got: make(chan *rtp.Packet, 512), rtcpIn: make(chan rtcp.Packet, 512)}
	go p.readRTCP(sender.ReadRTCP)
	pc.OnTrack(func(tr *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		go p.readRTCP(r.ReadRTCP)
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			select {
			case p.got <- pkt:
			default:
			}
		}
	})
	return p
}

func (p *testPBX) readRTCP(read func() ([]rtcp.Packet, interceptor.Attributes, error)) {
	for {
		pkts, _, err := read()
		if err != nil {
			return
		}
		for _, pkt := range pkts {
			select {
			case p.rtcpIn <- pkt:
			default:
			}
		}
	}
}

// complete applies a local description and returns it with every candidate.
func (p *testPBX) complete(desc webrtc.SessionDescription) string {
	p.t.Helper()
	gathered := webrtc.GatheringCompletePromise(p.pc)
	must(p.t, p.pc.SetLocalDescription(desc))
	<-gathered
	return p.pc.LocalDescription().SDP
}

// answer answers our offer as the PBX would.
func (p *testPBX) answer(offer []byte) string {
	p.t.Helper()
	must(p.t, p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: string(offer)}))
	a, err := p.pc.CreateAnswer(nil)
	must(p.t, err)
	return p.complete(a)
}

// offer is the PBX's offer for a call to us.
func (p *testPBX) offer() string {
	p.t.Helper()
	o, err := p.pc.CreateOffer(nil)
	must(p.t, err)
	return p.complete(o)
}

// pump calls send every 20 ms until the test ends, as a media stream would.
func pump(t *testing.T, send func(i int)) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				send(i)
			}
		}
	}()
}

// sendAudio streams codec packets from both sides: ours with the PBX's payload type.
func sendAudio(t *testing.T, w *WebRTCPBX, p *testPBX, pt uint8) {
	pump(t, func(i int) {
		_ = w.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: uint16(i), Timestamp: uint32(i * 160), SSRC: 1}, Payload: make([]byte, 160)})
		_ = p.out.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(i), Timestamp: uint32(i * 160)}, Payload: make([]byte, 160)})
	})
}

// ourPackets collects what ReadRTP returns.
func ourPackets(t *testing.T, w *WebRTCPBX) <-chan *rtp.Packet {
	ch := make(chan *rtp.Packet, 512)
	go func() {
		buf := make([]byte, maxRTP)
		for {
			p, err := w.ReadRTP(buf)
			if err != nil {
				return
			}
			p.Payload = append([]byte(nil), p.Payload...)
			select {
			case ch <- p:
			default:
			}
		}
	}()
	return ch
}

// waitPT waits for a packet of payload type pt.
func waitPT(t *testing.T, ch <-chan *rtp.Packet, pt uint8, what string) *rtp.Packet {
	t.Helper()
	deadline := time.After(webrtcDeadline)
	for {
		select {
		case p := <-ch:
			if p.PayloadType == pt {
				return p
			}
		case <-deadline:
			t.Fatalf("%s: no packet of payload type %d within %v", what, pt, webrtcDeadline)
		}
	}
}

// checkDTMF sends RFC 4733 event packets until the PBX gets one with its payload type
// and payload intact.
func checkDTMF(t *testing.T, w *WebRTCPBX, p *testPBX) {
	t.Helper()
	event := []byte{5, 10, 0, 160}
	pump(t, func(i int) {
		_ = w.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: uint16(30000 + i), Timestamp: 99999}, Payload: event})
	})
	got := waitPT(t, p.got, 101, "DTMF at the PBX")
	if string(got.Payload) != string(event) {
		t.Fatalf("DTMF payload %v, sent %v", got.Payload, event)
	}
}

func newTestLeg(t *testing.T, codecs ...Codec) *WebRTCPBX {
	t.Helper()
	w, err := NewWebRTCPBX(loopback, codecs, quietLog())
	must(t, err)
	t.Cleanup(func() { w.Close() })
	return w
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var (
	midLine    = regexp.MustCompile(`(?m)^a=(mid|group|ssrc|ssrc-group|msid)[:\s].*\r?\n`)
	setupLine  = regexp.MustCompile(`(?m)^a=setup:(\w+)`)
	ufragLine  = regexp.MustCompile(`(?m)^a=ice-ufrag:(\S+)`)
	formatLine = regexp.MustCompile(`(?m)^m=audio \d+ (\S+) (.*?)\r?$`)
)

// withoutMid is a PBX SDP as many PBXs write it: no a=mid, no BUNDLE group, no a=ssrc.
func withoutMid(sdp string) string { return midLine.ReplaceAllString(sdp, "") }

func setupOf(t *testing.T, sdp string) string {
	t.Helper()
	m := setupLine.FindStringSubmatch(sdp)
	if m == nil {
		t.Fatalf("no a=setup in\n%s", sdp)
	}
	return m[1]
}

// Our offer, answered by a PBX in either DTLS role, with and without a=mid: audio
// flows both ways in the answer's codec, and DTMF events reach the PBX as events.
func TestWebRTCPBXOfferAnswered(t *testing.T) {
	for _, tc := range []struct {
		name  string
		role  webrtc.DTLSRole
		setup string // the PBX's a=setup
		noMid bool
	}{
		{"active", webrtc.DTLSRoleUnknown, "active", false},
		{"passive", webrtc.DTLSRoleServer, "passive", false},
		{"active without mid", webrtc.DTLSRoleUnknown, "active", true},
		{"passive without mid", webrtc.DTLSRoleServer, "passive", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newTestLeg(t, Opus, PCMU)
			p := newTestPBX(t, PCMU, testPBXOptions{role: tc.role})
			must(t, w.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2}})) // before negotiation: dropped
			offer, err := w.Offer(context.Background())
			must(t, err)
			for _, want := range []string{"m=audio ", " UDP/TLS/RTP/SAVPF 111 0 101\r\n", "a=setup:actpass", "a=fingerprint:sha-256 ", "a=ice-ufrag:", "a=ice-pwd:", "a=rtcp-mux", "a=mid:", "a=candidate:", "a=rtpmap:101 telephone-event/8000", "a=end-of-candidates", "c=IN IP4 127.0.0.1"} {
				if !strings.Contains(string(offer), want) {
					t.Errorf("offer lacks %q:\n%s", want, offer)
				}
			}
			if strings.Contains(string(offer), "trickle") || strings.Contains(string(offer), "m=audio 9 ") {
				t.Errorf("offer for SIP must carry its candidates, not trickle:\n%s", offer)
			}
			answer := p.answer(offer)
			if got := setupOf(t, answer); got != tc.setup {
				t.Fatalf("the PBX answered a=setup:%s, want %s", got, tc.setup)
			}
			if tc.noMid {
				answer = withoutMid(answer)
			}
			neg, err := w.SetAnswer([]byte(answer))
			must(t, err)
			if neg.Codec.Key != "pcmu" || neg.Codec.PT != 0 || neg.DTMFPT != 101 || neg.Direction != "sendrecv" {
				t.Fatalf("negotiated %+v", neg)
			}
			ours := ourPackets(t, w)
			sendAudio(t, w, p, 0)
			waitPT(t, p.got, 0, "audio at the PBX")
			waitPT(t, ours, 0, "audio from the PBX")
			checkDTMF(t, w, p)
			if time.Since(w.LastReceived()) > webrtcDeadline {
				t.Errorf("LastReceived %v", w.LastReceived())
			}

			// The 200 repeating the 183's SDP changes nothing; another endpoint cannot be followed.
			if again, err := w.SetAnswer([]byte(answer)); err != nil || again.Codec.Key != "pcmu" {
				t.Fatalf("same answer again: %+v %v", again, err)
			}
			moved := ufragLine.ReplaceAllString(answer, "a=ice-ufrag:elsewhere")
			if _, err := w.SetAnswer([]byte(moved)); !errors.Is(err, ErrTransportChanged) {
				t.Fatalf("answer from another endpoint: %v", err)
			}
		})
	}
}

// A PBX's offer in each DTLS role, with and without a=mid: the answer carries exactly
// the chosen codec plus telephone-event, takes the role the offer asks for, and audio
// flows both ways.
func TestWebRTCPBXAnswerOffer(t *testing.T) {
	for _, tc := range []struct {
		name      string
		setup     string // the PBX's a=setup in its offer
		wantSetup string // ours in the answer
		noMid     bool
	}{
		{"actpass", "actpass", "active", false},
		{"active", "active", "passive", false},
		{"passive", "passive", "active", false},
		{"actpass without mid", "actpass", "active", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newTestLeg(t, Opus, PCMA, PCMU)
			p := newTestPBX(t, PCMA, testPBXOptions{})
			offer := setupLine.ReplaceAllString(p.offer(), "a=setup:"+tc.setup)
			if tc.noMid {
				offer = withoutMid(offer)
			}
			answer, neg, err := w.AnswerOffer(context.Background(), []byte(offer), []Codec{Opus, PCMA, PCMU})
			must(t, err)
			if neg.Codec.Key != "pcma" || neg.Codec.PT != 8 || neg.DTMFPT != 101 {
				t.Fatalf("negotiated %+v", neg)
			}
			if got := setupOf(t, string(answer)); got != tc.wantSetup {
				t.Fatalf("answer a=setup:%s to a=setup:%s, want %s", got, tc.setup, tc.wantSetup)
			}
			if m := formatLine.FindStringSubmatch(string(answer)); m == nil || m[1] != "UDP/TLS/RTP/SAVPF" || m[2] != "8 101" {
				t.Fatalf("answer's m= line %q, want UDP/TLS/RTP/SAVPF 8 101:\n%s", m, answer)
			}
			if tc.noMid && strings.Contains(string(answer), "a=group:") {
				t.Errorf("answer bundles although the offer did not:\n%s", answer)
			}
			must(t, p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(answer)}))
			ours := ourPackets(t, w)
			sendAudio(t, w, p, 8)
			waitPT(t, p.got, 8, "audio at the PBX")
			waitPT(t, ours, 8, "audio from the PBX")
		})
	}
}

// An ICE-lite PBX (rtpengine and Asterisk can be configured so): we are the controlling
// agent whether we offer or answer.
func TestWebRTCPBXIceLite(t *testing.T) {
	t.Run("we offer", func(t *testing.T) {
		t.Parallel()
		w := newTestLeg(t, PCMU)
		p := newTestPBX(t, PCMU, testPBXOptions{lite: true})
		offer, err := w.Offer(context.Background())
		must(t, err)
		answer := p.answer(offer)
		if !strings.Contains(answer, "a=ice-lite") {
			t.Fatalf("the test PBX is not ICE-lite:\n%s", answer)
		}
		_, err = w.SetAnswer([]byte(withoutMid(answer)))
		must(t, err)
		ours := ourPackets(t, w)
		sendAudio(t, w, p, 0)
		waitPT(t, p.got, 0, "audio at the PBX")
		waitPT(t, ours, 0, "audio from the PBX")
	})
	t.Run("PBX offers", func(t *testing.T) {
		t.Parallel()
		w := newTestLeg(t, PCMU)
		p := newTestPBX(t, PCMU, testPBXOptions{lite: true})
		answer, _, err := w.AnswerOffer(context.Background(), []byte(p.offer()), []Codec{PCMU})
		must(t, err)
		must(t, p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(answer)}))
		ours := ourPackets(t, w)
		sendAudio(t, w, p, 0)
		waitPT(t, p.got, 0, "audio at the PBX")
		waitPT(t, ours, 0, "audio from the PBX")
	})
}

// diffLines returns the lines of b that are not in a.
func diffLines(a, b string) []string {
	in := map[string]bool{}
	for _, l := range strings.Split(a, "\r\n") {
		in[l] = true
	}
	var out []string
	for _, l := range strings.Split(b, "\r\n") {
		if !in[l] {
			out = append(out, l)
		}
	}
	return out
}

// Describe keeps ICE credentials, fingerprint and candidates; only the o= version, the
// direction and, once negotiated, a=setup (actpass becomes our role) differ.
func TestWebRTCPBXDescribe(t *testing.T) {
	t.Parallel()
	w := newTestLeg(t, PCMU)
	if w.Describe("sendonly", 1) != nil {
		t.Fatal("Describe before any offer")
	}
	offer, err := w.Offer(context.Background())
	must(t, err)
	id, version := w.Origin()
	before := string(w.Describe("inactive", version+1))
	got := diffLines(string(offer), before)
	want := []string{"o=tabphone " + u64(id) + " " + u64(version+1) + " IN IP4 127.0.0.1", "a=inactive"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("Describe before the answer changed %q, want %q:\n%s", got, want, before)
	}

	p := newTestPBX(t, PCMU, testPBXOptions{role: webrtc.DTLSRoleServer}) // it is passive, so we are active
	_, err = w.SetAnswer([]byte(p.answer(offer)))
	must(t, err)
	hold := string(w.Describe("sendonly", version+2))
	got = diffLines(string(offer), hold)
	want = []string{"o=tabphone " + u64(id) + " " + u64(version+2) + " IN IP4 127.0.0.1", "a=setup:active", "a=sendonly"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("Describe for hold changed %q, want %q:\n%s", got, want, hold)
	}
	if got := diffLines(hold, string(offer)); len(got) != 3 {
		t.Fatalf("Describe lost lines: %q", got)
	}

	// Answering an offer that asked us to be passive: later descriptions stay passive.
	w2 := newTestLeg(t, PCMU)
	p2 := newTestPBX(t, PCMU, testPBXOptions{})
	answer, _, err := w2.AnswerOffer(context.Background(), []byte(setupLine.ReplaceAllString(p2.offer(), "a=setup:active")), []Codec{PCMU})
	must(t, err)
	_, v2 := w2.Origin()
	if got := diffLines(string(answer), string(w2.Describe("recvonly", v2+1))); len(got) != 2 || got[1] != "a=recvonly" || setupOf(t, string(answer)) != "passive" {
		t.Fatalf("Describe after answering changed %q", got)
	}
}

func u64(v uint64) string { return strconv.FormatUint(v, 10) }

// The PBX gets our RTCP: sender reports about our stream and receiver reports about its
// own, so its quality figures and RTP timeouts see a live call.
func TestWebRTCPBXSendsRTCPReports(t *testing.T) {
	t.Parallel()
	w := newTestLeg(t, PCMU)
	p := newTestPBX(t, PCMU, testPBXOptions{})
	offer, err := w.Offer(context.Background())
	must(t, err)
	_, err = w.SetAnswer([]byte(p.answer(offer)))
	must(t, err)
	sendAudio(t, w, p, 0)
	var sawSR, sawRR bool
	deadline := time.After(webrtcDeadline)
	for !sawSR || !sawRR {
		select {
		case pkt := <-p.rtcpIn:
			switch r := pkt.(type) {
			case *rtcp.SenderReport:
				sawSR = sawSR || r.PacketCount > 0
				sawRR = sawRR || reportsOn(r.Reports, p.ssrc)
			case *rtcp.ReceiverReport:
				sawRR = sawRR || reportsOn(r.Reports, p.ssrc)
			}
		case <-deadline:
			t.Fatalf("within %v the PBX got sender report %v, receiver report on its stream %v", webrtcDeadline, sawSR, sawRR)
		}
	}
}

func reportsOn(rs []rtcp.ReceptionReport, ssrc uint32) bool {
	for _, r := range rs {
		if r.SSRC == ssrc {
			return true
		}
	}
	return false
}

// An answer whose fingerprint does not match the PBX's certificate fails the DTLS
// handshake: no media flows to an endpoint that is not the one that signed the SDP.
func TestWebRTCPBXChecksFingerprint(t *testing.T) {
	t.Parallel()
	w := newTestLeg(t, PCMU)
	p := newTestPBX(t, PCMU, testPBXOptions{role: webrtc.DTLSRoleServer})
	offer, err := w.Offer(context.Background())
	must(t, err)
	answer := p.answer(offer)
	fp := regexp.MustCompile(`(a=fingerprint:sha-256 )([0-9A-F])`)
	forged := fp.ReplaceAllStringFunc(answer, func(s string) string {
		last := s[len(s)-1]
		if last == '0' {
			return s[:len(s)-1] + "1"
		}
		return s[:len(s)-1] + "0"
	})
	_, err = w.SetAnswer([]byte(forged))
	must(t, err)
	deadline := time.Now().Add(webrtcDeadline)
	for s := w.pc.ConnectionState(); s != webrtc.PeerConnectionStateFailed && s != webrtc.PeerConnectionStateClosed; s = w.pc.ConnectionState() {
		if time.Now().After(deadline) {
			t.Fatalf("connection %v with a forged fingerprint", w.pc.ConnectionState())
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
}

// After Close, ReadRTP and WriteRTP say so.
func TestWebRTCPBXClose(t *testing.T) {
	w := newTestLeg(t, PCMU)
	read := make(chan error, 1)
	go func() {
		_, err := w.ReadRTP(make([]byte, maxRTP))
		read <- err
	}()
	must(t, w.Close())
	if err := <-read; !errors.Is(err, ErrClosed) {
		t.Fatalf("ReadRTP after Close: %v", err)
	}
	if err := w.WriteRTP(&rtp.Packet{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("WriteRTP after Close: %v", err)
	}
	if _, err := w.Offer(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Offer after Close: %v", err)
	}
}
