package install

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tabphone/tabphone/nativehost/config"
	"github.com/tabphone/tabphone/nativehost/protocol"
)

// Check is one line of a doctor report: what was checked, what was found, the fix.
type Check struct {
	Check   string `json:"check"`             // manifest, sandbox, browsers, policy, host, config, account
	Subject string `json:"subject,omitempty"` // the browser, host path or account it is about
	OK      bool   `json:"ok"`
	Message string `json:"message"`       // a sentence: what was found
	Fix     string `json:"fix,omitempty"` // the command or step that fixes it
}

// DoctorOptions say what to check.
type DoctorOptions struct {
	Browsers  []string // empty: every browser found
	Profile   string   // a Chromium-family profile directory (its own manifest place)
	ConfigDir string   // the host's config directory (config.Dir)
	Self      string   // this program, probed when no manifest names a host
	Probe     Prober   // nil: ProbeHost
	Settle    time.Duration
}

// DefaultSettle is how long doctor waits for every account's REGISTER result.
const DefaultSettle = 10 * time.Second

// AllPass reports whether every check passed.
func AllPass(checks []Check) bool {
	for _, c := range checks {
		if !c.OK {
			return false
		}
	}
	return true
}

// Doctor checks the installation: each browser's manifest, Snap/Flatpak sandboxes,
// the Tabphone settings an administrator set by browser policy (Linux), that the host answers hello through the framing, config.json, and each account's
// registration. It returns one Check per line of the report.
func Doctor(ctx context.Context, e Env, o DoctorOptions) []Check {
	if o.Probe == nil {
		o.Probe = ProbeHost
	}
	if o.Settle == 0 {
		o.Settle = DefaultSettle
	}
	var out []Check
	var hosts []string
	var targets []Found
	if len(o.Browsers) > 0 {
		for _, n := range o.Browsers {
			b, err := Lookup(n)
			if err != nil {
				out = append(out, Check{Check: "browsers", Subject: n, Message: err.Error(), Fix: "name one of " + strings.Join(Browsers(), ", ")})
				continue
			}
			targets = append(targets, e.found(b))
		}
	} else {
		targets = e.Detect()
		if len(targets) == 0 {
			out = append(out, Check{Check: "browsers", Message: "no supported browser found (" + strings.Join(Browsers(), ", ") + ")",
				Fix: "install Chromium, Google Chrome, Edge, Brave, Vivaldi, Opera or Firefox from a package, or name one with --browser"})
		}
	}
	for _, f := range targets {
		if a := SandboxAdvice(f); a != "" {
			out = append(out, Check{Check: "sandbox", Subject: f.Browser.Name, Message: a, Fix: "install " + f.Browser.Title + " from a .deb/.rpm package, then run `tabphone-host install`"})
		}
		c, host := e.checkManifest(f.Browser, o.Profile)
		out = append(out, c)
		if host != "" && !slices.Contains(hosts, host) {
			hosts = append(hosts, host)
		}
	}
	// What an administrator set by policy (Linux policy files; see policy.go).
	out = append(out, e.policyChecks()...)
	if len(hosts) == 0 && o.Self != "" {
		hosts = []string{o.Self}
	}
	cfgOK := true
	if o.ConfigDir != "" {
		var c Check
		c, cfgOK = checkConfig(e, o.ConfigDir)
		out = append(out, c)
	}
	for i, h := range hosts {
		// Registration is asked of the first host only: one REGISTER result per account.
		settle := o.Settle
		if i > 0 || !cfgOK {
			settle = time.Millisecond
		}
		p := o.Probe(ctx, h, settle)
		out = append(out, hostCheck(h, p))
		if i == 0 && p.Err == nil && cfgOK {
			out = append(out, accountChecks(p)...)
		}
	}
	return out
}

// found describes a browser named on the command line, found or not.
func (e Env) found(b Browser) Found {
	for _, f := range e.Detect() {
		if f.Browser.Name == b.Name {
			return f
		}
	}
	return Found{Browser: b, Native: true}
}

