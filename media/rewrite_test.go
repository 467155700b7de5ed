package media

import (
	"testing"

	"github.com/pion/rtp"
)

func pkt(ssrc uint32, seq uint16, ts uint32) *rtp.Packet {
	return &rtp.Packet{Header: rtp.Header{Version: 2, SSRC: ssrc, SequenceNumber: seq, Timestamp: ts, PayloadType: 96,
		CSRC: []uint32{9}}, Payload: []byte{1, 2}}
}

// rw rewrites p into a packet of its own, so a test can keep each result.
func rw(r *rewriter, p *rtp.Packet) *rtp.Packet {
	out := &rtp.Packet{}
	r.rewrite(out, p, 0)
	return out
}

// TestRewriterAllocatesNothing: the relay reuses one packet per direction.
func TestRewriterAllocatesNothing(t *testing.T) {
	r := newRewriter(160)
	in, out := pkt(1, 1, 160), &rtp.Packet{}
	if n := testing.AllocsPerRun(100, func() { in.SequenceNumber++; r.rewrite(out, in, 0) }); n != 0 {
		t.Fatalf("%v allocations per packet", n)
	}
}

func TestRewriterContinuesAcrossSourceChange(t *testing.T) {
	r := newRewriter(160)
	a := rw(r, pkt(1, 100, 1000))
	b := rw(r, pkt(1, 101, 1160))
	if b.SequenceNumber != a.SequenceNumber+1 || b.Timestamp != a.Timestamp+160 {
		t.Fatalf("same source: %d/%d then %d/%d", a.SequenceNumber, a.Timestamp, b.SequenceNumber, b.Timestamp)
	}
	c := rw(r, pkt(2, 5, 77)) // new source, unrelated numbering
	if c.SequenceNumber != b.SequenceNumber+1 || c.Timestamp != b.Timestamp+160 {
		t.Fatalf("after switch: %d/%d then %d/%d", b.SequenceNumber, b.Timestamp, c.SequenceNumber, c.Timestamp)
	}
	if c.SSRC != a.SSRC || c.PayloadType != 0 || c.Extension || len(c.CSRC) != 0 {
		t.Fatalf("header not rewritten: %+v", c.Header)
	}
}

func TestRewriterReorderedPacketKeepsPosition(t *testing.T) {
	r := newRewriter(160)
	a := rw(r, pkt(1, 10, 0))
	_ = rw(r, pkt(1, 12, 320))
	late := rw(r, pkt(1, 11, 160))
	next := rw(r, pkt(1, 13, 480))
	if late.SequenceNumber != a.SequenceNumber+1 || next.SequenceNumber != a.SequenceNumber+3 {
		t.Fatalf("reordering changed: %d %d %d", a.SequenceNumber, late.SequenceNumber, next.SequenceNumber)
	}
}

func TestRewriterWraps(t *testing.T) {
	r := newRewriter(160)
	a := rw(r, pkt(1, 65535, 4294967200))
	b := rw(r, pkt(1, 0, 64))
	if b.SequenceNumber != a.SequenceNumber+1 || b.Timestamp != a.Timestamp+160 {
		t.Fatal("wrap-around broke continuity")
	}
}

func TestSynthesizedPacketsKeepTheNumbering(t *testing.T) {
	r := newRewriter(160)
	a := rw(r, pkt(1, 10, 1000))
	ev := r.synth(101, true, []byte{1, 0, 0, 160})
	upd := r.synthAt(101, ev.Timestamp, false, []byte{1, 0, 1, 64})
	b := rw(r, pkt(1, 11, 1160))
	if ev.SequenceNumber != a.SequenceNumber+1 || upd.SequenceNumber != a.SequenceNumber+2 || b.SequenceNumber != a.SequenceNumber+3 {
		t.Fatalf("sequence %d, %d, %d, %d", a.SequenceNumber, ev.SequenceNumber, upd.SequenceNumber, b.SequenceNumber)
	}
	if ev.Timestamp != a.Timestamp+160 || upd.Timestamp != ev.Timestamp || !ev.Marker || upd.Marker || ev.SSRC != a.SSRC {
		t.Fatalf("event header %+v / %+v", ev.Header, upd.Header)
	}
}
