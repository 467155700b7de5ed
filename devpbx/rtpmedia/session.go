// Package rtpmedia runs the RTP side of one devpbx call: a UDP socket, symmetric RTP
// latching, the echo and tone services, and the measurement of what the caller sent.
package rtpmedia

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/tabphone/tabphone/devpbx/g711"
	"github.com/tabphone/tabphone/devpbx/goertzel"
	"github.com/tabphone/tabphone/devpbx/sdpanswer"
)

// MeasuredFrequency is the tone frequency every G.711 call is measured at.
const MeasuredFrequency = 1000

// ToneFrequency and ToneDBFS describe the test tone devpbx plays (601, 602, and
// outbound calls in "tone" mode): 1 kHz at -10 dBFS RMS, so the sine's peak is
// about -7 dBFS.
const (
	ToneFrequency = 1000
	ToneDBFS      = -10
)

// g711Rate is the sample rate and RTP clock of PCMU and PCMA.
const g711Rate = 8000

// Config describes the negotiated stream.
type Config struct {
	Codec sdpanswer.Codec
	// DTMF is the negotiated telephone-event payload type, nil if none.
	DTMF *sdpanswer.Codec
	// Remote is where the offer asked for RTP, used until the first packet arrives.
	Remote netip.AddrPort
	// Send is false when the stream's direction forbids devpbx to send (recvonly,
	// inactive).
	Send bool
	// Echo sends every received audio packet back, from the first one on (also
	// before the answer's ACK, so no packet of a fast caller is missed).
	Echo bool
	// OnDTMF is called with each RFC 4733 digit received ('0'-'9', '*', '#', 'A'-'D'),
	// from the receiving goroutine.
	OnDTMF func(digit byte)
	// Log receives media events; slog.Default when nil.
	Log *slog.Logger
	// Conn is a socket already bound with Listen, used instead of a new one: an
	// outbound call needs its port for the offer before it knows the codec.
	// Packets that arrived on it in the meantime are read, not lost.
	Conn *net.UDPConn
}

// Session is one call's RTP stream. Its methods are safe for concurrent use.
type Session struct {
	conn   *net.UDPConn
	codec  sdpanswer.Codec
	dtmfPT int // -1 without telephone-event
	dec    g711.Decoder
	onDTMF func(byte)
	log    *slog.Logger
	done   sync.WaitGroup

	echo    bool        // set at Open, read-only after
	sending atomic.Bool // Tone runs

	rxPackets, rxBytes, rxDTMF, rxIgnored atomic.Uint64
	txPackets, txBytes                    atomic.Uint64

	mu         sync.Mutex
	remote     netip.AddrPort
	latched    bool
	sendOK     bool
	meter      *goertzel.Meter
	toneAt     time.Time // when the first block of the 1 kHz tone arrived
	pcm        []int16
	lastEvent  uint32 // RTP timestamp of the last DTMF event
	haveEvent  bool
	ssrc       uint32
	seq        uint16
	ts         uint32
	echoLastTS uint32
	echoActive bool
}

// Listen binds a UDP socket on ip, port chosen by the system.
func Listen(ip netip.Addr) (*net.UDPConn, error) {
	return net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
}

