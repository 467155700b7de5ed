package install

import (
	"fmt"
	"sort"
)

// Browser is what we know about one browser: where it reads host manifests for one
// user and for all users on each OS, and how to tell it is installed.
type Browser struct {
	Name    string // the --browser name
	Title   string // for people
	Firefox bool   // reads allowed_extensions (gecko id) rather than allowed_origins

	// Manifest directories. User: relative to the home directory; System: absolute.
	// Keyed by GOOS ("linux", "darwin"). Several entries where a browser is known to
	// read more than one place (Opera reads Google Chrome's as well as its own).
	User   map[string][]string
	System map[string][]string
	// Windows: registry keys (under HKCU or HKLM) whose subkey com.tabphone.host names
	// the manifest file.
	WinKeys []string

	// Detection. Commands: names on PATH (Linux). Data: a file the browser writes in
	// its own data directory (not the directory: our manifest directory is inside it),
	// relative to home (linux, darwin), %LOCALAPPDATA% or %APPDATA% (windows, prefixed
	// "local:" or "roaming:"). Apps: macOS application bundles.
	// WinExe: relative to %ProgramFiles%.
	Commands []string
	Data     map[string][]string
	Apps     []string
	WinExe   []string
	Snap     string // the snap's name, when one exists
	Flatpak  string // the Flatpak application ID
}

