package peerbin

import (
	"os"
	"path/filepath"
	"testing"
)

// recorder is a testing.TB that notes whether the test was skipped or failed, without
// stopping the real test.
type recorder struct {
	testing.TB
	skipped, failed bool
}

func (r *recorder) Helper()              {}
func (r *recorder) Skip(...any)          { r.skipped = true }
func (r *recorder) Fatal(...any)         { r.failed = true }
func (r *recorder) Skipf(string, ...any) { r.skipped = true }

func TestMissingSkipsOutsideCIAndFailsInCI(t *testing.T) {
	t.Setenv("CI", "")
	r := &recorder{TB: t}
	Find(r, "no-such-program-tabphone", "nothing")
	if !r.skipped || r.failed {
		t.Fatalf("outside CI: skipped=%v failed=%v", r.skipped, r.failed)
	}
	t.Setenv("CI", "true")
	r = &recorder{TB: t}
	FindFile(r, "nothing", "/no/such/file")
	if r.skipped || !r.failed {
		t.Fatalf("under CI: skipped=%v failed=%v", r.skipped, r.failed)
	}
}

func TestFindLooksInExtraDirs(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "peer")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	if got := Find(t, "peer", "nothing", dir); got != p {
		t.Fatalf("Find = %q, want %q", got, p)
	}
}
