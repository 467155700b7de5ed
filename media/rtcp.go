package media

import (
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// reportInterval is how often the PBX leg sends RTCP reports: RFC 3550 6.2's minimum
// of 5 s, which is also what PBXs expect from a phone.
const reportInterval = 5 * time.Second

// receiveStats follows the PBX's stream for reception reports (RFC 3550 A.1, A.3, A.8).
type receiveStats struct {
	started  bool
	ssrc     uint32
	baseSeq  uint16
	maxSeq   uint16
	cycles   uint32
	received uint32
	// at the previous report, for the fraction lost
	expectedPrior, receivedPrior uint32
	jitter                       float64 // in timestamp units
	lastTransit                  int64
	lastSR                       uint32 // middle 32 bits of the last SR's NTP time
	lastSRAt                     time.Time
}

// add counts one packet that arrived at `at`; clockRate converts arrival time to
// timestamp units for the jitter (0: no jitter yet).
func (s *receiveStats) add(p *rtp.Packet, at time.Time, clockRate uint32) {
	if !s.started || p.SSRC != s.ssrc {
		*s = receiveStats{started: true, ssrc: p.SSRC, baseSeq: p.SequenceNumber, maxSeq: p.SequenceNumber}
	} else if d := p.SequenceNumber - s.maxSeq; d > 0 && d < 0x8000 {
		if p.SequenceNumber < s.maxSeq {
			s.cycles += 1 << 16
		}
		s.maxSeq = p.SequenceNumber
	}
	s.received++
	if clockRate == 0 {
		return
	}
	arrival := at.UnixNano() * int64(clockRate) / int64(time.Second)
	transit := arrival - int64(p.Timestamp)
	if s.received > 1 {
		d := float64(transit - s.lastTransit)
		if d < 0 {
			d = -d
		}
		s.jitter += (d - s.jitter) / 16
	}
	s.lastTransit = transit
}

// report is the reception report block for the stream; it moves the "prior" counts on.
func (s *receiveStats) report(now time.Time) rtcp.ReceptionReport {
	extMax := s.cycles + uint32(s.maxSeq)
	expected := extMax - uint32(s.baseSeq) + 1
	lost := int64(expected) - int64(s.received)
	lost = max(min(lost, 0x7fffff), -0x800000)
	expInterval := expected - s.expectedPrior
	recvInterval := s.received - s.receivedPrior
	s.expectedPrior, s.receivedPrior = expected, s.received
	var fraction uint8
	if lostInterval := int64(expInterval) - int64(recvInterval); expInterval > 0 && lostInterval > 0 {
		fraction = uint8((lostInterval << 8) / int64(expInterval))
	}
	r := rtcp.ReceptionReport{SSRC: s.ssrc, FractionLost: fraction, TotalLost: uint32(lost) & 0xffffff,
		LastSequenceNumber: extMax, Jitter: uint32(s.jitter), LastSenderReport: s.lastSR}
	if !s.lastSRAt.IsZero() {
		r.Delay = uint32(now.Sub(s.lastSRAt).Seconds() * 65536) // units of 1/65536 s
	}
	return r
}

// sendStats counts what we sent for sender reports.
type sendStats struct {
	ssrc    uint32
	packets uint32
	octets  uint32
	lastTS  uint32
	lastAt  time.Time
}

func (s *sendStats) add(p *rtp.Packet, at time.Time) {
	s.ssrc = p.SSRC
	s.packets++
	s.octets += uint32(len(p.Payload))
	s.lastTS, s.lastAt = p.Timestamp, at
}

// ntpTime is a wallclock time as a 64-bit NTP timestamp (RFC 3550 4).
func ntpTime(t time.Time) uint64 {
	const ntpEpochOffset = 2208988800 // seconds from 1900 to 1970
	secs := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) * (1 << 32) / uint64(time.Second)
	return secs<<32 | frac
}

// buildReport makes our compound RTCP packet (RFC 3550 6.1): an SR when we have sent
// since the last report (else an RR), with a block for the PBX's stream once it has
// sent, and an SDES CNAME.
func buildReport(sent *sendStats, sentSinceLast bool, recv *receiveStats, clockRate uint32, ssrc uint32, cname string, now time.Time) []rtcp.Packet {
	var blocks []rtcp.ReceptionReport
	if recv.started {
		blocks = append(blocks, recv.report(now))
	}
	var first rtcp.Packet
	if sentSinceLast && sent.packets > 0 {
		rtpTime := sent.lastTS
		if clockRate > 0 {
			rtpTime += uint32(now.Sub(sent.lastAt).Seconds() * float64(clockRate))
		}
		first = &rtcp.SenderReport{SSRC: sent.ssrc, NTPTime: ntpTime(now), RTPTime: rtpTime,
			PacketCount: sent.packets, OctetCount: sent.octets, Reports: blocks}
		ssrc = sent.ssrc
	} else {
		first = &rtcp.ReceiverReport{SSRC: ssrc, Reports: blocks}
	}
	sdes := &rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{Source: ssrc,
		Items: []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: cname}}}}}
	return []rtcp.Packet{first, sdes}
}
