// Package wsphone is a minimal WebRTC SIP phone for Go tests: SIP over WebSocket
// (RFC 7118) with pion media (DTLS-SRTP, ICE, rtcp-mux), as a browser softphone such
// as JsSIP talks to a WebRTC gateway. baresip 1.0 cannot be that peer: it has no
// WebSocket transport.
package wsphone

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/icholy/digest"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/tabphone/tabphone/internal/audiotest"
)

// Options shape a Phone; the zero value of a field means the default.
type Options struct {
	URL      string         // ws://host:port or wss://host:port of the SIP server
	RootCAs  *x509.CertPool // trusted for wss (the system pool when nil)
	User     string         // "1001" when empty
	Password string         // answers digest challenges
	Domain   string         // the SIP domain, "127.0.0.1" when empty
	Law      audiotest.Law  // the one codec offered and accepted: PCMU (default) or PCMA
	ToneHz   float64        // the tone sent in every call, 1000 when 0
	// NoRTCPReports leaves out pion's interceptors, so the phone sends no RTCP sender
	// or receiver reports (a control for tests that look for RTCP).
	NoRTCPReports bool
}

// ErrTimeout is a wait that ran out.
var ErrTimeout = errors.New("wsphone: timed out")

// ErrRejected is a request that got a final response other than 2xx.
var ErrRejected = errors.New("wsphone: request rejected")

// Phone is one SIP user agent on one WebSocket connection. Incoming OPTIONS and BYE
// are answered by it; an incoming INVITE waits for Answer.
type Phone struct {
	t         testing.TB
	opts      Options
	conn      *websocket.Conn
	transport string // WS or WSS, for Via
	host      string // the unresolvable host of Via and Contact (RFC 7118 5.2)
	wmu       sync.Mutex

	mu       sync.Mutex
	msgs     []*message
	changed  chan struct{} // closed and replaced when msgs grows
	readErr  error
	byes     map[string]bool // Call-IDs the far end hung up
	calls    map[string]*Call
	answered int // msgs before this index were looked at by Answer
}

// New connects to opts.URL asking for the sip subprotocol; the connection closes when
// the test ends.
func New(t testing.TB, opts Options) *Phone {
	t.Helper()
	if opts.User == "" {
		opts.User = "1001"
	}
	if opts.Domain == "" {
		opts.Domain = "127.0.0.1"
	}
	if opts.ToneHz == 0 {
		opts.ToneHz = 1000
	}
	d := websocket.Dialer{Subprotocols: []string{"sip"}, HandshakeTimeout: 5 * time.Second,
		TLSClientConfig: &tls.Config{RootCAs: opts.RootCAs}}
	conn, res, err := d.Dial(opts.URL, http.Header{})
	if err != nil {
		t.Fatalf("wsphone: dial %s: %v", opts.URL, err)
	}
	if res.Header.Get("Sec-WebSocket-Protocol") != "sip" {
		conn.Close()
		t.Fatalf("wsphone: %s did not accept the sip subprotocol", opts.URL)
	}
	p := &Phone{t: t, opts: opts, conn: conn, transport: "WS", host: randomHex(6) + ".invalid",
		changed: make(chan struct{}), byes: map[string]bool{}, calls: map[string]*Call{}}
	if strings.HasPrefix(opts.URL, "wss:") {
		p.transport = "WSS"
	}
	t.Cleanup(func() { conn.Close() })
	go p.read()
	return p
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// read receives messages until the connection closes, answering what needs no
// decision of the test.
func (p *Phone) read() {
	for {
		_, raw, err := p.conn.ReadMessage()
		if err != nil {
			p.mu.Lock()
			p.readErr = err
			close(p.changed)
			p.changed = make(chan struct{})
			p.mu.Unlock()
			return
		}
		m, err := parseMessage(string(raw))
		if err != nil {
			continue
		}
		p.mu.Lock()
		p.msgs = append(p.msgs, m)
		if m.method == "BYE" {
			p.byes[m.get("call-id")] = true
		}
		close(p.changed)
		p.changed = make(chan struct{})
		p.mu.Unlock()
		switch m.method {
		case "OPTIONS", "BYE":
			_ = p.send(p.response(m, 200, "OK", "", nil, ""))
		case "INVITE":
			if tag(m.get("to")) != "" {
				p.answerReINVITE(m)
			}
		}
	}
}

// wait returns the first message from index from on that match accepts, and its index.
func (p *Phone) wait(from int, timeout time.Duration, match func(*message) bool) (*message, int, error) {
	end := time.After(timeout)
	for {
		p.mu.Lock()
		ch, rerr := p.changed, p.readErr
		for i := from; i < len(p.msgs); i++ {
			if match(p.msgs[i]) {
				m := p.msgs[i]
				p.mu.Unlock()
				return m, i, nil
			}
		}
		p.mu.Unlock()
		if rerr != nil {
			return nil, 0, fmt.Errorf("wsphone: connection closed: %w", rerr)
		}
		select {
		case <-ch:
		case <-end:
			return nil, 0, ErrTimeout
		}
	}
}

func (p *Phone) mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.msgs)
}

