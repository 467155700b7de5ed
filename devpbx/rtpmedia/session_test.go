package rtpmedia

import (
	"context"
	"math"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/tabphone/tabphone/devpbx/g711"
	"github.com/tabphone/tabphone/devpbx/goertzel"
	"github.com/tabphone/tabphone/devpbx/sdpanswer"
)

var (
	loopback = netip.MustParseAddr("127.0.0.1")
	pcmu     = sdpanswer.Codec{Name: sdpanswer.PCMU, PayloadType: 0, ClockRate: 8000, Channels: 1}
	te       = sdpanswer.Codec{Name: sdpanswer.TelephoneEvent, PayloadType: 101, ClockRate: 8000, Channels: 1}
)

// peer is the caller's side of the stream in tests.
type peer struct {
	t    *testing.T
	conn *net.UDPConn
}

func newPeer(t *testing.T) *peer {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, 0)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &peer{t: t, conn: c}
}

func (p *peer) addr() netip.AddrPort { return p.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

func (p *peer) send(to netip.AddrPort, pkt rtp.Packet) {
	p.t.Helper()
	buf, err := pkt.Marshal()
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := p.conn.WriteToUDPAddrPort(buf, to); err != nil {
		p.t.Fatal(err)
	}
}

// read returns the next RTP packet, failing the test after a deadline.
func (p *peer) read() (rtp.Packet, netip.AddrPort) {
	p.t.Helper()
	buf := make([]byte, 2048)
	_ = p.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, from, err := p.conn.ReadFromUDPAddrPort(buf)
	if err != nil {
		p.t.Fatalf("no RTP: %v", err)
	}
	var pkt rtp.Packet
	if err := pkt.Unmarshal(buf[:n]); err != nil {
		p.t.Fatal(err)
	}
	return pkt, from
}

func toneFrame(freq float64, start int) []byte {
	frame := make([]int16, 160)
	for i := range frame {
		frame[i] = int16(10000 * math.Sin(2*math.Pi*freq*float64(start+i)/8000))
	}
	return g711.EncodeFrame(nil, frame, g711.EncodeULaw)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestEchoAndMeasure(t *testing.T) {
	caller := newPeer(t)
	s, err := Open(loopback, Config{Codec: pcmu, Remote: caller.addr(), Send: true, Echo: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Tone(context.Background(), 1000, -10); err != ErrBusy {
		t.Errorf("tone on an echo session: %v", err)
	}

	var prev rtp.Packet
	for i := range 20 {
		payload := toneFrame(1000, i*160)
		caller.send(s.LocalAddr(), rtp.Packet{
			Header:  rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: uint16(100 + i), Timestamp: uint32(5000 + 160*i), SSRC: 42, Marker: i == 0},
			Payload: payload,
		})
		got, from := caller.read()
		if from != s.LocalAddr() {
			t.Fatalf("echo from %v, want %v", from, s.LocalAddr())
		}
		if string(got.Payload) != string(payload) || got.SSRC == 42 || got.PayloadType != 0 {
			t.Fatalf("packet %d: %v", i, got.Header)
		}
		if i == 0 && !got.Marker {
			t.Error("first echo without marker")
		}
		if i > 0 && (got.SequenceNumber != prev.SequenceNumber+1 || got.Timestamp != prev.Timestamp+160 || got.SSRC != prev.SSRC) {
			t.Fatalf("packet %d: %v after %v", i, got.Header, prev.Header)
		}
		prev = got
	}
	// The echo counts a packet after sending it, so the caller can read the 20th echo
	// before it is counted: wait for the count, with a deadline.
	st := s.Stats()
	for end := time.Now().Add(time.Second); st.TxPackets < 20 && time.Now().Before(end); st = s.Stats() {
		time.Sleep(time.Millisecond)
	}
	if st.RxPackets != 20 || st.TxPackets != 20 || st.RxBytes != 20*160 || !st.Latched {
		t.Errorf("stats %+v", st)
	}
	if st.Tone == nil || st.Tone.Ratio < 0.95 || st.Tone.SignalBlocks != 20 {
		t.Errorf("tone %+v", st.Tone)
	}
}

func TestToneLatchesToSource(t *testing.T) {
	offered, actual, stranger := newPeer(t), newPeer(t), newPeer(t)
	s, err := Open(loopback, Config{Codec: pcmu, Remote: offered.addr(), Send: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Tone(ctx, 1000, -10)

	// Before any RTP arrives the tone goes to the offered address, marker first.
	first, _ := offered.read()
	if !first.Marker || first.PayloadType != 0 || len(first.Payload) != 160 {
		t.Fatalf("first packet %v", first.Header)
	}
	second, _ := offered.read()
	if second.SequenceNumber != first.SequenceNumber+1 || second.Timestamp != first.Timestamp+160 || second.Marker {
		t.Fatalf("second packet %v after %v", second.Header, first.Header)
	}

	// RTP from another port than offered: devpbx latches to it.
	actual.send(s.LocalAddr(), rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: 7}, Payload: toneFrame(1000, 0)})
	meter := goertzel.NewMeter(1000, 8000, goertzel.Options{})
	for range 10 {
		p, _ := actual.read()
		meter.WriteInt16(g711.DecodeFrame(nil, p.Payload, g711.DecodeULaw))
	}
	r := meter.Result()
	if r.Ratio < 0.95 || math.Abs(r.MaxDBFS+10) > 0.5 {
		t.Errorf("tone measured %+v, want ≈1 at -10 dBFS", r)
	}

	// Packets from a third address are ignored.
	stranger.send(s.LocalAddr(), rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: 9}, Payload: toneFrame(1000, 0)})
	waitFor(t, "stranger ignored", func() bool { return s.Stats().RxIgnored == 1 })
	if st := s.Stats(); st.RxPackets != 1 || st.Remote != actual.addr() {
		t.Errorf("stats %+v", st)
	}
}

func TestToneNeedsG711(t *testing.T) {
	s, err := Open(loopback, Config{Codec: sdpanswer.Codec{Name: sdpanswer.Opus, PayloadType: 111, ClockRate: 48000, Channels: 2}, Send: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Tone(context.Background(), 1000, -10); err != ErrCodec {
		t.Errorf("err %v", err)
	}
	if s.Stats().Tone != nil {
		t.Error("opus measured")
	}
}

func TestDTMFAndJunk(t *testing.T) {
	caller := newPeer(t)
	digits := make(chan byte, 10)
	s, err := Open(loopback, Config{Codec: pcmu, DTMF: &te, Remote: caller.addr(), Send: true, OnDTMF: func(d byte) { digits <- d }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	caller.conn.WriteToUDPAddrPort([]byte("not rtp"), s.LocalAddr())
	// Digit 5 (three packets of one event, the last with E bit), then #.
	for i, ev := range [][]byte{{5, 0x0a, 0, 160}, {5, 0x0a, 1, 64}, {5, 0x8a, 1, 64}, {11, 0x8a, 0, 160}} {
		ts := uint32(1000)
		if i == 3 {
			ts = 3000
		}
		caller.send(s.LocalAddr(), rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: uint16(i), Timestamp: ts, SSRC: 1}, Payload: ev})
	}
	var got []byte
	for len(got) < 2 {
		select {
		case d := <-digits:
			got = append(got, d)
		case <-time.After(5 * time.Second):
			t.Fatalf("digits %q", got)
		}
	}
	if string(got) != "5#" {
		t.Errorf("digits %q", got)
	}
	waitFor(t, "counters", func() bool { st := s.Stats(); return st.RxDTMFPackets == 4 && st.RxIgnored == 1 })
}

func TestHoldStopsSending(t *testing.T) {
	caller := newPeer(t)
	s, err := Open(loopback, Config{Codec: pcmu, Remote: caller.addr(), Send: false})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Tone(ctx, 1000, -10)
	_ = caller.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, _, err := caller.conn.ReadFromUDPAddrPort(make([]byte, 1500)); err == nil {
		t.Fatal("sent while recvonly")
	}
	s.Update(caller.addr(), true)
	if p, _ := caller.read(); !p.Marker {
		t.Errorf("first packet after resume without marker: %v", p.Header)
	}
}
