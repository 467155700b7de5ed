package media

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// answerTimeout bounds building the browser leg's answer (gathering host candidates).
const answerTimeout = 5 * time.Second

// Call is the media of one call: the PBX leg exists from the start (its port goes into
// the SDP), the browser leg is built once both the PBX leg's codec and the browser's
// offer are known, then packets flow both ways.
type Call struct {
	log     *slog.Logger
	net     *BrowserNet
	tr      pbxTransport // pbx or rtc, for the relay
	pbx     *PBXLeg      // plain RTP or SDES-SRTP; nil with rtc
	rtc     *WebRTCPBX   // WebRTC media (dtls); nil with pbx
	offers  []Codec
	sec     Security
	offered []Crypto // our SDES keys in our offer, one per suite

	// OnAnswer receives the browser leg's answer SDP, or the error that stopped it. It is
	// called from a media goroutine, never with a lock held.
	OnAnswer func(sdp string, err error)
	// OnRestart asks the softphone window for a fresh offer: the PBX leg's codec changed
	// (a 200 from another fork than the 183) and the browser leg, which carries exactly
	// one codec, must be built again. Called like OnAnswer.
	OnRestart func()

	dtmfMu sync.Mutex // one DTMF string at a time

	mu           sync.Mutex
	sendingDTMF  bool // audio to the PBX pauses while an event plays
	muted        bool // the microphone's packets are dropped
	held         bool // we put the call on hold: nothing goes to the PBX
	sdpVersion   uint64
	sessionID    uint64
	neg          *Negotiated
	browserOffer string
	browser      *BrowserLeg
	closed       bool
	gen          int   // counts codec changes; a browser leg built for an older one is dropped
	legCodec     Codec // the codec of the browser leg built or being built (valid with legActive)
	legActive    bool  // a browser leg for the current gen exists or is being built
	micOpen      bool  // the microphone may reach the PBX: false while an incoming call rings
	toPBX        *rewriter
	toBrowser    *rewriter
	proto        string  // the PBX leg's m= transport
	local        *Crypto // our SDES key in use; nil: plain RTP
	rtcAnswer    []byte  // our answer to a WebRTC PBX's offer
}

// pbxTransport carries RTP to and from the PBX: a PBXLeg (RTP/AVP, SDES-SRTP) or a
// WebRTCPBX (ICE + DTLS-SRTP).
type pbxTransport interface {
	ReadRTP(buf []byte, p *rtp.Packet) error // p's payload is valid until the next read
	WriteRTP(p *rtp.Packet) error
	LastReceived() time.Time
	Close() error
}

// sdpTimeout bounds building a WebRTC PBX leg's SDP (host candidates on one address).
const sdpTimeout = 5 * time.Second

// NewCall opens the PBX leg's sockets on localIP and starts reading from them. sec is
// the media the PBX leg speaks; an SDES call makes one key per suite for its offer.
func NewCall(n *BrowserNet, localIP net.IP, codecs []Codec, sec Security, log *slog.Logger) (*Call, error) {
	c := &Call{log: log, net: n, offers: codecs, sec: sec, proto: ProtoAVP, micOpen: true}
	if sec == SecurityDTLS {
		w, err := NewWebRTCPBX(localIP, codecs, log)
		if err != nil {
			return nil, err
		}
		c.rtc, c.tr, c.proto = w, w, ProtoDTLSSAVPF
		go c.pbxToBrowser()
		return c, nil
	}
	if sec == SecuritySDES {
		c.proto = ProtoSAVP
	}
	if sec == SecuritySDES || sec == SecuritySDESOptional {
		for i, suite := range cryptoSuites {
			k, err := NewCrypto(i+1, suite)
			if err != nil {
				return nil, err
			}
			c.offered = append(c.offered, k)
		}
	}
	pbx, err := ListenPBX(localIP, log)
	if err != nil {
		return nil, err
	}
	c.pbx, c.tr = pbx, pbx
	go c.pbxToBrowser()
	return c, nil
}

