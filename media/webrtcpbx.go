package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// mimeTelephoneEvent is how pion names RFC 4733 events ("audio/" + the rtpmap name).
const mimeTelephoneEvent = "audio/telephone-event"

// webrtcQueue is how many packets from the PBX wait for ReadRTP (about a second of
// 20 ms audio); beyond that the newest are dropped, as a jitter buffer would drop them.
const webrtcQueue = 64

// WebRTCPBX is a PBX leg that speaks WebRTC media, for PBXs that expect a WebRTC peer on
// SIP over WSS (Asterisk webrtc=yes, FreeSWITCH towards a ws contact, Kamailio with
// rtpengine): a full ICE agent (so ICE-lite and full-ICE peers both work), DTLS-SRTP with
// the peer's fingerprint verified, rtcp-mux, AVPF and a=mid. SIP has no trickle, so every
// SDP it writes carries all candidates (RFC 8839 4.1.1).
//
// Packets cross it unchanged: it sends each packet with the payload type, sequence
// number and timestamp it was given (only the SSRC becomes the one our SDP declares), and
// ReadRTP returns every packet the PBX sends, whatever its payload type.
type WebRTCPBX struct {
	log     *slog.Logger
	localIP net.IP
	codecs  []Codec
	track   *rawAudioTrack
	packets chan []byte   // from the PBX, oldest first
	done    chan struct{} // closed by Close
	lastRx  atomic.Int64  // UnixNano of the last packet from the PBX, 0 before the first

	negMu sync.Mutex // one offer/answer step at a time

	mu        sync.Mutex
	pc        *webrtc.PeerConnection
	local     string // our description as the PBX got it, for Describe
	sessionID uint64 // our o= line
	mid       string // our audio section's mid
	remoteKey string // ICE credentials and fingerprint of the PBX's applied description
	setup     string // our negotiated DTLS role as an a=setup value; actpass until answered
	closed    bool
}

// NewWebRTCPBX prepares the leg. Its host candidates are on localIP only (the address
// that faces the PBX), UDP over IPv4, with no mDNS, STUN or TURN. Nothing is gathered
// until Offer or AnswerOffer.
func NewWebRTCPBX(localIP net.IP, codecs []Codec, log *slog.Logger) (*WebRTCPBX, error) {
	ip4 := localIP.To4()
	if ip4 == nil {
		return nil, fmt.Errorf("WebRTC PBX leg: %v is not an IPv4 address", localIP)
	}
	if len(codecs) == 0 {
		return nil, fmt.Errorf("%w: WebRTC PBX leg has no codecs to offer", ErrNoCommonCodec)
	}
	if log == nil {
		log = slog.Default()
	}
	return &WebRTCPBX{
		log:     log,
		localIP: ip4,
		codecs:  append([]Codec(nil), codecs...),
		track:   &rawAudioTrack{},
		packets: make(chan []byte, webrtcQueue),
		done:    make(chan struct{}),
	}, nil
}

// Offer returns our initial offer: every codec in order plus telephone-event/8000 at
// TelephoneEventPT, a=setup:actpass (RFC 8842 5.2), fingerprint, ICE credentials, all
// host candidates, rtcp-mux and a=mid, on an m=audio UDP/TLS/RTP/SAVPF line.
func (w *WebRTCPBX) Offer(ctx context.Context) ([]byte, error) {
	w.negMu.Lock()
	defer w.negMu.Unlock()
	pc, err := w.start(w.codecs, TelephoneEventPT, webrtc.DTLSRoleUnknown)
	if err != nil {
		return nil, err
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return nil, fmt.Errorf("WebRTC offer for the PBX: %w", err)
	}
	return w.setLocal(ctx, pc, offer, true, sdp.ConnectionRoleActpass.String())
}

