package install

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/tabphone/tabphone/nativehost/config"
)

// Policy is what an administrator sets for Tabphone through browser policy: the
// extension's storage.managed (extension/managed_schema.json, docs/deploy.md).
type Policy struct {
	Sites               []config.Site      `json:"sites,omitempty"`
	CloseWithoutSession *bool              `json:"close_without_session,omitempty"`
	AccountDefaults     *PolicyAccount     `json:"account_defaults,omitempty"`
	ClickToCall         *PolicyClickToCall `json:"click_to_call,omitempty"`
}

// PolicyAccount holds the account defaults a policy sets (never a password).
type PolicyAccount struct {
	Domain        string   `json:"domain,omitempty"`
	Registrar     string   `json:"registrar,omitempty"`
	OutboundProxy string   `json:"outbound_proxy,omitempty"`
	Transport     string   `json:"transport,omitempty"`
	SRTP          string   `json:"srtp,omitempty"`
	Codecs        []string `json:"codecs,omitempty"`
	Region        string   `json:"region,omitempty"`
}

// PolicyClickToCall holds the click-to-call switches a policy forces.
type PolicyClickToCall struct {
	Links  *bool  `json:"links,omitempty"`
	Detect *bool  `json:"detect,omitempty"`
	Region string `json:"region,omitempty"`
}

// policySource is where one browser keeps machine policy on Linux: Chromium-family
// browsers read every *.json in a folder, Firefox one policies.json.
type policySource struct {
	browser string
	dir     string // Chromium family
	file    string // Firefox
}

// linuxPolicySources are the places doctor reads. On macOS (configuration profiles,
// plists) and Windows (the registry) policy lives elsewhere; doctor does not read it
// there, and the browser's own policy page (chrome://policy, about:policies) shows it.
var linuxPolicySources = []policySource{
	{browser: "chromium", dir: "/etc/chromium/policies/managed"},
	{browser: "chrome", dir: "/etc/opt/chrome/policies/managed"},
	{browser: "edge", dir: "/etc/opt/edge/policies/managed"},
	{browser: "brave", dir: "/etc/brave/policies/managed"},
	{browser: "firefox", file: "/etc/firefox/policies/policies.json"},
	{browser: "firefox", file: "/usr/lib/firefox-esr/distribution/policies.json"},
	{browser: "firefox", file: "/usr/lib/firefox/distribution/policies.json"},
}

// chromiumPolicyFile is the part of a Chromium policy file doctor reads.
type chromiumPolicyFile struct {
	ThirdParty struct {
		Extensions map[string]json.RawMessage `json:"extensions"`
	} `json:"3rdparty"`
	ExtensionSettings map[string]struct {
		InstallationMode string `json:"installation_mode"`
	} `json:"ExtensionSettings"`
	ExtensionInstallForcelist []string `json:"ExtensionInstallForcelist"`
}

// firefoxPolicyFile is the part of Firefox's policies.json doctor reads.
type firefoxPolicyFile struct {
	Policies struct {
		ThirdParty struct {
			Extensions map[string]json.RawMessage `json:"Extensions"`
		} `json:"3rdparty"`
		ExtensionSettings map[string]struct {
			InstallationMode string `json:"installation_mode"`
		} `json:"ExtensionSettings"`
	} `json:"policies"`
}

// policyChecks reports the policy set for Tabphone in each browser's machine policy
// files (Linux only): one line per file that names Tabphone, none when no file does.
func (e Env) policyChecks() []Check {
	if e.GOOS != "linux" {
		return nil
	}
	var out []Check
	for _, src := range linuxPolicySources {
		b, _ := Lookup(src.browser)
		files := []string{src.file}
		if src.dir != "" {
			names, err := e.FS.ReadDir(src.dir)
			if err != nil {
				continue
			}
			files = files[:0]
			for _, n := range names {
				if strings.HasSuffix(n, ".json") {
					files = append(files, src.dir+"/"+n)
				}
			}
		}
		for _, f := range files {
			if c, ok := e.policyCheck(b, f, src.dir == ""); ok {
				out = append(out, c)
			}
		}
	}
	return out
}