// NewIncomingCall answers an incoming offer: the first of prefs the offer carries
// becomes the call's codec (with the offerer's payload type) and the PBX leg sends to the
// offer's address at once.
//
// The answer keeps the offer's profile (RTP/AVP, RTP/SAVP with a=crypto) when sec
// allows it; otherwise the error wraps ErrSecurity and says why, for a 488.
func NewIncomingCall(n *BrowserNet, localIP net.IP, offer []byte, prefs []Codec, sec Security, log *slog.Logger) (*Call, Negotiated, error) {
	neg, err := SelectFromOffer(offer, prefs)
	if err != nil {
		return nil, Negotiated{}, err
	}
	local, remote, err := keysForOffer(neg, sec, nil)
	if err != nil {
		return nil, Negotiated{}, err
	}
	c, err := NewCall(n, localIP, prefs, sec, log)
	if err != nil {
		return nil, Negotiated{}, err
	}
	c.micOpen = false // the call rings: nothing of the user reaches the caller before Connect
	if c.rtc != nil {
		ctx, cancel := context.WithTimeout(context.Background(), sdpTimeout)
		defer cancel()
		answer, neg, err := c.rtc.AnswerOffer(ctx, offer, prefs)
		if err != nil {
			c.Close()
			return nil, Negotiated{}, err
		}
		c.mu.Lock()
		c.neg, c.rtcAnswer = &neg, answer
		c.sessionID, c.sdpVersion = c.rtc.Origin()
		c.toPBX = newRewriter(neg.Codec.samplesPer20ms())
		c.toBrowser = newRewriter(neg.Codec.samplesPer20ms())
		c.mu.Unlock()
		return c, neg, nil
	}
	if err := c.pbx.SetKeys(local, remote); err != nil {
		c.Close()
		return nil, Negotiated{}, err
	}
	c.pbx.SetRemote(neg.Remote, neg.RTCP)
	c.pbx.SetClockRate(neg.Codec.ClockRate)
	c.mu.Lock()
	c.neg = &neg
	c.proto, c.local = neg.Proto, local
	c.toPBX = newRewriter(neg.Codec.samplesPer20ms())
	c.toBrowser = newRewriter(neg.Codec.samplesPer20ms())
	c.mu.Unlock()
	return c, neg, nil
}

// Answer returns our SDP answer to an incoming offer: the one negotiated codec
// (RFC 3264 6.1) and telephone-event when the offer had it.
// A WebRTC PBX leg's answer was made with the call (its o= line is pion's).
func (c *Call) Answer(sessionID uint64) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rtc != nil {
		return c.rtcAnswer
	}
	c.sessionID, c.sdpVersion = sessionID, sessionID
	return c.currentSDPLocked("sendrecv")
}

// currentSDPLocked describes our side as it stands: the negotiated codec on our port,
// or the WebRTC leg's description (same ICE credentials, fingerprint and candidates).
func (c *Call) currentSDPLocked(direction string) []byte {
	if c.rtc != nil {
		return c.rtc.Describe(direction, c.sdpVersion)
	}
	a := c.pbx.LocalAddr()
	p := OfferParams{SessionID: c.sessionID, Version: c.sdpVersion, IP: a.IP, Port: a.Port,
		Codecs: []Codec{c.neg.Codec}, DTMFPT: c.neg.DTMFPT, Direction: direction, Proto: c.proto}
	if c.local != nil {
		p.Crypto = []Crypto{*c.local}
	}
	return BuildSDP(p)
}

// answerDirection mirrors the offerer's direction (RFC 3264 6.1): they send only, we
// receive only; inactive stays inactive.
func answerDirection(offer string) string {
	switch offer {
	case "sendonly":
		return "recvonly"
	case "recvonly":
		return "sendonly"
	case "inactive":
		return "inactive"
	}
	return "sendrecv"
}