// Open starts receiving on cfg.Conn, or on a new socket bound on ip (port chosen by
// the system) when cfg.Conn is nil. Close closes the socket in both cases.
func Open(ip netip.Addr, cfg Config) (*Session, error) {
	conn := cfg.Conn
	if conn == nil {
		var err error
		if conn, err = Listen(ip); err != nil {
			return nil, err
		}
	}
	s := &Session{
		conn:   conn,
		codec:  cfg.Codec,
		dtmfPT: -1,
		onDTMF: cfg.OnDTMF,
		log:    cfg.Log,
		remote: cfg.Remote,
		sendOK: cfg.Send,
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.echo = cfg.Echo
	if cfg.DTMF != nil {
		s.dtmfPT = int(cfg.DTMF.PayloadType)
	}
	switch cfg.Codec.Name {
	case sdpanswer.PCMU:
		s.dec = g711.DecodeULaw
	case sdpanswer.PCMA:
		s.dec = g711.DecodeALaw
	}
	if s.dec != nil {
		s.meter = goertzel.NewMeter(MeasuredFrequency, g711Rate, goertzel.Options{})
	}
	// RFC 3550 5.1: SSRC, sequence number and timestamp start at random values.
	var b [10]byte
	_, _ = rand.Read(b[:])
	s.ssrc = binary.BigEndian.Uint32(b[0:4])
	s.seq = binary.BigEndian.Uint16(b[4:6])
	s.ts = binary.BigEndian.Uint32(b[6:10])

	s.done.Add(1)
	go s.receive()
	return s, nil
}

// LocalAddr is the socket's address, for the SDP answer.
func (s *Session) LocalAddr() netip.AddrPort {
	return s.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Update applies a new offer in the same dialog (re-INVITE): the remote address is
// taken unless RTP already latched, and send enables or stops devpbx's sending
// (hold).
func (s *Session) Update(remote netip.AddrPort, send bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.latched {
		s.remote = remote
	}
	s.sendOK = send
}

// Close stops the session and waits for its receiving goroutine; Stats stay readable.
func (s *Session) Close() error {
	err := s.conn.Close()
	s.done.Wait()
	return err
}

func (s *Session) receive() {
	defer s.done.Done()
	buf := make([]byte, 2048)
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Debug("rtp read", "error", err)
			continue
		}
		s.handle(buf[:n], netip.AddrPortFrom(from.Addr().Unmap(), from.Port()))
	}
}

func (s *Session) handle(data []byte, from netip.AddrPort) {
	var p rtp.Packet
	if err := p.Unmarshal(data); err != nil || p.Version != 2 {
		s.rxIgnored.Add(1)
		return
	}
	s.mu.Lock()
	// Symmetric RTP (RFC 4961): the first packet's source is where we send from now
	// on, and packets from anywhere else are ignored.
	if !s.latched {
		s.latched = true
		if s.remote != from {
			s.log.Info("rtp latched", "offered", s.remote, "source", from)
		}
		s.remote = from
	} else if from != s.remote {
		s.mu.Unlock()
		s.rxIgnored.Add(1)
		return
	}

	switch {
	case p.PayloadType == s.codec.PayloadType:
		s.rxPackets.Add(1)
		s.rxBytes.Add(uint64(len(p.Payload)))
		if s.meter != nil {
			s.pcm = g711.DecodeFrame(s.pcm[:0], p.Payload, s.dec)
			s.meter.WriteInt16(s.pcm)
			if s.toneAt.IsZero() && s.meter.FirstToneBlock() > 0 {
				s.toneAt = time.Now()
			}
		}
		if s.echo {
			s.echoLocked(&p)
		}
		s.mu.Unlock()
	case int(p.PayloadType) == s.dtmfPT:
		s.rxDTMF.Add(1)
		digit, isNew := s.dtmfLocked(&p)
		s.mu.Unlock()
		if isNew && s.onDTMF != nil {
			s.onDTMF(digit)
		}
	default:
		s.mu.Unlock()
		s.rxIgnored.Add(1)
	}
}

// dtmfLocked reads an RFC 4733 event; a new RTP timestamp starts a new event (2.5.1.3).
func (s *Session) dtmfLocked(p *rtp.Packet) (byte, bool) {
	if len(p.Payload) < 4 || (s.haveEvent && p.Timestamp == s.lastEvent) {
		return 0, false
	}
	const digits = "0123456789*#ABCD"
	ev := p.Payload[0]
	if int(ev) >= len(digits) {
		return 0, false
	}
	s.haveEvent, s.lastEvent = true, p.Timestamp
	return digits[ev], true
}

// echoLocked sends p's payload back with our own SSRC, sequence and timestamps; the
// timestamp advances by the caller's timestamp step so the timing is kept.
func (s *Session) echoLocked(p *rtp.Packet) {
	marker := p.Marker
	if !s.echoActive {
		s.echoActive = true
		marker = true
	} else {
		s.ts += p.Timestamp - s.echoLastTS
	}
	s.echoLastTS = p.Timestamp
	if !s.sendOK {
		return
	}
	s.seq++
	out := rtp.Packet{
		Header: rtp.Header{
			Version: 2, Marker: marker, PayloadType: s.codec.PayloadType,
			SequenceNumber: s.seq, Timestamp: s.ts, SSRC: s.ssrc,
		},
		Payload: p.Payload,
	}
	s.writeLocked(&out)
}

