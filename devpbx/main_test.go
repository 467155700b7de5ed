package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"

	"github.com/tabphone/tabphone/devpbx/g711"
	"github.com/tabphone/tabphone/devpbx/goertzel"
	"github.com/tabphone/tabphone/devpbx/sdpanswer"
	"github.com/tabphone/tabphone/internal/syncbuf"
)

const (
	pw1001 = "secret-1001"
	pw1002 = "secret-1002"
)

// devpbx is one running instance, started through run() exactly as the binary does.
type devpbx struct {
	sip  netip.AddrPort
	base string // http://127.0.0.1:PORT
	stop func() error
}

var readyRE = regexp.MustCompile(`^devpbx ready sip=(\S+) http=(\S+)$`)

func startDevpbx(t *testing.T, extra ...string) *devpbx {
	t.Helper()
	usersFile := filepath.Join(t.TempDir(), "users.txt")
	if err := os.WriteFile(usersFile, []byte("# test users\n1001:"+pw1001+"\n1002:"+pw1002+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-sip", "127.0.0.1:0", "-http", "127.0.0.1:0", "-users", usersFile}, extra...)
	ctx, cancel := context.WithCancel(context.Background())
	stdoutR, stdoutW := io.Pipe()
	logs := &syncbuf.Buffer{}
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, args, stdoutW, logs)
		stdoutW.Close()
	}()

	lines := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(stdoutR)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var first string
	select {
	case first = <-lines:
	case err := <-errc:
		cancel()
		t.Fatalf("devpbx exited: %v\n%s", err, logs)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatalf("devpbx not ready\n%s", logs)
	}
	m := readyRE.FindStringSubmatch(first)
	if m == nil {
		cancel()
		t.Fatalf("first stdout line %q is not the ready line", first)
	}
	go func() {
		for l := range lines {
			t.Errorf("unexpected stdout line %q", l)
		}
	}()

	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-errc:
			case <-time.After(15 * time.Second):
				stopErr = errors.New("devpbx did not stop")
			}
		})
		return stopErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("devpbx run: %v", err)
		}
		if t.Failed() {
			t.Logf("devpbx log:\n%s", logs)
		}
	})
	return &devpbx{sip: netip.MustParseAddrPort(m[1]), base: "http://" + m[2], stop: stop}
}