// SetAnswer applies the PBX's answer to our offer, from a 183 or the 200. It may come
// twice: the same ICE credentials and fingerprint again are accepted (only the codec and
// direction are read anew); different ones are ErrTransportChanged. The codec is the
// answer's first one we offered (ParseAnswer); our DTLS role follows its a=setup.
func (w *WebRTCPBX) SetAnswer(body []byte) (Negotiated, error) {
	w.negMu.Lock()
	defer w.negMu.Unlock()
	neg, err := ParseAnswer(body, w.codecs)
	if err != nil {
		return Negotiated{}, fmt.Errorf("PBX answer: %w", err)
	}
	w.mu.Lock()
	pc, mid, applied, closed := w.pc, w.mid, w.remoteKey, w.closed
	w.mu.Unlock()
	switch {
	case closed:
		return Negotiated{}, ErrClosed
	case pc == nil || mid == "":
		return Negotiated{}, errors.New("WebRTC PBX leg: an answer came before our offer")
	}
	desc, _, err := parseRemoteSDP(body, true, mid)
	if err != nil {
		return Negotiated{}, fmt.Errorf("PBX answer: %w", err)
	}
	key := transportKey(desc)
	if applied != "" {
		if key != applied {
			return Negotiated{}, fmt.Errorf("PBX answer: %w", ErrTransportChanged)
		}
		return neg, nil
	}
	text, err := desc.Marshal()
	if err != nil {
		return Negotiated{}, fmt.Errorf("%w: PBX answer: %v", ErrBadSDP, err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(text)}); err != nil {
		return Negotiated{}, fmt.Errorf("%w: PBX answer: %v", ErrBadSDP, err)
	}
	// The PBX's role was made explicit by parseRemoteSDP; ours is the other one
	// (RFC 4145 4.1).
	setup := sdp.ConnectionRoleActive.String()
	if remoteSetup(desc) == sdp.ConnectionRoleActive.String() {
		setup = sdp.ConnectionRolePassive.String()
	}
	w.mu.Lock()
	w.remoteKey, w.setup = key, setup
	w.mu.Unlock()
	return neg, nil
}

// AnswerOffer answers an incoming WebRTC offer from the PBX. The codec is the first of
// prefs the offer carries (SelectFromOffer), and the answer carries exactly that codec,
// plus telephone-event/8000 when the offer has it. Our DTLS role is the one the offer's
// a=setup asks for: actpass or passive makes us active (the DTLS client), active makes us
// passive (RFC 5763 5, RFC 4145 4.1).
func (w *WebRTCPBX) AnswerOffer(ctx context.Context, offer []byte, prefs []Codec) ([]byte, Negotiated, error) {
	w.negMu.Lock()
	defer w.negMu.Unlock()
	neg, err := SelectFromOffer(offer, prefs)
	if err != nil {
		return nil, Negotiated{}, fmt.Errorf("PBX offer: %w", err)
	}
	desc, bundled, err := parseRemoteSDP(offer, false, "")
	if err != nil {
		return nil, Negotiated{}, fmt.Errorf("PBX offer: %w", err)
	}
	role, setup := webrtc.DTLSRoleClient, sdp.ConnectionRoleActive.String()
	if remoteSetup(desc) == sdp.ConnectionRoleActive.String() {
		role, setup = webrtc.DTLSRoleServer, sdp.ConnectionRolePassive.String()
	}
	pc, err := w.start([]Codec{neg.Codec}, neg.DTMFPT, role)
	if err != nil {
		return nil, Negotiated{}, err
	}
	text, err := desc.Marshal()
	if err != nil {
		return nil, Negotiated{}, fmt.Errorf("%w: PBX offer: %v", ErrBadSDP, err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: string(text)}); err != nil {
		return nil, Negotiated{}, fmt.Errorf("%w: PBX offer: %v", ErrBadSDP, err)
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return nil, Negotiated{}, fmt.Errorf("WebRTC answer to the PBX: %w", err)
	}
	local, err := w.setLocal(ctx, pc, answer, bundled, setup)
	if err != nil {
		return nil, Negotiated{}, err
	}
	w.mu.Lock()
	w.remoteKey = transportKey(desc)
	w.mu.Unlock()
	return local, neg, nil
}

