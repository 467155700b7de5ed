package media

import (
	"os"
	"runtime"
)

// UseOneThread runs Go code on one OS thread at a time (GOMAXPROCS=1) unless the
// GOMAXPROCS environment variable says otherwise, and returns the setting in force.
//
// A call's relay is a few small packets every 20 ms handed between pion's goroutines;
// with more than one P each hand-off can wake another OS thread, and those wake-ups were
// most of the host's CPU (docs/performance.md). Measured with `make bench` on 2 cores:
// one call 17.7 → 12.3 ms per call second (baresip 13.1 in the same run); the relay at
// 50 calls 0.41 → 0.34 % of a core per call with the packet transit p50 unchanged
// (126 → 123 µs, p99 0.8 → 2.0 ms); at 200 calls, which no single user has, p50 186 →
// 327 µs and p99 4.6 → 15 ms. The host serves one person's calls, so it takes the lower
// CPU. The host program calls it at start; the relay bench's process does too.
func UseOneThread() int {
	if os.Getenv("GOMAXPROCS") != "" {
		return runtime.GOMAXPROCS(0)
	}
	runtime.GOMAXPROCS(1)
	return 1
}
