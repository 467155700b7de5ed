// Command tabphone-host is Tabphone's native-messaging host: the browser starts it with
// the extension's origin as argument. It also installs itself for browsers (install,
// uninstall), checks an installation (doctor) and prints its version.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/tabphone/tabphone/install"
	"github.com/tabphone/tabphone/media"
	"github.com/tabphone/tabphone/nativehost/config"
	"github.com/tabphone/tabphone/nativehost/handover"
	"github.com/tabphone/tabphone/nativehost/host"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "install", "uninstall", "doctor":
			return manage(args[0], args[1:], stdout, stderr)
		case "version", "--version", "-version":
			fmt.Fprintln(stdout, "tabphone-host", version)
			return 0
		}
	}
	if !startedByBrowser(args) {
		fmt.Fprintf(stderr, "tabphone-host %s: the browser starts this program through native messaging.\n"+
			"usage: tabphone-host install|uninstall [--browser NAME] [--profile DIR] [--system] | doctor [--json] | version\n", version)
		return 2
	}
	if code, detached := detach(args); detached {
		return code
	}
	media.UseOneThread()
	return serve(stdin, stdout, stderr)
}

// startedByBrowser: Chrome passes the caller's origin (chrome-extension://ID/), Firefox
// the manifest path and the extension id.
func startedByBrowser(args []string) bool {
	for _, a := range args {
		if strings.HasPrefix(a, "chrome-extension://") || a == install.GeckoID || strings.HasSuffix(a, install.HostName+".json") {
			return true
		}
	}
	return false
}

func serve(stdin io.Reader, stdout, stderr io.Writer) int {
	log, closeLog, err := openLog()
	if err != nil {
		fmt.Fprintln(stderr, "tabphone-host:", err) // stderr is the browser's log, never stdout
		log = slog.New(slog.NewTextHandler(stderr, nil))
		closeLog = func() {}
	}
	defer closeLog()
	dir, err := config.Dir()
	if err != nil {
		log.Error("no config dir", "err", err)
		return 1
	}
	// A browser that died leaves stdout a broken pipe: a write there must fail (the
	// writer logs it), not kill the host with SIGPIPE before it hangs up and unregisters.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	// A host that the browser started while another host of the same browser waits for
	// its successor (the service worker was restarted during a call) relays this port to
	// it, so the calls and the registration stay where they are.
	sock := handover.Path(dir, browserPID())
	if relayed, err := handover.Relay(sock, stdin, stdout); relayed {
		log.Info("port relayed to the running host", "pid", os.Getpid(), "err", err)
		return 0
	}
	log.Info("host started", "version", version, "pid", os.Getpid(), "config_dir", dir)
	opts := host.Options{Stdin: stdin, Stdout: stdout, ConfigDir: dir, Log: log, Version: version,
		Successor: func(ctx context.Context) (io.ReadWriteCloser, error) {
			return handover.Await(ctx, sock, handover.Grace)
		}}
	if err := host.Run(ctx, opts); err != nil {
		log.Error("host stopped", "err", err)
		return 1
	}
	log.Info("host exited")
	return 0
}

// browserPIDEnv carries the browser's process id to the detached host (detach_unix.go).
const browserPIDEnv = "TABPHONE_BROWSER_PID"

// browserPID is the process id of the browser that started this host: the hosts of one
// browser hand over to each other, never to another browser's.
func browserPID() int {
	if v, err := strconv.Atoi(os.Getenv(browserPIDEnv)); err == nil && v > 0 {
		return v
	}
	return os.Getppid()
}

// maxLogSize: at start, a log over this size is moved to host.log.1 (one old file kept).
const maxLogSize = 5 << 20

func openLog() (*slog.Logger, func(), error) {
	dir := os.Getenv("TABPHONE_LOG_DIR")
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil, nil, fmt.Errorf("find log dir: %w", err)
		}
		dir = filepath.Join(base, "tabphone")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("create log dir: %w", err)
	}
	path := filepath.Join(dir, "host.log")
	if st, err := os.Stat(path); err == nil && st.Size() > maxLogSize {
		_ = os.Rename(path, path+".1")
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open log: %w", err)
	}
	level := slog.LevelInfo
	if os.Getenv("TABPHONE_LOG_LEVEL") == "debug" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: level})), func() { f.Close() }, nil
}

func manage(cmd string, args []string, stdout, stderr io.Writer) int {
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		fmt.Fprintln(stderr, "cannot find this program's path:", err)
		return 1
	}
	env, err := install.CurrentEnv()
	if err != nil {
		fmt.Fprintln(stderr, cmd+":", err)
		return 1
	}
	dir, _ := config.Dir()
	cli := install.CLI{Env: env, Self: exe, ConfigDir: dir, Stdout: stdout, Stderr: stderr}
	return cli.Run(context.Background(), cmd, args)
}