// Reoffer reads an offer the PBX sends during the call (a re-INVITE for hold, resume or
// a session refresh). The call's codec must still be in it (SelectFromOffer with that
// codec alone), and its ICE credentials and fingerprint must be those of the running
// association: an ICE restart or another DTLS endpoint is ErrTransportChanged, which
// this leg cannot follow. Describe writes the answer.
func (w *WebRTCPBX) Reoffer(offer []byte, codec Codec) (Negotiated, error) {
	neg, err := SelectFromOffer(offer, []Codec{codec})
	if err != nil {
		return Negotiated{}, fmt.Errorf("PBX re-offer: %w", err)
	}
	w.mu.Lock()
	applied, closed := w.remoteKey, w.closed
	w.mu.Unlock()
	switch {
	case closed:
		return Negotiated{}, ErrClosed
	case applied == "":
		return Negotiated{}, errors.New("WebRTC PBX leg: a re-offer came before the session was negotiated")
	}
	desc, _, err := parseRemoteSDP(offer, false, "")
	if err != nil {
		return Negotiated{}, fmt.Errorf("PBX re-offer: %w", err)
	}
	if transportKey(desc) != applied {
		return Negotiated{}, fmt.Errorf("PBX re-offer: %w", ErrTransportChanged)
	}
	return neg, nil
}

// Describe returns our local description as it stands, with the given direction
// (sendrecv, sendonly, recvonly or inactive; anything else is sendrecv) and o= version,
// for a hold or resume re-INVITE and for answers to the PBX's re-INVITEs. ICE
// credentials, fingerprint and candidates stay the same, so pion is not renegotiated;
// a=setup is the role already negotiated (active or passive), which keeps the existing
// DTLS association in an offer and in an answer alike (RFC 8842 5.5). It returns nil
// before Offer or AnswerOffer.
func (w *WebRTCPBX) Describe(direction string, version uint64) []byte {
	switch direction {
	case "sendrecv", "sendonly", "recvonly", "inactive":
	default:
		direction = "sendrecv"
	}
	w.mu.Lock()
	local, setup := w.local, w.setup
	w.mu.Unlock()
	if local == "" {
		return nil
	}
	var d sdp.SessionDescription
	if err := d.UnmarshalString(local); err != nil {
		w.log.Error("our own SDP does not parse", "err", err)
		return nil
	}
	d.Origin.SessionVersion = version
	for _, m := range d.MediaDescriptions {
		for i, a := range m.Attributes {
			switch a.Key {
			case "sendrecv", "sendonly", "recvonly", "inactive":
				m.Attributes[i] = sdp.NewPropertyAttribute(direction)
			case sdp.AttrKeyConnectionSetup:
				m.Attributes[i].Value = setup
			}
		}
	}
	b, err := d.Marshal()
	if err != nil {
		w.log.Error("marshal our own SDP", "err", err)
		return nil
	}
	return b
}

// Origin returns the session ID and version of the o= line in the SDP that Offer or
// AnswerOffer returned, so later descriptions can continue the version (RFC 3264 8).
func (w *WebRTCPBX) Origin() (sessionID, version uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sessionID, w.sessionID
}

// ReadRTP returns the next packet from the PBX, whatever its payload type (audio,
// telephone-event, comfort noise). The packet's payload is in buf. After Close it
// returns ErrClosed.
func (w *WebRTCPBX) ReadRTP(buf []byte, p *rtp.Packet) error {
	for {
		select {
		case <-w.done:
			return ErrClosed
		default:
		}
		select {
		case <-w.done:
			return ErrClosed
		case b := <-w.packets:
			n := copy(buf, b)
			if err := p.Unmarshal(buf[:n]); err != nil {
				continue
			}
			return nil
		}
	}
}

