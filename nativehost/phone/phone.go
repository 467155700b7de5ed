package phone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"reflect"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/tabphone/tabphone/media"
	"github.com/tabphone/tabphone/nativehost/config"
)

// Events receives what the phone reports. Methods are called without any phone lock
// held, from the phone's goroutines.
type Events interface {
	// StateChanged says the snapshot (accounts, calls) changed.
	StateChanged()
	// CallChanged reports one call's new state.
	CallChanged(CallInfo)
	// WebRTCAnswer delivers the browser leg's answer for a call, or why there is none.
	WebRTCAnswer(callID, sdp string, err error)
	// WebRTCRestart asks the softphone window for a new offer for a call: the browser
	// leg must be built again (the PBX leg's codec changed).
	WebRTCRestart(callID string)
	// Incoming announces a new ringing call (after its CallChanged).
	Incoming(CallInfo)
	// Beep says an auto-answered call was just connected: the window plays the beep.
	Beep(callID string)
}

// Options configure a Phone; the zero value of each field means the default.
type Options struct {
	Log       *slog.Logger
	UserAgent string
	// Media decides the browser leg's addresses; nil looks at the machine's.
	Media *media.BrowserNet
	// PongTimeout: a keepalive ping without a pong within it means the connection has
	// failed (RFC 5626 4.4.1), once the server has shown that it answers pings; zero:
	// 10 s.
	PongTimeout time.Duration
	// SessionTimeUnit is how long one second of a Session-Expires interval (RFC 4028)
	// lasts; zero: a second. Tests shorten it to run the timers in milliseconds.
	SessionTimeUnit time.Duration
	// SubscribeRetry is the first wait after a busy lamp's SUBSCRIBE failed (it
	// doubles up to 5 minutes, jittered); zero: 2 s.
	SubscribeRetry time.Duration
}

// Defaults of Options.
const (
	defaultPongTimeout     = 10 * time.Second
	defaultSessionTimeUnit = time.Second
)

// Phone is the SIP user agent with its accounts and calls.
type Phone struct {
	log         *slog.Logger
	events      Events
	bnet        *media.BrowserNet
	pongTimeout time.Duration // Options.PongTimeout
	sessionUnit time.Duration // Options.SessionTimeUnit
	blfRetry    time.Duration // Options.SubscribeRetry

	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	udp     *flow // the shared UDP socket's flow
	conn    net.PacketConn
	localIP net.IP
	streams map[string]*streamListener // connections the accounts dial, served by sipgo
	udpByIP map[string]*flow           // UDP sockets of accounts on other interfaces, by IP

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // account loops and calls
	nextID atomic.Uint64

	mu        sync.Mutex
	accounts  []*account
	defaultID string // the account Dial("") uses: config's default_account, else the first
	calls     map[string]*call
	strangers strangerLog // refused requests from strangers, logged sparingly
	closed    bool
	status    Status
	route     func(server string) (net.IP, error) // nil: the routing table (tests move it)
}

// New starts the user agent on the interface that faces the first account's server and
// starts registering every account in cfg.
func New(cfg *config.Config, ev Events, opts Options) (*Phone, error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "Tabphone"
	}
	if opts.Media == nil {
		opts.Media = media.NewBrowserNet()
	}
	if opts.PongTimeout <= 0 {
		opts.PongTimeout = defaultPongTimeout
	}
	if opts.SubscribeRetry <= 0 {
		opts.SubscribeRetry = blfRetryFirst
	}
	if opts.SessionTimeUnit <= 0 {
		opts.SessionTimeUnit = defaultSessionTimeUnit
	}
	p := &Phone{log: opts.Log, events: ev, bnet: opts.Media, pongTimeout: opts.PongTimeout, sessionUnit: opts.SessionTimeUnit, blfRetry: opts.SubscribeRetry,
		calls: map[string]*call{}, status: StatusFromConfig(cfg.Status), defaultID: cfg.DefaultAccount}
	p.ctx, p.cancel = context.WithCancel(context.Background())

	localIP := net.IPv4(127, 0, 0, 1)
	if len(cfg.Accounts) > 0 {
		srv, err := serverOf(cfg.Accounts[0])
		if err != nil {
			return nil, err
		}
		if ip, err := media.LocalIPFor(srv.Addr()); err == nil {
			localIP = ip
		}
	}
	if err := p.listen(localIP, opts.UserAgent); err != nil {
		return nil, err
	}
	p.setTraces(cfg)
	for _, a := range cfg.Accounts {
		acc, err := newAccount(p, a)
		if err != nil {
			p.Close(context.Background())
			return nil, err
		}
		p.mu.Lock() // the SIP socket already serves: an INVITE may look for the account
		p.accounts = append(p.accounts, acc)
		p.mu.Unlock()
	}
	for _, acc := range p.accounts {
		p.startAccount(acc)
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.watchResume(p.ctx)
	}()
	return p, nil
}