// policyCheck reads one policy file; ok is false when it does not name Tabphone.
func (e Env) policyCheck(b Browser, path string, firefox bool) (Check, bool) {
	c := Check{Check: "policy", Subject: b.Name}
	data, err := e.FS.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return c, false
		}
		c.Message = fmt.Sprintf("%s: cannot read the policy file %s (%v)", b.Title, path, err)
		c.Fix = "make " + path + " readable (mode 0644)"
		return c, true
	}
	id := ExtensionID
	if firefox {
		id = GeckoID
	}
	if !bytes.Contains(data, []byte(id)) {
		return c, false
	}
	var raw json.RawMessage
	forced := false
	if firefox {
		var f firefoxPolicyFile
		err = json.Unmarshal(data, &f)
		raw = f.Policies.ThirdParty.Extensions[id]
		forced = f.Policies.ExtensionSettings[id].InstallationMode == "force_installed"
	} else {
		var f chromiumPolicyFile
		err = json.Unmarshal(data, &f)
		raw = f.ThirdParty.Extensions[id]
		forced = f.ExtensionSettings[id].InstallationMode == "force_installed" ||
			slices.ContainsFunc(f.ExtensionInstallForcelist, func(s string) bool { return strings.HasPrefix(s, id) })
	}
	if err != nil {
		c.Message = fmt.Sprintf("%s ignores the policy file %s: it is not valid JSON (%v)", b.Title, path, err)
		c.Fix = "correct " + path + " (docs/deploy.md has examples)"
		return c, true
	}
	install := ""
	if forced {
		install = "force-installs Tabphone"
	}
	if raw == nil {
		c.OK = true
		c.Message = fmt.Sprintf("%s policy %s %s, with no Tabphone settings", b.Title, path, orWord(install, "names Tabphone"))
		return c, true
	}
	var p Policy
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		c.Message = fmt.Sprintf("%s policy %s: the Tabphone settings do not match managed_schema.json (%v), so the browser may drop them", b.Title, path, err)
		c.Fix = "correct the Tabphone part of " + path + " (docs/deploy.md lists the settings)"
		return c, true
	}
	c.OK = true
	what := p.Describe()
	if install != "" {
		what = install + "; " + what
	}
	c.Message = fmt.Sprintf("%s policy %s: %s", b.Title, path, what)
	return c, true
}

func orWord(s, other string) string {
	if s != "" {
		return s
	}
	return other
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// Describe says what the policy sets, in words.
func (p Policy) Describe() string {
	var parts []string
	if p.Sites != nil {
		var sites []string
		for _, s := range p.Sites {
			w := s.Match
			if s.Login != "" {
				w += " (login " + s.Login + ")"
			}
			sites = append(sites, w)
		}
		if len(sites) == 0 {
			parts = append(parts, "no Dialer/PBX site")
		} else {
			parts = append(parts, "Dialer/PBX sites "+strings.Join(sites, ", "))
		}
	}
	if p.CloseWithoutSession != nil {
		parts = append(parts, "session binding "+onOff(*p.CloseWithoutSession))
	}
	if a := p.AccountDefaults; a != nil {
		var kv []string
		for _, f := range [][2]string{{"domain", a.Domain}, {"registrar", a.Registrar}, {"outbound proxy", a.OutboundProxy},
			{"transport", a.Transport}, {"media security", a.SRTP}, {"codecs", strings.Join(a.Codecs, " ")}, {"region", a.Region}} {
			if f[1] != "" {
				kv = append(kv, f[0]+" "+f[1])
			}
		}
		if len(kv) > 0 {
			parts = append(parts, "account defaults: "+strings.Join(kv, ", "))
		}
	}
	if c := p.ClickToCall; c != nil {
		if c.Links != nil {
			parts = append(parts, "click-to-call links forced "+onOff(*c.Links))
		}
		if c.Detect != nil {
			parts = append(parts, "number detection forced "+onOff(*c.Detect))
		}
		if c.Region != "" {
			parts = append(parts, "click-to-call region "+c.Region)
		}
	}
	if len(parts) == 0 {
		return "no Tabphone settings"
	}
	return strings.Join(parts, "; ")
}