func installFix(b Browser, profile string) string {
	fix := "run `tabphone-host install --browser " + b.Name
	if profile != "" {
		fix += " --profile " + profile
	}
	return fix + "`"
}

// checkManifest finds the manifest the browser reads (the profile's, else the user's,
// else the system's) and checks it; it returns the host path a good one names.
func (e Env) checkManifest(b Browser, profile string) (Check, string) {
	c := Check{Check: "manifest", Subject: b.Name, Fix: installFix(b, profile)}
	var places []Place
	if profile != "" {
		pl, err := e.ProfilePlace(b, profile)
		if err != nil {
			c.Message = err.Error()
			return c, ""
		}
		places = []Place{pl}
	} else {
		for _, s := range []Scope{UserScope, SystemScope} {
			ps, err := e.Places(b, s)
			if err != nil {
				c.Message = err.Error()
				return c, ""
			}
			places = append(places, ps...)
		}
	}
	var path string
	var data []byte
	for _, pl := range places {
		p := pl.Manifest
		if pl.Key != "" {
			if e.Registry == nil {
				continue
			}
			v, err := e.Registry.Default(pl.Key)
			if err != nil {
				continue
			}
			p = v
		}
		d, err := e.FS.ReadFile(p)
		if err == nil {
			path, data = p, d
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			c.Message = fmt.Sprintf("%s: cannot read the host manifest %s (%v)", b.Title, p, err)
			return c, ""
		}
	}
	if path == "" {
		where := places[0].Manifest
		if places[0].Key != "" {
			where = "the registry key " + places[0].Key
		}
		c.Message = fmt.Sprintf("%s: no host manifest at %s, so the browser says \"Specified native messaging host not found\"", b.Title, where)
		return c, ""
	}
	c.Subject = b.Name
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		c.Message = fmt.Sprintf("%s: the host manifest %s is not valid JSON (%v)", b.Title, path, err)
		return c, ""
	}
	switch {
	case m.Name != HostName:
		c.Message = fmt.Sprintf("%s: the host manifest %s names %q, not %q", b.Title, path, m.Name, HostName)
		return c, ""
	case m.Type != "stdio":
		c.Message = fmt.Sprintf("%s: the host manifest %s has type %q, not \"stdio\"", b.Title, path, m.Type)
		return c, ""
	case b.Firefox && !slices.Contains(m.AllowedExtensions, GeckoID):
		c.Message = fmt.Sprintf("%s: the host manifest %s does not allow the Tabphone extension (allowed_extensions needs %s)", b.Title, path, GeckoID)
		return c, ""
	case !b.Firefox && !slices.Contains(m.AllowedOrigins, ChromeOrigin):
		c.Message = fmt.Sprintf("%s: the host manifest %s does not allow the Tabphone extension (allowed_origins needs %s with the trailing slash)", b.Title, path, ChromeOrigin)
		return c, ""
	case !e.isAbs(m.Path):
		c.Message = fmt.Sprintf("%s: the host manifest %s names the host by a relative path %q (browsers need an absolute one)", b.Title, path, m.Path)
		return c, ""
	}
	st, err := e.FS.Stat(m.Path)
	if err != nil {
		c.Message = fmt.Sprintf("%s: the host program %s named in %s is missing", b.Title, m.Path, path)
		return c, ""
	}
	if e.GOOS != "windows" && (st.IsDir() || st.Mode()&0o111 == 0) {
		c.Message = fmt.Sprintf("%s: the host program %s is not executable", b.Title, m.Path)
		c.Fix = "run `chmod 755 " + m.Path + "`, or " + c.Fix
		return c, ""
	}
	c.OK, c.Fix = true, ""
	c.Message = fmt.Sprintf("%s: the host manifest %s allows Tabphone and names %s", b.Title, path, m.Path)
	return c, m.Path
}

