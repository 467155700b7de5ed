// Command tabphone-devpbx is a small SIP PBX with a demo Dialer/PBX web app, the test
// peer of Tabphone's demo and end-to-end tests: a registrar with digest auth, the test
// extensions 600 (echo), 601 (1 kHz tone), 602 (calls you back), 603 (busy) and 604
// (rings forever), calls to registered users on request, and a JSON API of what it
// saw.
//
// Once it listens it prints one line to stdout, which tests parse:
//
//	devpbx ready sip=127.0.0.1:PORT http=127.0.0.1:PORT
//
// Without -users it makes users 1001 and 1002 with random passwords and prints
// "user NAME password PASSWORD" lines to stdout before the ready line. Logs go to
// stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/emiago/sipgo/sip"

	"github.com/tabphone/tabphone/devpbx/pbx"
	"github.com/tabphone/tabphone/devpbx/users"
)

func main() {
	// Libraries that log through the default logger (sipgo does in places) write
	// to stderr as well.
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "tabphone-devpbx:", err)
		}
		os.Exit(2)
	}
}

// run parses args and runs devpbx until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tabphone-devpbx", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sipAddr := fs.String("sip", pbx.DefaultSIP, "SIP listen `address` (UDP, and TCP on the same port); its IP is also used for RTP")
	httpAddr := fs.String("http", pbx.DefaultHTTP, "HTTP listen `address` of the JSON API and the demo Dialer/PBX app")
	usersFile := fs.String("users", "", "users `file` with user:password lines (# comments); default: 1001 and 1002 with random passwords")
	sessionTimeout := fs.Duration("session-timeout", pbx.DefaultSessionTimeout, "idle timeout of the demo app's sessions")
	ring := fs.Duration("ring", 0, "delay between 180 Ringing and 200 OK for the test extensions")
	debug := fs.Bool("debug", false, "log at debug level and trace SIP messages")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}

	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
		sip.SIPDebug = true
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	var dir *users.Directory
	if *usersFile != "" {
		var err error
		if dir, err = users.Load(*usersFile); err != nil {
			return err
		}
	} else {
		dir = users.Generate("1001", "1002")
		for _, name := range dir.Names() {
			password, _ := dir.Password(name)
			fmt.Fprintf(stdout, "user %s password %s\n", name, password)
		}
	}

	return pbx.Run(ctx, pbx.Config{
		SIP:            *sipAddr,
		HTTP:           *httpAddr,
		Users:          dir,
		SessionTimeout: *sessionTimeout,
		RingDelay:      *ring,
		Log:            log,
	}, stdout)
}
