package phone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/devpbxtest"
	"github.com/tabphone/tabphone/internal/kamailiotest"
	"github.com/tabphone/tabphone/media"
	"github.com/tabphone/tabphone/nativehost/config"
)

// stateLog is the event log plus the phone's log messages with their times.
type stateLog struct {
	eventLog
	smu  sync.Mutex
	logs []stateAt // the phone's log messages
}

type stateAt struct {
	at  time.Time
	reg string
}

// logRec keeps the times of the phone's log messages.
type logRec struct {
	mu   *sync.Mutex
	msgs *[]stateAt // reg holds the message
}

func (h logRec) Enabled(context.Context, slog.Level) bool { return true }
func (h logRec) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	*h.msgs = append(*h.msgs, stateAt{r.Time, r.Message})
	h.mu.Unlock()
	return nil
}
func (h logRec) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h logRec) WithGroup(string) slog.Handler      { return h }

// logged returns when the phone logged msg.
func (s *stateLog) logged(msg string) []time.Time {
	s.smu.Lock()
	defer s.smu.Unlock()
	var out []time.Time
	for _, m := range s.logs {
		if m.reg == msg {
			out = append(out, m.at)
		}
	}
	return out
}

// phoneWith starts a phone with the given accounts JSON.
func phoneWith(t *testing.T, accounts string, opts ...func(*Options)) (*Phone, *stateLog) {
	t.Helper()
	cfg, err := config.Parse([]byte(`{"accounts":[` + accounts + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	ev := &stateLog{}
	o := Options{Log: slog.New(logRec{mu: &ev.smu, msgs: &ev.logs}), Media: &media.BrowserNet{LocalIPs: []net.IP{net.IPv4(127, 0, 0, 1)}}}
	for _, f := range opts {
		f(&o)
	}
	p, err := New(cfg, ev, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p, ev
}

func stateOf(p *Phone, id string) AccountState {
	as, _ := p.Snapshot()
	for _, a := range as {
		if a.ID == id {
			return a
		}
	}
	return AccountState{}
}

func accountJSON(id, user, pw, server, transport, extra string) string {
	return fmt.Sprintf(`{"id":%q,"user":%q,"password":%q,"domain":"127.0.0.1","registrar":%q,"transport":%q,"codecs":["pcmu"]%s}`,
		id, user, pw, server, transport, extra)
}

func waitRegistered(t *testing.T, p *Phone, id string, within time.Duration) {
	t.Helper()
	devpbxtest.WaitFor(t, id+" registered", within, func() bool { return stateOf(p, id).Registration == RegRegistered })
}

// flowOf is the account's current flow.
func flowOf(t *testing.T, p *Phone, id string) *flow {
	t.Helper()
	a, err := p.account(id)
	if err != nil {
		t.Fatal(err)
	}
	return a.currentFlow()
}

// TestRegisterAndRingOverEachTransport registers over UDP, TCP, TLS (the test CA in
// tls_ca_file), WS and WSS at Kamailio, sees the REGISTER arrive over that transport from
// the flow's own address, and takes a call from Kamailio over the same flow. Kamailio
// pings idle WebSockets every 2 s here: the WS flows must survive that.
func TestRegisterAndRingOverEachTransport(t *testing.T) {
	k := kamailiotest.StartOpts(t, kamailiotest.Options{Password: "pw-t", MaxExpires: 300, Transports: true, WSKeepalive: 2})
	servers := map[string]string{"udp": k.Addr, "tcp": k.TCP, "tls": k.TLS, "ws": k.WS, "wss": k.WSS}
	for _, tp := range []string{"udp", "tcp", "tls", "ws", "wss"} {
		t.Run(tp, func(t *testing.T) {
			// This Kamailio has no WebRTC gateway: sipp's plain RTP/AVP offer reaches the
			// phone as is, so the account says plain media ("auto" would be dtls over WS).
			extra := `,"srtp":"off"`
			if tp == "tls" || tp == "wss" {
				extra += fmt.Sprintf(`,"tls_ca_file":%q`, k.CAFile)
			}
			before := len(k.Registers())
			p, ev := phoneWith(t, accountJSON("a", "1001", "pw-t", servers[tp], tp, extra))
			waitRegistered(t, p, "a", 10*time.Second)
			if st := stateOf(p, "a"); st.Transport != tp {
				t.Fatalf("state transport %q", st.Transport)
			}
			regs := k.Registers()[before:]
			if len(regs) == 0 || regs[len(regs)-1].Proto != tp {
				t.Fatalf("Kamailio saw %+v, want a REGISTER over %s", regs, tp)
			}
			f := flowOf(t, p, "a")
			want := p.conn.LocalAddr().String()
			if tp != "udp" {
				want = f.conn.LocalAddr().String()
			}
			last := regs[len(regs)-1]
			if last.Source != want {
				t.Fatalf("REGISTER came from %s, want the flow's %s", last.Source, want)
			}
			// Contact names the flow with its transport (RFC 7118: "ws" for WSS too), Via the
			// transport itself, with rport.
			wantContact := "<sip:1001@" + want + map[string]string{"udp": "", "tcp": ";transport=tcp", "tls": ";transport=tls",
				"ws": ";transport=ws", "wss": ";transport=ws"}[tp] + ">"
			if last.Contact != wantContact {
				t.Fatalf("Contact %s, want %s", last.Contact, wantContact)
			}
			if !strings.HasPrefix(last.Via, "SIP/2.0/"+strings.ToUpper(tp)+" "+want+";") || !strings.Contains(last.Via, ";rport") {
				t.Fatalf("Via %s, want SIP/2.0/%s %s with rport", last.Via, strings.ToUpper(tp), want)
			}

			// A call from Kamailio over the flow; the phone answers and hangs up, so its 200,
			// and its BYE go back over the flow too.
			done := sipp(t, "invite_callee_hangs_up.xml", k.Addr, 0)
			devpbxtest.WaitFor(t, "incoming call over "+tp, 10*time.Second, func() bool { _, ok := ev.firstIncoming(); return ok })
			in, _ := ev.firstIncoming()
			if err := p.Answer(in.ID); err != nil {
				t.Fatal(err)
			}
			devpbxtest.WaitFor(t, "connected", 5*time.Second, func() bool { c, _ := ev.lastCall(in.ID); return c.State == CallConnected })
			if err := p.Hangup(in.ID); err != nil {
				t.Fatal(err)
			}
			wait(t, "caller gets the answer and our BYE through Kamailio", done)
			sent := k.Sent("INVITE")
			if len(sent) == 0 || !strings.HasSuffix(sent[len(sent)-1], " "+want) {
				t.Fatalf("Kamailio sent the INVITE to %v, want our flow %s", sent, want)
			}
			if byes := k.Received("BYE"); len(byes) == 0 || byes[len(byes)-1] != tp+" "+want {
				t.Fatalf("Kamailio received the BYE as %v, want %s from %s", byes, tp, want)
			}
			if tp == "ws" || tp == "wss" {
				// Idle for more than Kamailio's keepalive_timeout: it pings, gorilla pongs,
				// the flow stays.
				t0 := time.Now()
				devpbxtest.WaitFor(t, "two of Kamailio's ping periods", 10*time.Second, func() bool { return time.Since(t0) > 4500*time.Millisecond })
				if g := flowOf(t, p, "a"); g != f {
					t.Fatal("the WebSocket flow was replaced after Kamailio's pings")
				}
				select {
				case <-f.lost():
					t.Fatal("the WebSocket closed after Kamailio's pings")
				default:
				}
			}
		})
	}
}

// TestRefreshSeenOnTheWire: with a 5 s registration the phone refreshes about every
// second, over the same TCP connection, with the same Call-ID and a growing CSeq.
func TestRefreshSeenOnTheWire(t *testing.T) {
	k := kamailiotest.StartOpts(t, kamailiotest.Options{Password: "pw-r", MaxExpires: 5, Transports: true})
	p, _ := phoneWith(t, accountJSON("a", "1001", "pw-r", k.TCP, "tcp", ""))
	waitRegistered(t, p, "a", 10*time.Second)
	devpbxtest.WaitFor(t, "three REGISTERs", 10*time.Second, func() bool { return len(k.Registers()) >= 3 })
	regs := k.Registers()
	for i, r := range regs {
		t.Logf("REGISTER %d: %+v", i, r)
		if r.Proto != "tcp" || r.CallID != regs[0].CallID || r.Source != regs[0].Source || r.Expires != "300" {
			t.Fatalf("refresh %d differs: %+v vs %+v", i, r, regs[0])
		}
		if i > 0 && r.CSeq <= regs[i-1].CSeq {
			t.Fatalf("CSeq did not grow: %d after %d", r.CSeq, regs[i-1].CSeq)
		}
	}
}

// TestTLSRefusesAnUnknownCA: trusting another CA, the phone refuses Kamailio's
// certificate and says so; there is no "insecure" fallback.
func TestTLSRefusesAnUnknownCA(t *testing.T) {
	k := kamailiotest.StartOpts(t, kamailiotest.Options{Password: "pw-c", MaxExpires: 300, Transports: true})
	other, err := kamailiotest.WriteOtherCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p, _ := phoneWith(t, accountJSON("a", "1001", "pw-c", k.TLS, "tls", fmt.Sprintf(`,"tls_ca_file":%q`, other)))
	devpbxtest.WaitFor(t, "registration failure", 10*time.Second, func() bool { return stateOf(p, "a").Registration == RegFailed })
	st := stateOf(p, "a")
	var ce *CertificateError
	if !errors.As(st.Err, &ce) {
		t.Fatalf("error %v, want a certificate error", st.Err)
	}
	t.Logf("state says: %v", st.Err)
	if n := len(k.Registers()); n != 0 {
		t.Fatalf("%d REGISTERs reached Kamailio over an unverified TLS connection", n)
	}
}

// TestTwoAccountsOnTwoTransports: a UDP account and a TCP account at the same Kamailio
// each register their own Contact, and a call for the TCP one comes over its connection.
func TestTwoAccountsOnTwoTransports(t *testing.T) {
	k := kamailiotest.StartOpts(t, kamailiotest.Options{Password: "pw-2", MaxExpires: 300, Transports: true})
	p, ev := phoneWith(t, accountJSON("tcp", "1001", "pw-2", k.TCP, "tcp", "")+","+accountJSON("udp", "1002", "pw-2", k.Addr, "udp", ""))
	waitRegistered(t, p, "tcp", 10*time.Second)
	waitRegistered(t, p, "udp", 10*time.Second)
	tcpAddr := flowOf(t, p, "tcp").conn.LocalAddr().String()
	srcs := map[string]string{}
	for _, r := range k.Registers() {
		srcs[r.Proto] = r.Source
	}
	if srcs["tcp"] != tcpAddr || srcs["udp"] != p.conn.LocalAddr().String() {
		t.Fatalf("REGISTER sources %v, want tcp %s and udp %s", srcs, tcpAddr, p.conn.LocalAddr())
	}
	done := sipp(t, "invite_answered.xml", k.Addr, 0) // calls 1001, the TCP account
	devpbxtest.WaitFor(t, "incoming call", 10*time.Second, func() bool { _, ok := ev.firstIncoming(); return ok })
	in, _ := ev.firstIncoming()
	if in.Account != "tcp" {
		t.Fatalf("call for account %q", in.Account)
	}
	if err := p.Answer(in.ID); err != nil {
		t.Fatal(err)
	}
	wait(t, "caller's scenario (answer, ACK, BYE over TCP)", done)
	devpbxtest.WaitFor(t, "call ended by the caller's BYE", 5*time.Second, func() bool { c, ok := endedWith(&ev.eventLog, in.ID); return ok && !c.AnsweredAt.IsZero() })
	sent := k.Sent("INVITE")
	if len(sent) == 0 || sent[len(sent)-1] != "tcp "+tcpAddr {
		t.Fatalf("Kamailio sent the INVITE as %v, want tcp to %s", sent, tcpAddr)
	}
	if byes := k.Sent("BYE"); len(byes) == 0 || byes[len(byes)-1] != "tcp "+tcpAddr {
		t.Fatalf("Kamailio sent the BYE as %v, want tcp to %s", byes, tcpAddr)
	}

	// The TCP account calls the UDP one through Kamailio: INVITE, ACK and BYE leave over
	// the TCP connection, the UDP account is rung over UDP.
	id, err := p.Dial("tcp", "1002")
	if err != nil {
		t.Fatal(err)
	}
	var callee CallInfo
	devpbxtest.WaitFor(t, "the UDP account rings", 10*time.Second, func() bool {
		ev.mu.Lock()
		defer ev.mu.Unlock()
		for _, c := range ev.incoming {
			if c.Account == "udp" {
				callee = c
				return true
			}
		}
		return false
	})
	if err := p.Answer(callee.ID); err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "connected", 10*time.Second, func() bool { c, _ := ev.lastCall(id); return c.State == CallConnected })
	if err := p.Hangup(id); err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "the callee sees the BYE", 5*time.Second, func() bool { _, ok := endedWith(&ev.eventLog, callee.ID); return ok })
	for _, m := range []string{"INVITE", "ACK", "BYE"} {
		got := k.Received(m)
		if len(got) == 0 || got[len(got)-1] != "tcp "+tcpAddr {
			t.Fatalf("Kamailio received %s as %v, want the last over tcp from %s", m, got, tcpAddr)
		}
	}
	if sent := k.Sent("INVITE"); sent[len(sent)-1] != "udp "+p.conn.LocalAddr().String() {
		t.Fatalf("Kamailio rang the UDP account as %v", sent)
	}
}

// TestKamailioRestartReregistersWithBackoff: Kamailio dies while the phone is registered
// over TCP or WS. The phone sees the connection close, tries again at once, then
// after 5 s and 10 s (the backoff), and is registered again soon after Kamailio is back,
// without any intent from the UI.
func TestKamailioRestartReregistersWithBackoff(t *testing.T) {
	for _, tp := range []string{"tcp", "ws"} { // TLS closes like TCP
		t.Run(tp, func(t *testing.T) {
			t.Parallel()
			restartAndReregister(t, tp)
		})
	}
}

func restartAndReregister(t *testing.T, tp string) {
	k := kamailiotest.StartOpts(t, kamailiotest.Options{Password: "pw-b", MaxExpires: 300, Transports: true})
	server := map[string]string{"tcp": k.TCP, "tls": k.TLS, "ws": k.WS}[tp]
	p, ev := phoneWith(t, accountJSON("a", "1001", "pw-b", server, tp, fmt.Sprintf(`,"tls_ca_file":%q`, k.CAFile)))
	waitRegistered(t, p, "a", 10*time.Second)
	first := k.Registers()

	k.Stop() // SIGKILL, and waits until every Kamailio process is gone
	killed := time.Now()
	devpbxtest.WaitFor(t, "the phone notices the closed connection", 3*time.Second, func() bool {
		return stateOf(p, "a").Registration != RegRegistered
	})
	noticed := time.Since(killed)
	// Down long enough for the immediate attempt and the one after 5 s to fail. Each
	// failed attempt logs "register failed" once (state snapshots may skip a short-lived
	// "registering").
	devpbxtest.WaitFor(t, "two failed attempts", 10*time.Second, func() bool { return len(ev.logged("register failed")) >= 2 })
	k.Start(t)
	restarted := time.Now()
	waitRegistered(t, p, "a", 20*time.Second)
	registered := time.Now()
	fails := ev.logged("register failed")
	gaps := []time.Duration{fails[1].Sub(fails[0]).Round(10 * time.Millisecond), registered.Sub(fails[1]).Round(10 * time.Millisecond)}
	t.Logf("noticed the closed connection %v after the kill; failed attempts %d, then gaps %v to the next attempt and to registered; registered %v after Kamailio was back",
		noticed, len(fails), gaps, registered.Sub(restarted).Round(time.Millisecond))
	if d := fails[0].Sub(killed); d > 2*time.Second {
		t.Fatalf("first attempt failed %v after the kill, want at once", d)
	}
	if len(fails) != 2 || gaps[0] < 4900*time.Millisecond || gaps[0] > 6*time.Second || gaps[1] < 9900*time.Millisecond || gaps[1] > 11*time.Second {
		t.Fatalf("%d failures, gaps %v, want 2 failures, then 5 s and 10 s", len(fails), gaps)
	}
	regs := k.Registers()
	last := regs[len(regs)-1]
	if len(regs) <= len(first) || last.Proto != tp || last.Source == first[len(first)-1].Source {
		t.Fatalf("no new REGISTER over a new %s connection after the restart: %+v", tp, regs)
	}
}

// TestKeepalivePongsFromKamailio: Kamailio answers our CRLF pings on TCP and our ping
// frames on WS, and the flow records the pongs.
func TestKeepalivePongsFromKamailio(t *testing.T) {
	k := kamailiotest.StartOpts(t, kamailiotest.Options{Password: "pw-k", MaxExpires: 300, Transports: true})
	p, _ := phoneWith(t, accountJSON("tcp", "1001", "pw-k", k.TCP, "tcp", `,"keepalive":1`)+","+
		accountJSON("ws", "1002", "pw-k", k.WS, "ws", `,"keepalive":1`))
	waitRegistered(t, p, "tcp", 10*time.Second)
	waitRegistered(t, p, "ws", 10*time.Second)
	tcp, ws := flowOf(t, p, "tcp"), flowOf(t, p, "ws")
	devpbxtest.WaitFor(t, "CRLF pong on TCP and pong frame on WS", 5*time.Second, func() bool {
		return tcp.conn.lastPong.Load() != 0 && ws.ws.lastPong.Load() != 0
	})
}

// TestKeepaliveClosesASilentConnection: a server that answered a ping once and then
// stops answering (a dead NAT binding, a hung server) gets its connection closed after
// the pong timeout.
func TestKeepaliveClosesASilentConnection(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	closed := make(chan time.Time, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 64)
		ponged := false
		for {
			n, err := c.Read(buf)
			if err != nil {
				closed <- time.Now()
				return
			}
			if !ponged && strings.Contains(string(buf[:n]), "\r\n\r\n") {
				ponged = true
				_, _ = c.Write([]byte("\r\n"))
			}
		}
	}()
	p, _ := phoneWith(t, accountJSON("a", "1001", "x", l.Addr().String(), "tcp", `,"register":false,"keepalive":1`),
		func(o *Options) { o.PongTimeout = 1500 * time.Millisecond })
	a, _ := p.account("a")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	f, err := a.ensureFlow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	select {
	case at := <-closed:
		t.Logf("closed %v after the connection opened", at.Sub(t0).Round(10*time.Millisecond))
		if f.conn.lastPong.Load() == 0 {
			t.Fatal("the one pong was not seen")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the silent connection was not closed")
	}
	select {
	case <-f.lost():
	case <-time.After(time.Second):
		t.Fatal("the flow does not report the closed connection")
	}
}

// TestUDPRestartFoundByRefresh: on UDP nothing tells the phone that Kamailio restarted
// and forgot the binding; the next refresh registers again (a 5 s expiry here: refresh
// after about 1 s), and calls reach the phone again.
func TestUDPRestartFoundByRefresh(t *testing.T) {
	k := kamailiotest.StartOpts(t, kamailiotest.Options{Password: "pw-u", MaxExpires: 5})
	p, ev := phoneWith(t, accountJSON("a", "1001", "pw-u", k.Addr, "udp", ""))
	waitRegistered(t, p, "a", 10*time.Second)
	k.Restart(t)
	before := len(k.Registers())
	restarted := time.Now()
	devpbxtest.WaitFor(t, "a refresh after the restart", 5*time.Second, func() bool { return len(k.Registers()) > before })
	t.Logf("registered again %v after the restart", time.Since(restarted).Round(10*time.Millisecond))
	done := sipp(t, "invite_rejected.xml", k.Addr, 486)
	devpbxtest.WaitFor(t, "incoming call after the restart", 10*time.Second, func() bool { _, ok := ev.firstIncoming(); return ok })
	in, _ := ev.firstIncoming()
	if err := p.Hangup(in.ID); err != nil {
		t.Fatal(err)
	}
	wait(t, "caller gets 486", done)
}

// TestUDPAccountsOnTwoInterfaces: an account whose server is reached from another local
// address than the first account's gets a SIP socket there, so its Contact and Via name
// that address, and its calls come to it.
func TestUDPAccountsOnTwoInterfaces(t *testing.T) {
	var other string
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			other = n.IP.String()
			break
		}
	}
	if other == "" {
		t.Skip("this machine has no address besides loopback")
	}
	k1 := kamailiotest.StartOpts(t, kamailiotest.Options{Password: "pw-i", MaxExpires: 300})
	k2 := kamailiotest.StartOpts(t, kamailiotest.Options{Password: "pw-i", MaxExpires: 300, IP: other})
	p, ev := phoneWith(t, accountJSON("lo", "1002", "pw-i", k1.Addr, "udp", "")+","+accountJSON("lan", "1001", "pw-i", k2.Addr, "udp", ""))
	waitRegistered(t, p, "lo", 10*time.Second)
	waitRegistered(t, p, "lan", 10*time.Second)
	lan := flowOf(t, p, "lan")
	if lan.pconn == nil || lan.ip.String() != other {
		t.Fatalf("the second account's flow is on %v, want a socket of its own on %s", lan.ip, other)
	}
	r1, r2 := k1.Registers(), k2.Registers()
	loAddr, lanAddr := p.conn.LocalAddr().String(), lan.pconn.LocalAddr().String()
	if r1[len(r1)-1].Contact != "<sip:1002@"+loAddr+">" || r2[len(r2)-1].Contact != "<sip:1001@"+lanAddr+">" || r2[len(r2)-1].Source != lanAddr {
		t.Fatalf("contacts %+v and %+v, want %s and %s", r1[len(r1)-1], r2[len(r2)-1], loAddr, lanAddr)
	}
	done := sipp(t, "invite_rejected.xml", k2.Addr, 486)
	devpbxtest.WaitFor(t, "incoming call on the second interface", 10*time.Second, func() bool { _, ok := ev.firstIncoming(); return ok })
	in, _ := ev.firstIncoming()
	if in.Account != "lan" {
		t.Fatalf("call for %q", in.Account)
	}
	if err := p.Hangup(in.ID); err != nil {
		t.Fatal(err)
	}
	wait(t, "caller gets 486", done)
	if sent := k2.Sent("INVITE"); len(sent) == 0 || sent[len(sent)-1] != "udp "+lanAddr {
		t.Fatalf("Kamailio sent the INVITE as %v, want udp to %s", sent, lanAddr)
	}
}