// startAccount runs an account's registration loop until the phone closes or the
// account is replaced.
func (p *Phone) startAccount(acc *account) {
	ctx, cancel := context.WithCancel(p.ctx)
	acc.stop = cancel
	acc.done = make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(acc.done)
		acc.run(ctx)
	}()
	p.startMWI(ctx, acc)
	p.startBLF(ctx, acc)
	if acc.cfg.Keepalive > 0 {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			acc.keepalive(ctx, time.Duration(acc.cfg.Keepalive)*time.Second)
		}()
	}
}

// UpdateAccounts applies a new config's accounts: accounts whose settings changed (or
// that are new) register afresh, removed ones unregister, unchanged ones are left alone.
// Calls in progress stay up: they keep the account they were made with.
func (p *Phone) UpdateAccounts(cfg *config.Config) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	old := map[string]*account{}
	for _, a := range p.accounts {
		old[a.cfg.ID] = a
	}
	p.status = StatusFromConfig(cfg.Status)
	p.defaultID = cfg.DefaultAccount
	p.mu.Unlock()
	p.setTraces(cfg)

	var next, started []*account
	for _, c := range cfg.Accounts {
		if a, ok := old[c.ID]; ok && reflect.DeepEqual(a.cfg, c) {
			next = append(next, a)
			delete(old, c.ID)
			continue
		}
		a, err := newAccount(p, c)
		if err != nil {
			return err
		}
		next = append(next, a)
		started = append(started, a)
	}
	// Replaced and removed accounts unregister before their successors register, so the
	// registrar never holds both bindings.
	for _, a := range old {
		a.stop()
		<-a.done
	}
	p.mu.Lock()
	p.accounts = next
	p.mu.Unlock()
	for _, a := range started {
		p.startAccount(a)
	}
	p.events.StateChanged()
	return nil
}

func (p *Phone) listen(ip net.IP, name string) error {
	conn, err := net.ListenPacket("udp", net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		return fmt.Errorf("open SIP socket on %s: %w", ip, err)
	}
	addr := conn.LocalAddr().(*net.UDPAddr)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(name), sipgo.WithUserAgentHostname(ip.String()),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(p.log)))
	if err != nil {
		conn.Close()
		return fmt.Errorf("new SIP user agent: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(p.log))
	if err != nil {
		ua.Close()
		conn.Close()
		return fmt.Errorf("new SIP server: %w", err)
	}
	// Requests must leave from the listening socket, so replies and in-dialog requests
	// come back to it (sipgo otherwise dials from a new port).
	p.ua, p.srv, p.conn, p.localIP = ua, srv, conn, ip
	udp, err := p.newFlow(netUDP, &net.TCPAddr{IP: ip, Port: addr.Port})
	if err != nil {
		ua.Close()
		conn.Close()
		return err
	}
	p.udp = udp
	p.serveStreams()

	p.serve(srv) // router.go
	go func() {
		if err := srv.ServeUDP(conn); err != nil && !errors.Is(err, net.ErrClosed) {
			p.log.Error("SIP socket stopped", "err", err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), listenTimeout)
	defer cancel()
	if err := p.waitServing(ctx, netUDP, addr.String(), nil); err != nil {
		p.Close(context.Background())
		return fmt.Errorf("SIP socket: %w", err)
	}
	p.log.Info("SIP listening", "addr", addr.String())
	return nil
}

// listenTimeout bounds waiting for sipgo to take the SIP socket into service.
const listenTimeout = 2 * time.Second

func respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string) {
	_ = tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil))
}

