package media

import (
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// echoPBX is the PBX leg's far end in benchmarks: it sends every packet back to where it
// came from, as the dev PBX's echo service does, and does nothing else.
func echoPBX(tb testing.TB) *net.UDPConn {
	tb.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			_, _ = conn.WriteToUDPAddrPort(buf[:n], from)
		}
	}()
	return conn
}

// relayedCall is a call with both legs up: the PBX leg towards an echo peer, the browser
// leg towards a pion peer (the softphone window).
func relayedCall(tb testing.TB, sec Security) (mic func(seq uint16, payload []byte), heard <-chan *rtp.Packet) {
	tb.Helper()
	lo := net.IPv4(127, 0, 0, 1)
	bnet := &BrowserNet{LocalIPs: []net.IP{lo}, remoteOK: machineIPs()}
	call, err := NewCall(bnet, lo, []Codec{PCMU}, sec, discardLog())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(call.Close)
	offer, err := call.Offer(1)
	if err != nil {
		tb.Fatal(err)
	}
	echo := echoPBX(tb)
	params := OfferParams{IP: lo, Port: echo.LocalAddr().(*net.UDPAddr).Port, Codecs: []Codec{PCMU}}
	if sec != SecurityOff {
		// The echo sends our own packets back, so it answers with our own key: what it
		// returns decrypts with the key we offered.
		k := parseOfferedCrypto(tb, string(offer), SuiteAESCM128SHA1_80)
		params.Proto, params.Crypto = ProtoSAVP, []Crypto{k}
	}
	if _, err := call.SetPBXAnswer(BuildSDP(params)); err != nil {
		tb.Fatal(err)
	}
	track, ch := connectBrowser(tb, call, PCMU)
	return func(seq uint16, payload []byte) {
		_ = track.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: uint32(seq) * 160}, Payload: payload})
	}, ch
}

// parseOfferedCrypto is our offer's key for suite.
func parseOfferedCrypto(tb testing.TB, offer string, suite CryptoSuite) Crypto {
	tb.Helper()
	n, err := ParseAnswer([]byte(offer), []Codec{PCMU})
	if err != nil {
		tb.Fatal(err)
	}
	for _, k := range n.Crypto {
		if k.Suite.Name == suite.Name {
			return k
		}
	}
	tb.Fatalf("no %s key in the offer", suite.Name)
	return Crypto{}
}

// BenchmarkRelay sends the window's microphone packets through the host's relay to an
// echo PBX and back into the window, one packet in flight: one op is two relayed packets
// (browser → PBX, PBX → browser) plus the pion peer's own work. It is the workload the
// profiles in docs/performance.md were taken from:
//
//	go test -run '^$' -bench Relay -benchtime 20000x -cpuprofile cpu.out -memprofile mem.out ./media/
func BenchmarkRelay(b *testing.B) {
	for _, sec := range []Security{SecurityOff, SecuritySDES} {
		b.Run(sec.String(), func(b *testing.B) {
			before := runtime.NumGoroutine()
			mic, heard := relayedCall(b, sec)
			payload := make([]byte, 160)
			// Warm up: the browser leg is connected once the first packet comes back.
			deadline := time.Now().Add(10 * time.Second)
			for seq := uint16(1); ; seq++ {
				if time.Now().After(deadline) {
					b.Fatal("nothing came back through the relay")
				}
				mic(seq, payload)
				if heardWithin(heard, 20*time.Millisecond) != nil {
					break
				}
			}
			for len(heard) > 0 {
				<-heard
			}
			// The window's pion peer and the echo are the same before and after a change of
			// the host, so a change in this count is the host's.
			goroutines := runtime.NumGoroutine() - before
			b.ReportAllocs()
			b.ResetTimer()
			lost := 0
			for i := 0; i < b.N; i++ {
				mic(uint16(1000+i), payload)
				if heardWithin(heard, 100*time.Millisecond) == nil {
					lost++
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(lost), "lost")
			b.ReportMetric(float64(goroutines), "goroutines/call")
		})
	}
}
