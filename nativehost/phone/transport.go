package phone

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Transports. Every account has one flow (RFC 5626 3.1) to its server: on UDP the
// phone's shared SIP socket; on TCP, TLS, WS and WSS a connection the account opens
// itself. The phone dials those connections (so each account has its own TLS roots and
// its own local address, and the phone sees a connection close) and hands them to
// sipgo's server through an in-process listener, so sipgo reads requests arriving on them
// (the registrar's INVITEs come back over the connection we registered on) and a client
// bound to the connection's local address sends every request over it.

// Transport names as config.Account.Transport has them.
const (
	netUDP = "udp"
	netTCP = "tcp"
	netTLS = "tls"
	netWS  = "ws"
	netWSS = "wss"
)

// Connection timing.
const (
	dialTimeout = 10 * time.Second
	// maxCAFile caps the account's tls_ca_file.
	maxCAFile = 1 << 20
)

// flow is how an account reaches its server and is reached by it.
type flow struct {
	network string // udp, tcp, tls, ws, wss
	client  *sipgo.Client
	dc      *sipgo.DialogClientCache
	dsc     *sipgo.DialogServerCache
	contact sip.ContactHeader // without the user
	laddr   sip.Addr          // where requests leave from
	ip      net.IP            // the local address facing the server (media too)

	pconn net.PacketConn // a UDP flow's own socket; nil: the shared one (Phone.conn)

	// Connection-oriented flows only.
	conn   *watchedConn
	ws     *wsBridge
	closed chan struct{} // closed when the connection is gone
}

// sipTransport is the network as sipgo names it in Via and for its pools.
func (f *flow) sipTransport() string { return sip.NetworkToUpper(f.network) }

// lost is closed when the flow's connection is gone; nil (never) for UDP.
func (f *flow) lost() <-chan struct{} {
	if f == nil {
		return nil
	}
	return f.closed
}

// close ends the flow's connection (UDP's shared socket stays).
func (f *flow) close() {
	if f == nil {
		return
	}
	if f.ws != nil {
		f.ws.close()
	}
	if f.conn != nil {
		_ = f.conn.Close()
	}
}

// newFlow builds the client and dialog caches bound to a local address.
func (p *Phone) newFlow(network string, laddr *net.TCPAddr) (*flow, error) {
	f := &flow{network: network, ip: laddr.IP, laddr: sip.Addr{IP: laddr.IP, Port: laddr.Port, Hostname: laddr.IP.String()}}
	client, err := sipgo.NewClient(p.ua, sipgo.WithClientConnectionAddr(laddr.String()), sipgo.WithClientLogger(p.log), sipgo.WithClientNAT())
	if err != nil {
		return nil, fmt.Errorf("new SIP client: %w", err)
	}
	f.client = client
	uri := sip.Uri{Scheme: "sip", Host: laddr.IP.String(), Port: laddr.Port}
	if network != netUDP {
		// RFC 7118 5.2: "ws" names WebSocket, secure or not.
		tp := network
		if tp == netWSS {
			tp = netWS
		}
		uri.UriParams = sip.NewParams()
		uri.UriParams.Add("transport", tp)
	}
	f.contact = sip.ContactHeader{Address: uri}
	f.dc = sipgo.NewDialogClientCache(client, f.contact)
	f.dsc = sipgo.NewDialogServerCache(client, f.contact)
	return f, nil
}

// streamListener hands connections the phone dialed to sipgo's server, which serves
// them as if it had accepted them.
type streamListener struct {
	conns  chan net.Conn
	done   chan struct{}
	once   sync.Once
	server net.Addr
}

func newStreamListener() *streamListener {
	return &streamListener{conns: make(chan net.Conn), done: make(chan struct{}), server: &net.TCPAddr{IP: net.IPv4zero}}
}

func (l *streamListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *streamListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *streamListener) Addr() net.Addr { return l.server }