func (p *Phone) send(m *message) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	return p.conn.WriteMessage(websocket.TextMessage, []byte(m.String()))
}

func (p *Phone) aor() string     { return fmt.Sprintf("sip:%s@%s", p.opts.User, p.opts.Domain) }
func (p *Phone) contact() string { return fmt.Sprintf("<sip:%s@%s;transport=ws>", p.opts.User, p.host) }

// request builds a request with a fresh branch; the caller adds dialog headers.
func (p *Phone) request(method, ruri string, hs []header, body string) *message {
	m := &message{method: method, uri: ruri}
	m.headers = append(m.headers, header{"Via", fmt.Sprintf("SIP/2.0/%s %s;branch=z9hG4bK%s;rport", p.transport, p.host, randomHex(8))},
		header{"Max-Forwards", "70"})
	m.headers = append(m.headers, hs...)
	if body != "" {
		m.headers = append(m.headers, header{"Content-Type", "application/sdp"})
	}
	m.headers = append(m.headers, header{"Content-Length", fmt.Sprint(len(body))})
	m.body = body
	return m
}

// response answers req, copying what RFC 3261 8.2.6.2 says a response copies;
// toTag is added to To when it has none yet.
func (p *Phone) response(req *message, code int, reason, toTag string, extra []header, body string) *message {
	m := &message{status: code, reason: reason, body: body}
	for _, h := range req.headers {
		switch h.name {
		case "via", "from", "call-id", "cseq":
			m.headers = append(m.headers, h)
		case "record-route":
			if code >= 180 && code < 300 {
				m.headers = append(m.headers, h)
			}
		case "to":
			v := h.value
			if toTag != "" && tag(v) == "" {
				v += ";tag=" + toTag
			}
			m.headers = append(m.headers, header{"to", v})
		}
	}
	m.headers = append(m.headers, extra...)
	if body != "" {
		m.headers = append(m.headers, header{"Content-Type", "application/sdp"})
	}
	m.headers = append(m.headers, header{"Content-Length", fmt.Sprint(len(m.body))})
	return m
}