// WriteRTP sends p to the PBX with its own payload type, sequence number and timestamp
// (a DTMF event stays a DTMF event); the SSRC becomes the one our SDP declares. Before
// the DTLS handshake is done the packet is dropped.
func (w *WebRTCPBX) WriteRTP(p *rtp.Packet) error {
	select {
	case <-w.done:
		return ErrClosed
	default:
	}
	if err := w.track.write(p); err != nil {
		if errors.Is(err, io.ErrClosedPipe) {
			return ErrClosed
		}
		return fmt.Errorf("send RTP to the PBX: %w", err)
	}
	return nil
}

// LastReceived is when the last packet from the PBX arrived; zero before the first.
func (w *WebRTCPBX) LastReceived() time.Time {
	ns := w.lastRx.Load()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// Close ends the leg; a blocked ReadRTP returns ErrClosed.
func (w *WebRTCPBX) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	close(w.done)
	pc := w.pc
	w.mu.Unlock()
	if pc == nil {
		return nil
	}
	if err := pc.Close(); err != nil {
		return fmt.Errorf("close WebRTC PBX leg: %w", err)
	}
	return nil
}

// start makes the peer connection for one negotiation. Codecs are registered at the
// payload types given (ours for an offer, the PBX's for an answer); answering is the DTLS
// role we take as answerer, DTLSRoleUnknown when we offer.
func (w *WebRTCPBX) start(codecs []Codec, dtmfPT int, answering webrtc.DTLSRole) (*webrtc.PeerConnection, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.closed:
		return nil, ErrClosed
	case w.pc != nil:
		return nil, errors.New("WebRTC PBX leg: already negotiated; Describe serves later offers and answers")
	}
	me := &webrtc.MediaEngine{}
	for _, c := range codecs {
		capability := webrtc.RTPCodecCapability{MimeType: c.MimeType, ClockRate: c.ClockRate, Channels: c.Channels, SDPFmtpLine: c.Fmtp}
		if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: capability, PayloadType: webrtc.PayloadType(c.PT)}, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, fmt.Errorf("register %s for the PBX leg: %w", c.Name, err)
		}
	}
	if dtmfPT >= 0 {
		// RegisterDefaultCodecs has no telephone-event; without it pion answers no DTMF
		// and drops the PBX's events.
		capability := webrtc.RTPCodecCapability{MimeType: mimeTelephoneEvent, ClockRate: 8000, SDPFmtpLine: "0-16"}
		if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: capability, PayloadType: webrtc.PayloadType(dtmfPT)}, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, fmt.Errorf("register telephone-event for the PBX leg: %w", err)
		}
	}
	// Sender and receiver reports (RFC 3550 6.4) only: PBXs show call quality from them and
	// some end calls whose RTCP stops. No NACK: a retransmitted 20 ms audio frame arrives
	// after the PBX's jitter buffer has played past it, PBXs do not request it for audio,
	// and the responder would keep a copy of every packet. No TWCC: it feeds bandwidth
	// estimation for adaptive encoders, while this leg relays the browser's frames at the
	// codec's own rate; it would only add a header extension to every packet.
	ir := &interceptor.Registry{}
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, fmt.Errorf("RTCP reports for the PBX leg: %w", err)
	}
	var se webrtc.SettingEngine
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	localIP := w.localIP
	se.SetIPFilter(func(ip net.IP) bool { return ip.Equal(localIP) })
	se.SetIncludeLoopbackCandidate(localIP.IsLoopback())
	// The PBX's first packet may be comfort noise or an event; pion would otherwise hold
	// the track back until it sees a payload type it can name.
	se.SetFireOnTrackBeforeFirstRTP(true)
	// PBX answers rarely declare a=ssrc, and we drop the ones they do declare (see
	// parseRemoteSDP) so a new SSRC mid-call is heard too: pion must accept undeclared
	// SSRCs on our single audio section after an answer as well as after an offer.
	se.SetHandleUndeclaredSSRCWithoutAnswer(true)
	if answering != webrtc.DTLSRoleUnknown {
		if err := se.SetAnsweringDTLSRole(answering); err != nil {
			return nil, fmt.Errorf("DTLS role for the PBX leg: %w", err)
		}
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se), webrtc.WithInterceptorRegistry(ir))
	// No cryptex (RFC 9335): the leg sends no header extensions to hide, and PBXs do not
	// know the attribute.
	pc, err := api.NewPeerConnection(webrtc.Configuration{RTPHeaderEncryptionPolicy: webrtc.RTPHeaderEncryptionPolicyDisable})
	if err != nil {
		return nil, fmt.Errorf("WebRTC PBX leg: %w", err)
	}
	tr, err := pc.AddTransceiverFromTrack(w.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
	if err != nil {
		pc.Close()
		return nil, fmt.Errorf("WebRTC PBX leg: add audio: %w", err)
	}
	go drainRTCP(tr.Sender()) // the receiver reports about our stream pass the interceptors
	pc.OnTrack(w.receive)
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) { w.log.Debug("PBX WebRTC leg", "state", s.String()) })
	w.pc = pc
	return pc, nil
}