func (d *devpbx) get(t *testing.T, path string, v any) {
	t.Helper()
	res, err := http.Get(d.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %s", path, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// apiCall is /api/calls as documented, decoded independently of devpbx's types.
type apiCall struct {
	ID         string   `json:"id"`
	CallID     string   `json:"call_id"`
	Direction  string   `json:"direction"`
	From       string   `json:"from"`
	To         string   `json:"to"`
	Codec      string   `json:"codec"`
	State      string   `json:"state"`
	EndedBy    string   `json:"ended_by"`
	Status     int      `json:"status"`
	Error      string   `json:"error"`
	StartedAt  int64    `json:"started_at"`
	DialedAt   *int64   `json:"dialed_at"`
	RingingAt  *int64   `json:"ringing_at"`
	AnsweredAt *int64   `json:"answered_at"`
	EndedAt    *int64   `json:"ended_at"`
	RxPackets  uint64   `json:"rx_packets"`
	TxPackets  uint64   `json:"tx_packets"`
	RxBytes    uint64   `json:"rx_bytes"`
	ToneRatio  *float64 `json:"tone_1000hz_ratio"`
	RxMaxDBFS  *float64 `json:"rx_max_dbfs"`
	DTMF       string   `json:"dtmf"`
}

type apiRegistration struct {
	User      string `json:"user"`
	Contact   string `json:"contact"`
	Source    string `json:"source"`
	ExpiresAt string `json:"expires_at"`
}

func (d *devpbx) calls(t *testing.T) []apiCall {
	var out []apiCall
	d.get(t, "/api/calls", &out)
	return out
}

// eventually polls f until it reports done, failing the test after a deadline.
func eventually[T any](t *testing.T, what string, f func() (T, bool)) T {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, ok := f()
		if ok {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (last: %+v)", what, v)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (d *devpbx) callWhere(t *testing.T, what string, pred func(apiCall) bool) apiCall {
	t.Helper()
	return eventually(t, what, func() (apiCall, bool) {
		var last apiCall
		for _, c := range d.calls(t) {
			last = c
			if pred(c) {
				return c, true
			}
		}
		return last, false
	})
}

// phone is a SIP user agent built from sipgo, sending from its listening socket as
// the real host does. It places calls (dialogs) and takes them (invites, served).
type phone struct {
	t       *testing.T
	user    string
	pbx     netip.AddrPort
	addr    netip.AddrPort
	client  *sipgo.Client
	dialogs *sipgo.DialogClientCache
	byes    chan heard
	// unhandled gets responses that match no client transaction.
	unhandled chan *sip.Response
	// invites gets the INVITEs that start calls to the phone.
	invites chan *incoming
	served  *sipgo.DialogServerCache
	closed  chan struct{}
}

// heard is a request the phone received, and when.
type heard struct {
	req *sip.Request
	at  time.Time
}

func newPhone(t *testing.T, user string, pbx netip.AddrPort) *phone {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	unhandled := make(chan *sip.Response, 16)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(user), sipgo.WithUserAgentHostname("127.0.0.1"),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerUnhandledResponseHandler(func(r *sip.Response) {
			select {
			case unhandled <- r:
			default:
			}
		})))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientConnectionAddr(addr.String()))
	if err != nil {
		t.Fatal(err)
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: int(addr.Port())}}
	p := &phone{t: t, user: user, pbx: pbx, addr: addr, client: client,
		dialogs: sipgo.NewDialogClientCache(client, contact), byes: make(chan heard, 16), unhandled: unhandled,
		invites: make(chan *incoming, 4), served: sipgo.NewDialogServerCache(client, contact), closed: make(chan struct{})}
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		select {
		case p.byes <- heard{req, time.Now()}:
		default:
			t.Errorf("phone %s: BYE not read by the test", user)
		}
		if err := p.dialogs.ReadBye(req, tx); err == nil {
			return
		}
		if err := p.served.ReadBye(req, tx); err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		}
	})
	srv.OnInvite(p.takeInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = p.served.ReadAck(req, tx) })
	go srv.ServeUDP(conn)
	// ServeUDP has no ready signal, and until the socket is in sipgo's pool a client
	// pinned to it with WithClientConnectionAddr tries to bind it again (EADDRINUSE).
	eventually(t, "phone socket in sipgo's pool", func() (string, bool) {
		_, err := ua.TransportLayer().GetConnection("udp", addr.String())
		return fmt.Sprint(err), err == nil
	})
	t.Cleanup(func() {
		close(p.closed)
		conn.Close()
		ua.Close()
	})
	return p
}

func (p *phone) uri(user string) sip.Uri {
	return sip.Uri{Scheme: "sip", User: user, Host: p.pbx.Addr().String(), Port: int(p.pbx.Port())}
}

// register sends REGISTER, answers the 401 challenge with password and returns the
// final response.
func (p *phone) register(password string, expires int) *sip.Response {
	p.t.Helper()
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: p.pbx.Addr().String(), Port: int(p.pbx.Port())})
	aor := sip.Uri{Scheme: "sip", User: p.user, Host: p.pbx.Addr().String()}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: p.user, Host: "127.0.0.1", Port: int(p.addr.Port())}})
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := p.client.Do(ctx, req)
	if err != nil {
		p.t.Fatal(err)
	}
	if res.StatusCode != sip.StatusUnauthorized {
		p.t.Fatalf("REGISTER without credentials: %s", res.StartLine())
	}
	if !strings.Contains(res.GetHeader("WWW-Authenticate").Value(), `realm="devpbx"`) {
		p.t.Errorf("challenge %q", res.GetHeader("WWW-Authenticate").Value())
	}
	res, err = p.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: p.user, Password: password})
	if err != nil {
		p.t.Fatal(err)
	}
	return res
}

