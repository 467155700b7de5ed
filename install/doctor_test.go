package install

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tabphone/tabphone/nativehost/messaging"
	"github.com/tabphone/tabphone/nativehost/protocol"
)

const goodConfig = `{"accounts":[{"id":"work","user":"1001","password":"pw","domain":"127.0.0.1:5060"}]}`

// healthy is a Linux machine where everything doctor checks is right: Chromium
// installed and registered, a valid config.json of mode 0600, and a host that answers
// hello and registers the account.
func healthy(t *testing.T) (Env, *memFS, *DoctorOptions) {
	t.Helper()
	env, m, _ := testEnv(t, "linux")
	m.exe("/usr/bin/chromium", "ELF")
	if _, err := Install(env, Options{Binary: []byte("ELF")}); err != nil {
		t.Fatal(err)
	}
	m.mkdirs("/home/u/.config/tabphone")
	if err := m.WriteFile("/home/u/.config/tabphone/config.json", []byte(goodConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	o := &DoctorOptions{
		ConfigDir: "/home/u/.config/tabphone",
		Probe: func(_ context.Context, path string, _ time.Duration) Probe {
			return Probe{Version: "1.2.3", Accounts: []protocol.AccountState{{ID: "work", User: "1001", Domain: "127.0.0.1:5060", Registration: "registered"}}}
		},
	}
	return env, m, o
}

const chromiumManifest = "/home/u/.config/chromium/NativeMessagingHosts/com.tabphone.host.json"
const hostCopy = "/home/u/.local/share/tabphone/tabphone-host"

func TestDoctorAllPass(t *testing.T) {
	env, _, o := healthy(t)
	checks := Doctor(context.Background(), env, *o)
	if !AllPass(checks) {
		t.Fatalf("checks %+v", checks)
	}
	want := []string{
		"ok    Chromium: the host manifest " + chromiumManifest + " allows Tabphone and names " + hostCopy,
		"ok    config.json is valid and readable by you only",
		"ok    the host " + hostCopy + " answers hello (version 1.2.3)",
		"ok    account work (1001@127.0.0.1:5060): registered",
	}
	if got := lines(checks); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("report\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func lines(checks []Check) []string {
	var out []string
	for _, c := range checks {
		out = append(out, FormatCheck(c))
	}
	return out
}

// TestDoctorNamesEachProblem breaks one thing at a time on a healthy machine and
// expects exactly that check to fail, with its sentence and fix.
func TestDoctorNamesEachProblem(t *testing.T) {
	writeManifest := func(m *memFS, mut func(*Manifest)) {
		mf := NewManifest(browsers[0], hostCopy)
		mut(&mf)
		_ = m.WriteFile(chromiumManifest, manifestJSON(mf), 0o644)
	}
	cases := []struct {
		name   string
		break_ func(env *Env, m *memFS, o *DoctorOptions)
		want   string
	}{
		{"manifest missing", func(_ *Env, m *memFS, _ *DoctorOptions) { _ = m.Remove(chromiumManifest) },
			"FAIL  Chromium: no host manifest at " + chromiumManifest + ", so the browser says \"Specified native messaging host not found\"; fix: run `tabphone-host install --browser chromium`"},
		{"manifest not JSON", func(_ *Env, m *memFS, _ *DoctorOptions) { _ = m.WriteFile(chromiumManifest, []byte("{"), 0o644) },
			"FAIL  Chromium: the host manifest " + chromiumManifest + " is not valid JSON (unexpected end of JSON input); fix: run `tabphone-host install --browser chromium`"},
		{"manifest names another host", func(_ *Env, m *memFS, _ *DoctorOptions) {
			writeManifest(m, func(mf *Manifest) { mf.Name = "com.other.host" })
		},
			"FAIL  Chromium: the host manifest " + chromiumManifest + " names \"com.other.host\", not \"com.tabphone.host\"; fix: run `tabphone-host install --browser chromium`"},
		{"manifest not stdio", func(_ *Env, m *memFS, _ *DoctorOptions) { writeManifest(m, func(mf *Manifest) { mf.Type = "socket" }) },
			"FAIL  Chromium: the host manifest " + chromiumManifest + " has type \"socket\", not \"stdio\"; fix: run `tabphone-host install --browser chromium`"},
		{"origin without trailing slash", func(_ *Env, m *memFS, _ *DoctorOptions) {
			writeManifest(m, func(mf *Manifest) { mf.AllowedOrigins = []string{"chrome-extension://" + ExtensionID} })
		}, "FAIL  Chromium: the host manifest " + chromiumManifest + " does not allow the Tabphone extension (allowed_origins needs chrome-extension://fofiikfolgbiahjjnmckkiaefainepgm/ with the trailing slash); fix: run `tabphone-host install --browser chromium`"},
		{"relative host path", func(_ *Env, m *memFS, _ *DoctorOptions) {
			writeManifest(m, func(mf *Manifest) { mf.Path = "tabphone-host" })
		},
			"FAIL  Chromium: the host manifest " + chromiumManifest + " names the host by a relative path \"tabphone-host\" (browsers need an absolute one); fix: run `tabphone-host install --browser chromium`"},
		{"host missing", func(_ *Env, m *memFS, _ *DoctorOptions) { _ = m.Remove(hostCopy) },
			"FAIL  Chromium: the host program " + hostCopy + " named in " + chromiumManifest + " is missing; fix: run `tabphone-host install --browser chromium`"},
		{"host not executable", func(_ *Env, m *memFS, _ *DoctorOptions) { m.nodes[hostCopy].mode = 0o644 },
			"FAIL  Chromium: the host program " + hostCopy + " is not executable; fix: run `chmod 755 " + hostCopy + "`, or run `tabphone-host install --browser chromium`"},
		{"snap browser", func(_ *Env, m *memFS, _ *DoctorOptions) {
			_ = m.Remove("/usr/bin/chromium")
			m.mkdirs("/snap/chromium/current")
		}, "FAIL  Chromium from Snap cannot start native hosts (its sandbox forbids running programs outside it): install Chromium from your distribution's or the vendor's .deb/.rpm package, or use Firefox from a package; fix: install Chromium from a .deb/.rpm package, then run `tabphone-host install`"},
		{"no browser", func(_ *Env, m *memFS, _ *DoctorOptions) { _ = m.Remove("/usr/bin/chromium") },
			"FAIL  no supported browser found (brave, chrome, chromium, edge, firefox, opera, vivaldi); fix: install Chromium, Google Chrome, Edge, Brave, Vivaldi, Opera or Firefox from a package, or name one with --browser"},
		{"host does not answer", func(_ *Env, _ *memFS, o *DoctorOptions) {
			o.Probe = func(context.Context, string, time.Duration) Probe {
				return Probe{Err: errors.New("it exited without answering hello")}
			}
		}, "FAIL  the host " + hostCopy + " does not answer hello: it exited without answering hello; fix: see the host log (~/.cache/tabphone/host.log or $TABPHONE_LOG_DIR/host.log), then run `tabphone-host install` again"},
		{"config missing", func(_ *Env, m *memFS, _ *DoctorOptions) { _ = m.Remove("/home/u/.config/tabphone/config.json") },
			"FAIL  no config.json at /home/u/.config/tabphone/config.json, so there is no SIP account; fix: add an account in Tabphone's options page, or write /home/u/.config/tabphone/config.json (docs/config.md)"},
		{"config invalid", func(_ *Env, m *memFS, _ *DoctorOptions) {
			_ = m.WriteFile("/home/u/.config/tabphone/config.json", []byte(`{"accounts":[{"id":"work"}],"colour":1}`), 0o600)
		}, "FAIL  config.json is not valid: json: unknown field \"colour\"; fix: correct /home/u/.config/tabphone/config.json (docs/config.md), or save the account again in the options page"},
		{"config readable by others", func(_ *Env, m *memFS, _ *DoctorOptions) { m.nodes["/home/u/.config/tabphone/config.json"].mode = 0o644 },
			"FAIL  config.json has mode 0644, so other users can read the SIP passwords in it; fix: run `chmod 600 /home/u/.config/tabphone/config.json`"},
		{"wrong password", func(_ *Env, _ *memFS, o *DoctorOptions) {
			o.Probe = probeWith(protocol.AccountState{ID: "work", User: "1001", Domain: "127.0.0.1:5060", Registration: "failed", Error: &protocol.ErrorBody{Code: "sip", SIPCode: 403, Message: "Forbidden"}})
		}, "FAIL  account work (1001@127.0.0.1:5060): the registrar refused the credentials (403 Forbidden); fix: check the user, auth user and password in Tabphone's options page"},
		{"registrar unreachable", func(_ *Env, _ *memFS, o *DoctorOptions) {
			o.Probe = probeWith(protocol.AccountState{ID: "work", User: "1001", Domain: "pbx.invalid", Registration: "failed", Error: &protocol.ErrorBody{Code: "sip", Message: "No answer from the PBX"}})
		}, "FAIL  account work (1001@pbx.invalid): the registrar was not reached (No answer from the PBX); fix: check the domain or registrar address, the port and the transport, and that this machine reaches the PBX (firewall, VPN)"},
		{"registrar silent", func(_ *Env, _ *memFS, o *DoctorOptions) {
			o.Probe = probeWith(protocol.AccountState{ID: "work", User: "1001", Domain: "10.9.9.9", Registration: "registering"})
		}, "FAIL  account work (1001@10.9.9.9): the registrar did not answer the REGISTER in time; fix: check the domain or registrar address and the transport, and that this machine reaches the PBX (firewall, VPN)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, m, o := healthy(t)
			tc.break_(&env, m, o)
			checks := Doctor(context.Background(), env, *o)
			var failed []string
			for _, l := range lines(checks) {
				if strings.HasPrefix(l, "FAIL") {
					failed = append(failed, l)
				}
			}
			if len(failed) != 1 || failed[0] != tc.want {
				t.Fatalf("failures\n%s\nwant\n%s", strings.Join(failed, "\n"), tc.want)
			}
		})
	}
}

func probeWith(a protocol.AccountState) Prober {
	return func(context.Context, string, time.Duration) Probe {
		return Probe{Version: "1.2.3", Accounts: []protocol.AccountState{a}}
	}
}

// TestDoctorReadsTheWindowsRegistry: on Windows the manifest is found through the key.
func TestDoctorReadsTheWindowsRegistry(t *testing.T) {
	env, m, reg := testEnv(t, "windows")
	m.exe(`C:\Program Files\Mozilla Firefox\firefox.exe`, "MZ")
	if _, err := Install(env, Options{Binary: []byte("MZ")}); err != nil {
		t.Fatal(err)
	}
	o := DoctorOptions{Probe: probeWith(protocol.AccountState{ID: "w", Registration: "registered"})}
	if checks := Doctor(context.Background(), env, o); !AllPass(checks) {
		t.Fatalf("%v", lines(checks))
	}
	_ = reg.DeleteKey(`HKCU\Software\Mozilla\NativeMessagingHosts\com.tabphone.host`)
	got := lines(Doctor(context.Background(), env, o))[0]
	if want := `FAIL  Firefox: no host manifest at the registry key HKCU\Software\Mozilla\NativeMessagingHosts\com.tabphone.host, so the browser says "Specified native messaging host not found"; fix: run ` + "`tabphone-host install --browser firefox`"; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// The test binary doubles as a host for ProbeHost: TABPHONE_FAKE_HOST says how it acts.
func TestMain(m *testing.M) {
	if mode := os.Getenv("TABPHONE_FAKE_HOST"); mode != "" {
		os.Exit(fakeHost(mode))
	}
	os.Exit(m.Run())
}

func fakeHost(mode string) int {
	if mode == "exit" {
		return 3
	}
	r := messaging.NewReader(os.Stdin)
	w := messaging.NewWriter(os.Stdout)
	for {
		f, err := r.ReadFrame()
		if err == io.EOF {
			return 0
		}
		if err != nil {
			return 1
		}
		env, _ := protocol.Decode(f)
		switch {
		case mode == "silent":
		case env.Type == protocol.TypeHello && mode == "refuse":
			_ = w.WriteFrame(protocol.ReplyError(env.ID, &protocol.ErrorBody{Code: "protocol", Message: "the extension speaks protocol 1, the host 2"}))
		case env.Type == protocol.TypeHello:
			b, _ := protocol.Reply(env.ID, protocol.Hello{Protocol: 1, Version: "9.9.9"})
			_ = w.WriteFrame(b)
			st := protocol.State{Accounts: []protocol.AccountState{{ID: "work", Registration: "registering"}}}
			b, _ = protocol.Event(protocol.TypeState, st)
			_ = w.WriteFrame(b)
		case env.Type == protocol.TypeSession:
			b, _ := protocol.Reply(env.ID, struct{}{})
			_ = w.WriteFrame(b)
			st := protocol.State{Accounts: []protocol.AccountState{{ID: "work", Registration: "failed", Error: &protocol.ErrorBody{Code: "sip", SIPCode: 403, Message: "Forbidden"}}}}
			b, _ = protocol.Event(protocol.TypeState, st)
			_ = w.WriteFrame(b)
		}
	}
}

// TestProbeHostThroughTheFraming runs a real process over pipes, as a browser does.
func TestProbeHostThroughTheFraming(t *testing.T) {
	helloTimeout = 500 * time.Millisecond
	t.Cleanup(func() { helloTimeout = 5 * time.Second })
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ mode, want string }{
		{"ok", "9.9.9 <nil> work failed 403"},
		{"refuse", "  it refused hello: the extension speaks protocol 1, the host 2"},
		{"exit", "  it exited without answering hello"},
		{"silent", "  no answer to hello within 500ms"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			t.Setenv("TABPHONE_FAKE_HOST", tc.mode)
			p := ProbeHost(context.Background(), self, 5*time.Second)
			got := fmt.Sprintf("%s %v", p.Version, p.Err)
			if len(p.Accounts) == 1 {
				got += fmt.Sprintf(" %s %s %d", p.Accounts[0].ID, p.Accounts[0].Registration, p.Accounts[0].Error.SIPCode)
			}
			if p.Err != nil {
				got = "  " + p.Err.Error()
			}
			if got != tc.want {
				t.Fatalf("got %q want %q", got, tc.want)
			}
		})
	}
}
