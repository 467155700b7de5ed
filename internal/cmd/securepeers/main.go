// Command securepeers starts the SIP peers of the browser E2E suite's secure media
// tests with the same configs the Go tests use (kamailiotest, rtpenginetest,
// baresiptest), prints where they are as one JSON line, answers commands on stdin, and
// stops them all when stdin closes or on SIGTERM. It is a test tool, not part of the
// product; see peers.go for what runs and commands.go for the commands. With -blf it
// starts the busy lamp peers instead (blf.go).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	run := Run
	if len(os.Args) == 2 && os.Args[1] == "-blf" {
		run = RunBLF // the busy lamp peers instead (blf.go)
	}
	err := run(ctx, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "securepeers:", err)
		os.Exit(1)
	}
}
