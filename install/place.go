package install

import (
	"encoding/json"
	"fmt"
)

// Scope says for whom an install is: the current user or every user of the machine.
type Scope int

// Scopes.
const (
	UserScope Scope = iota
	SystemScope
)

func (s Scope) String() string {
	if s == SystemScope {
		return "system"
	}
	return "user"
}

// Place is one place a browser reads the host manifest from.
type Place struct {
	Manifest string // the manifest file
	Key      string // Windows: the registry key whose default value names Manifest
}

// Names the extension and the browsers agree on.
const (
	HostName    = "com.tabphone.host"
	ExtensionID = "fofiikfolgbiahjjnmckkiaefainepgm" // from the key in extension/manifest.json
	GeckoID     = "tabphone@tabphone.dev"
	Description = "Tabphone softphone host"
)

// Manifest is the native-messaging host manifest.
type Manifest struct {
	Name              string   `json:"name"`
	Description       string   `json:"description"`
	Path              string   `json:"path"`
	Type              string   `json:"type"`
	AllowedOrigins    []string `json:"allowed_origins,omitempty"`
	AllowedExtensions []string `json:"allowed_extensions,omitempty"`
}

// ChromeOrigin is the origin Chromium-family browsers match allowed_origins against.
// The trailing slash is required: Chrome compares the origin exactly.
const ChromeOrigin = "chrome-extension://" + ExtensionID + "/"

// NewManifest returns the manifest for browser with the host binary at hostPath.
func NewManifest(b Browser, hostPath string) Manifest {
	m := Manifest{Name: HostName, Description: Description, Path: hostPath, Type: "stdio"}
	if b.Firefox {
		m.AllowedExtensions = []string{GeckoID}
	} else {
		m.AllowedOrigins = []string{ChromeOrigin}
	}
	return m
}

// manifestJSON is the file's content: indented, one trailing newline.
func manifestJSON(m Manifest) []byte {
	data, _ := json.MarshalIndent(m, "", "  ") // cannot fail: strings only
	return append(data, '\n')
}

// exeName is the host binary's file name on the target OS.
func (e Env) exeName() string {
	if e.GOOS == "windows" {
		return "tabphone-host.exe"
	}
	return "tabphone-host"
}

// InstallDir is the stable place the host binary is copied to, so a manifest never
// points into a download or build folder that is later cleaned up.
func (e Env) InstallDir(scope Scope) (string, error) {
	switch e.GOOS {
	case "linux":
		if scope == SystemScope {
			return "/usr/local/lib/tabphone", nil
		}
		if x := e.getenv("XDG_DATA_HOME"); e.isAbs(x) {
			return e.join(x, "tabphone"), nil
		}
		return e.join(e.Home, ".local/share/tabphone"), nil
	case "darwin":
		if scope == SystemScope {
			return "/Library/Application Support/Tabphone", nil
		}
		return e.join(e.Home, "Library/Application Support/Tabphone"), nil
	case "windows":
		if scope == SystemScope {
			pf := e.getenv("ProgramFiles")
			if pf == "" {
				pf = `C:\Program Files`
			}
			return e.join(pf, "Tabphone"), nil
		}
		return e.join(e.localAppData(), "Tabphone"), nil
	}
	return "", fmt.Errorf("installing on %s is %w", e.GOOS, ErrUnsupported)
}

func (e Env) localAppData() string {
	if d := e.getenv("LOCALAPPDATA"); d != "" {
		return d
	}
	return e.join(e.Home, `AppData\Local`)
}

func (e Env) roamingAppData() string {
	if d := e.getenv("APPDATA"); d != "" {
		return d
	}
	return e.join(e.Home, `AppData\Roaming`)
}

// HostPath is where install copies the host binary for scope.
func (e Env) HostPath(scope Scope) (string, error) {
	dir, err := e.InstallDir(scope)
	if err != nil {
		return "", err
	}
	return e.join(dir, e.exeName()), nil
}

// Places returns where browser b reads the host manifest for scope on e's OS.
func (e Env) Places(b Browser, scope Scope) ([]Place, error) {
	file := HostName + ".json"
	switch e.GOOS {
	case "windows":
		dir, err := e.InstallDir(scope)
		if err != nil {
			return nil, err
		}
		// The registry names a manifest file; Firefox's differs (allowed_extensions).
		manifest := e.join(dir, file)
		if b.Firefox {
			manifest = e.join(dir, HostName+".firefox.json")
		}
		root := hkcu
		if scope == SystemScope {
			root = hklm
		}
		var out []Place
		for _, k := range b.WinKeys {
			out = append(out, Place{Manifest: manifest, Key: root + `\` + k + `\` + HostName})
		}
		return out, nil
	case "linux", "darwin":
		var out []Place
		if scope == SystemScope {
			for _, d := range b.System[e.GOOS] {
				out = append(out, Place{Manifest: e.join(d, file)})
			}
		} else {
			for _, d := range b.User[e.GOOS] {
				out = append(out, Place{Manifest: e.join(e.Home, d, file)})
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("installing for %s on %s is %w", b.Name, e.GOOS, ErrUnsupported)
}

// ProfilePlace is the manifest inside one Chromium-family profile (user data)
// directory, which a browser started with --user-data-dir reads instead of the
// per-user place. Firefox and Windows have no such place.
func (e Env) ProfilePlace(b Browser, profile string) (Place, error) {
	if b.Firefox {
		return Place{}, fmt.Errorf("firefox reads host manifests per user, not per profile: run without --profile (set HOME for a throwaway user): %w", ErrUnsupported)
	}
	if e.GOOS == "windows" {
		return Place{}, fmt.Errorf("on Windows browsers read host manifests from the registry, not from a profile: %w", ErrUnsupported)
	}
	return Place{Manifest: e.join(profile, "NativeMessagingHosts", HostName+".json")}, nil
}
