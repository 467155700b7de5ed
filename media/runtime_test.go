package media

import (
	"runtime"
	"testing"
)

// TestUseOneThread: one P unless GOMAXPROCS is set, which then wins.
func TestUseOneThread(t *testing.T) {
	prev := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
	runtime.GOMAXPROCS(2)
	t.Setenv("GOMAXPROCS", "")
	if got := UseOneThread(); got != 1 || runtime.GOMAXPROCS(0) != 1 {
		t.Fatalf("UseOneThread = %d, GOMAXPROCS now %d; want 1", got, runtime.GOMAXPROCS(0))
	}
	runtime.GOMAXPROCS(2)
	t.Setenv("GOMAXPROCS", "2")
	if got := UseOneThread(); got != 2 || runtime.GOMAXPROCS(0) != 2 {
		t.Fatalf("with GOMAXPROCS=2 set: UseOneThread = %d, GOMAXPROCS now %d", got, runtime.GOMAXPROCS(0))
	}
}
