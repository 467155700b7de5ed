package install

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestExtensionIDMatchesManifestKey keeps the host's allowed origin and the extension's
// key in step: Chrome derives the ID from the key's SHA-256, hex digits mapped to a–p.
func TestExtensionIDMatchesManifestKey(t *testing.T) {
	raw, err := os.ReadFile("../extension/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Key      string `json:"key"`
		Settings struct {
			Gecko struct {
				ID string `json:"id"`
			} `json:"gecko"`
		} `json:"browser_specific_settings"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	der, err := base64.StdEncoding.DecodeString(m.Key)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	var id strings.Builder
	for _, b := range sum[:16] {
		id.WriteByte('a' + b>>4)
		id.WriteByte('a' + b&0xf)
	}
	if id.String() != ExtensionID {
		t.Fatalf("manifest key gives %s, host allows %s", id.String(), ExtensionID)
	}
	if m.Settings.Gecko.ID != GeckoID {
		t.Fatalf("gecko id %q, host allows %q", m.Settings.Gecko.ID, GeckoID)
	}
}

// placeTable is where each browser reads the manifest, per OS and scope: the file, and
// on Windows "file <= key".
var placeTable = map[string][]string{
	"chromium/linux/user":     {"/home/u/.config/chromium/NativeMessagingHosts/com.tabphone.host.json"},
	"chromium/linux/system":   {"/etc/chromium/native-messaging-hosts/com.tabphone.host.json"},
	"chromium/darwin/user":    {"/Users/u/Library/Application Support/Chromium/NativeMessagingHosts/com.tabphone.host.json"},
	"chromium/darwin/system":  {"/Library/Application Support/Chromium/NativeMessagingHosts/com.tabphone.host.json"},
	"chromium/windows/user":   {`C:\Users\u\AppData\Local\Tabphone\com.tabphone.host.json <= HKCU\Software\Chromium\NativeMessagingHosts\com.tabphone.host`},
	"chromium/windows/system": {`C:\Program Files\Tabphone\com.tabphone.host.json <= HKLM\Software\Chromium\NativeMessagingHosts\com.tabphone.host`},

	"chrome/linux/user":     {"/home/u/.config/google-chrome/NativeMessagingHosts/com.tabphone.host.json"},
	"chrome/linux/system":   {"/etc/opt/chrome/native-messaging-hosts/com.tabphone.host.json"},
	"chrome/darwin/user":    {"/Users/u/Library/Application Support/Google/Chrome/NativeMessagingHosts/com.tabphone.host.json"},
	"chrome/darwin/system":  {"/Library/Google/Chrome/NativeMessagingHosts/com.tabphone.host.json"},
	"chrome/windows/user":   {`C:\Users\u\AppData\Local\Tabphone\com.tabphone.host.json <= HKCU\Software\Google\Chrome\NativeMessagingHosts\com.tabphone.host`},
	"chrome/windows/system": {`C:\Program Files\Tabphone\com.tabphone.host.json <= HKLM\Software\Google\Chrome\NativeMessagingHosts\com.tabphone.host`},

	"edge/linux/user":     {"/home/u/.config/microsoft-edge/NativeMessagingHosts/com.tabphone.host.json"},
	"edge/linux/system":   {"/etc/opt/edge/native-messaging-hosts/com.tabphone.host.json"},
	"edge/darwin/user":    {"/Users/u/Library/Application Support/Microsoft Edge/NativeMessagingHosts/com.tabphone.host.json"},
	"edge/darwin/system":  {"/Library/Microsoft/Edge/NativeMessagingHosts/com.tabphone.host.json"},
	"edge/windows/user":   {`C:\Users\u\AppData\Local\Tabphone\com.tabphone.host.json <= HKCU\Software\Microsoft\Edge\NativeMessagingHosts\com.tabphone.host`},
	"edge/windows/system": {`C:\Program Files\Tabphone\com.tabphone.host.json <= HKLM\Software\Microsoft\Edge\NativeMessagingHosts\com.tabphone.host`},

	"brave/linux/user":    {"/home/u/.config/BraveSoftware/Brave-Browser/NativeMessagingHosts/com.tabphone.host.json"},
	"brave/linux/system":  {"/etc/opt/brave/native-messaging-hosts/com.tabphone.host.json", "/etc/opt/chrome/native-messaging-hosts/com.tabphone.host.json"},
	"brave/darwin/user":   {"/Users/u/Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts/com.tabphone.host.json"},
	"brave/darwin/system": {"/Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts/com.tabphone.host.json"},
	"brave/windows/user": {
		`C:\Users\u\AppData\Local\Tabphone\com.tabphone.host.json <= HKCU\Software\Google\Chrome\NativeMessagingHosts\com.tabphone.host`,
		`C:\Users\u\AppData\Local\Tabphone\com.tabphone.host.json <= HKCU\Software\BraveSoftware\Brave-Browser\NativeMessagingHosts\com.tabphone.host`,
	},
	"brave/windows/system": {
		`C:\Program Files\Tabphone\com.tabphone.host.json <= HKLM\Software\Google\Chrome\NativeMessagingHosts\com.tabphone.host`,
		`C:\Program Files\Tabphone\com.tabphone.host.json <= HKLM\Software\BraveSoftware\Brave-Browser\NativeMessagingHosts\com.tabphone.host`,
	},

	"vivaldi/linux/user":    {"/home/u/.config/vivaldi/NativeMessagingHosts/com.tabphone.host.json"},
	"vivaldi/linux/system":  {"/etc/opt/vivaldi/native-messaging-hosts/com.tabphone.host.json"},
	"vivaldi/darwin/user":   {"/Users/u/Library/Application Support/Vivaldi/NativeMessagingHosts/com.tabphone.host.json"},
	"vivaldi/darwin/system": {"/Library/Application Support/Vivaldi/NativeMessagingHosts/com.tabphone.host.json"},
	"vivaldi/windows/user": {
		`C:\Users\u\AppData\Local\Tabphone\com.tabphone.host.json <= HKCU\Software\Vivaldi\NativeMessagingHosts\com.tabphone.host`,
		`C:\Users\u\AppData\Local\Tabphone\com.tabphone.host.json <= HKCU\Software\Google\Chrome\NativeMessagingHosts\com.tabphone.host`,
	},
	"vivaldi/windows/system": {
		`C:\Program Files\Tabphone\com.tabphone.host.json <= HKLM\Software\Vivaldi\NativeMessagingHosts\com.tabphone.host`,
		`C:\Program Files\Tabphone\com.tabphone.host.json <= HKLM\Software\Google\Chrome\NativeMessagingHosts\com.tabphone.host`,
	},

	"opera/linux/user":    {"/home/u/.config/opera/NativeMessagingHosts/com.tabphone.host.json", "/home/u/.config/google-chrome/NativeMessagingHosts/com.tabphone.host.json"},
	"opera/linux/system":  {"/etc/opt/chrome/native-messaging-hosts/com.tabphone.host.json"},
	"opera/darwin/user":   {"/Users/u/Library/Application Support/com.operasoftware.Opera/NativeMessagingHosts/com.tabphone.host.json", "/Users/u/Library/Application Support/Google/Chrome/NativeMessagingHosts/com.tabphone.host.json"},
	"opera/darwin/system": {"/Library/Google/Chrome/NativeMessagingHosts/com.tabphone.host.json"},
	"opera/windows/user":  {`C:\Users\u\AppData\Local\Tabphone\com.tabphone.host.json <= HKCU\Software\Google\Chrome\NativeMessagingHosts\com.tabphone.host`},
	"opera/windows/system": {
		`C:\Program Files\Tabphone\com.tabphone.host.json <= HKLM\Software\Google\Chrome\NativeMessagingHosts\com.tabphone.host`,
	},

	"firefox/linux/user":     {"/home/u/.mozilla/native-messaging-hosts/com.tabphone.host.json"},
	"firefox/linux/system":   {"/usr/lib/mozilla/native-messaging-hosts/com.tabphone.host.json"},
	"firefox/darwin/user":    {"/Users/u/Library/Application Support/Mozilla/NativeMessagingHosts/com.tabphone.host.json"},
	"firefox/darwin/system":  {"/Library/Application Support/Mozilla/NativeMessagingHosts/com.tabphone.host.json"},
	"firefox/windows/user":   {`C:\Users\u\AppData\Local\Tabphone\com.tabphone.host.firefox.json <= HKCU\Software\Mozilla\NativeMessagingHosts\com.tabphone.host`},
	"firefox/windows/system": {`C:\Program Files\Tabphone\com.tabphone.host.firefox.json <= HKLM\Software\Mozilla\NativeMessagingHosts\com.tabphone.host`},
}

// hostTable is where install copies the host, per OS and scope.
var hostTable = map[string]string{
	"linux/user":     "/home/u/.local/share/tabphone/tabphone-host",
	"linux/system":   "/usr/local/lib/tabphone/tabphone-host",
	"darwin/user":    "/Users/u/Library/Application Support/Tabphone/tabphone-host",
	"darwin/system":  "/Library/Application Support/Tabphone/tabphone-host",
	"windows/user":   `C:\Users\u\AppData\Local\Tabphone\tabphone-host.exe`,
	"windows/system": `C:\Program Files\Tabphone\tabphone-host.exe`,
}

var oses = []string{"linux", "darwin", "windows"}
var scopes = []Scope{UserScope, SystemScope}

func TestPlacesForEveryBrowserOSAndScope(t *testing.T) {
	seen := 0
	for _, b := range browsers {
		for _, goos := range oses {
			for _, scope := range scopes {
				name := fmt.Sprintf("%s/%s/%s", b.Name, goos, scope)
				t.Run(name, func(t *testing.T) {
					env, _, _ := testEnv(t, goos)
					places, err := env.Places(b, scope)
					if err != nil {
						t.Fatal(err)
					}
					var got []string
					for _, p := range places {
						s := p.Manifest
						if p.Key != "" {
							s += " <= " + p.Key
						}
						got = append(got, s)
					}
					if want := placeTable[name]; !slices.Equal(got, want) {
						t.Fatalf("places\n got %q\nwant %q", got, want)
					}
					host, err := env.HostPath(scope)
					if err != nil || host != hostTable[goos+"/"+scope.String()] {
						t.Fatalf("host path %q %v, want %q", host, err, hostTable[goos+"/"+scope.String()])
					}
				})
				seen++
			}
		}
	}
	if seen != len(placeTable) {
		t.Fatalf("table has %d rows, the browsers × OS × scope %d", len(placeTable), seen)
	}
}

// TestManifestContentForEveryBrowserOSAndScope installs each browser alone on each OS
// and scope and reads the manifest back: our name, stdio, the host copied by install,
// and the one origin (with its trailing slash) or gecko id the browser matches.
func TestManifestContentForEveryBrowserOSAndScope(t *testing.T) {
	for _, b := range browsers {
		for _, goos := range oses {
			for _, scope := range scopes {
				t.Run(fmt.Sprintf("%s/%s/%s", b.Name, goos, scope), func(t *testing.T) {
					env, m, reg := testEnv(t, goos)
					if _, err := Install(env, Options{Browsers: []string{b.Name}, Scope: scope, Binary: []byte("host")}); err != nil {
						t.Fatal(err)
					}
					host := hostTable[goos+"/"+scope.String()]
					places, _ := env.Places(b, scope)
					for _, pl := range places {
						raw, err := m.ReadFile(pl.Manifest)
						if err != nil {
							t.Fatal(err)
						}
						var got Manifest
						if err := json.Unmarshal(raw, &got); err != nil {
							t.Fatal(err)
						}
						want := Manifest{Name: "com.tabphone.host", Description: Description, Path: host, Type: "stdio"}
						if b.Firefox {
							want.AllowedExtensions = []string{"tabphone@tabphone.dev"}
						} else {
							want.AllowedOrigins = []string{"chrome-extension://fofiikfolgbiahjjnmckkiaefainepgm/"}
						}
						if fmt.Sprint(got) != fmt.Sprint(want) {
							t.Fatalf("manifest %s\n got %+v\nwant %+v", pl.Manifest, got, want)
						}
						if pl.Key != "" {
							if v, err := reg.Default(pl.Key); err != nil || v != pl.Manifest {
								t.Fatalf("registry %s = %q %v, want %q", pl.Key, v, err, pl.Manifest)
							}
						}
					}
					if data, err := m.ReadFile(host); err != nil || string(data) != "host" {
						t.Fatalf("host copy %q %v", data, err)
					}
					if st, _ := m.Stat(host); st.Mode().Perm() != 0o755 {
						t.Fatalf("host mode %v", st.Mode())
					}
				})
			}
		}
	}
}

// fakeAllBrowsers makes every browser look installed on env's OS.
func fakeAllBrowsers(t *testing.T, env Env, m *memFS) {
	t.Helper()
	for _, b := range browsers {
		switch env.GOOS {
		case "linux":
			m.exe("/usr/bin/"+b.Commands[0], "ELF")
		case "darwin":
			m.mkdirs("/Applications/" + b.Apps[0])
		case "windows":
			m.exe(env.join(env.getenv("ProgramFiles"), b.WinExe[0]), "MZ")
		}
	}
	if got := len(env.Detect()); got != len(browsers) {
		t.Fatalf("detected %d browsers, want %d", got, len(browsers))
	}
}

// TestInstallEveryBrowserThenUninstallLeavesNothing: on each OS and scope, install with
// no browser named registers every browser found, a second install changes nothing,
// and uninstall brings the file system and the registry back to what they were.
func TestInstallEveryBrowserThenUninstallLeavesNothing(t *testing.T) {
	for _, goos := range oses {
		for _, scope := range scopes {
			t.Run(goos+"/"+scope.String(), func(t *testing.T) {
				env, m, reg := testEnv(t, goos)
				fakeAllBrowsers(t, env, m)
				before := m.snapshot()
				var regBefore map[string]string
				if reg != nil {
					regBefore = reg.snapshot()
				}
				res, err := Install(env, Options{Scope: scope, Binary: []byte("host v1")})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(res.Browsers, []string{"chromium", "chrome", "edge", "brave", "vivaldi", "opera", "firefox"}) {
					t.Fatalf("registered %v", res.Browsers)
				}
				for _, b := range browsers {
					places, _ := env.Places(b, scope)
					for _, pl := range places {
						if _, err := m.Stat(pl.Manifest); err != nil {
							t.Fatalf("%s: %v", b.Name, err)
						}
					}
				}
				once := m.snapshot()
				if _, err := Install(env, Options{Scope: scope, Binary: []byte("host v1")}); err != nil {
					t.Fatal(err)
				}
				if d := diff(once, m.snapshot()); len(d) > 0 {
					t.Fatalf("second install changed %v", d)
				}
				if _, err := Uninstall(env, Options{Scope: scope}); err != nil {
					t.Fatal(err)
				}
				if d := diff(before, m.snapshot()); len(d) > 0 {
					t.Fatalf("uninstall left %v", d)
				}
				if reg != nil {
					if d := diff(regBefore, reg.snapshot()); len(d) > 0 {
						t.Fatalf("uninstall left registry keys %v", d)
					}
				}
			})
		}
	}
}

// TestUninstallOneBrowserKeepsWhatOthersShare: Opera reads Google Chrome's place too;
// uninstalling Opera must not take Chrome's manifest, and the host stays while any
// browser is registered.
func TestUninstallOneBrowserKeepsWhatOthersShare(t *testing.T) {
	env, m, _ := testEnv(t, "linux")
	before := m.snapshot()
	for _, b := range []string{"chrome", "opera"} {
		if _, err := Install(env, Options{Browsers: []string{b}, Binary: []byte("h")}); err != nil {
			t.Fatal(err)
		}
	}
	chromeManifest := "/home/u/.config/google-chrome/NativeMessagingHosts/com.tabphone.host.json"
	operaManifest := "/home/u/.config/opera/NativeMessagingHosts/com.tabphone.host.json"
	if _, err := Uninstall(env, Options{Browsers: []string{"opera"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Stat(chromeManifest); err != nil {
		t.Fatalf("chrome's manifest went with opera: %v", err)
	}
	if _, err := m.Stat(operaManifest); err == nil {
		t.Fatal("opera's own manifest is still there")
	}
	if _, err := m.Stat("/home/u/.local/share/tabphone/tabphone-host"); err != nil {
		t.Fatalf("host removed while chrome still uses it: %v", err)
	}
	if _, err := Uninstall(env, Options{Browsers: []string{"chrome"}}); err != nil {
		t.Fatal(err)
	}
	if d := diff(before, m.snapshot()); len(d) > 0 {
		t.Fatalf("left %v", d)
	}
}

// TestWindowsRegistryKeys: the keys install creates under HKCU, each parent it had to
// create, and that uninstall deletes exactly those and keeps keys that were there.
func TestWindowsRegistryKeys(t *testing.T) {
	env, _, reg := testEnv(t, "windows")
	reg.keys[`HKCU\Software\Google`] = nil
	reg.keys[`HKCU\Software\Google\Chrome`] = nil
	before := reg.snapshot()
	if _, err := Install(env, Options{Browsers: []string{"chrome", "firefox"}, Binary: []byte("MZ")}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`+ HKCU\Software\Google\Chrome\NativeMessagingHosts`,
		`+ HKCU\Software\Google\Chrome\NativeMessagingHosts\com.tabphone.host`,
		`+ HKCU\Software\Mozilla`,
		`+ HKCU\Software\Mozilla\NativeMessagingHosts`,
		`+ HKCU\Software\Mozilla\NativeMessagingHosts\com.tabphone.host`,
	}
	if d := diff(before, reg.snapshot()); !slices.Equal(d, want) {
		t.Fatalf("install made\n%s\nwant\n%s", strings.Join(d, "\n"), strings.Join(want, "\n"))
	}
	if v, _ := reg.Default(`HKCU\Software\Mozilla\NativeMessagingHosts\com.tabphone.host`); v != `C:\Users\u\AppData\Local\Tabphone\com.tabphone.host.firefox.json` {
		t.Fatalf("firefox key names %q", v)
	}
	if _, err := Uninstall(env, Options{}); err != nil {
		t.Fatal(err)
	}
	if d := diff(before, reg.snapshot()); len(d) > 0 {
		t.Fatalf("uninstall left %v", d)
	}
}

func TestInstallWithNoBrowserFound(t *testing.T) {
	env, _, _ := testEnv(t, "linux")
	_, err := Install(env, Options{Binary: []byte("h")})
	if !errors.Is(err, ErrNoBrowser) {
		t.Fatalf("err %v", err)
	}
}

func TestInstallIntoProfile(t *testing.T) {
	env, m, _ := testEnv(t, "linux")
	res, err := Install(env, Options{Browsers: []string{"chromium"}, Profile: "/tmp/p", HostPath: "/opt/tabphone/tabphone-host"})
	if err != nil {
		t.Fatal(err)
	}
	path := "/tmp/p/NativeMessagingHosts/com.tabphone.host.json"
	if !slices.Equal(res.Changed, []string{path}) {
		t.Fatalf("changed %v", res.Changed)
	}
	if _, err := m.Stat("/home/u/.local/share/tabphone"); err == nil {
		t.Fatal("a profile install copied the host")
	}
	if _, err := Uninstall(env, Options{Browsers: []string{"chromium"}, Profile: "/tmp/p"}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Stat(path); err == nil {
		t.Fatal("manifest still there")
	}
	if _, err := Install(env, Options{Browsers: []string{"firefox"}, Profile: "/tmp/p", HostPath: "/x"}); err == nil {
		t.Fatal("firefox profile install accepted")
	}
	if _, err := Install(env, Options{Browsers: []string{"chromium"}, Profile: "/tmp/p", HostPath: "relative/host"}); err == nil {
		t.Fatal("relative host path accepted")
	}
	if _, err := Install(env, Options{Browsers: []string{"netscape"}, Binary: []byte("h")}); !errors.Is(err, ErrUnknownBrowser) {
		t.Fatalf("unknown browser: %v", err)
	}
}

// TestPackageWritesEverySystemPlace: what the .deb ships.
func TestPackageWritesEverySystemPlace(t *testing.T) {
	env, m, _ := testEnv(t, "linux")
	before := m.snapshot()
	res, err := Install(env, Options{Package: true, HostPath: "/usr/lib/tabphone/tabphone-host"})
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, p := range diff(before, m.snapshot()) {
		if strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
	}
	want := []string{
		"+ /etc/chromium/native-messaging-hosts/com.tabphone.host.json",
		"+ /etc/opt/brave/native-messaging-hosts/com.tabphone.host.json",
		"+ /etc/opt/chrome/native-messaging-hosts/com.tabphone.host.json",
		"+ /etc/opt/edge/native-messaging-hosts/com.tabphone.host.json",
		"+ /etc/opt/vivaldi/native-messaging-hosts/com.tabphone.host.json",
		"+ /usr/lib/mozilla/native-messaging-hosts/com.tabphone.host.json",
	}
	if !slices.Equal(files, want) {
		t.Fatalf("package files\n%s", strings.Join(files, "\n"))
	}
	if len(res.Browsers) != len(browsers) {
		t.Fatalf("browsers %v", res.Browsers)
	}
}

func TestDetectSandboxes(t *testing.T) {
	env, m, _ := testEnv(t, "linux")
	m.exe("/usr/bin/chromium-browser", "#!/bin/sh\nexec /snap/bin/chromium \"$@\"\n")
	m.mkdirs("/snap/chromium/current")
	m.mkdirs("/home/u/.var/app/com.brave.Browser")
	m.exe("/usr/bin/firefox-esr", "ELF")
	got := map[string]Found{}
	for _, f := range env.Detect() {
		got[f.Browser.Name] = f
	}
	if f := got["chromium"]; !f.Snap || f.Native {
		t.Fatalf("chromium %+v", f)
	}
	if f := got["brave"]; !f.Flatpak || f.Native {
		t.Fatalf("brave %+v", f)
	}
	if f := got["firefox"]; !f.Native || f.Where != "/usr/bin/firefox-esr" {
		t.Fatalf("firefox %+v", f)
	}
	if len(got) != 3 {
		t.Fatalf("found %v", got)
	}
	if a := SandboxAdvice(got["chromium"]); !strings.Contains(a, "Chromium from Snap cannot start native hosts") {
		t.Fatalf("advice %q", a)
	}
	if a := SandboxAdvice(got["brave"]); !strings.Contains(a, "Brave from Flatpak cannot start native hosts") {
		t.Fatalf("advice %q", a)
	}
	if a := SandboxAdvice(got["firefox"]); a != "" {
		t.Fatalf("advice for a packaged firefox %q", a)
	}
}