// media is the test's RTP endpoint.
type media struct {
	t    *testing.T
	conn *net.UDPConn
}

func newMedia(t *testing.T) *media {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &media{t: t, conn: c}
}

func (m *media) port() int { return m.conn.LocalAddr().(*net.UDPAddr).Port }

func (m *media) offer(formats string, rtpmaps ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n")
	fmt.Fprintf(&b, "m=audio %d RTP/AVP %s\r\n", m.port(), formats)
	for _, r := range rtpmaps {
		fmt.Fprintf(&b, "a=%s\r\n", r)
	}
	b.WriteString("a=sendrecv\r\n")
	return []byte(b.String())
}

// read returns the next packet devpbx sent, or false after the deadline.
func (m *media) read(deadline time.Time) (rtp.Packet, netip.AddrPort, bool) {
	buf := make([]byte, 2048)
	_ = m.conn.SetReadDeadline(deadline)
	n, from, err := m.conn.ReadFromUDPAddrPort(buf)
	if err != nil {
		return rtp.Packet{}, netip.AddrPort{}, false
	}
	var p rtp.Packet
	if err := p.Unmarshal(buf[:n]); err != nil {
		m.t.Errorf("devpbx sent non-RTP: %v", err)
		return rtp.Packet{}, from, false
	}
	return p, from, true
}

func (m *media) send(to netip.AddrPort, p rtp.Packet) {
	buf, err := p.Marshal()
	if err != nil {
		m.t.Fatal(err)
	}
	if _, err := m.conn.WriteToUDPAddrPort(buf, to); err != nil {
		m.t.Fatal(err)
	}
}

type call struct {
	sess   *sipgo.DialogClientSession
	answer sdpanswer.Offer // devpbx's answer, read with the offer parser
	codes  []int
}

// dial calls number with the offer, answering the 407 with password.
func (p *phone) dial(number, password string, offer []byte) (*call, error) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sess, err := p.dialogs.Invite(ctx, p.uri(number), offer, sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		p.t.Fatal(err)
	}
	c := &call{sess: sess}
	err = sess.WaitAnswer(ctx, sipgo.AnswerOptions{
		Username: p.user, Password: password,
		OnResponse: func(r *sip.Response) error { c.codes = append(c.codes, r.StatusCode); return nil },
	})
	if err != nil {
		return c, err
	}
	if err := sess.Ack(ctx); err != nil {
		p.t.Fatal(err)
	}
	c.answer, err = sdpanswer.ParseOffer(sess.InviteResponse.Body())
	if err != nil {
		p.t.Fatalf("answer SDP: %v\n%s", err, sess.InviteResponse.Body())
	}
	return c, nil
}

