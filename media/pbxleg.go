package media

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// maxRTP is the largest RTP packet accepted on the PBX leg; audio frames are far smaller.
const maxRTP = 1500

// srtpOverhead is the most SRTP adds to an RTP packet: a 16-byte tag (AEAD_AES_128_GCM;
// the HMAC suites add 10 or 4).
const srtpOverhead = 16

// PBXLeg is the RTP/RTCP socket pair towards the PBX for one call: plain RTP/AVP, or
// SDES-SRTP once keys are set. It sends RTCP reports every 5 s and notes when the PBX
// last sent media.
type PBXLeg struct {
	conn     *net.UDPConn // RTP, on an even port
	rtcpConn *net.UDPConn // RTCP, on the next port (RFC 3550 11)
	log      *slog.Logger
	cname    string
	done     chan struct{}
	closeMu  sync.Once

	// The reader's own buffers (one goroutine reads): SRTP's plaintext and header.
	decBuf []byte
	decHdr rtp.Header

	// The senders' buffers (the relay and DTMF may both send): marshalled and encrypted.
	sendMu  sync.Mutex
	sendBuf []byte
	encBuf  []byte
	encHdr  rtp.Header

	mu         sync.Mutex
	remote     *net.UDPAddr   // where RTP goes
	remoteAP   netip.AddrPort // remote, compared with each packet's source without allocating
	sdpRemote  *net.UDPAddr   // what the PBX's SDP said
	rtcpRemote *net.UDPAddr   // where RTCP goes
	latched    bool           // remote was learned from the first valid packet received
	keys       *sdesKeys      // nil: plain RTP
	clockRate  uint32
	recv       receiveStats
	sent       sendStats
	sentSince  bool // we sent RTP since the last report
	ownSSRC    uint32
	lastMedia  time.Time // the PBX's last valid RTP packet
	lastRTCP   time.Time // the PBX's last valid RTCP packet
}

// ListenPBX opens the call's RTP and RTCP sockets on ip (the address that faces the
// PBX) and starts the RTCP reader and reporter.
func ListenPBX(ip net.IP, log *slog.Logger) (*PBXLeg, error) {
	rtpConn, rtcpConn, err := listenPair(ip)
	if err != nil {
		return nil, err
	}
	l := &PBXLeg{conn: rtpConn, rtcpConn: rtcpConn, log: log, done: make(chan struct{}),
		decBuf: make([]byte, maxRTP), sendBuf: make([]byte, maxRTP), encBuf: make([]byte, maxRTP+srtpOverhead),
		cname: fmt.Sprintf("tabphone-%08x", randUint32()), ownSSRC: randUint32()}
	go l.readRTCP()
	go l.reportLoop()
	return l, nil
}

// listenPair binds an even RTP port and the odd port after it for RTCP, since a PBX
// that ignores a=rtcp sends RTCP to RTP+1 (RFC 3550 11).
func listenPair(ip net.IP) (*net.UDPConn, *net.UDPConn, error) {
	var lastErr error
	for range 50 {
		a, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip})
		if err != nil {
			return nil, nil, fmt.Errorf("open RTP socket on %s: %w", ip, err)
		}
		port := a.LocalAddr().(*net.UDPAddr).Port
		if port%2 != 0 || port == 65534 {
			a.Close()
			continue
		}
		b, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip, Port: port + 1})
		if err != nil {
			a.Close()
			lastErr = err
			continue
		}
		return a, b, nil
	}
	return nil, nil, fmt.Errorf("open RTP and RTCP ports on %s: %w", ip, lastErr)
}

// LocalAddr is the RTP address to put into our SDP.
func (l *PBXLeg) LocalAddr() *net.UDPAddr { return l.conn.LocalAddr().(*net.UDPAddr) }

