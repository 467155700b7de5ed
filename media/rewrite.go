package media

import (
	"crypto/rand"
	"encoding/binary"

	"github.com/pion/rtp"
)

// rewriter gives one outgoing RTP stream its own SSRC, sequence numbers and timestamps
// while the packets come from another leg. When the source changes (a new SSRC, e.g. the
// PBX switched media servers or the browser leg was renegotiated) the output continues
// without a jump, so the receiver's jitter buffer is not confused (RFC 3550 5.1, 8.2).
// It is used by one goroutine only.
type rewriter struct {
	ssrc    uint32
	step    uint32 // timestamp units of one 20 ms frame, the guess for the gap at a switch
	started bool
	inSSRC  uint32
	seqOff  uint16
	tsOff   uint32
	lastSeq uint16
	lastTS  uint32
}

func newRewriter(step uint32) *rewriter {
	return &rewriter{ssrc: randUint32(), step: step, lastSeq: uint16(randUint32()), lastTS: randUint32()}
}

// rewrite makes out a header-minimal copy of p (no CSRCs, no extensions: they belong to
// the other leg) with this stream's SSRC, sequence number, timestamp and payload type.
// out is the caller's, reused packet after packet, and shares p's payload: the relay
// allocates nothing per packet.
func (r *rewriter) rewrite(out, p *rtp.Packet, pt uint8) {
	if !r.started || p.SSRC != r.inSSRC {
		r.seqOff = r.lastSeq + 1 - p.SequenceNumber
		r.tsOff = r.lastTS + r.step - p.Timestamp
		r.inSSRC = p.SSRC
		r.started = true
	}
	csrc, ext := out.CSRC[:0], out.Extensions[:0] // kept for their capacity, sent empty
	*out = rtp.Packet{
		Header: rtp.Header{
			Version:        2,
			Marker:         p.Marker,
			PayloadType:    pt,
			SequenceNumber: p.SequenceNumber + r.seqOff,
			Timestamp:      p.Timestamp + r.tsOff,
			SSRC:           r.ssrc,
			CSRC:           csrc,
			Extensions:     ext,
		},
		Payload: p.Payload,
	}
	if int16(out.SequenceNumber-r.lastSeq) > 0 {
		r.lastSeq = out.SequenceNumber
		r.lastTS = out.Timestamp
	}
}

// synth makes a packet of our own (a DTMF event) in this stream: the next sequence
// number, one frame after the last timestamp. Later relayed packets shift by one so
// numbers never repeat.
func (r *rewriter) synth(pt uint8, marker bool, payload []byte) *rtp.Packet {
	return r.synthAt(pt, r.lastTS+r.step, marker, payload)
}

// synthAt is synth with a given timestamp (the updates of one DTMF event share the
// event's start timestamp, RFC 4733 2.5.1.2).
func (r *rewriter) synthAt(pt uint8, ts uint32, marker bool, payload []byte) *rtp.Packet {
	r.seqOff++
	r.lastSeq++
	if int32(ts-r.lastTS) > 0 {
		r.lastTS = ts
	}
	return &rtp.Packet{
		Header:  rtp.Header{Version: 2, Marker: marker, PayloadType: pt, SequenceNumber: r.lastSeq, Timestamp: ts, SSRC: r.ssrc},
		Payload: payload,
	}
}

func randUint32() uint32 {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand: " + err.Error()) // never fails on supported platforms
	}
	return binary.BigEndian.Uint32(b[:])
}