func (c *call) hangup(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.sess.Bye(ctx); err != nil {
		t.Fatalf("BYE: %v", err)
	}
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

func responseCode(err error) int {
	var r *sipgo.ErrDialogResponse
	if errors.As(err, &r) {
		return r.Res.StatusCode
	}
	var rv sipgo.ErrDialogResponse
	if errors.As(err, &rv) {
		return rv.Res.StatusCode
	}
	return 0
}

func TestRegistration(t *testing.T) {
	d := startDevpbx(t)
	p := newPhone(t, "1001", d.sip)

	if res := p.register("wrong", 600); res.StatusCode != sip.StatusForbidden {
		t.Fatalf("wrong password: %s", res.StartLine())
	}
	var failures map[string]int
	d.get(t, "/api/auth_failures", &failures)
	if failures["1001"] != 1 {
		t.Errorf("auth failures %v", failures)
	}
	var regs []apiRegistration
	if d.get(t, "/api/registrations", &regs); len(regs) != 0 {
		t.Fatalf("registered after a wrong password: %+v", regs)
	}

	before := time.Now()
	res := p.register(pw1001, 7200)
	if res.StatusCode != sip.StatusOK {
		t.Fatalf("right password: %s", res.StartLine())
	}
	contact := res.Contact()
	if contact == nil || contact.Address.Port != int(p.addr.Port()) {
		t.Fatalf("200 OK contact %v", res.GetHeaders("Contact"))
	}
	if e, _ := contact.Params.Get("expires"); e != "3600" {
		t.Errorf("expires %q, want 3600 (Max-Expires)", e)
	}
	d.get(t, "/api/registrations", &regs)
	if len(regs) != 1 {
		t.Fatalf("registrations %+v", regs)
	}
	r := regs[0]
	wantContact := fmt.Sprintf("<sip:1001@127.0.0.1:%d>", p.addr.Port())
	if r.User != "1001" || r.Contact != wantContact || r.Source != p.addr.String() {
		t.Errorf("registration %+v, want contact %s source %s", r, wantContact, p.addr)
	}
	exp, err := time.Parse(time.RFC3339, r.ExpiresAt)
	if err != nil || exp.Before(before.Add(3590*time.Second)) || exp.After(before.Add(3610*time.Second)) {
		t.Errorf("expires_at %q", r.ExpiresAt)
	}

	// Another user may not register 1001's address.
	other := newPhone(t, "1002", d.sip)
	other.user = "1001"
	if res := other.register(pw1002, 60); res.StatusCode != sip.StatusForbidden {
		t.Errorf("1002's password for 1001: %s", res.StartLine())
	}

	if res := p.register(pw1001, 0); res.StatusCode != sip.StatusOK {
		t.Fatalf("unregister: %s", res.StartLine())
	}
	if d.get(t, "/api/registrations", &regs); len(regs) != 0 {
		t.Errorf("still registered: %+v", regs)
	}
}

func TestToneService601(t *testing.T) {
	// With a ring delay the 180 arrives well before the 200: sipgo handles each
	// incoming response in its own goroutine, and a 200 right behind a 180 can
	// overtake it and make the client transaction drop the 180.
	d := startDevpbx(t, "-ring", "100ms")
	p := newPhone(t, "1001", d.sip)
	m := newMedia(t)
	started := time.Now().UnixMilli()
	c, err := p.dial("601", pw1001, m.offer("8 0 101", "rtpmap:101 telephone-event/8000", "fmtp:101 0-16"))
	if err != nil {
		t.Fatalf("dial 601: %v", err)
	}
	if got := strings.Trim(fmt.Sprint(c.codes), "[]"); got != "407 100 180 200" && got != "407 180 100 200" {
		t.Errorf("responses %v, want 407, 100 and 180, 200", c.codes)
	}
	if len(c.answer.Codecs) == 0 || c.answer.Codecs[0].Name != sdpanswer.PCMA || c.answer.Remote.Addr() != d.sip.Addr() {
		t.Fatalf("answer %+v", c.answer)
	}

	meter := goertzel.NewMeter(1000, 8000, goertzel.Options{})
	var first, prev rtp.Packet
	deadline := time.Now().Add(5 * time.Second)
	for i := range 50 {
		pkt, from, ok := m.read(deadline)
		if !ok {
			t.Fatalf("got %d packets from 601", i)
		}
		if from != c.answer.Remote {
			t.Errorf("RTP from %v, SDP said %v", from, c.answer.Remote)
		}
		if i == 0 {
			first = pkt
			if !pkt.Marker {
				t.Error("first packet without marker")
			}
		} else if pkt.SequenceNumber != prev.SequenceNumber+1 || pkt.Timestamp != prev.Timestamp+160 || pkt.SSRC != first.SSRC {
			t.Fatalf("packet %d %v after %v", i, pkt.Header, prev.Header)
		}
		if pkt.PayloadType != 8 || len(pkt.Payload) != 160 {
			t.Fatalf("packet %d: PT %d, %d bytes", i, pkt.PayloadType, len(pkt.Payload))
		}
		meter.WriteInt16(g711.DecodeFrame(nil, pkt.Payload, g711.DecodeALaw))
		prev = pkt
	}
	res := meter.Result()
	if res.Ratio < 0.95 || math.Abs(res.MaxDBFS+10) > 1 {
		t.Errorf("601 sounds like %+v, want a 1 kHz tone at -10 dBFS", res)
	}

	call := d.callWhere(t, "601 up", func(x apiCall) bool { return x.To == "601" && x.State == "up" })
	if call.From != "1001" || call.Codec != "PCMA" || call.StartedAt < started-1000 || call.AnsweredAt == nil || call.EndedBy != "" {
		t.Errorf("call %+v", call)
	}
	c.hangup(t)
	ended := d.callWhere(t, "601 ended", func(x apiCall) bool { return x.ID == call.ID && x.State == "ended" })
	if ended.EndedBy != "caller_bye" || ended.TxPackets < 50 || ended.Status != 200 || ended.EndedAt == nil {
		t.Errorf("ended call %+v", ended)
	}
}

func TestEchoService600(t *testing.T) {
	d := startDevpbx(t)
	p := newPhone(t, "1001", d.sip)
	m := newMedia(t)
	c, err := p.dial("600", pw1001, m.offer("0 8", "rtpmap:0 PCMU/8000"))
	if err != nil {
		t.Fatalf("dial 600: %v", err)
	}
	if c.answer.Codecs[0].Name != sdpanswer.PCMU {
		t.Fatalf("answer %+v", c.answer)
	}

	// Send 1.2 s of a 1 kHz tone in PCMU; every packet must come back.
	const packets = 60
	sent := make(map[string]bool)
	echoes := make(chan rtp.Packet, packets)
	go func() {
		deadline := time.Now().Add(10 * time.Second)
		for range packets {
			pkt, _, ok := m.read(deadline)
			if !ok {
				break
			}
			echoes <- pkt
		}
		close(echoes)
	}()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	frame := make([]int16, 160)
	for i := range packets {
		for j := range frame {
			frame[j] = int16(8000 * math.Sin(2*math.Pi*1000*float64(i*160+j)/8000))
		}
		payload := g711.EncodeFrame(nil, frame, g711.EncodeULaw)
		sent[string(payload)] = true
		m.send(c.answer.Remote, rtp.Packet{
			Header:  rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: uint16(1000 + i), Timestamp: uint32(90000 + 160*i), SSRC: 0xCAFE, Marker: i == 0},
			Payload: payload,
		})
		<-tick.C
	}
	n := 0
	var prev rtp.Packet
	for pkt := range echoes {
		if !sent[string(pkt.Payload)] || pkt.PayloadType != 0 || pkt.SSRC == 0xCAFE {
			t.Fatalf("echo %v is not one of ours or keeps our SSRC", pkt.Header)
		}
		if n > 0 && (pkt.SequenceNumber != prev.SequenceNumber+1 || pkt.Timestamp != prev.Timestamp+160) {
			t.Errorf("echo %d: %v after %v", n, pkt.Header, prev.Header)
		}
		prev = pkt
		n++
	}
	if n != packets {
		t.Errorf("%d of %d packets echoed", n, packets)
	}

	call := d.callWhere(t, "600 measured", func(x apiCall) bool { return x.To == "600" && x.RxPackets == packets })
	if call.ToneRatio == nil || *call.ToneRatio < 0.8 || call.Codec != "PCMU" || call.RxBytes != packets*160 {
		t.Errorf("600 measured %+v", call)
	}
	// Amplitude 8000 of 32768: RMS -15.3 dBFS.
	if call.RxMaxDBFS == nil || math.Abs(*call.RxMaxDBFS+15.3) > 0.5 {
		t.Errorf("level %v dBFS, want -15.3", deref(call.RxMaxDBFS))
	}
	c.hangup(t)
	ended := d.callWhere(t, "600 ended", func(x apiCall) bool { return x.ID == call.ID && x.State == "ended" })
	if ended.EndedBy != "caller_bye" || ended.TxPackets != packets {
		t.Errorf("ended %+v", ended)
	}
}