// Reoffer answers a re-INVITE's offer during the call (hold, resume, session refresh,
// a moved media server, new SRTP keys). The codec must stay the one both legs carry;
// the PBX leg follows the new address, direction and keys. The SDP version rises only
// when our answer changes (RFC 3264 8).
func (c *Call) Reoffer(offer []byte) (answer []byte, direction string, err error) {
	c.mu.Lock()
	if c.neg == nil {
		c.mu.Unlock()
		return nil, "", ErrClosed
	}
	codec, current := c.neg.Codec, c.local
	c.mu.Unlock()
	if c.rtc != nil {
		n, err := c.rtc.Reoffer(offer, codec)
		if err != nil {
			return nil, "", err
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.neg.Direction != n.Direction {
			c.sdpVersion++
		}
		c.neg.Direction, c.neg.DTMFPT = n.Direction, n.DTMFPT
		return c.currentSDPLocked(answerDirection(n.Direction)), n.Direction, nil
	}
	n, err := SelectFromOffer(offer, []Codec{codec})
	if err != nil {
		return nil, "", err
	}
	local, remote, err := keysForOffer(n, c.sec, current)
	if err != nil {
		return nil, "", err
	}
	if err := c.pbx.SetKeys(local, remote); err != nil {
		return nil, "", err
	}
	c.pbx.SetRemote(n.Remote, n.RTCP)
	c.mu.Lock()
	defer c.mu.Unlock()
	dir := answerDirection(n.Direction)
	if c.neg.Direction != n.Direction || c.neg.Codec.PT != n.Codec.PT || c.proto != n.Proto || c.local != local {
		c.sdpVersion++
	}
	c.proto, c.local = n.Proto, local
	c.neg.Direction, c.neg.DTMFPT = n.Direction, n.DTMFPT
	if c.neg.Codec.PT != n.Codec.PT {
		c.neg.Codec.PT = n.Codec.PT // same codec, renumbered by the PBX
	}
	return c.currentSDPLocked(dir), n.Direction, nil
}

// HoldOffer is our offer for a re-INVITE that puts the call on hold (sendonly, RFC 3264
// 8.4) or resumes it (sendrecv). The microphone stops reaching the PBX while held.
func (c *Call) HoldOffer(on bool) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.neg == nil {
		return nil, ErrClosed
	}
	c.held = on
	c.sdpVersion++
	dir := "sendrecv"
	if on {
		dir = "sendonly"
	}
	return c.currentSDPLocked(dir), nil
}

// SetHoldAnswer applies the PBX's answer to a hold or resume offer (or to our refresh
// of the session): the media address may move and the PBX may send with a new key.
func (c *Call) SetHoldAnswer(answer []byte) error {
	c.mu.Lock()
	if c.neg == nil {
		c.mu.Unlock()
		return ErrClosed
	}
	codec, local := c.neg.Codec, c.local
	c.mu.Unlock()
	if c.rtc != nil {
		_, err := c.rtc.SetAnswer(answer)
		return err
	}
	n, err := ParseAnswer(answer, []Codec{codec})
	if err != nil {
		return err
	}
	if local != nil {
		remote, ok := matchingCrypto(n.Crypto, []Crypto{*local})
		if !ok {
			return fmt.Errorf("%w: the PBX's answer drops the SRTP key", ErrSecurity)
		}
		if err := c.pbx.SetKeys(local, remote); err != nil {
			return err
		}
	}
	if n.Remote != nil {
		c.pbx.SetRemote(n.Remote, n.RTCP)
	}
	return nil
}

// CurrentOffer is our SDP for an offerless re-INVITE (RFC 3261 14.2): the session as it
// is, as an offer.
func (c *Call) CurrentOffer() ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.neg == nil {
		return nil, ErrClosed
	}
	return c.currentSDPLocked("sendrecv"), nil
}

// Offer returns the SDP offer for the PBX: RTP/SAVP with our keys when SRTP is
// required, RTP/AVP with our keys when it is optional (the PBX may answer plain).
// A WebRTC PBX leg offers UDP/TLS/RTP/SAVPF once its candidates are gathered.
func (c *Call) Offer(sessionID uint64) ([]byte, error) {
	if c.rtc != nil {
		ctx, cancel := context.WithTimeout(context.Background(), sdpTimeout)
		defer cancel()
		sdp, err := c.rtc.Offer(ctx)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.sessionID, c.sdpVersion = c.rtc.Origin()
		c.mu.Unlock()
		return sdp, nil
	}
	c.mu.Lock()
	c.sessionID, c.sdpVersion = sessionID, sessionID
	proto := c.proto
	c.mu.Unlock()
	a := c.pbx.LocalAddr()
	return BuildSDP(OfferParams{SessionID: sessionID, Version: sessionID, IP: a.IP, Port: a.Port, Codecs: c.offers,
		Proto: proto, Crypto: c.offered}), nil
}