// checkConfig: config.json is there, valid, and readable by its owner only.
func checkConfig(e Env, dir string) (Check, bool) {
	p := e.join(dir, "config.json")
	c := Check{Check: "config", Subject: p}
	st, err := e.FS.Stat(p)
	if err != nil {
		c.Message = "no config.json at " + p + ", so there is no SIP account"
		c.Fix = "add an account in Tabphone's options page, or write " + p + " (docs/config.md)"
		return c, false
	}
	data, err := e.FS.ReadFile(p)
	if err == nil {
		_, err = config.Parse(data)
	}
	if err != nil {
		c.Message = fmt.Sprintf("config.json is not valid: %v", strings.TrimPrefix(err.Error(), config.ErrInvalid.Error()+": "))
		c.Fix = "correct " + p + " (docs/config.md), or save the account again in the options page"
		return c, false
	}
	if e.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		c.Message = fmt.Sprintf("config.json has mode %04o, so other users can read the SIP passwords in it", st.Mode().Perm())
		c.Fix = "run `chmod 600 " + p + "`"
		return c, true
	}
	c.OK = true
	c.Message = "config.json is valid and readable by you only"
	return c, true
}

func hostCheck(path string, p Probe) Check {
	c := Check{Check: "host", Subject: path}
	if p.Err != nil {
		c.Message = fmt.Sprintf("the host %s does not answer hello: %v", path, p.Err)
		c.Fix = "see the host log (" + logHint() + "), then run `tabphone-host install` again"
		return c
	}
	c.OK = true
	c.Message = fmt.Sprintf("the host %s answers hello (version %s)", path, p.Version)
	return c
}

func logHint() string {
	return filepath.Join("~/.cache/tabphone", "host.log") + " or $TABPHONE_LOG_DIR/host.log"
}

// accountChecks says each account's REGISTER result in words, with the fix.
func accountChecks(p Probe) []Check {
	var out []Check
	if p.ConfigError != nil {
		out = append(out, Check{Check: "config", Message: "the host did not apply config.json: " + p.ConfigError.Message, Fix: "correct config.json (docs/config.md)"})
	}
	for _, a := range p.Accounts {
		c := Check{Check: "account", Subject: a.ID}
		who := fmt.Sprintf("account %s (%s@%s)", a.ID, a.User, a.Domain)
		switch a.Registration {
		case protocol.RegRegistered:
			c.OK = true
			c.Message = who + ": registered"
		case protocol.RegFailed:
			c.Message, c.Fix = registerFailure(who, a.Error)
		default:
			c.Message = who + ": the registrar did not answer the REGISTER in time"
			c.Fix = "check the domain or registrar address and the transport, and that this machine reaches the PBX (firewall, VPN)"
		}
		out = append(out, c)
	}
	return out
}

func registerFailure(who string, e *protocol.ErrorBody) (msg, fix string) {
	if e == nil {
		return who + ": the REGISTER failed", "see the host log (" + logHint() + ")"
	}
	switch {
	case e.SIPCode == 401 || e.SIPCode == 403 || e.SIPCode == 407:
		return fmt.Sprintf("%s: the registrar refused the credentials (%d %s)", who, e.SIPCode, e.Message),
			"check the user, auth user and password in Tabphone's options page"
	case e.SIPCode == 404:
		return fmt.Sprintf("%s: the registrar does not know this user (404 %s)", who, e.Message),
			"check the user and the domain in Tabphone's options page"
	case e.SIPCode != 0:
		return fmt.Sprintf("%s: the registrar answered %d %s", who, e.SIPCode, e.Message),
			"ask the PBX's administrator what the answer means for this account"
	}
	return fmt.Sprintf("%s: the registrar was not reached (%s)", who, e.Message),
		"check the domain or registrar address, the port and the transport, and that this machine reaches the PBX (firewall, VPN)"
}
