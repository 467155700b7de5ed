package media

import (
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/pion/rtp"
)

// maxRTP is the largest RTP packet accepted on the PBX leg; audio frames are far smaller.
const maxRTP = 1500

// PBXLeg is the RTP socket towards the PBX for one call.
type PBXLeg struct {
	conn *net.UDPConn

	mu        sync.Mutex
	remote    *net.UDPAddr // where we send
	sdpRemote *net.UDPAddr // what the PBX's SDP said
	latched   bool         // remote was learned from the first packet received
}

// ListenPBX opens the call's RTP socket on ip (the address that faces the PBX).
func ListenPBX(ip net.IP) (*PBXLeg, error) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip})
	if err != nil {
		return nil, fmt.Errorf("open RTP socket on %s: %w", ip, err)
	}
	return &PBXLeg{conn: conn}, nil
}

// LocalAddr is the address to put into our SDP.
func (l *PBXLeg) LocalAddr() *net.UDPAddr { return l.conn.LocalAddr().(*net.UDPAddr) }

// SetRemote sets where RTP goes, from the PBX's SDP. A remote learned from received
// packets (symmetric RTP) is kept unless the SDP's address changes (a re-INVITE moved
// the media).
func (l *PBXLeg) SetRemote(addr *net.UDPAddr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.latched && addr != nil && l.sdpRemote != nil && l.sdpRemote.String() == addr.String() {
		return
	}
	l.remote, l.sdpRemote, l.latched = addr, addr, false
}

// ReadRTP returns the next RTP packet from the PBX. The first packet's source becomes
// the destination for what we send (symmetric RTP, so NATed PBX media works); after
// that, packets from other sources are dropped, so nobody else can inject audio.
func (l *PBXLeg) ReadRTP(buf []byte) (*rtp.Packet, error) {
	for {
		n, from, err := l.conn.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil, ErrClosed
			}
			return nil, fmt.Errorf("read RTP: %w", err)
		}
		if !l.accept(from) {
			continue
		}
		var p rtp.Packet
		if err := p.Unmarshal(buf[:n]); err != nil || p.Version != 2 {
			continue // RTCP or garbage on the RTP port
		}
		return &p, nil
	}
}

func (l *PBXLeg) accept(from *net.UDPAddr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.latched {
		return from.IP.Equal(l.remote.IP) && from.Port == l.remote.Port
	}
	if l.remote == nil {
		return false // on hold or not yet negotiated
	}
	l.remote, l.latched = from, true
	return true
}

// WriteRTP sends a packet to the PBX; it is dropped while no destination is known.
func (l *PBXLeg) WriteRTP(p *rtp.Packet) error {
	l.mu.Lock()
	dst := l.remote
	l.mu.Unlock()
	if dst == nil {
		return nil
	}
	b, err := p.Marshal()
	if err != nil {
		return fmt.Errorf("marshal RTP: %w", err)
	}
	if _, err := l.conn.WriteToUDP(b, dst); err != nil {
		return fmt.Errorf("send RTP to %s: %w", dst, err)
	}
	return nil
}

// Close closes the socket; a blocked ReadRTP returns ErrClosed.
func (l *PBXLeg) Close() error { return l.conn.Close() }