// SetPBXAnswer applies the PBX's SDP answer (from a 183 or the 200). An answer whose
// media security the account does not allow (no key where SRTP is required) is an
// error wrapping ErrSecurity.
func (c *Call) SetPBXAnswer(sdp []byte) (Negotiated, error) {
	var (
		n     Negotiated
		local *Crypto
		err   error
	)
	if c.rtc != nil {
		if n, err = c.rtc.SetAnswer(sdp); err != nil {
			return Negotiated{}, err
		}
	} else if n, local, err = c.applyPlainAnswer(sdp); err != nil {
		return Negotiated{}, err
	}
	c.mu.Lock()
	c.local = local
	if c.neg != nil && c.neg.Codec.Key == n.Codec.Key {
		c.neg = &n
		c.mu.Unlock()
		return n, nil // a 200 after a 183 with the same codec: nothing to rebuild
	}
	c.neg = &n
	if c.sessionID == 0 {
		c.sessionID, c.sdpVersion = uint64(time.Now().Unix()), uint64(time.Now().Unix())
	}
	c.toPBX = newRewriter(n.Codec.samplesPer20ms())
	c.toBrowser = newRewriter(n.Codec.samplesPer20ms())
	if c.legActive && c.legCodec.Key == n.Codec.Key {
		// The browser leg was made while the call rang, in the codec the PBX has now
		// chosen: audio flows both ways from this packet on.
		c.mu.Unlock()
		return n, nil
	}
	hadLeg := c.legActive // made (or being made) for another codec: a 200 from another fork, or a PBX that chose another of our codecs
	c.gen++
	c.legActive = false
	old := c.browser
	c.browser = nil
	start := c.browserOffer != ""
	c.mu.Unlock()
	if old != nil {
		old.Close()
	}
	switch {
	case start:
		go c.buildBrowserLeg()
	case hadLeg && c.OnRestart != nil:
		// The window's offer was used for the old codec (or is being answered now: that
		// answer is dropped): it must offer again.
		c.log.Info("PBX codec changed, browser leg restarts", "codec", n.Codec.Name)
		c.OnRestart()
	}
	return n, nil
}

// Connect lets the microphone reach the PBX: an incoming call was just answered.
func (c *Call) Connect() {
	c.mu.Lock()
	c.micOpen = true
	c.mu.Unlock()
}

// legCodecLocked is the codec a browser leg for offer carries: the PBX leg's once it
// is known; before that (an outgoing call still ringing) the first of ours that the
// browser offers, which is the first we offer the PBX: a PBX that answers with it finds
// the browser leg already up, one that picks another gets the leg made again.
func (c *Call) legCodecLocked(offer string) (Codec, bool) {
	if c.neg != nil {
		return c.neg.Codec, true
	}
	for _, codec := range c.offers {
		if offerCarries(offer, codec) {
			return codec, true
		}
	}
	return Codec{}, false
}

// offerCarries tells whether a browser's SDP has an rtpmap for codec.
func offerCarries(sdp string, codec Codec) bool {
	want := strings.ToLower(codec.Name) + "/" + strconv.FormatUint(uint64(codec.ClockRate), 10)
	for line := range strings.Lines(sdp) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "a=rtpmap:")
		if !ok {
			continue
		}
		_, enc, ok := strings.Cut(rest, " ")
		if ok && strings.HasPrefix(strings.ToLower(enc), want) {
			return true
		}
	}
	return false
}

// applyPlainAnswer applies an RTP/AVP or SDES answer to the PBX leg: keys, address,
// clock rate; it returns our key in use (nil: plain).
func (c *Call) applyPlainAnswer(sdp []byte) (Negotiated, *Crypto, error) {
	n, err := ParseAnswer(sdp, c.offers)
	if err != nil {
		return Negotiated{}, nil, err
	}
	local, remote, err := c.keysFromAnswer(n)
	if err != nil {
		return Negotiated{}, nil, err
	}
	if err := c.pbx.SetKeys(local, remote); err != nil {
		return Negotiated{}, nil, err
	}
	c.pbx.SetRemote(n.Remote, n.RTCP)
	c.pbx.SetClockRate(n.Codec.ClockRate)
	return n, local, nil
}

