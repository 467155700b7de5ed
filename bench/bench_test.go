package bench

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/baresiptest"
	"github.com/tabphone/tabphone/internal/devpbxtest"
	"github.com/tabphone/tabphone/nativehost/protocol"
)

const (
	hostPassword = "bench-host-pw"
	peerPassword = "bench-peer-pw"
	setupCalls   = 10               // calls per side in BenchmarkCallSetup
	callLength   = 10 * time.Second // measured call time in BenchmarkCallCPU
)

// phones starts the dev PBX, the host as 1001 and baresip as 1002, both registered.
func phones(b *testing.B) (*devpbxtest.PBX, *host, *baresiptest.Baresip) {
	b.Helper()
	pbx := devpbxtest.Start(b, fmt.Sprintf("1001:%s\n1002:%s\n", hostPassword, peerPassword))
	h := startHost(b, pbx.SIP, "1001", hostPassword)
	h.registered()
	peer := baresiptest.Start(b, baresiptest.Options{User: "1002", Password: peerPassword, Registrar: pbx.SIP})
	return pbx, h, peer
}

func mustRSS(b *testing.B, pid int) float64 {
	b.Helper()
	kib, err := rssKiB(pid)
	if err != nil {
		b.Fatal(err)
	}
	return float64(kib) / 1024
}

func mustCPU(b *testing.B, pid int) time.Duration {
	b.Helper()
	d, err := cpuTime(pid)
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// BenchmarkIdleMemory: resident memory of each phone, registered and idle.
func BenchmarkIdleMemory(b *testing.B) {
	for i := 0; i < b.N; i++ {
		_, h, peer := phones(b)
		hostMiB, peerMiB := mustRSS(b, h.pid()), mustRSS(b, peer.PID())
		b.ReportMetric(hostMiB, "host-MiB")
		b.ReportMetric(peerMiB, "baresip-MiB")
		b.ReportMetric(hostMiB/peerMiB, "host/baresip")
	}
}

// BenchmarkCallSetup: from the dial to the answered call (the PBX's 407 challenge and
// its 200 included), median of setupCalls calls to the echo service, each phone.
func BenchmarkCallSetup(b *testing.B) {
	for i := 0; i < b.N; i++ {
		_, h, peer := phones(b)
		var hostTimes, peerTimes []time.Duration
		for n := 0; n < setupCalls; n++ {
			t0 := time.Now()
			callID, from := h.dial("600")
			h.callState(callID, protocol.CallConnected, from)
			hostTimes = append(hostTimes, time.Since(t0))
			from = h.mark()
			h.reply(h.request(protocol.TypeHangup, map[string]string{"call_id": callID}), from)
			h.callState(callID, protocol.CallEnded, from)

			seen := len(peer.Events())
			t0 = time.Now()
			peer.Dial("600")
			peer.WaitEvent("CALL_ESTABLISHED", 15*time.Second, after(peer, seen))
			peerTimes = append(peerTimes, time.Since(t0))
			seen = len(peer.Events())
			peer.Hangup()
			peer.WaitEvent("CALL_CLOSED", 15*time.Second, after(peer, seen))
		}
		hostMs, peerMs := median(hostTimes), median(peerTimes)
		b.ReportMetric(hostMs, "host-ms")
		b.ReportMetric(peerMs, "baresip-ms")
		b.ReportMetric(hostMs/peerMs, "host/baresip")
	}
}

// BenchmarkCallCPU: CPU time each phone uses per second of an echo call with audio both
// ways (the host relays the browser's 20 ms PCMU packets; baresip encodes and decodes its
// own), and the memory during the call.
func BenchmarkCallCPU(b *testing.B) {
	for i := 0; i < b.N; i++ {
		_, h, peer := phones(b)
		callID, from := h.dial("600")
		leg := connectBrowser(b, h, callID)
		h.callState(callID, protocol.CallConnected, from)
		hostCPU := measureCPU(b, h.pid())
		if leg.heard.Load() < int64(callLength/(20*time.Millisecond))/2 {
			b.Fatalf("the echo brought back only %d packets in %s", leg.heard.Load(), callLength)
		}
		hostMiB := mustRSS(b, h.pid())
		leg.close()

		seen := len(peer.Events())
		peer.Dial("600")
		peer.WaitEvent("CALL_ESTABLISHED", 15*time.Second, after(peer, seen))
		peerCPU := measureCPU(b, peer.PID())
		peerMiB := mustRSS(b, peer.PID())
		peer.Hangup()

		perSecond := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / callLength.Seconds() }
		b.ReportMetric(perSecond(hostCPU), "host-cpu-ms/s")
		b.ReportMetric(perSecond(peerCPU), "baresip-cpu-ms/s")
		b.ReportMetric(float64(hostCPU)/float64(max(peerCPU, time.Millisecond)), "cpu-host/baresip")
		b.ReportMetric(hostMiB, "host-MiB")
		b.ReportMetric(peerMiB, "baresip-MiB")
		b.ReportMetric(hostMiB/peerMiB, "mem-host/baresip")
	}
}

// measureCPU is the CPU time a process uses during callLength of its call.
func measureCPU(b *testing.B, pid int) time.Duration {
	b.Helper()
	before := mustCPU(b, pid)
	time.Sleep(callLength) // the measured interval itself
	return mustCPU(b, pid) - before
}

// after matches events that came after the first `seen` ones.
func after(peer *baresiptest.Baresip, seen int) func(baresiptest.Event) bool {
	old := map[baresiptest.Event]bool{}
	for _, e := range peer.Events()[:seen] {
		old[e] = true
	}
	return func(e baresiptest.Event) bool { return !old[e] }
}

func median(ds []time.Duration) float64 {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[len(s)/2].Microseconds()) / 1000
}
