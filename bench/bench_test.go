package bench

import (
	"fmt"
	"sort"
	"sync"
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
	repeats      = 3                // each figure is the median of this many runs
	idleWindow   = 5 * time.Second  // wake-ups are counted over this long
)

// phones starts the dev PBX, the host as 1001 and baresip as 1002, both registered, and
// says how long each took from its start to its REGISTER's 200 OK (cold start).
func phones(b *testing.B) (*devpbxtest.PBX, *host, *baresiptest.Baresip, time.Duration, time.Duration) {
	b.Helper()
	pbx := devpbxtest.Start(b, fmt.Sprintf("1001:%s\n1002:%s\n", hostPassword, peerPassword))
	t0 := time.Now()
	h := startHost(b, pbx.SIP, "1001", hostPassword)
	h.registered()
	hostStart := time.Since(t0)
	t0 = time.Now()
	peer := baresiptest.Start(b, baresiptest.Options{User: "1002", Password: peerPassword, Registrar: pbx.SIP})
	return pbx, h, peer, hostStart, time.Since(t0)
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

// wakeups is how many times per second a process's threads woke up over idleWindow.
func wakeups(b *testing.B, pid int) float64 {
	b.Helper()
	before, err := contextSwitches(pid)
	if err != nil {
		b.Fatal(err)
	}
	time.Sleep(idleWindow)
	after, err := contextSwitches(pid)
	if err != nil {
		b.Fatal(err)
	}
	return float64(after-before) / idleWindow.Seconds()
}

// BenchmarkIdle: each phone registered and idle: resident memory, wake-ups per second,
// and the cold start (process start to REGISTER 200 OK).
func BenchmarkIdle(b *testing.B) {
	for i := 0; i < b.N; i++ {
		var hMiB, pMiB, hWake, pWake, hStart, pStart []float64
		for range repeats {
			_, h, peer, hs, ps := phones(b)
			time.Sleep(time.Second) // start-up work done
			hMiB, pMiB = append(hMiB, mustRSS(b, h.pid())), append(pMiB, mustRSS(b, peer.PID()))
			var wg sync.WaitGroup
			var hw, pw float64
			wg.Add(2)
			go func() { defer wg.Done(); hw = wakeups(b, h.pid()) }()
			go func() { defer wg.Done(); pw = wakeups(b, peer.PID()) }()
			wg.Wait()
			hWake, pWake = append(hWake, hw), append(pWake, pw)
			hStart, pStart = append(hStart, ms(hs)), append(pStart, ms(ps))
		}
		b.ReportMetric(medianOf(hMiB), "host-MiB")
		b.ReportMetric(medianOf(pMiB), "baresip-MiB")
		b.ReportMetric(medianOf(hWake), "host-wakeups/s")
		b.ReportMetric(medianOf(pWake), "baresip-wakeups/s")
		record("idle registered: resident memory", "MiB", medianOf(hMiB), 15, "≤", medianOf(pMiB))
		record("idle registered: wake-ups", "per s", medianOf(hWake), 0, "", medianOf(pWake))
		record("cold start → REGISTER 200 OK", "ms", medianOf(hStart), 300, "<", medianOf(pStart))
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkCallSetup: from the dial to the answered call (the PBX's 407 challenge and
// its 200 included), median of setupCalls calls to the echo service, each phone; and for
// the host, from the dial intent to its INVITE on the wire (seen by a tap in front of the
// PBX; baresip's dial is a command over its control socket, not the same work).
func BenchmarkCallSetup(b *testing.B) {
	for i := 0; i < b.N; i++ {
		pbx, h, peer, _, _ := phones(b)
		tap := startSIPTap(b, pbx.SIP)
		tapped := startHostVia(b, pbx.SIP, tap.addr(), "1001", hostPassword)
		tapped.registered()
		var hostTimes, peerTimes, toWire []time.Duration
		for n := 0; n < setupCalls; n++ {
			t0 := time.Now()
			callID, from := h.dial("600")
			h.callState(callID, protocol.CallConnected, from)
			hostTimes = append(hostTimes, time.Since(t0))
			from = h.mark()
			h.reply(h.request(protocol.TypeHangup, map[string]string{"call_id": callID}), from)
			h.callState(callID, protocol.CallEnded, from)

			t0 = time.Now()
			callID, from = tapped.dial("600")
			if at := tap.firstInviteAfter(t0); !at.IsZero() {
				toWire = append(toWire, at.Sub(t0))
			}
			tapped.callState(callID, protocol.CallConnected, from)
			from = tapped.mark()
			tapped.reply(tapped.request(protocol.TypeHangup, map[string]string{"call_id": callID}), from)
			tapped.callState(callID, protocol.CallEnded, from)

			seen := len(peer.Events())
			t0 = time.Now()
			peer.Dial("600")
			peer.WaitEvent("CALL_ESTABLISHED", 15*time.Second, after(peer, seen))
			peerTimes = append(peerTimes, time.Since(t0))
			seen = len(peer.Events())
			peer.Hangup()
			peer.WaitEvent("CALL_CLOSED", 15*time.Second, after(peer, seen))
		}
		if len(toWire) == 0 {
			b.Fatal("the tap saw no INVITE")
		}
		hostMs, peerMs, wireMs := median(hostTimes), median(peerTimes), median(toWire)
		b.ReportMetric(hostMs, "host-ms")
		b.ReportMetric(peerMs, "baresip-ms")
		b.ReportMetric(wireMs, "dial-to-INVITE-ms")
		record("dial → answered (407 included)", "ms", hostMs, 0, "", peerMs)
		record("dial intent → INVITE on the wire (warm)", "ms", wireMs, 30, "<", 0)
	}
}

// BenchmarkCallCPU: CPU time each phone uses per second of an echo call with audio both
// ways (the host relays the browser's 20 ms PCMU packets; baresip encodes and decodes its
// own), its memory during the call over its memory idle, and its wake-ups per second;
// medians of `repeats` calls.
func BenchmarkCallCPU(b *testing.B) {
	for i := 0; i < b.N; i++ {
		_, h, peer, _, _ := phones(b)
		time.Sleep(time.Second)
		hIdle, pIdle := mustRSS(b, h.pid()), mustRSS(b, peer.PID())
		var hCPU, pCPU, hMem, pMem []float64
		for range repeats {
			callID, from := h.dial("600")
			leg := connectBrowser(b, h, callID)
			h.callState(callID, protocol.CallConnected, from)
			time.Sleep(time.Second) // both legs flowing
			used := measureCPU(b, h.pid())
			if leg.heard.Load() < int64(callLength/(20*time.Millisecond))/2 {
				b.Fatalf("the echo brought back only %d packets in %s", leg.heard.Load(), callLength)
			}
			hCPU, hMem = append(hCPU, perSecond(used)), append(hMem, (mustRSS(b, h.pid())-hIdle)*1024)
			leg.close()
			from = h.mark()
			h.reply(h.request(protocol.TypeHangup, map[string]string{"call_id": callID}), from)
			h.callState(callID, protocol.CallEnded, from)

			seen := len(peer.Events())
			peer.Dial("600")
			peer.WaitEvent("CALL_ESTABLISHED", 15*time.Second, after(peer, seen))
			time.Sleep(time.Second)
			used = measureCPU(b, peer.PID())
			pCPU, pMem = append(pCPU, perSecond(used)), append(pMem, (mustRSS(b, peer.PID())-pIdle)*1024)
			seen = len(peer.Events())
			peer.Hangup()
			peer.WaitEvent("CALL_CLOSED", 15*time.Second, after(peer, seen))
		}
		hc, pc := medianOf(hCPU), medianOf(pCPU)
		b.ReportMetric(hc, "host-cpu-ms/s")
		b.ReportMetric(pc, "baresip-cpu-ms/s")
		b.ReportMetric(hc/pc, "cpu-host/baresip")
		b.ReportMetric(medianOf(hMem), "host-KiB/call")
		b.ReportMetric(medianOf(pMem), "baresip-KiB/call")
		record("one call: CPU (ms per call second)", "ms/s", hc, pc/2, "≤", pc)
		record("one call: memory over idle", "KiB", medianOf(hMem), 1024, "≤", medianOf(pMem))
	}
}

func perSecond(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000 / callLength.Seconds()
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