func TestEchoOpusIsCountedNotMeasured(t *testing.T) {
	d := startDevpbx(t)
	p := newPhone(t, "1001", d.sip)
	m := newMedia(t)
	c, err := p.dial("600", pw1001, m.offer("111 0", "rtpmap:111 opus/48000/2", "fmtp:111 minptime=10;useinbandfec=1"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.answer.Codecs[0]; got.Name != "opus" || got.PayloadType != 111 || got.Channels != 2 || got.Fmtp == "" {
		t.Fatalf("answer %+v", got)
	}
	m.send(c.answer.Remote, rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SSRC: 5}, Payload: []byte("opus frame")})
	pkt, _, ok := m.read(time.Now().Add(5 * time.Second))
	if !ok || string(pkt.Payload) != "opus frame" || pkt.PayloadType != 111 {
		t.Fatalf("echo %v %q", pkt.Header, pkt.Payload)
	}
	call := d.callWhere(t, "opus counted", func(x apiCall) bool { return x.To == "600" && x.RxPackets == 1 })
	if call.Codec != "opus" || call.ToneRatio != nil || call.RxMaxDBFS != nil || call.RxBytes != 10 {
		t.Errorf("opus call %+v", call)
	}
	c.hangup(t)
}

func TestRejections(t *testing.T) {
	d := startDevpbx(t)
	p := newPhone(t, "1001", d.sip)
	m := newMedia(t)

	_, err := p.dial("699", pw1001, m.offer("0"))
	if code := responseCode(err); code != sip.StatusNotFound {
		t.Errorf("unknown number: %v", err)
	}
	_, err = p.dial("601", pw1001, m.offer("9 111", "rtpmap:111 opus/48000/2"))
	if code := responseCode(err); code != sip.StatusNotAcceptableHere {
		t.Errorf("601 without G.711: %v", err)
	}
	_, err = p.dial("600", "wrong", m.offer("0"))
	if code := responseCode(err); code != sip.StatusForbidden {
		t.Errorf("wrong password: %v", err)
	}
	var failures map[string]int
	if d.get(t, "/api/auth_failures", &failures); failures["1001"] != 1 {
		t.Errorf("failures %v", failures)
	}
	// The call log notes a rejected call's end just after its answer went out: wait for it.
	calls := eventually(t, "both rejections logged", func() ([]apiCall, bool) {
		calls := d.calls(t)
		return calls, len(calls) == 2 && calls[1].State == "ended"
	})
	if calls[0].Status != 404 || calls[1].Status != 488 || calls[0].EndedBy != "pbx" {
		t.Errorf("calls %+v", calls)
	}
}

