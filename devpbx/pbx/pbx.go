// Package pbx assembles devpbx: the SIP listeners (UDP and TCP on one address), the
// registrar, the call handling with its test extensions, the outbound calls, and the
// HTTP server with the JSON API and the demo Dialer/PBX app.
package pbx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/tabphone/tabphone/devpbx/calllog"
	"github.com/tabphone/tabphone/devpbx/extensions"
	"github.com/tabphone/tabphone/devpbx/httpapi"
	"github.com/tabphone/tabphone/devpbx/registrar"
	"github.com/tabphone/tabphone/devpbx/sipauth"
	"github.com/tabphone/tabphone/devpbx/uac"
	"github.com/tabphone/tabphone/devpbx/uas"
	"github.com/tabphone/tabphone/devpbx/users"
	"github.com/tabphone/tabphone/devpbx/webapp"
)

// Defaults of Config.
const (
	DefaultSIP            = "127.0.0.1:5060"
	DefaultHTTP           = "127.0.0.1:8080"
	DefaultSessionTimeout = 30 * time.Minute
)

// ErrAddress means the SIP address is not a usable ip:port.
var ErrAddress = errors.New("pbx: SIP address must be a concrete IP and port, e.g. 127.0.0.1:5060")

// Config of a devpbx; Users is required, the zero value of the rest means defaults.
type Config struct {
	// SIP is the UDP (and TCP) listen address; RTP sockets are bound to its IP, which
	// is also what devpbx advertises in Contact and SDP, so it must be concrete.
	SIP string
	// HTTP is the listen address of the API and demo app.
	HTTP           string
	Users          *users.Directory
	SessionTimeout time.Duration
	// RingDelay is the wait between 180 Ringing and 200 OK for test extensions.
	RingDelay time.Duration
	Log       *slog.Logger
}

// PBX is a running devpbx.
type PBX struct {
	// SIPAddr and HTTPAddr are the bound addresses (with the real ports).
	SIPAddr  netip.AddrPort
	HTTPAddr netip.AddrPort
	// TCP tells whether SIP over TCP listens too.
	TCP bool

	log      *slog.Logger
	ua       *sipgo.UserAgent
	udp      net.PacketConn
	tcp      net.Listener
	http     *http.Server
	uas      *uas.Server
	uac      *uac.Dialer
	serving  sync.WaitGroup
	done     chan struct{}
	shutdown error
}

