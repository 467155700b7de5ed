// Package handover keeps a call up when the browser closes the host's port but goes on
// running (it restarted the extension's service worker): the host waits a short grace
// for the host the browser starts next, which relays its own port to it instead of
// starting a second phone.
//
// The socket lives in the config directory (mode 0700, it holds the passwords), is named
// by the browser's process id (so two browsers never take each other's host), and
// exists only during the grace after a host's input ended. It is not a control port:
// it carries the same native-messaging frames, from a process of the same user that
// the browser itself started.
package handover

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Grace is how long a host whose input ended waits for its successor before it hangs up
// and unregisters: short, so a real browser exit still ends calls within 2 s.
const Grace = time.Second

// ErrNoSuccessor: no host connected within the grace.
var ErrNoSuccessor = errors.New("handover: no successor within the grace")

// Path is the handover socket of the hosts of one browser process.
func Path(configDir string, browserPID int) string {
	return filepath.Join(configDir, "host-"+strconv.Itoa(browserPID)+".sock")
}

// Await listens on path for at most grace and returns the first host that connects.
// The socket is removed again before it returns.
func Await(ctx context.Context, path string, grace time.Duration) (net.Conn, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("handover dir: %w", err)
	}
	_ = os.Remove(path) // a socket left by a host that was killed
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("handover listen: %w", err)
	}
	ln.SetUnlinkOnClose(true)
	defer ln.Close()
	if err := ln.SetDeadline(time.Now().Add(grace)); err != nil {
		return nil, fmt.Errorf("handover deadline: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = ln.SetDeadline(time.Now()) })
	defer stop()
	conn, err := ln.Accept()
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, ErrNoSuccessor
		}
		return nil, fmt.Errorf("handover accept: %w", err)
	}
	return conn, nil
}

// Relay connects to a host waiting at path. When there is one it copies in to that host
// and the host's output to out until either side ends, and reports true; without one
// (nothing listening, no socket) it reports false at once and the caller is the phone.
func Relay(path string, in io.Reader, out io.Writer) (bool, error) {
	conn, err := net.DialTimeout("unix", path, 200*time.Millisecond)
	if err != nil {
		return false, nil
	}
	defer conn.Close()
	go func() {
		_, _ = io.Copy(conn, in)
		// The browser closed this port: the predecessor sees EOF and waits for the next.
		if uc, ok := conn.(*net.UnixConn); ok {
			_ = uc.CloseWrite()
		}
	}()
	_, err = io.Copy(out, conn)
	// The predecessor is gone (it ended the phone, or waits for another successor):
	// this port ends too, so the browser sees the host exit.
	_ = conn.Close()
	if err != nil {
		return true, fmt.Errorf("handover relay: %w", err)
	}
	return true, nil
}