// setLocal applies our offer or answer, waits for every candidate and returns the SDP
// as the PBX gets it.
func (w *WebRTCPBX) setLocal(ctx context.Context, pc *webrtc.PeerConnection, desc webrtc.SessionDescription, bundle bool, setup string) ([]byte, error) {
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(desc); err != nil {
		return nil, fmt.Errorf("WebRTC PBX leg: set local description: %w", err)
	}
	select {
	case <-gathered:
	case <-w.done:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, fmt.Errorf("WebRTC PBX leg: gather candidates: %w", ctx.Err())
	}
	var d sdp.SessionDescription
	if err := d.UnmarshalString(pc.LocalDescription().SDP); err != nil {
		return nil, fmt.Errorf("WebRTC PBX leg: our own SDP: %w", err)
	}
	audio := firstAudio(&d)
	if audio == nil {
		return nil, fmt.Errorf("%w: no audio section in our SDP", ErrBadSDP)
	}
	if audio.MediaName.Port.Value == 0 || len(audio.MediaName.Formats) == 0 {
		return nil, fmt.Errorf("%w: the PBX offered no codec we can carry", ErrNoCommonCodec)
	}
	mid, _ := audio.Attribute(sdp.AttrKeyMID)
	w.shapeLocal(&d, audio, bundle)
	b, err := d.Marshal()
	if err != nil {
		return nil, fmt.Errorf("WebRTC PBX leg: our own SDP: %w", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, ErrClosed
	}
	w.local, w.sessionID, w.mid, w.setup = string(b), d.Origin.SessionID, mid, setup
	return b, nil
}

// shapeLocal makes pion's SDP fit SIP: our own o= line (RFC 4566 5.2), the host
// candidate as the default address in c= and m= (RFC 8839 4.2.1.2: some PBXs take
// c=0.0.0.0 for hold), no trickle (SIP sends candidates once), and no BUNDLE group in an
// answer to an offer that had none (RFC 8843 7.3.1).
func (w *WebRTCPBX) shapeLocal(d *sdp.SessionDescription, audio *sdp.MediaDescription, bundle bool) {
	sid := d.Origin.SessionID
	d.Origin = sdp.Origin{Username: "tabphone", SessionID: sid, SessionVersion: sid, NetworkType: "IN", AddressType: "IP4", UnicastAddress: w.localIP.String()}
	d.SessionName = "Tabphone"
	d.Attributes = dropAttributes(d.Attributes, func(a sdp.Attribute) bool {
		return (a.Key == "ice-options" && strings.Contains(a.Value, "trickle")) || (!bundle && a.Key == sdp.AttrKeyGroup)
	})
	for _, a := range audio.Attributes {
		if a.Key != "candidate" {
			continue
		}
		c, err := ice.UnmarshalCandidate(a.Value)
		if err != nil || c.Component() != 1 || c.NetworkType() != ice.NetworkTypeUDP4 {
			continue
		}
		audio.MediaName.Port = sdp.RangedPort{Value: c.Port()}
		audio.ConnectionInformation = &sdp.ConnectionInformation{NetworkType: "IN", AddressType: "IP4", Address: &sdp.Address{Address: c.Address()}}
		break
	}
	audio.Attributes = dropAttributes(audio.Attributes, func(a sdp.Attribute) bool {
		return a.Key == "ice-options" && strings.Contains(a.Value, "trickle")
	})
}

// receive moves one incoming stream's packets to the ReadRTP queue. pion reports a
// payload type it has no codec for as ErrCodecNotFound but still hands over the packet.
func (w *WebRTCPBX) receive(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
	go drainReceiverRTCP(r)
	buf := make([]byte, maxRTP)
	failures := 0
	for {
		n, _, err := t.Read(buf)
		if err != nil && (n == 0 || !errors.Is(err, webrtc.ErrCodecNotFound)) {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) {
				return
			}
			if failures++; failures > 100 {
				w.log.Warn("PBX WebRTC leg stops reading a stream", "ssrc", t.SSRC(), "err", err)
				return
			}
			continue
		}
		failures = 0
		w.lastRx.Store(time.Now().UnixNano())
		select {
		case w.packets <- append([]byte(nil), buf[:n]...):
		case <-w.done:
			return
		default:
			w.log.Debug("PBX WebRTC leg: reader is behind, packet dropped", "ssrc", t.SSRC())
		}
	}
}

