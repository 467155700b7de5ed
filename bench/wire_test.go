package bench

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"
)

// sipTap sits between the host and the PBX as the host's outbound proxy (UDP): it passes
// every datagram on and notes when the host's INVITEs go onto the wire.
type sipTap struct {
	down, up *net.UDPConn // towards the host, towards the PBX
	mu       sync.Mutex
	host     *net.UDPAddr
	invites  []time.Time
}

func startSIPTap(t testing.TB, pbx string) *sipTap {
	t.Helper()
	lo := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	down, err := net.ListenUDP("udp", lo)
	if err != nil {
		t.Fatal(err)
	}
	upstream, err := net.ResolveUDPAddr("udp", pbx)
	if err != nil {
		t.Fatal(err)
	}
	up, err := net.DialUDP("udp", lo, upstream)
	if err != nil {
		t.Fatal(err)
	}
	s := &sipTap{down: down, up: up}
	t.Cleanup(func() { down.Close(); up.Close() })
	go func() {
		buf := make([]byte, 65535)
		for {
			n, from, err := down.ReadFromUDP(buf)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.host = from
			if bytes.HasPrefix(buf[:n], []byte("INVITE ")) {
				s.invites = append(s.invites, time.Now())
			}
			s.mu.Unlock()
			_, _ = up.Write(buf[:n])
		}
	}()
	go func() {
		buf := make([]byte, 65535)
		for {
			n, err := up.Read(buf)
			if err != nil {
				return
			}
			s.mu.Lock()
			h := s.host
			s.mu.Unlock()
			if h != nil {
				_, _ = down.WriteToUDP(buf[:n], h)
			}
		}
	}()
	return s
}

func (s *sipTap) addr() string { return s.down.LocalAddr().String() }

// firstInviteAfter is when the first INVITE after t0 went onto the wire (zero: none yet).
func (s *sipTap) firstInviteAfter(t0 time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, at := range s.invites {
		if at.After(t0) {
			return at
		}
	}
	return time.Time{}
}