// transact sends req and returns its final response, answering one digest challenge
// (401/407) with Options.Password.
func (p *Phone) transact(req *message, timeout time.Duration) (*message, error) {
	for attempt := 0; ; attempt++ {
		from := p.mark()
		if err := p.send(req); err != nil {
			return nil, err
		}
		callID := req.get("call-id")
		num, method := req.cseq()
		res, _, err := p.wait(from, timeout, func(m *message) bool {
			n, meth := m.cseq()
			return m.status >= 200 && m.get("call-id") == callID && n == num && meth == method
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", req.method, err)
		}
		if (res.status != 401 && res.status != 407) || attempt > 0 || p.opts.Password == "" {
			return res, nil
		}
		challenge, authHeader := res.get("www-authenticate"), "Authorization"
		if res.status == 407 {
			challenge, authHeader = res.get("proxy-authenticate"), "Proxy-Authorization"
		}
		chal, err := digest.ParseChallenge(challenge)
		if err != nil {
			return nil, err
		}
		cred, err := digest.Digest(chal, digest.Options{Method: req.method, URI: req.uri, Username: p.opts.User, Password: p.opts.Password, Count: 1})
		if err != nil {
			return nil, err
		}
		// The same request again, with the next CSeq, a new branch and the credentials.
		next := p.request(req.method, req.uri, nil, req.body)
		next.headers = next.headers[:2]
		for _, h := range req.headers {
			switch h.name {
			case "Via", "Max-Forwards", "Content-Type", "Content-Length":
			case "CSeq":
				next.headers = append(next.headers, header{"CSeq", fmt.Sprintf("%d %s", num+1, method)})
			default:
				next.headers = append(next.headers, h)
			}
		}
		next.headers = append(next.headers, header{authHeader, cred.String()})
		if req.body != "" {
			next.headers = append(next.headers, header{"Content-Type", "application/sdp"})
		}
		next.headers = append(next.headers, header{"Content-Length", fmt.Sprint(len(req.body))})
		req = next
	}
}

// Register registers the phone for expires seconds.
func (p *Phone) Register(expires int) error {
	req := p.request("REGISTER", "sip:"+p.opts.Domain, []header{
		{"From", fmt.Sprintf("<%s>;tag=%s", p.aor(), randomHex(4))},
		{"To", fmt.Sprintf("<%s>", p.aor())},
		{"Call-ID", randomHex(8)},
		{"CSeq", "1 REGISTER"},
		{"Contact", fmt.Sprintf("%s;expires=%d", p.contact(), expires)},
		{"Expires", fmt.Sprint(expires)},
	}, "")
	res, err := p.transact(req, 5*time.Second)
	if err != nil {
		return err
	}
	if res.status != 200 {
		return fmt.Errorf("%w: REGISTER: %d %s", ErrRejected, res.status, res.reason)
	}
	return nil
}

// Call is one established call and its media.
type Call struct {
	CallID              string
	LocalSDP, RemoteSDP string
	// Heard holds the audio received from the far end (the negotiated codec, decoded).
	Heard *audiotest.Analyzer
	PC    *webrtc.PeerConnection

	p                                  *Phone
	localTag, remoteTag, local, remote string // tags and From/To values
	target                             string // the far end's Contact URI
	routes                             []string
	cseq                               int
	stopTone                           context.CancelFunc
	sdpVersion                         int      // bumped for each changed local SDP, guarded by p.mu
	reoffers                           []string // re-INVITE offers received, guarded by p.mu
}

// newPeer makes the call's peer connection: one send-receive audio transceiver with
// the phone's codec and tone, RTCP reports from pion's default interceptors, loopback
// candidates only (the test peers listen on 127.0.0.1).
func (p *Phone) newPeer() (*Call, error) {
	me := &webrtc.MediaEngine{}
	codec := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}
	if p.opts.Law == audiotest.PCMA {
		codec.MimeType = webrtc.MimeTypePCMA
	}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: codec, PayloadType: webrtc.PayloadType(p.opts.Law.PayloadType())}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	ir := &interceptor.Registry{}
	if !p.opts.NoRTCPReports {
		if err := webrtc.RegisterDefaultInterceptors(me, ir); err != nil {
			return nil, err
		}
	}
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se), webrtc.WithInterceptorRegistry(ir)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	p.t.Cleanup(func() { pc.Close() })
	track, err := webrtc.NewTrackLocalStaticRTP(codec, "audio", "wsphone")
	if err != nil {
		return nil, err
	}
	tr, err := pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
	if err != nil {
		return nil, err
	}
	c := &Call{p: p, PC: pc, Heard: audiotest.NewAnalyzer(audiotest.SampleRate)}
	go func() { // reading RTCP lets the interceptors see the far end's reports
		for {
			if _, _, err := tr.Sender().ReadRTCP(); err != nil {
				return
			}
		}
	}()
	pc.OnTrack(func(remote *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		_ = audiotest.ReceiveG711(remote, p.opts.Law, uint8(remote.PayloadType()), c.Heard)
	})
	ctx, cancel := context.WithCancel(context.Background())
	c.stopTone = cancel
	p.t.Cleanup(cancel)
	go func() { _ = audiotest.Send(ctx, track, audiotest.NewTone(p.opts.Law, p.opts.ToneHz)) }()
	return c, nil
}