// drainReceiverRTCP reads the PBX's sender reports so the receiver-report interceptor
// sees them (its LSR and DLSR fields give the PBX the round-trip time).
func drainReceiverRTCP(r *webrtc.RTPReceiver) {
	buf := make([]byte, maxRTP)
	for {
		if _, _, err := r.Read(buf); err != nil {
			return
		}
	}
}

// rawAudioTrack is a webrtc.TrackLocal that writes packets as they are.
// TrackLocalStaticRTP would overwrite every payload type with the bound codec's, turning
// DTMF events into audio.
type rawAudioTrack struct {
	bound atomic.Pointer[boundStream]
}

type boundStream struct {
	out  webrtc.TrackLocalWriter
	ssrc uint32
}

// Bind takes the stream pion negotiated. The codec it reports (the answer's first audio
// codec) only sets the clock rate of our sender reports.
func (t *rawAudioTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	for _, c := range ctx.CodecParameters() {
		if !strings.EqualFold(c.MimeType, mimeTelephoneEvent) {
			t.bound.Store(&boundStream{out: ctx.WriteStream(), ssrc: uint32(ctx.SSRC())})
			return c, nil
		}
	}
	return webrtc.RTPCodecParameters{}, fmt.Errorf("%w: no audio codec negotiated with the PBX", ErrNoCommonCodec)
}

// Unbind forgets the stream; later packets are dropped.
func (t *rawAudioTrack) Unbind(webrtc.TrackLocalContext) error {
	t.bound.Store(nil)
	return nil
}

func (t *rawAudioTrack) ID() string                { return "audio" }
func (t *rawAudioTrack) RID() string               { return "" }
func (t *rawAudioTrack) StreamID() string          { return "tabphone" }
func (t *rawAudioTrack) Kind() webrtc.RTPCodecType { return webrtc.RTPCodecTypeAudio }

func (t *rawAudioTrack) write(p *rtp.Packet) error {
	b := t.bound.Load()
	if b == nil {
		return nil // not negotiated yet
	}
	h := p.Header
	h.SSRC = b.ssrc
	_, err := b.out.WriteRTP(&h, p.Payload)
	return err
}