// browsers is the table every install, uninstall and doctor run reads.
var browsers = []Browser{
	{
		Name: "chromium", Title: "Chromium",
		User: map[string][]string{
			"linux":  {".config/chromium/NativeMessagingHosts"},
			"darwin": {"Library/Application Support/Chromium/NativeMessagingHosts"},
		},
		System: map[string][]string{
			"linux":  {"/etc/chromium/native-messaging-hosts"},
			"darwin": {"/Library/Application Support/Chromium/NativeMessagingHosts"},
		},
		WinKeys:  []string{`Software\Chromium\NativeMessagingHosts`},
		Commands: []string{"chromium", "chromium-browser"},
		Data: map[string][]string{
			"linux": {".config/chromium/Local State"}, "darwin": {"Library/Application Support/Chromium/Local State"},
			"windows": {`local:Chromium\User Data\Local State`},
		},
		Apps: []string{"Chromium.app"}, WinExe: []string{`Chromium\Application\chrome.exe`},
		Snap: "chromium", Flatpak: "org.chromium.Chromium",
	},
	{
		Name: "chrome", Title: "Google Chrome",
		User: map[string][]string{
			"linux":  {".config/google-chrome/NativeMessagingHosts"},
			"darwin": {"Library/Application Support/Google/Chrome/NativeMessagingHosts"},
		},
		System: map[string][]string{
			"linux":  {"/etc/opt/chrome/native-messaging-hosts"},
			"darwin": {"/Library/Google/Chrome/NativeMessagingHosts"},
		},
		WinKeys:  []string{`Software\Google\Chrome\NativeMessagingHosts`},
		Commands: []string{"google-chrome", "google-chrome-stable", "google-chrome-beta"},
		Data: map[string][]string{
			"linux": {".config/google-chrome/Local State"}, "darwin": {"Library/Application Support/Google/Chrome/Local State"},
			"windows": {`local:Google\Chrome\User Data\Local State`},
		},
		Apps: []string{"Google Chrome.app"}, WinExe: []string{`Google\Chrome\Application\chrome.exe`},
		Flatpak: "com.google.Chrome",
	},
	{
		Name: "edge", Title: "Microsoft Edge",
		User: map[string][]string{
			"linux":  {".config/microsoft-edge/NativeMessagingHosts"},
			"darwin": {"Library/Application Support/Microsoft Edge/NativeMessagingHosts"},
		},
		System: map[string][]string{
			"linux":  {"/etc/opt/edge/native-messaging-hosts"},
			"darwin": {"/Library/Microsoft/Edge/NativeMessagingHosts"},
		},
		WinKeys:  []string{`Software\Microsoft\Edge\NativeMessagingHosts`},
		Commands: []string{"microsoft-edge", "microsoft-edge-stable", "microsoft-edge-beta"},
		Data: map[string][]string{
			"linux": {".config/microsoft-edge/Local State"}, "darwin": {"Library/Application Support/Microsoft Edge/Local State"},
			"windows": {`local:Microsoft\Edge\User Data\Local State`},
		},
		Apps: []string{"Microsoft Edge.app"}, WinExe: []string{`Microsoft\Edge\Application\msedge.exe`},
		Flatpak: "com.microsoft.Edge",
	},
	{
		Name: "brave", Title: "Brave",
		User: map[string][]string{
			"linux":  {".config/BraveSoftware/Brave-Browser/NativeMessagingHosts"},
			"darwin": {"Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts"},
		},
		System: map[string][]string{
			"linux":  {"/etc/opt/brave/native-messaging-hosts", "/etc/opt/chrome/native-messaging-hosts"},
			"darwin": {"/Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts"},
		},
		// Brave on Windows reads Google Chrome's key.
		WinKeys:  []string{`Software\Google\Chrome\NativeMessagingHosts`, `Software\BraveSoftware\Brave-Browser\NativeMessagingHosts`},
		Commands: []string{"brave-browser", "brave", "brave-browser-stable"},
		Data: map[string][]string{
			"linux": {".config/BraveSoftware/Brave-Browser/Local State"}, "darwin": {"Library/Application Support/BraveSoftware/Brave-Browser/Local State"},
			"windows": {`local:BraveSoftware\Brave-Browser\User Data\Local State`},
		},
		Apps: []string{"Brave Browser.app"}, WinExe: []string{`BraveSoftware\Brave-Browser\Application\brave.exe`},
		Snap: "brave", Flatpak: "com.brave.Browser",
	},
	{
		Name: "vivaldi", Title: "Vivaldi",
		User: map[string][]string{
			"linux":  {".config/vivaldi/NativeMessagingHosts"},
			"darwin": {"Library/Application Support/Vivaldi/NativeMessagingHosts"},
		},
		System: map[string][]string{
			"linux":  {"/etc/opt/vivaldi/native-messaging-hosts"},
			"darwin": {"/Library/Application Support/Vivaldi/NativeMessagingHosts"},
		},
		WinKeys:  []string{`Software\Vivaldi\NativeMessagingHosts`, `Software\Google\Chrome\NativeMessagingHosts`},
		Commands: []string{"vivaldi", "vivaldi-stable"},
		Data: map[string][]string{
			"linux": {".config/vivaldi/Local State"}, "darwin": {"Library/Application Support/Vivaldi/Local State"},
			"windows": {`local:Vivaldi\User Data\Local State`},
		},
		Apps: []string{"Vivaldi.app"}, WinExe: []string{`Vivaldi\Application\vivaldi.exe`},
		Snap: "vivaldi", Flatpak: "com.vivaldi.Vivaldi",
	},
	{
		Name: "opera", Title: "Opera",
		// Opera reads Google Chrome's places; its own directory is read by newer builds.
		User: map[string][]string{
			"linux":  {".config/opera/NativeMessagingHosts", ".config/google-chrome/NativeMessagingHosts"},
			"darwin": {"Library/Application Support/com.operasoftware.Opera/NativeMessagingHosts", "Library/Application Support/Google/Chrome/NativeMessagingHosts"},
		},
		System: map[string][]string{
			"linux":  {"/etc/opt/chrome/native-messaging-hosts"},
			"darwin": {"/Library/Google/Chrome/NativeMessagingHosts"},
		},
		WinKeys:  []string{`Software\Google\Chrome\NativeMessagingHosts`},
		Commands: []string{"opera", "opera-stable"},
		Data: map[string][]string{
			"linux": {".config/opera/Local State"}, "darwin": {"Library/Application Support/com.operasoftware.Opera/Local State"},
			"windows": {`roaming:Opera Software\Opera Stable\Local State`},
		},
		Apps: []string{"Opera.app"}, WinExe: []string{`Opera\opera.exe`},
		Snap: "opera", Flatpak: "com.opera.Opera",
	},
	{
		Name: "firefox", Title: "Firefox", Firefox: true,
		User: map[string][]string{
			"linux":  {".mozilla/native-messaging-hosts"},
			"darwin": {"Library/Application Support/Mozilla/NativeMessagingHosts"},
		},
		System: map[string][]string{
			"linux":  {"/usr/lib/mozilla/native-messaging-hosts"},
			"darwin": {"/Library/Application Support/Mozilla/NativeMessagingHosts"},
		},
		WinKeys:  []string{`Software\Mozilla\NativeMessagingHosts`},
		Commands: []string{"firefox", "firefox-esr"},
		Data: map[string][]string{
			"linux": {".mozilla/firefox/profiles.ini"}, "darwin": {"Library/Application Support/Firefox/profiles.ini"},
			"windows": {`roaming:Mozilla\Firefox\profiles.ini`},
		},
		Apps: []string{"Firefox.app", "Firefox ESR.app"}, WinExe: []string{`Mozilla Firefox\firefox.exe`},
		Snap: "firefox", Flatpak: "org.mozilla.firefox",
	},
}

// Browsers lists the names accepted by --browser.
func Browsers() []string {
	names := make([]string, 0, len(browsers))
	for _, b := range browsers {
		names = append(names, b.Name)
	}
	sort.Strings(names)
	return names
}

// Lookup returns the browser named name.
func Lookup(name string) (Browser, error) {
	for _, b := range browsers {
		if b.Name == name {
			return b, nil
		}
	}
	return Browser{}, fmt.Errorf("%w %q (one of %v)", ErrUnknownBrowser, name, Browsers())
}