// gathered sets desc as local description and returns the SDP with every candidate:
// SIP has no trickle.
func gathered(pc *webrtc.PeerConnection, desc webrtc.SessionDescription, err error) (string, error) {
	if err != nil {
		return "", err
	}
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(desc); err != nil {
		return "", err
	}
	<-done
	return withDefaultCandidate(pc.LocalDescription().SDP)
}

// withDefaultCandidate puts each m-line's first candidate into its port and c= line, as
// browsers do once gathering is complete (RFC 8839 4.2.1.2); pion leaves port 9 and
// 0.0.0.0 there, which SIP peers and rtpengine read as a call on hold (RFC 3264 8.4)
// and answer recvonly.
func withDefaultCandidate(raw string) (string, error) {
	var s sdp.SessionDescription
	if err := s.UnmarshalString(raw); err != nil {
		return "", err
	}
	for _, md := range s.MediaDescriptions {
		for _, a := range md.Attributes {
			if a.Key != "candidate" {
				continue
			}
			f := strings.Fields(a.Value) // foundation component transport priority ip port typ …
			if len(f) < 6 || f[1] != "1" {
				continue
			}
			port, err := strconv.Atoi(f[5])
			if err != nil {
				continue
			}
			md.MediaName.Port = sdp.RangedPort{Value: port}
			md.ConnectionInformation = &sdp.ConnectionInformation{NetworkType: "IN", AddressType: "IP4", Address: &sdp.Address{Address: f[4]}}
			break
		}
	}
	out, err := s.Marshal()
	return string(out), err
}

// Call sends an INVITE with a complete WebRTC offer to uri and, on 2xx, applies the
// answer and acknowledges it.
func (p *Phone) Call(uri string, timeout time.Duration) (*Call, error) {
	c, err := p.newPeer()
	if err != nil {
		return nil, err
	}
	offer, err := c.PC.CreateOffer(nil)
	if c.LocalSDP, err = gathered(c.PC, offer, err); err != nil {
		return nil, err
	}
	c.CallID, c.localTag, c.cseq = randomHex(10), randomHex(4), 1
	c.local = fmt.Sprintf("<%s>;tag=%s", p.aor(), c.localTag)
	c.remote = fmt.Sprintf("<%s>", uri)
	req := p.request("INVITE", uri, []header{
		{"From", c.local}, {"To", c.remote}, {"Call-ID", c.CallID}, {"CSeq", "1 INVITE"}, {"Contact", p.contact()},
	}, c.LocalSDP)
	res, err := p.transact(req, timeout)
	if err != nil {
		return nil, err
	}
	c.cseq, _ = res.cseq()
	if res.status >= 300 {
		return nil, fmt.Errorf("%w: INVITE %s: %d %s", ErrRejected, uri, res.status, res.reason)
	}
	c.remote, c.remoteTag, c.target = res.get("to"), tag(res.get("to")), uriOf(res.get("contact"))
	rr := res.all("record-route")
	for i := len(rr) - 1; i >= 0; i-- { // the caller's route set is the reverse (RFC 3261 12.1.2)
		c.routes = append(c.routes, rr[i])
	}
	c.RemoteSDP = res.body
	p.mu.Lock()
	p.calls[c.CallID] = c
	p.mu.Unlock()
	if err := p.send(c.inDialog("ACK", c.cseq, "")); err != nil {
		return nil, err
	}
	if err := c.PC.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: res.body}); err != nil {
		return c, fmt.Errorf("wsphone: the answer: %w", err)
	}
	return c, nil
}

