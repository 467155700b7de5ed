package media

import (
	"net"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

func TestReceiveStatsCountsLossAndWrap(t *testing.T) {
	var s receiveStats
	at := time.Unix(1000, 0)
	seqs := []uint16{65530, 65531, 65533, 65534, 65535, 0, 1, 3} // 65532 and 2 lost, one wrap
	for i, q := range seqs {
		s.add(&rtp.Packet{Header: rtp.Header{SSRC: 9, SequenceNumber: q, Timestamp: uint32(i) * 160}}, at.Add(time.Duration(i)*20*time.Millisecond), 8000)
	}
	r := s.report(at.Add(time.Second))
	if r.SSRC != 9 || r.TotalLost != 2 || r.LastSequenceNumber != 1<<16|3 {
		t.Fatalf("report %+v", r)
	}
	if r.FractionLost != 2*256/10 {
		t.Fatalf("fraction lost %d, want %d", r.FractionLost, 2*256/10)
	}
	if again := s.report(at.Add(2 * time.Second)); again.FractionLost != 0 {
		t.Fatalf("no new loss, but fraction %d", again.FractionLost)
	}
}

// TestPBXLegSendsReports: once media flowed both ways, our report to the PBX's RTCP
// address is an SR for our stream with a reception block for the PBX's.
func TestPBXLegSendsReports(t *testing.T) {
	lo := net.IPv4(127, 0, 0, 1)
	leg, err := ListenPBX(lo, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer leg.Close()
	if leg.LocalAddr().Port%2 != 0 {
		t.Fatalf("RTP port %d is odd", leg.LocalAddr().Port)
	}
	pbxRTP, _ := net.ListenUDP("udp", &net.UDPAddr{IP: lo})
	pbxRTCP, _ := net.ListenUDP("udp", &net.UDPAddr{IP: lo})
	defer pbxRTP.Close()
	defer pbxRTCP.Close()
	leg.SetRemote(pbxRTP.LocalAddr().(*net.UDPAddr), pbxRTCP.LocalAddr().(*net.UDPAddr))
	leg.SetClockRate(8000)

	for seq := uint16(1); seq <= 5; seq++ {
		b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 160, SSRC: 42}, Payload: []byte{1}}).Marshal()
		if _, err := pbxRTP.WriteToUDP(b, leg.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, maxRTP)
		if err := leg.ReadRTP(buf, &rtp.Packet{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := leg.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 77, Timestamp: 1}, Payload: []byte{1, 2, 3}}); err != nil {
		t.Fatal(err)
	}
	if leg.LastReceived().IsZero() {
		t.Fatal("no time of last media")
	}
	if err := leg.sendReport(time.Now()); err != nil {
		t.Fatal(err)
	}
	_ = pbxRTCP.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, maxRTP)
	n, _, err := pbxRTCP.ReadFromUDP(buf)
	if err != nil {
		t.Fatal(err)
	}
	pkts, err := rtcp.Unmarshal(buf[:n])
	if err != nil {
		t.Fatal(err)
	}
	sr, ok := pkts[0].(*rtcp.SenderReport)
	if !ok || sr.SSRC != 77 || sr.PacketCount != 1 || sr.OctetCount != 3 || len(sr.Reports) != 1 || sr.Reports[0].SSRC != 42 || sr.Reports[0].LastSequenceNumber != 5 {
		t.Fatalf("report %v", pkts)
	}
	if _, ok := pkts[1].(*rtcp.SourceDescription); !ok {
		t.Fatalf("no SDES CNAME in %v", pkts)
	}
}