// TestTwoTCPAccountsAtOneServer: two accounts at the same server have a connection
// each; a call for the first comes over its connection, and our BYE leaves over it,
// although sipgo's pool knows the server's address only once.
func TestTwoTCPAccountsAtOneServer(t *testing.T) {
	k := kamailiotest.StartOpts(t, kamailiotest.Options{Password: "pw-2", MaxExpires: 300, Transports: true})
	p, ev := phoneWith(t, accountJSON("one", "1001", "pw-2", k.TCP, "tcp", "")+","+accountJSON("two", "1002", "pw-2", k.TCP, "tcp", ""))
	waitRegistered(t, p, "one", 10*time.Second)
	waitRegistered(t, p, "two", 10*time.Second)
	one, two := flowOf(t, p, "one").conn.LocalAddr().String(), flowOf(t, p, "two").conn.LocalAddr().String()
	if one == two {
		t.Fatalf("both accounts on %s", one)
	}
	done := sipp(t, "invite_callee_hangs_up.xml", k.Addr, 0) // calls 1001
	devpbxtest.WaitFor(t, "incoming", 10*time.Second, func() bool { _, ok := ev.firstIncoming(); return ok })
	in, _ := ev.firstIncoming()
	if err := p.Answer(in.ID); err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "connected", 5*time.Second, func() bool { c, _ := ev.lastCall(in.ID); return c.State == CallConnected })
	if err := p.Hangup(in.ID); err != nil {
		t.Fatal(err)
	}
	wait(t, "caller (answer, our BYE)", done)
	if sent, byes := k.Sent("INVITE"), k.Received("BYE"); sent[len(sent)-1] != "tcp "+one || byes[len(byes)-1] != "tcp "+one {
		t.Fatalf("INVITE sent %v, BYE received %v, want both on %s", sent, byes, one)
	}
}