// SetRemote sets where RTP goes, from the PBX's SDP, and where RTCP goes (rtcp: its
// a=rtcp address, or nil for the next port). A remote learned from received packets
// (symmetric RTP) is kept unless the SDP's address changes (a re-INVITE moved the media).
func (l *PBXLeg) SetRemote(addr, rtcpAddr *net.UDPAddr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if rtcpAddr == nil && addr != nil {
		rtcpAddr = &net.UDPAddr{IP: addr.IP, Port: addr.Port + 1}
	}
	l.rtcpRemote = rtcpAddr
	if l.latched && addr != nil && l.sdpRemote != nil && l.sdpRemote.String() == addr.String() {
		return
	}
	l.setRemoteLocked(addr)
	l.sdpRemote, l.latched = addr, false
}

// setRemoteLocked sets where RTP goes (nil: nowhere). l.mu is held.
func (l *PBXLeg) setRemoteLocked(addr *net.UDPAddr) {
	l.remote, l.remoteAP = addr, netip.AddrPort{}
	if addr != nil {
		ap := addr.AddrPort()
		l.remoteAP = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
}

// SetKeys protects the leg with SDES-SRTP (nil: plain RTP). Keys that did not change
// are kept, so the streams' rollover counters go on.
func (l *PBXLeg) SetKeys(local, remote *Crypto) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if local == nil || remote == nil {
		l.keys = nil
		return nil
	}
	if l.keys.sameAs(*local, *remote) {
		return nil
	}
	k, err := newSDESKeys(*local, *remote)
	if err != nil {
		return err
	}
	l.keys = k
	return nil
}

// SetClockRate gives the negotiated codec's clock rate, for jitter and SR timestamps.
func (l *PBXLeg) SetClockRate(rate uint32) {
	l.mu.Lock()
	l.clockRate = rate
	l.mu.Unlock()
}

// ReadRTP returns the next RTP packet from the PBX. Only the address in the PBX's SDP
// is heard until the first valid packet (SRTP: one that authenticates) arrives; its
// source then becomes the destination for what we send (symmetric RTP, so NATed PBX
// media works) and packets from any other source are dropped. A plain RTP leg cannot
// tell the PBX's packets from a stranger's that reach the port first: that is what SRTP
// is for.
//
// p is filled in, its payload in buf (plain RTP) or in the leg's own buffer (SRTP), valid
// until the next read: nothing is allocated per packet.
func (l *PBXLeg) ReadRTP(buf []byte, p *rtp.Packet) error {
	for {
		n, from, err := l.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return ErrClosed
			}
			return fmt.Errorf("read RTP: %w", err)
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		l.mu.Lock()
		keys, ok := l.keys, l.heardFrom(from)
		l.mu.Unlock()
		if !ok || n < 12 || isRTCP(buf[:n]) {
			continue // a stranger, or RTCP on the RTP port
		}
		raw := buf[:n]
		if keys != nil {
			if raw, err = keys.decryptRTP(l.decBuf[:0], raw, &l.decHdr); err != nil {
				continue // not authentic, or replayed
			}
		}
		if err := p.Unmarshal(raw); err != nil || p.Version != 2 {
			continue
		}
		now := time.Now()
		l.mu.Lock()
		if !l.latched {
			l.setRemoteLocked(net.UDPAddrFromAddrPort(from))
			l.latched = true
		}
		l.recv.add(p, now, l.clockRate)
		l.lastMedia = now
		l.mu.Unlock()
		return nil
	}
}

// heardFrom reports whether a packet from `from` may be taken. Before the latch: any
// source while the SDP named a destination (the PBX's media may come from elsewhere
// behind NAT); after it: only the latched source. l.mu is held.
func (l *PBXLeg) heardFrom(from netip.AddrPort) bool {
	if l.latched {
		return from == l.remoteAP
	}
	return l.remote != nil // nil: on hold or not yet negotiated
}

// isRTCP tells RTCP from RTP by the packet type (RFC 5761 4): 192–223.
func isRTCP(b []byte) bool { return len(b) > 1 && b[1] >= 192 && b[1] <= 223 }

