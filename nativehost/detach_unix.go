//go:build unix

package main

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// detachedEnv marks the host process that runs in its own session.
const detachedEnv = "TABPHONE_HOST_DETACHED"

// detach runs the host in a new session and waits for it. A browser that exits closes
// the host's stdin and then kills the process it started (SIGTERM after ~120 ms, SIGKILL
// after ~190 ms in Chromium), and test runners kill the browser's whole process group:
// either would cut the BYE and the unREGISTER short. The detached host shares the
// browser's pipes, sees the same EOF and still has its 2 s to hang up and unregister.
// It returns false when this process is already the detached one.
func detach(args []string) (code int, detached bool) {
	if os.Getenv(detachedEnv) != "" {
		return 0, false
	}
	exe, err := os.Executable()
	if err != nil {
		return 0, false // run in place
	}
	cmd := exec.Command(exe, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// The browser is this process's parent; the detached host's parent is this process.
	cmd.Env = append(os.Environ(), detachedEnv+"=1", browserPIDEnv+"="+strconv.Itoa(os.Getppid()))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, false
	}
	// The browser's stdio now belongs to the child; this process only waits for it.
	os.Stdin.Close()
	os.Stdout.Close()
	var exit *exec.ExitError
	if err := cmd.Wait(); errors.As(err, &exit) {
		return exit.ExitCode(), true
	}
	return 0, true
}