// TestTransportChangeAppliesLive: switching an account from UDP to TLS in the config
// unregisters the UDP binding and registers over TLS, without a restart.
func TestTransportChangeAppliesLive(t *testing.T) {
	k := kamailiotest.StartOpts(t, kamailiotest.Options{Password: "pw-l", MaxExpires: 300, Transports: true})
	p, _ := phoneWith(t, accountJSON("a", "1001", "pw-l", k.Addr, "udp", ""))
	waitRegistered(t, p, "a", 10*time.Second)
	cfg, err := config.Parse([]byte(`{"accounts":[` + accountJSON("a", "1001", "pw-l", k.TLS, "tls", fmt.Sprintf(`,"tls_ca_file":%q`, k.CAFile)) + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.UpdateAccounts(cfg); err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "registered over TLS", 10*time.Second, func() bool {
		st := stateOf(p, "a")
		return st.Transport == "tls" && st.Registration == RegRegistered
	})
	var seq []string
	for _, r := range k.Registers() {
		seq = append(seq, r.Proto+"/"+r.Expires)
	}
	if strings.Join(seq, " ") != "udp/300 udp/0 tls/300" {
		t.Fatalf("REGISTERs %v, want udp/300 udp/0 tls/300", seq)
	}
}

// TestRegisterWithSHA256Digest: a registrar that challenges with algorithm=SHA-256
// (RFC 8760) gets an answer it accepts; a wrong password is still refused in words.
func TestRegisterWithSHA256Digest(t *testing.T) {
	k := kamailiotest.StartOpts(t, kamailiotest.Options{Password: "pw-sha", MaxExpires: 300, DigestAlgorithm: "SHA-256"})
	p, _ := phoneWith(t, accountJSON("good", "1001", "pw-sha", k.Addr, "udp", "")+","+accountJSON("bad", "1002", "wrong", k.Addr, "udp", ""))
	// The challenge on the wire names SHA-256 (Kamailio then checks the answer with it).
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	probe := fmt.Sprintf("REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-sha\r\nMax-Forwards: 70\r\n"+
		"From: <sip:1009@127.0.0.1>;tag=1\r\nTo: <sip:1009@127.0.0.1>\r\nCall-ID: sha@probe\r\nCSeq: 1 REGISTER\r\n"+
		"Contact: <sip:1009@%s>\r\nContent-Length: 0\r\n\r\n", conn.LocalAddr(), conn.LocalAddr())
	to, _ := net.ResolveUDPAddr("udp", k.Addr)
	if _, err := conn.WriteTo([]byte(probe), to); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := conn.ReadFrom(buf)
	if err != nil || !strings.Contains(string(buf[:n]), "algorithm=SHA-256") {
		t.Fatalf("challenge (%v): %s", err, buf[:n])
	}
	waitRegistered(t, p, "good", 10*time.Second)
	devpbxtest.WaitFor(t, "the wrong password refused", 10*time.Second, func() bool {
		return stateOf(p, "bad").Registration == RegFailed
	})
}

// TestWSPathOfThePBX: a PBX that takes WebSockets on one path only (Asterisk's /ws)
// refuses the handshake on "/"; the account's ws_path reaches it.
func TestWSPathOfThePBX(t *testing.T) {
	k := kamailiotest.StartOpts(t, kamailiotest.Options{Password: "pw-w", MaxExpires: 300, Transports: true, WSPath: "/ws"})
	p, _ := phoneWith(t, accountJSON("path", "1001", "pw-w", k.WS, "ws", `,"ws_path":"/ws"`)+","+
		accountJSON("root", "1002", "pw-w", k.WS, "ws", ""))
	waitRegistered(t, p, "path", 10*time.Second)
	devpbxtest.WaitFor(t, "the account without the path refused", 10*time.Second, func() bool {
		return stateOf(p, "root").Registration == RegFailed
	})
	if !strings.Contains(k.Log(), "WS-WRONG-PATH /") {
		t.Fatal("the handshake on / never reached the PBX")
	}
}