// WriteRTP sends a packet to the PBX; it is dropped while no destination is known.
func (l *PBXLeg) WriteRTP(p *rtp.Packet) error {
	l.mu.Lock()
	dst, keys := l.remote, l.keys
	if dst != nil {
		l.sent.add(p, time.Now())
		l.sentSince = true
	}
	l.mu.Unlock()
	if dst == nil {
		return nil
	}
	l.sendMu.Lock() // the buffers are reused packet after packet
	defer l.sendMu.Unlock()
	n, err := p.MarshalTo(l.sendBuf)
	if err != nil {
		return fmt.Errorf("marshal RTP: %w", err)
	}
	b := l.sendBuf[:n]
	if keys != nil {
		if b, err = keys.encryptRTP(l.encBuf[:0], b, &l.encHdr); err != nil {
			return fmt.Errorf("encrypt RTP: %w", err)
		}
	}
	if _, err := l.conn.WriteToUDP(b, dst); err != nil {
		return fmt.Errorf("send RTP to %s: %w", dst, err)
	}
	return nil
}

// LastReceived is when the PBX last sent valid media (zero: never).
func (l *PBXLeg) LastReceived() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastMedia
}

// LastRTCP is when the PBX last sent a valid RTCP packet (zero: never).
func (l *PBXLeg) LastRTCP() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastRTCP
}

// readRTCP takes the PBX's reports: an SR's time goes into our next reception report
// (LSR/DLSR, so the PBX can measure the round trip).
func (l *PBXLeg) readRTCP() {
	buf := make([]byte, maxRTP)
	for {
		n, from, err := l.rtcpConn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		l.mu.Lock()
		keys, dst := l.keys, l.remote
		l.mu.Unlock()
		if dst == nil || !from.IP.Equal(dst.IP) {
			continue
		}
		raw := buf[:n]
		if keys != nil {
			if raw, err = keys.decryptRTCP(raw); err != nil {
				continue
			}
		}
		pkts, err := rtcp.Unmarshal(raw)
		if err != nil {
			continue
		}
		now := time.Now()
		l.mu.Lock()
		l.lastRTCP = now
		for _, p := range pkts {
			if sr, ok := p.(*rtcp.SenderReport); ok {
				l.recv.lastSR, l.recv.lastSRAt = uint32(sr.NTPTime>>16), now
			}
		}
		l.mu.Unlock()
	}
}

func (l *PBXLeg) reportLoop() {
	t := time.NewTicker(reportInterval)
	defer t.Stop()
	for {
		select {
		case <-l.done:
			return
		case now := <-t.C:
			if err := l.sendReport(now); err != nil {
				l.log.Debug("RTCP report", "err", err)
			}
		}
	}
}

// sendReport sends one compound report, once the PBX's address is known.
func (l *PBXLeg) sendReport(now time.Time) error {
	l.mu.Lock()
	dst, keys := l.rtcpRemote, l.keys
	if dst == nil || l.remote == nil {
		l.mu.Unlock()
		return nil
	}
	pkts := buildReport(&l.sent, l.sentSince, &l.recv, l.clockRate, l.ownSSRC, l.cname, now)
	l.sentSince = false
	l.mu.Unlock()
	b, err := rtcp.Marshal(pkts)
	if err != nil {
		return fmt.Errorf("marshal RTCP: %w", err)
	}
	if keys != nil {
		if b, err = keys.encryptRTCP(b); err != nil {
			return fmt.Errorf("encrypt RTCP: %w", err)
		}
	}
	if _, err := l.rtcpConn.WriteToUDP(b, dst); err != nil {
		return fmt.Errorf("send RTCP to %s: %w", dst, err)
	}
	return nil
}

// Close closes both sockets; a blocked ReadRTP returns ErrClosed.
func (l *PBXLeg) Close() error {
	l.closeMu.Do(func() { close(l.done) })
	l.rtcpConn.Close()
	return l.conn.Close()
}