// rfc3551 names the static payload types (RFC 3551 6) for PBXs that leave out their
// rtpmap: pion refuses a format without one, except 0, 8 and 9.
var rfc3551 = map[string]string{
	"0": "PCMU/8000", "3": "GSM/8000", "4": "G723/8000", "5": "DVI4/8000", "6": "DVI4/16000",
	"7": "LPC/8000", "8": "PCMA/8000", "9": "G722/8000", "10": "L16/44100/2", "11": "L16/44100",
	"12": "QCELP/8000", "13": "CN/8000", "14": "MPA/90000", "15": "G728/8000", "16": "DVI4/11025",
	"17": "DVI4/22050", "18": "G729/8000", "25": "CelB/90000", "26": "JPEG/90000", "28": "nv/90000",
	"31": "H261/90000", "32": "MPV/90000", "33": "MP2T/90000", "34": "H263/90000",
}

// parseRemoteSDP reads the PBX's SDP and makes it acceptable to pion without changing
// what it means:
//   - every media section gets a=mid (pion needs one; PBX SDPs often have none): in an
//     answer the one our offer used, in an offer a new unique one;
//   - a=ssrc and a=ssrc-group are dropped, so every SSRC the PBX uses (including a new
//     one mid-call) is taken as the single audio section's stream; pion would drop a
//     packet whose SSRC differs from a declared one;
//   - a=setup is made explicit on each section (pion reads it only there): a session-level
//     value is copied down, and a missing one takes RFC 4145 4.1's default (active in an
//     offer, passive in an answer), as does actpass in an answer, which RFC 5763 5 forbids;
//   - a static payload type without rtpmap gets one; a dynamic one without rtpmap is left
//     out of the m= line;
//   - a=ice-lite on a media section is repeated at session level, where pion looks;
//   - an offer's audio section is put in a BUNDLE group: pion rejects (port 0) every
//     section of an offer that is outside the offer's group, and PBXs often send none.
//     bundled reports whether the offer had a group of its own, so our answer has one
//     only then (RFC 8843 7.3.1); other sections stay outside and are rejected.
func parseRemoteSDP(body []byte, answer bool, ourMid string) (d *sdp.SessionDescription, bundled bool, err error) {
	d, err = normalizeRemoteSDP(body, answer, ourMid)
	if err != nil || answer {
		return d, false, err
	}
	audioMid, _ := firstAudio(d).Attribute(sdp.AttrKeyMID)
	group, bundled := d.Attribute(sdp.AttrKeyGroup)
	if slices.Contains(strings.Fields(group), "BUNDLE") && slices.Contains(strings.Fields(group), audioMid) {
		return d, true, nil
	}
	d.Attributes = dropAttributes(d.Attributes, func(a sdp.Attribute) bool { return a.Key == sdp.AttrKeyGroup })
	d.Attributes = append(d.Attributes, sdp.NewAttribute(sdp.AttrKeyGroup, "BUNDLE "+audioMid))
	return d, bundled, nil
}