// flows lists the UDP flow and every account's and call's current flow: in-dialog
// requests are matched against each one's dialogs.
func (p *Phone) flows() []*flow {
	out := []*flow{p.udp}
	seen := map[*flow]bool{p.udp: true}
	p.mu.Lock()
	accs := append([]*account(nil), p.accounts...)
	for _, c := range p.calls {
		if c.fl != nil && !seen[c.fl] {
			seen[c.fl] = true
			out = append(out, c.fl)
		}
	}
	p.mu.Unlock()
	for _, a := range accs {
		if f := a.currentFlow(); f != nil && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// Status is Available or DND.
func (p *Phone) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status
}

// SetStatus switches between Available and DND (Do not disturb: every incoming call is
// rejected with the account's code and reported as missed).
func (p *Phone) SetStatus(s Status) error {
	if s != Available && s != DND {
		return fmt.Errorf("%w: %d", ErrBadStatus, s)
	}
	p.mu.Lock()
	changed := p.status != s
	p.status = s
	p.mu.Unlock()
	if changed {
		p.events.StateChanged()
	}
	return nil
}

// Snapshot returns the accounts and live calls.
func (p *Phone) Snapshot() ([]AccountState, []CallInfo) {
	p.mu.Lock()
	accs := append([]*account(nil), p.accounts...)
	defaultID := p.defaultID
	calls := make([]*call, 0, len(p.calls))
	for _, c := range p.calls {
		calls = append(calls, c)
	}
	p.mu.Unlock()
	def := defaultAccount(accs, defaultID)
	as := make([]AccountState, 0, len(accs))
	for _, a := range accs {
		st := a.state()
		st.Default = a == def
		as = append(as, st)
	}
	cs := make([]CallInfo, 0, len(calls))
	for _, c := range calls {
		cs = append(cs, c.info())
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].StartedAt.Before(cs[j].StartedAt) })
	return as, cs
}

// account finds an account by id; "" is the default account.
func (p *Phone) account(id string) (*account, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if id == "" {
		if a := defaultAccount(p.accounts, p.defaultID); a != nil {
			return a, nil
		}
		return nil, fmt.Errorf("%w: there is no account", ErrNoAccount)
	}
	for _, a := range p.accounts {
		if a.cfg.ID == id {
			return a, nil
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrNoAccount, id)
}

// defaultAccount is the account named id (config's default_account, which config
// checked names one), else the first; nil without accounts.
func defaultAccount(accs []*account, id string) *account {
	for _, a := range accs {
		if a.cfg.ID == id {
			return a
		}
	}
	if len(accs) > 0 {
		return accs[0]
	}
	return nil
}

// goTracked runs f on its own goroutine, which Close waits for, unless the phone is
// closing (false).
func (p *Phone) goTracked(f func()) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		f()
	}()
	return true
}

func (p *Phone) newCallID() string { return "c" + strconv.FormatUint(p.nextID.Add(1), 10) }

// Close ends every call (CANCEL or BYE), unregisters every account and stops the user
// agent. It returns when that is done or ctx ends, whichever is first.
func (p *Phone) Close(ctx context.Context) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	calls := make([]*call, 0, len(p.calls))
	for _, c := range p.calls {
		calls = append(calls, c)
	}
	p.mu.Unlock()
	for _, c := range calls {
		c.requestHangup()
	}
	p.cancel() // account loops unregister on their way out
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		p.log.Warn("closing the phone took too long", "err", ctx.Err())
	}
	for _, l := range p.streams {
		l.Close()
	}
	for _, f := range p.flows() {
		f.close()
	}
	p.closeUDPSockets()
	p.srv.Close()
	p.ua.Close()
	p.conn.Close()
	p.stopTraces()
}
