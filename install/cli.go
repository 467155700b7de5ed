package install

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// CLI is the install, uninstall and doctor subcommands of tabphone-host.
type CLI struct {
	Env       Env
	Self      string // this program's absolute path
	ConfigDir string
	Stdout    io.Writer
	Stderr    io.Writer
}

// Run runs subcommand cmd with args and returns the exit code.
func (c CLI) Run(ctx context.Context, cmd string, args []string) int {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	browser := fs.String("browser", "", "one browser: "+strings.Join(Browsers(), ", ")+" (default: every browser found)")
	profile := fs.String("profile", "", "a Chromium-family profile directory: use its own NativeMessagingHosts")
	system := fs.Bool("system", false, "for every user of this machine (needs root or administrator)")
	var hostPath, root *string
	var asJSON *bool
	switch cmd {
	case "install":
		hostPath = fs.String("path", "", "register this host binary where it is (default: copy this program to a stable place)")
		root = fs.String("root", "", "packagers: write system-wide manifests for every browser under DIR as if it were /, naming --path")
	case "doctor":
		asJSON = fs.Bool("json", false, "print the checks as JSON")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	opts := Options{Profile: *profile}
	if *browser != "" {
		opts.Browsers = []string{*browser}
	}
	if *system {
		opts.Scope = SystemScope
	}
	if *profile != "" && *browser == "" {
		fmt.Fprintln(c.Stderr, cmd+": --profile needs --browser")
		return 2
	}
	env := c.Env
	switch cmd {
	case "install":
		if *root != "" {
			if *hostPath == "" {
				fmt.Fprintln(c.Stderr, "install: --root needs --path (where the package puts the host)")
				return 2
			}
			env.FS = OSFS(*root)
			opts.Package = true
		}
		opts.HostPath = *hostPath
		if opts.Profile != "" && opts.HostPath == "" {
			opts.HostPath = c.Self
		}
		if opts.HostPath == "" {
			bin, err := os.ReadFile(c.Self)
			if err != nil {
				fmt.Fprintln(c.Stderr, "install: read this program:", err)
				return 1
			}
			opts.Binary = bin
		}
		res, err := Install(env, opts)
		c.report(cmd, res, err)
		if err != nil {
			return 1
		}
		return 0
	case "uninstall":
		res, err := Uninstall(env, opts)
		c.report(cmd, res, err)
		if err != nil {
			return 1
		}
		return 0
	default:
		checks := Doctor(ctx, env, DoctorOptions{Browsers: opts.Browsers, Profile: opts.Profile, ConfigDir: c.ConfigDir, Self: c.Self})
		ok := AllPass(checks)
		if *asJSON {
			enc := json.NewEncoder(c.Stdout)
			enc.SetIndent("", "  ")
			_ = enc.Encode(struct {
				OK     bool    `json:"ok"`
				Checks []Check `json:"checks"`
			}{ok, checks})
		} else {
			for _, ch := range checks {
				fmt.Fprintln(c.Stdout, FormatCheck(ch))
			}
		}
		if !ok {
			return 1
		}
		return 0
	}
}

// FormatCheck is a check as one line of text.
func FormatCheck(ch Check) string {
	if ch.OK {
		return "ok    " + ch.Message
	}
	line := "FAIL  " + ch.Message
	if ch.Fix != "" {
		line += "; fix: " + ch.Fix
	}
	return line
}

func (c CLI) report(cmd string, res Result, err error) {
	if len(res.Browsers) > 0 {
		fmt.Fprintf(c.Stdout, "%s: %s\n", cmd, strings.Join(res.Browsers, ", "))
	}
	for _, p := range res.Changed {
		verb := "wrote"
		if cmd == "uninstall" {
			verb = "removed"
		}
		fmt.Fprintf(c.Stdout, "  %s %s\n", verb, p)
	}
	for _, n := range res.Notes {
		fmt.Fprintln(c.Stdout, "note:", n)
	}
	if err != nil {
		fmt.Fprintf(c.Stderr, "%s: %v\n", cmd, err)
	}
}
