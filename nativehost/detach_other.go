//go:build !unix

package main

// detach is a no-op where there are no sessions to detach into.
func detach([]string) (int, bool) { return 0, false }