// hand gives a connection to sipgo, or fails when the phone is closing.
func (l *streamListener) hand(ctx context.Context, c net.Conn) error {
	select {
	case l.conns <- c:
		return nil
	case <-l.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// serveStreams starts sipgo's servers on the in-process listeners.
func (p *Phone) serveStreams() {
	p.streams = map[string]*streamListener{}
	serve := map[string]func(net.Listener) error{
		netTCP: p.srv.ServeTCP, netTLS: p.srv.ServeTLS, netWS: p.srv.ServeWS, netWSS: p.srv.ServeWSS,
	}
	for network, f := range serve {
		l := newStreamListener()
		p.streams[network] = l
		go func() {
			if err := f(l); err != nil && !errors.Is(err, net.ErrClosed) {
				p.log.Error("SIP stream server stopped", "transport", network, "err", err)
			}
		}()
	}
}

// watchedConn is a connection whose end the phone notices, and which records the
// server's CRLF pongs (RFC 5626 4.4.1) that sipgo's reader swallows.
type watchedConn struct {
	net.Conn
	once     sync.Once
	closed   chan struct{}
	lastPong atomic.Int64 // Unix ns of the last pong; 0: none yet
}

func newWatchedConn(c net.Conn) *watchedConn {
	return &watchedConn{Conn: c, closed: make(chan struct{})}
}

func (c *watchedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 && n <= 2 && bytes.Equal(b[:n], []byte("\r\n")[:n]) {
		c.lastPong.Store(time.Now().UnixNano())
	}
	if err != nil {
		c.gone()
	}
	return n, err
}

func (c *watchedConn) Close() error {
	c.gone()
	return c.Conn.Close()
}

func (c *watchedConn) gone() { c.once.Do(func() { close(c.closed) }) }

// dialFlow opens the account's connection to its server and waits until sipgo serves it.
func (a *account) dialFlow(ctx context.Context) (*flow, error) {
	p := a.p
	network := a.cfg.Transport
	if network == netUDP || network == "" {
		return p.udpFlowFor(a.server.Addr())
	}
	l := p.streams[network]
	if l == nil {
		return nil, fmt.Errorf("transport %q is not supported", network)
	}
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	addr := a.server.Addr()
	var (
		conn *watchedConn
		ws   *wsBridge
		err  error
	)
	switch network {
	case netTCP, netTLS:
		var raw net.Conn
		if network == netTLS {
			var cfg *tls.Config
			if cfg, err = a.tlsConfig(); err != nil {
				return nil, err
			}
			d := tls.Dialer{Config: cfg}
			raw, err = d.DialContext(ctx, "tcp", addr)
		} else {
			var d net.Dialer
			raw, err = d.DialContext(ctx, "tcp", addr)
		}
		if err != nil {
			return nil, fmt.Errorf("connect to %s over %s: %w", addr, strings.ToUpper(network), err)
		}
		conn = newWatchedConn(raw)
	case netWS, netWSS:
		var cfg *tls.Config
		if network == netWSS {
			if cfg, err = a.tlsConfig(); err != nil {
				return nil, err
			}
		}
		ws, err = dialWS(ctx, network, addr, a.cfg.WSPath, cfg, p.log)
		if err != nil {
			return nil, err
		}
		conn = newWatchedConn(ws.local)
	}
	laddr, ok := conn.LocalAddr().(*net.TCPAddr)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("connection to %s has no TCP address", addr)
	}
	f, err := p.newFlow(network, laddr)
	if err != nil {
		conn.Close()
		return nil, err
	}
	f.conn, f.ws, f.closed = conn, ws, conn.closed
	if ws != nil {
		f.closed = ws.closed
		go func() { <-conn.closed; ws.close() }()
	}
	if err := l.hand(ctx, conn); err != nil {
		f.close()
		return nil, err
	}
	if err := p.waitServing(ctx, network, laddr.String(), f.closed); err != nil {
		f.close()
		return nil, fmt.Errorf("SIP connection to %s: %w", addr, err)
	}
	p.log.Info("SIP connection up", "account", a.cfg.ID, "transport", network, "local", laddr.String(), "server", addr)
	return f, nil
}

// waitServing waits until sipgo's transport layer serves the socket or connection at
// laddr. sipgo takes a socket (ServeUDP) or a handed-over connection into service
// asynchronously, and a request sent before that makes it bind the address again (UDP:
// EADDRINUSE) or dial a second connection from the same port. It gives up when ctx
// ends or lost is closed (the connection went away first; nil: never).
func (p *Phone) waitServing(ctx context.Context, network, laddr string, lost <-chan struct{}) error {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		if c, err := p.ua.TransportLayer().GetConnection(network, laddr); err == nil {
			_, _ = c.TryClose() // GetConnection took a reference
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s %s was not taken into service: %w", strings.ToUpper(network), laddr, ctx.Err())
		case <-lost:
			return errClosedAtOnce
		case <-tick.C:
		}
	}
}

// tlsConfig verifies the server's certificate against the system roots plus the
// account's tls_ca_file, for the server's host name (or IP address).
func (a *account) tlsConfig() (*tls.Config, error) {
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	if a.cfg.TLSCAFile != "" {
		data, err := readCapped(a.cfg.TLSCAFile, maxCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls_ca_file: %w", err)
		}
		if !roots.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("tls_ca_file %s holds no PEM certificate", a.cfg.TLSCAFile)
		}
	}
	return &tls.Config{RootCAs: roots, ServerName: a.server.Host, MinVersion: tls.VersionTLS12}, nil
}

func readCapped(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s is over %d bytes", path, max)
	}
	return data, nil
}

// defaultPort is the server port when the config names none (RFC 3261 19.1.2, RFC 7118).
func defaultPort(network string) int {
	switch network {
	case netTLS:
		return 5061
	case netWS:
		return 80
	case netWSS:
		return 443
	}
	return 5060
}

// certificateRefused reports whether err is a server certificate that did not verify.
func certificateRefused(err error) bool {
	var ve *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &ve) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci)
}