// Start listens and serves until ctx ends; Wait returns after the shutdown.
func Start(ctx context.Context, cfg Config) (*PBX, error) {
	if cfg.Users == nil {
		return nil, errors.New("pbx: no users")
	}
	if cfg.SIP == "" {
		cfg.SIP = DefaultSIP
	}
	if cfg.HTTP == "" {
		cfg.HTTP = DefaultHTTP
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = DefaultSessionTimeout
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	sipAddr, err := netip.ParseAddrPort(cfg.SIP)
	if err != nil || sipAddr.Addr().IsUnspecified() {
		return nil, fmt.Errorf("%w (got %q)", ErrAddress, cfg.SIP)
	}
	sipAddr = netip.AddrPortFrom(sipAddr.Addr().Unmap(), sipAddr.Port())

	udp, tcp, err := listenSIP(sipAddr, log)
	if err != nil {
		return nil, err
	}
	httpLn, err := net.Listen("tcp", cfg.HTTP)
	if err != nil {
		udp.Close()
		if tcp != nil {
			tcp.Close()
		}
		return nil, fmt.Errorf("http listen: %w", err)
	}

	p := &PBX{
		SIPAddr:  udp.LocalAddr().(*net.UDPAddr).AddrPort(),
		HTTPAddr: httpLn.Addr().(*net.TCPAddr).AddrPort(),
		TCP:      tcp != nil,
		log:      log,
		udp:      udp,
		tcp:      tcp,
		done:     make(chan struct{}),
	}
	ip := p.SIPAddr.Addr()

	sipLog := log.With("part", "sip")
	p.ua, err = sipgo.NewUA(
		sipgo.WithUserAgent("devpbx"),
		sipgo.WithUserAgentHostname(ip.String()),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(sipLog)),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(sipLog)),
	)
	if err != nil {
		p.closeListeners(httpLn)
		return nil, err
	}
	srv, err := sipgo.NewServer(p.ua, sipgo.WithServerLogger(sipLog))
	if err != nil {
		p.closeListeners(httpLn)
		return nil, err
	}
	client, err := sipgo.NewClient(p.ua, sipgo.WithClientHostname(ip.String()), sipgo.WithClientLogger(sipLog))
	if err != nil {
		p.closeListeners(httpLn)
		return nil, err
	}

	auth := sipauth.New(cfg.Users, log.With("part", "auth"))
	reg := registrar.New(auth, registrar.Options{Log: log.With("part", "registrar")})
	calls := calllog.New(0)
	p.uac = uac.New(ctx, uac.Config{
		SIP: p.SIPAddr, Registrar: reg, Calls: calls, Log: log.With("part", "outbound"),
	}, client, contacts(p.SIPAddr))
	p.uas = uas.New(ctx, uas.Config{
		IP: ip, Auth: auth, Calls: calls, Extensions: extensions.Table(p.uac),
		RingDelay: cfg.RingDelay, Others: p.uac, Log: log.With("part", "calls"),
	}, client, contacts(p.SIPAddr))
	p.uas.Register(srv)
	srv.OnRegister(guard(log, reg.HandleRegister))
	srv.OnOptions(guard(log, handleOptions))

	sessions := webapp.NewSessions(cfg.SessionTimeout, nil)
	webLog := log.With("part", "web")
	sessions.OnEnd(func(s webapp.Session, why webapp.EndReason) {
		webLog.Info("web session ended", "user", s.User, "reason", why)
	})
	mux := http.NewServeMux()
	httpapi.Register(mux, httpapi.Sources{Registrar: reg, Auth: auth, Calls: calls, Sessions: sessions, Dialer: p.uac})
	app := webapp.New(webapp.Config{Users: cfg.Users, Sessions: sessions, Log: webLog})
	mux.Handle("/", app)
	p.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	// Shutdown leaves hijacked connections alone: close the app's WebSockets (1001).
	p.http.RegisterOnShutdown(app.Close)

	p.serving.Add(1)
	go func() {
		defer p.serving.Done()
		if err := srv.ServeUDP(udp); err != nil {
			log.Error("SIP UDP stopped", "error", err)
		}
	}()
	if tcp != nil {
		p.serving.Add(1)
		go func() {
			defer p.serving.Done()
			// ServeTCP always returns the Accept error; net.ErrClosed is our shutdown.
			if err := srv.ServeTCP(tcp); !errors.Is(err, net.ErrClosed) {
				log.Error("SIP TCP stopped", "error", err)
			}
		}()
	}
	p.serving.Add(1)
	go func() {
		defer p.serving.Done()
		if err := p.http.Serve(httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("HTTP stopped", "error", err)
		}
	}()
	// Idle sessions end (and their open pages are told) without waiting for a request.
	go sessions.Run(ctx)
	go p.stopWhenDone(ctx)

	log.Info("devpbx listening", "sip", p.SIPAddr, "tcp", p.TCP, "http", p.HTTPAddr,
		"users", cfg.Users.Names(), "ring", cfg.RingDelay, "session_timeout", cfg.SessionTimeout)
	return p, nil
}