// Answer waits for an incoming INVITE, answers it with 200 and a complete WebRTC
// answer, and waits for the ACK.
func (p *Phone) Answer(timeout time.Duration) (*Call, error) {
	p.mu.Lock()
	from := p.answered
	p.mu.Unlock()
	inv, i, err := p.wait(from, timeout, func(m *message) bool { return m.method == "INVITE" && tag(m.get("to")) == "" })
	if err != nil {
		return nil, fmt.Errorf("waiting for an INVITE: %w", err)
	}
	p.mu.Lock()
	p.answered = i + 1
	p.mu.Unlock()
	c, err := p.newPeer()
	if err != nil {
		return nil, err
	}
	c.CallID, c.localTag = inv.get("call-id"), randomHex(4)
	c.RemoteSDP = inv.body
	c.remote, c.remoteTag, c.target = inv.get("from"), tag(inv.get("from")), uriOf(inv.get("contact"))
	c.local = inv.get("to") + ";tag=" + c.localTag
	c.routes = inv.all("record-route")
	if err := c.PC.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: inv.body}); err != nil {
		_ = p.send(p.response(inv, 488, "Not Acceptable Here", c.localTag, nil, ""))
		return nil, fmt.Errorf("wsphone: the offer: %w", err)
	}
	answer, err := c.PC.CreateAnswer(nil)
	if c.LocalSDP, err = gathered(c.PC, answer, err); err != nil {
		return nil, err
	}
	res := p.response(inv, 200, "OK", c.localTag, []header{{"Contact", p.contact()}}, c.LocalSDP)
	p.mu.Lock()
	p.calls[c.CallID] = c
	p.mu.Unlock()
	from = p.mark()
	if err := p.send(res); err != nil {
		return nil, err
	}
	c.cseq = 0 // the callee's requests number their own CSeq space
	if _, _, err := p.wait(from, timeout, func(m *message) bool { return m.method == "ACK" && m.get("call-id") == c.CallID }); err != nil {
		return c, fmt.Errorf("waiting for the ACK: %w", err)
	}
	return c, nil
}

// inDialog builds a request within the call's dialog.
func (c *Call) inDialog(method string, cseq int, body string) *message {
	hs := []header{{"From", c.local}, {"To", c.remote}, {"Call-ID", c.CallID}, {"CSeq", fmt.Sprintf("%d %s", cseq, method)}}
	for _, r := range c.routes {
		hs = append(hs, header{"Route", r})
	}
	if method != "ACK" {
		hs = append(hs, header{"Contact", c.p.contact()})
	}
	return c.p.request(method, c.target, hs, body)
}

// directions maps an offer's direction to the answer's (RFC 3264 6.1).
var directions = map[string]string{"sendrecv": "sendrecv", "sendonly": "recvonly", "recvonly": "sendonly", "inactive": "inactive"}

// withDirection returns the call's local SDP with its direction set to dir and its
// o= version bumped (RFC 3264 8). The media keep flowing as pion set them up: a hold
// here is what the SIP side sees, enough to carry re-INVITEs through a gateway.
func (c *Call) withDirection(dir string) string {
	c.p.mu.Lock()
	c.sdpVersion++
	version := c.sdpVersion
	c.p.mu.Unlock()
	lines := strings.Split(c.LocalSDP, "\r\n")
	for i, l := range lines {
		if _, ok := directions[strings.TrimPrefix(l, "a=")]; ok && strings.HasPrefix(l, "a=") {
			lines[i] = "a=" + dir
		}
		if strings.HasPrefix(l, "o=") {
			if f := strings.Fields(l); len(f) == 6 {
				v, _ := strconv.ParseUint(f[2], 10, 63)
				f[2] = strconv.FormatUint(v+uint64(version), 10)
				lines[i] = strings.Join(f, " ")
			}
		}
	}
	return strings.Join(lines, "\r\n")
}