// SetBrowserOffer takes the softphone window's offer. A new offer (the window was
// reloaded) replaces the browser leg.
func (c *Call) SetBrowserOffer(sdp string) error {
	if len(sdp) == 0 || len(sdp) > MaxBrowserSDP {
		return fmt.Errorf("%w: browser offer of %d bytes", ErrBadSDP, len(sdp))
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.browserOffer = sdp
	c.mu.Unlock()
	// Built at once, also while the call rings: the leg is up before the PBX answers.
	go c.buildBrowserLeg()
	return nil
}

// Codec returns the negotiated codec, if any yet.
func (c *Call) Codec() (Codec, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.neg == nil {
		return Codec{}, false
	}
	return c.neg.Codec, true
}

func (c *Call) buildBrowserLeg() {
	c.mu.Lock()
	if c.closed || c.browserOffer == "" {
		c.mu.Unlock()
		return
	}
	offer, old := c.browserOffer, c.browser
	codec, ok := c.legCodecLocked(offer)
	c.browser, c.browserOffer = nil, ""
	if ok {
		c.legCodec, c.legActive = codec, true
	} else {
		c.legActive = false
	}
	gen := c.gen
	c.mu.Unlock()
	if old != nil {
		old.Close()
	}

	var (
		sdp string
		leg *BrowserLeg
		err = fmt.Errorf("%w: the browser offered none of the call's codecs", ErrNoCommonCodec)
	)
	if ok {
		sdp, leg, err = c.answerBrowser(codec, offer)
	}
	c.mu.Lock()
	stale := c.gen != gen
	if err == nil && c.closed {
		err = ErrClosed
	}
	switch {
	case err == nil && !stale:
		c.browser = leg
	case err != nil && !stale:
		c.legActive = false
	}
	c.mu.Unlock()
	if leg != nil && (err != nil || stale) {
		leg.Close()
	}
	if stale {
		return // SetPBXAnswer asked the window for a new offer
	}
	if c.OnAnswer != nil {
		c.OnAnswer(sdp, err)
	}
}

func (c *Call) answerBrowser(codec Codec, offer string) (string, *BrowserLeg, error) {
	leg, err := NewBrowserLeg(c.net, codec, c.log)
	if err != nil {
		return "", nil, err
	}
	leg.OnTrack(c.relayToPBX())
	leg.OnState(func(s webrtc.PeerConnectionState) {
		level := slog.LevelDebug
		if s == webrtc.PeerConnectionStateConnected || s == webrtc.PeerConnectionStateFailed {
			level = slog.LevelInfo // tests and people read when the window's audio was up
		}
		c.log.Log(context.Background(), level, "browser leg", "state", s.String(), "codec", codec.Name)
	})
	ctx, cancel := context.WithTimeout(context.Background(), answerTimeout)
	defer cancel()
	sdp, err := leg.Answer(ctx, offer)
	if err != nil {
		leg.Close()
		return "", nil, err
	}
	return sdp, leg, nil
}

// relayToPBX is one browser leg's forwarder of the microphone's packets to the PBX, with
// the PBX leg's payload type and our own stream numbering. Each leg gets its own, with
// its own outgoing packet reused for every packet (an old and a new browser leg may
// overlap while the window renegotiates).
func (c *Call) relayToPBX() func(*rtp.Packet) {
	out := &rtp.Packet{}
	return func(p *rtp.Packet) {
		c.mu.Lock()
		if c.toPBX == nil || c.neg == nil || !c.micOpen || c.sendingDTMF || c.muted || c.held {
			c.mu.Unlock()
			return
		}
		c.toPBX.rewrite(out, p, c.neg.Codec.PT)
		c.mu.Unlock()
		if err := c.tr.WriteRTP(out); err != nil {
			c.log.Debug("relay to PBX", "err", err)
		}
	}
}

// pbxToBrowser forwards the PBX's audio packets to the browser; packets of other payload
// types (comfort noise, DTMF events) are not audio the browser leg negotiated.
func (c *Call) pbxToBrowser() {
	buf := make([]byte, maxRTP)
	p, out := &rtp.Packet{}, &rtp.Packet{} // reused: no allocation per packet
	for {
		if err := c.tr.ReadRTP(buf, p); err != nil {
			return
		}
		c.mu.Lock()
		leg := c.browser
		if leg == nil || c.neg == nil || p.PayloadType != c.neg.Codec.PT {
			c.mu.Unlock()
			continue
		}
		c.toBrowser.rewrite(out, p, leg.pt)
		c.mu.Unlock()
		// out's payload is still in buf: WriteRTP encrypts and sends before it returns.
		if err := leg.WriteRTP(out); err != nil {
			c.log.Debug("relay to browser", "err", err)
		}
	}
}

// SetMuted stops (or resumes) sending the microphone to the PBX. The browser keeps
// sending, so unmuting is instant and needs no renegotiation.
func (c *Call) SetMuted(on bool) {
	c.mu.Lock()
	c.muted = on
	c.mu.Unlock()
}

// Close stops both legs.
func (c *Call) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	leg := c.browser
	c.browser = nil
	c.mu.Unlock()
	if leg != nil {
		leg.Close()
	}
	c.tr.Close()
}

// LastReceived is when the PBX last sent media on this call (zero: never).
func (c *Call) LastReceived() time.Time { return c.tr.LastReceived() }