func normalizeRemoteSDP(body []byte, answer bool, ourMid string) (*sdp.SessionDescription, error) {
	if len(body) > MaxSDP {
		return nil, fmt.Errorf("%w: %d bytes is over %d", ErrBadSDP, len(body), MaxSDP)
	}
	var d sdp.SessionDescription
	if err := d.Unmarshal(body); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	if firstAudio(&d) == nil {
		return nil, fmt.Errorf("%w: no audio stream", ErrBadSDP)
	}
	sessionSetup, _ := d.Attribute(sdp.AttrKeyConnectionSetup)
	d.Attributes = dropAttributes(d.Attributes, func(a sdp.Attribute) bool { return a.Key == sdp.AttrKeyConnectionSetup })
	_, lite := d.Attribute(sdp.AttrKeyICELite)
	used := map[string]bool{}
	for _, m := range d.MediaDescriptions {
		if mid, ok := m.Attribute(sdp.AttrKeyMID); ok {
			used[mid] = true
		}
	}
	for i, m := range d.MediaDescriptions {
		if _, ok := m.Attribute(sdp.AttrKeyMID); !ok {
			mid := ourMid
			if !answer || i > 0 || mid == "" {
				mid = strconv.Itoa(i)
				for used[mid] {
					mid = "m" + mid
				}
			}
			used[mid] = true
			m.Attributes = append(m.Attributes, sdp.NewAttribute(sdp.AttrKeyMID, mid))
		}
		if _, ok := m.Attribute(sdp.AttrKeyICELite); ok {
			lite = true
		}
		setup, ok := m.Attribute(sdp.AttrKeyConnectionSetup)
		if !ok {
			setup = sessionSetup
		}
		switch {
		case setup == "" && answer, answer && setup == sdp.ConnectionRoleActpass.String():
			setup = sdp.ConnectionRolePassive.String()
		case setup == "":
			setup = sdp.ConnectionRoleActive.String()
		}
		m.Attributes = dropAttributes(m.Attributes, func(a sdp.Attribute) bool {
			return a.Key == sdp.AttrKeySSRC || a.Key == sdp.AttrKeySSRCGroup || a.Key == sdp.AttrKeyConnectionSetup
		})
		m.Attributes = append(m.Attributes, sdp.NewAttribute(sdp.AttrKeyConnectionSetup, setup))
		if m.MediaName.Media == "audio" || m.MediaName.Media == "video" {
			if err := nameFormats(m); err != nil {
				return nil, err
			}
		}
	}
	if lite {
		if _, ok := d.Attribute(sdp.AttrKeyICELite); !ok {
			d.Attributes = append(d.Attributes, sdp.NewPropertyAttribute(sdp.AttrKeyICELite))
		}
	}
	return &d, nil
}

// nameFormats gives static payload types their rtpmap and leaves out dynamic ones that
// have none (see parseRemoteSDP).
func nameFormats(m *sdp.MediaDescription) error {
	mapped := map[string]bool{}
	for _, a := range m.Attributes {
		if a.Key == "rtpmap" {
			pt, _, _ := strings.Cut(a.Value, " ")
			mapped[pt] = true
		}
	}
	kept := m.MediaName.Formats[:0]
	for _, f := range m.MediaName.Formats {
		if pt, err := strconv.ParseUint(f, 10, 8); err != nil || pt > 127 {
			return fmt.Errorf("%w: bad payload type %q", ErrBadSDP, f)
		}
		switch {
		case mapped[f]:
		case rfc3551[f] != "":
			m.Attributes = append(m.Attributes, sdp.NewAttribute("rtpmap", f+" "+rfc3551[f]))
			mapped[f] = true
		default:
			continue
		}
		kept = append(kept, f)
	}
	if len(kept) == 0 {
		return fmt.Errorf("%w: %s section without a named payload type", ErrBadSDP, m.MediaName.Media)
	}
	m.MediaName.Formats = kept
	return nil
}

// remoteSetup is the a=setup of the first audio section, after parseRemoteSDP made it
// explicit.
func remoteSetup(d *sdp.SessionDescription) string {
	v, _ := firstAudio(d).Attribute(sdp.AttrKeyConnectionSetup)
	return v
}

// transportKey names the ICE and DTLS endpoint an SDP describes: a later SDP with the
// same key talks to the association already running.
func transportKey(d *sdp.SessionDescription) string {
	m := firstAudio(d)
	get := func(key string) string {
		if v, ok := m.Attribute(key); ok {
			return v
		}
		v, _ := d.Attribute(key)
		return v
	}
	return get("ice-ufrag") + " " + get("ice-pwd") + " " + strings.ToLower(get("fingerprint"))
}

func firstAudio(d *sdp.SessionDescription) *sdp.MediaDescription {
	for _, m := range d.MediaDescriptions {
		if m.MediaName.Media == "audio" {
			return m
		}
	}
	return nil
}

func dropAttributes(attrs []sdp.Attribute, drop func(sdp.Attribute) bool) []sdp.Attribute {
	kept := attrs[:0]
	for _, a := range attrs {
		if !drop(a) {
			kept = append(kept, a)
		}
	}
	return kept
}