// offerDirection returns the direction attribute of an SDP (sendrecv when absent).
func offerDirection(sdp string) string {
	for _, l := range strings.Split(sdp, "\n") {
		l = strings.TrimSpace(l)
		if d, ok := strings.CutPrefix(l, "a="); ok {
			if _, known := directions[d]; known {
				return d
			}
		}
	}
	return "sendrecv"
}

// answerReINVITE answers an in-dialog INVITE (hold, resume, a refresh) with the local
// SDP in the matching direction.
func (p *Phone) answerReINVITE(m *message) {
	p.mu.Lock()
	c := p.calls[m.get("call-id")]
	if c != nil {
		c.reoffers = append(c.reoffers, m.body)
	}
	p.mu.Unlock()
	if c == nil {
		_ = p.send(p.response(m, 481, "Call/Transaction Does Not Exist", "", nil, ""))
		return
	}
	_ = p.send(p.response(m, 200, "OK", "", []header{{"Contact", p.contact()}}, c.withDirection(directions[offerDirection(m.body)])))
}

// ReOffers returns the SDP offers of the re-INVITEs the far end sent in the call.
func (c *Call) ReOffers() []string {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	return append([]string(nil), c.reoffers...)
}

// Hold sends a re-INVITE with the local SDP made sendonly; Resume one made sendrecv.
// Each returns once the 2xx is acknowledged, with the answer's SDP.
func (c *Call) Hold() (string, error) { return c.reINVITE("sendonly") }

// Resume takes the call off hold (see Hold).
func (c *Call) Resume() (string, error) { return c.reINVITE("sendrecv") }

func (c *Call) reINVITE(dir string) (string, error) {
	c.cseq++
	res, err := c.p.transact(c.inDialog("INVITE", c.cseq, c.withDirection(dir)), 5*time.Second)
	if err != nil {
		return "", err
	}
	if res.status >= 300 {
		return "", fmt.Errorf("%w: re-INVITE (%s): %d %s", ErrRejected, dir, res.status, res.reason)
	}
	if err := c.p.send(c.inDialog("ACK", c.cseq, "")); err != nil {
		return "", err
	}
	return res.body, nil
}

// Tag is the phone's tag in the call's dialog (From for calls it made, To for calls it
// answered), which rtpengine names its leg by.
func (c *Call) Tag() string { return c.localTag }

// WaitConnected waits until ICE and DTLS are up (pion's connection state connected).
func (c *Call) WaitConnected(timeout time.Duration) error {
	end := time.Now().Add(timeout)
	for c.PC.ConnectionState() != webrtc.PeerConnectionStateConnected {
		if time.Now().After(end) {
			return fmt.Errorf("%w: peer connection %s after %v", ErrTimeout, c.PC.ConnectionState(), timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// WaitTone waits until freq is present in what the call received.
func (c *Call) WaitTone(freq float64, timeout time.Duration) (audiotest.Level, error) {
	end := time.Now().Add(timeout)
	for {
		l := c.Heard.Level(freq)
		if l.Present() {
			return l, nil
		}
		if time.Now().After(end) {
			return l, fmt.Errorf("%w: %v Hz not heard: %v", ErrTimeout, freq, l)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Hangup sends BYE and waits for its response; the media stop.
func (c *Call) Hangup() error {
	c.stopTone()
	c.cseq++
	res, err := c.p.transact(c.inDialog("BYE", c.cseq, ""), 5*time.Second)
	_ = c.PC.Close()
	if err != nil {
		return err
	}
	if res.status != 200 {
		return fmt.Errorf("%w: BYE: %d %s", ErrRejected, res.status, res.reason)
	}
	return nil
}

// HungUp reports whether the far end sent BYE.
func (c *Call) HungUp() bool {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	return c.p.byes[c.CallID]
}