func (s *Session) writeLocked(p *rtp.Packet) {
	if !s.remote.IsValid() || s.remote.Addr().IsUnspecified() || s.remote.Port() == 0 {
		return // RFC 2543 hold (c=0.0.0.0): nowhere to send.
	}
	buf, err := p.Marshal()
	if err != nil {
		return
	}
	if _, err := s.conn.WriteToUDPAddrPort(buf, s.remote); err != nil {
		if !errors.Is(err, net.ErrClosed) {
			s.log.Debug("rtp write", "error", err, "remote", s.remote)
		}
		return
	}
	s.txPackets.Add(1)
	s.txBytes.Add(uint64(len(p.Payload)))
}

// Tone sends a sine of freq Hz at level dBFS (RMS, so a full-scale sine is -3 dBFS)
// in 20 ms packets until ctx ends. Only PCMU and PCMA can carry it.
func (s *Session) Tone(ctx context.Context, freq, dbfs float64) error {
	var enc g711.Encoder
	switch s.codec.Name {
	case sdpanswer.PCMU:
		enc = g711.EncodeULaw
	case sdpanswer.PCMA:
		enc = g711.EncodeALaw
	default:
		return ErrCodec
	}
	if s.echo || !s.sending.CompareAndSwap(false, true) {
		return ErrBusy
	}
	defer s.sending.Store(false)

	const samples = g711Rate / 50 // 20 ms
	amp := math.Sqrt2 * math.Pow(10, dbfs/20) * 32767
	step := 2 * math.Pi * freq / g711Rate
	phase := 0.0
	frame := make([]int16, samples)
	payload := make([]byte, 0, samples)
	first := true

	ticker := time.NewTicker(20 * time.Millisecond)
	defer ticker.Stop()
	for {
		for i := range frame {
			frame[i] = int16(math.Round(amp * math.Sin(phase)))
			phase = math.Mod(phase+step, 2*math.Pi)
		}
		payload = g711.EncodeFrame(payload[:0], frame, enc)

		s.mu.Lock()
		if s.sendOK {
			s.seq++
			p := rtp.Packet{
				Header: rtp.Header{
					Version: 2, Marker: first, PayloadType: s.codec.PayloadType,
					SequenceNumber: s.seq, Timestamp: s.ts, SSRC: s.ssrc,
				},
				Payload: payload,
			}
			s.writeLocked(&p)
			first = false
		} else {
			first = true // the first packet after a hold starts a talkspurt again
		}
		// The clock runs on while on hold, as real time does (RFC 3550 5.1).
		s.ts += samples
		s.mu.Unlock()

		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// Stats is what a session has sent and received so far.
type Stats struct {
	RxPackets     uint64
	RxBytes       uint64
	RxDTMFPackets uint64
	// RxIgnored counts packets that were not RTP, came from an address other than
	// the latched one, or had an unnegotiated payload type.
	RxIgnored uint64
	TxPackets uint64
	TxBytes   uint64
	// Remote is where devpbx sends; Latched tells whether it came from received RTP.
	Remote  netip.AddrPort
	Latched bool
	// Tone is the 1 kHz measurement; nil for codecs devpbx does not decode.
	Tone *goertzel.Result
	// ToneAt is when the packet that completed the first block of the 1 kHz tone
	// arrived (zero: none yet).
	ToneAt time.Time
}

// Stats returns the counters and the measurement so far.
func (s *Session) Stats() Stats {
	st := Stats{
		RxPackets:     s.rxPackets.Load(),
		RxBytes:       s.rxBytes.Load(),
		RxDTMFPackets: s.rxDTMF.Load(),
		RxIgnored:     s.rxIgnored.Load(),
		TxPackets:     s.txPackets.Load(),
		TxBytes:       s.txBytes.Load(),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st.Remote, st.Latched, st.ToneAt = s.remote, s.latched, s.toneAt
	if s.meter != nil {
		r := s.meter.Result()
		st.Tone = &r
	}
	return st
}