func TestCancelWhileRinging(t *testing.T) {
	d := startDevpbx(t, "-ring", "1m")
	p := newPhone(t, "1001", d.sip)
	m := newMedia(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sess, err := p.dialogs.Invite(ctx, p.uri("600"), m.offer("0"), sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		t.Fatal(err)
	}
	var codes []int
	err = sess.WaitAnswer(ctx, sipgo.AnswerOptions{
		Username: "1001", Password: pw1001,
		OnResponse: func(r *sip.Response) error {
			codes = append(codes, r.StatusCode)
			if r.StatusCode == sip.StatusRinging {
				cancel() // WaitAnswer sends CANCEL and waits for the 487
			}
			return nil
		},
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitAnswer: %v (responses %v)", err, codes)
	}
	if sess.InviteResponse.StatusCode != sip.StatusRequestTerminated {
		t.Errorf("final response %s", sess.InviteResponse.StartLine())
	}
	c := d.callWhere(t, "cancelled call", func(x apiCall) bool { return x.State == "ended" })
	if c.EndedBy != "caller_cancel" || c.Status != 487 || c.AnsweredAt != nil {
		t.Errorf("call %+v", c)
	}
}

func TestShutdownHangsUp(t *testing.T) {
	d := startDevpbx(t)
	p := newPhone(t, "1001", d.sip)
	m := newMedia(t)
	c, err := p.dial("601", pw1001, m.offer("0"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := m.read(time.Now().Add(5 * time.Second)); !ok {
		t.Fatal("no tone")
	}
	if err := d.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	select {
	case h := <-p.byes:
		bye := h.req
		if bye.Source() != d.sip.String() {
			t.Errorf("BYE from %s, not from devpbx's SIP socket %s", bye.Source(), d.sip)
		}
		if bye.CallID().Value() != c.sess.InviteRequest.CallID().Value() {
			t.Errorf("BYE for another call")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no BYE when devpbx stopped")
	}
}

func TestOptionsJunkAndTCP(t *testing.T) {
	d := startDevpbx(t)
	// Garbage on the SIP port must not hurt.
	junk, err := net.Dial("udp", d.sip.String())
	if err != nil {
		t.Fatal(err)
	}
	defer junk.Close()
	for _, msg := range []string{"\x00\x01garbage", "INVITE sip:600@x SIP/2.0\r\n\r\n", "SIP/2.0 200 OK\r\nVia: nonsense\r\n\r\n", "OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK1\r\nCSeq: 1 OPTIONS\r\n\r\n"} {
		if _, err := junk.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
	}

	p := newPhone(t, "1001", d.sip)
	for _, transport := range []string{"UDP", "TCP"} {
		req := sip.NewRequest(sip.OPTIONS, p.uri(""))
		req.SetTransport(transport)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var res *sip.Response
		if transport == "UDP" {
			res, err = p.client.Do(ctx, req)
		} else {
			// Over TCP the request must not be pinned to the phone's UDP socket.
			ua, _ := sipgo.NewUA()
			defer ua.Close()
			cl, _ := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
			res, err = cl.Do(ctx, req)
		}
		cancel()
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("OPTIONS over %s: %v %v", transport, res, err)
		}
	}
	res, err := http.Get(d.base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(body) != "ok" {
		t.Errorf("healthz %q", body)
	}
}

func TestDefaultUsersArePrinted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncbuf.Buffer{}
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, []string{"-sip", "127.0.0.1:0", "-http", "127.0.0.1:0"}, out, io.Discard) }()
	eventually(t, "ready line", func() (string, bool) { s := out.String(); return s, strings.Contains(s, "devpbx ready") })
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !regexp.MustCompile(`^user 1001 password \S{12,}$`).MatchString(lines[0]) ||
		!strings.HasPrefix(lines[1], "user 1002 password ") || !readyRE.MatchString(lines[2]) {
		t.Errorf("stdout %q", lines)
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-sip", "0.0.0.0:0"},
		{"-sip", "localhost:5060"},
		{"-users", filepath.Join(t.TempDir(), "missing")},
		{"extra"},
	} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

func TestHoldAndResume(t *testing.T) {
	d := startDevpbx(t)
	p := newPhone(t, "1001", d.sip)
	m := newMedia(t)
	c, err := p.dial("601", pw1001, m.offer("0"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := m.read(time.Now().Add(5 * time.Second)); !ok {
		t.Fatal("no tone")
	}
	reinvite := func(direction string) sdpanswer.Offer {
		t.Helper()
		body := strings.Replace(string(m.offer("0")), "a=sendrecv", "a="+direction, 1)
		req := sip.NewRequest(sip.INVITE, c.sess.InviteResponse.Contact().Address)
		req.SetBody([]byte(body))
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		res, err := c.sess.Do(ctx, req)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("re-INVITE %s: %v %v", direction, res, err)
		}
		ack := sip.NewRequest(sip.ACK, c.sess.InviteResponse.Contact().Address)
		if err := c.sess.WriteRequest(ack); err != nil {
			t.Fatal(err)
		}
		a, err := sdpanswer.ParseOffer(res.Body())
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	if a := reinvite("sendonly"); a.Direction != sdpanswer.RecvOnly {
		t.Errorf("hold answered %s", a.Direction)
	}
	// Drain what was in flight, then nothing more may come while held.
	for {
		if _, _, ok := m.read(time.Now().Add(200 * time.Millisecond)); !ok {
			break
		}
	}
	if a := reinvite("sendrecv"); a.Direction != sdpanswer.SendRecv {
		t.Errorf("resume answered %s", a.Direction)
	}
	if pkt, _, ok := m.read(time.Now().Add(5 * time.Second)); !ok || !pkt.Marker {
		t.Errorf("after resume: %v %v", ok, pkt.Header)
	}
	c.hangup(t)
}

func TestDTMF(t *testing.T) {
	d := startDevpbx(t)
	p := newPhone(t, "1001", d.sip)
	m := newMedia(t)
	c, err := p.dial("600", pw1001, m.offer("0 101", "rtpmap:101 telephone-event/8000"))
	if err != nil {
		t.Fatal(err)
	}
	// RFC 4733 digit 1: three packets of one event.
	for i, flags := range []byte{0x0a, 0x0a, 0x8a} {
		m.send(c.answer.Remote, rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: uint16(i), Timestamp: 800, SSRC: 3}, Payload: []byte{1, flags, 0, 160}})
	}
	d.callWhere(t, "RTP digit", func(x apiCall) bool { return x.DTMF == "1" })
	// SIP INFO digit 2.
	info := sip.NewRequest(sip.INFO, c.sess.InviteResponse.Contact().Address)
	info.SetBody([]byte("Signal=2\r\nDuration=160\r\n"))
	info.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if res, err := c.sess.Do(ctx, info); err != nil || res.StatusCode != 200 {
		t.Fatalf("INFO: %v %v", res, err)
	}
	d.callWhere(t, "INFO digit", func(x apiCall) bool { return x.DTMF == "12" })
	c.hangup(t)
}

func TestByeWhileRinging(t *testing.T) {
	d := startDevpbx(t, "-ring", "1m")
	p := newPhone(t, "1001", d.sip)
	m := newMedia(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sess, err := p.dialogs.Invite(ctx, p.uri("601"), m.offer("0"), sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		t.Fatal(err)
	}
	var byeErr error
	err = sess.WaitAnswer(ctx, sipgo.AnswerOptions{
		Username: "1001", Password: pw1001,
		OnResponse: func(r *sip.Response) error {
			if r.StatusCode == sip.StatusRinging {
				// RFC 3261 15: a caller may end an early dialog with BYE.
				byeErr = sess.Bye(ctx)
			}
			return nil
		},
	})
	if byeErr != nil {
		t.Fatalf("BYE: %v", byeErr)
	}
	// sipgo's WriteBye terminates the INVITE client transaction, so depending on
	// timing WaitAnswer ends with devpbx's 487 or with "transaction terminated" (the
	// 487 then arrives as an unhandled response, or is absorbed). devpbx's side is
	// checked below.
	if err == nil {
		t.Error("INVITE answered after BYE")
	}
	c := d.callWhere(t, "ended", func(x apiCall) bool { return x.State == "ended" })
	if c.EndedBy != "caller_bye" || c.Status != 487 {
		t.Errorf("call %+v", c)
	}
}
