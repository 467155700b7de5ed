// Package peerbin finds the Debian programs and modules that the test peers in internal/
// run. A missing one skips the test on a developer's machine and fails it under CI=true,
// where `make test` has installed them and a skip would hide a broken setup.
package peerbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/tabphone/tabphone/internal/testpeer"
)

// Find returns the path of the program name, looked up in PATH and then in dirs (Debian
// puts daemons in /usr/sbin, which a user's PATH may lack). pkg is the Debian package
// that installs it, named in the message when it is missing.
func Find(t testpeer.T, name, pkg string, dirs ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	Missing(t, "%s is not installed (make test installs the Debian package %s)", name, pkg)
	return ""
}

// FindFile returns the first of paths that exists (a module in one of the places a
// Debian package may put it); none existing counts as a missing peer.
func FindFile(t testpeer.T, pkg string, paths ...string) string {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	Missing(t, "none of %v exists (make test installs the Debian package %s)", paths, pkg)
	return ""
}

// Missing reports a peer the machine lacks: a failure under CI=true, a skip elsewhere.
func Missing(t testpeer.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatal(msg + " (CI=true: a missing test peer is a failure)")
		return
	}
	t.Skip(msg)
}

// InCI reports whether the tests run under CI (CI=true, as CI services set it).
func InCI() bool {
	v := os.Getenv("CI")
	return v == "true" || v == "1"
}