// listenSIP binds UDP and TCP on the same address. With port 0 it retries until both
// get the same free port; with a fixed port a busy TCP port only costs TCP.
func listenSIP(addr netip.AddrPort, log *slog.Logger) (*net.UDPConn, net.Listener, error) {
	for attempt := 0; ; attempt++ {
		udp, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
		if err != nil {
			return nil, nil, fmt.Errorf("sip udp listen: %w", err)
		}
		bound := udp.LocalAddr().(*net.UDPAddr).AddrPort()
		tcp, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(bound))
		if err == nil {
			return udp, tcp, nil
		}
		if addr.Port() != 0 {
			log.Warn("SIP over TCP not available, UDP only", "addr", bound, "error", err)
			return udp, nil, nil
		}
		udp.Close()
		if attempt == 20 {
			return nil, nil, fmt.Errorf("sip tcp listen: no port free for both UDP and TCP: %w", err)
		}
	}
}

func contacts(addr netip.AddrPort) map[string]sip.ContactHeader {
	uri := sip.Uri{Scheme: "sip", User: "devpbx", Host: addr.Addr().String(), Port: int(addr.Port())}
	tcp := *uri.Clone()
	tcp.UriParams = sip.NewParams()
	tcp.UriParams.Add("transport", "tcp")
	return map[string]sip.ContactHeader{
		"UDP": {Address: uri},
		"TCP": {Address: tcp},
	}
}

// handleOptions answers OPTIONS (keepalives, capability queries) with 200.
func handleOptions(req *sip.Request, tx sip.ServerTransaction) {
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	res.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, INFO"))
	res.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
	_ = tx.Respond(res)
}

// guard keeps a panic in one request from taking devpbx down.
func guard(log *slog.Logger, h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		defer func() {
			if p := recover(); p != nil {
				log.Error("panic in SIP handler", "method", req.Method, "panic", p, "stack", string(debug.Stack()))
				_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusInternalServerError, "Server Internal Error", nil))
			}
		}()
		h(req, tx)
	}
}

func (p *PBX) closeListeners(httpLn net.Listener) {
	p.udp.Close()
	if p.tcp != nil {
		p.tcp.Close()
	}
	httpLn.Close()
}

// stopWhenDone shuts down once ctx ends: calls first (they send BYE through the still
// open SIP sockets), then HTTP, then the SIP listeners.
func (p *PBX) stopWhenDone(ctx context.Context) {
	<-ctx.Done()
	p.log.Info("devpbx stopping")
	var errs []error
	callsCtx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	var wg sync.WaitGroup
	for part, s := range map[string]interface{ Shutdown(context.Context) error }{"inbound": p.uas, "outbound": p.uac} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Shutdown(callsCtx); err != nil {
				// What is left is SIP waiting for a peer (an ACK, a BYE response, a
				// 487 after CANCEL). Closing the user agent below ends those waits.
				p.log.Warn("calls still finishing SIP transactions at shutdown", "calls", part, "error", err)
			}
		}()
	}
	wg.Wait()
	cancel()
	httpCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	if err := p.http.Shutdown(httpCtx); err != nil {
		errs = append(errs, fmt.Errorf("http shutdown: %w", err))
	}
	cancel()
	p.udp.Close()
	if p.tcp != nil {
		p.tcp.Close()
	}
	_ = p.ua.Close()
	p.serving.Wait()
	p.shutdown = errors.Join(errs...)
	p.log.Info("devpbx stopped")
	close(p.done)
}

// Wait blocks until devpbx has shut down after its context ended.
func (p *PBX) Wait() error {
	<-p.done
	return p.shutdown
}

// ReadyLine is the line devpbx prints on stdout once it listens; tests parse it.
func (p *PBX) ReadyLine() string {
	return fmt.Sprintf("devpbx ready sip=%s http=%s", p.SIPAddr, p.HTTPAddr)
}

// Run starts devpbx, writes the ready line to stdout, and serves until ctx ends.
func Run(ctx context.Context, cfg Config, stdout io.Writer) error {
	p, err := Start(ctx, cfg)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(stdout, p.ReadyLine()); err != nil {
		p.log.Warn("cannot write the ready line", "error", err)
	}
	return p.Wait()
}
