// Package install registers the native host with browsers (writes the host manifest
// where each browser looks for it) and checks an installation.
package install

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
)

// Names the extension and the browsers agree on.
const (
	HostName    = "com.tabphone.host"
	ExtensionID = "fofiikfolgbiahjjnmckkiaefainepgm" // from the key in extension/manifest.json
	GeckoID     = "tabphone@tabphone.dev"
	Description = "Tabphone softphone host"
)

// ErrUnknownBrowser reports a browser name we do not install for.
var ErrUnknownBrowser = errors.New("unknown browser")

// Browsers lists the names accepted by --browser.
func Browsers() []string {
	names := make([]string, 0, len(userDirs))
	for n := range userDirs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// userDirs: per-user manifest directories, relative to the home directory, per OS.
var userDirs = map[string]map[string]string{
	"chromium": {"linux": ".config/chromium/NativeMessagingHosts", "darwin": "Library/Application Support/Chromium/NativeMessagingHosts"},
	"chrome":   {"linux": ".config/google-chrome/NativeMessagingHosts", "darwin": "Library/Application Support/Google/Chrome/NativeMessagingHosts"},
	"edge":     {"linux": ".config/microsoft-edge/NativeMessagingHosts", "darwin": "Library/Application Support/Microsoft Edge/NativeMessagingHosts"},
	"brave":    {"linux": ".config/BraveSoftware/Brave-Browser/NativeMessagingHosts", "darwin": "Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts"},
	"firefox":  {"linux": ".mozilla/native-messaging-hosts", "darwin": "Library/Application Support/Mozilla/NativeMessagingHosts"},
}

// Manifest is the native-messaging host manifest.
type Manifest struct {
	Name              string   `json:"name"`
	Description       string   `json:"description"`
	Path              string   `json:"path"`
	Type              string   `json:"type"`
	AllowedOrigins    []string `json:"allowed_origins,omitempty"`
	AllowedExtensions []string `json:"allowed_extensions,omitempty"`
}

// NewManifest returns the manifest for browser with the host binary at hostPath.
func NewManifest(browser, hostPath string) Manifest {
	m := Manifest{Name: HostName, Description: Description, Path: hostPath, Type: "stdio"}
	if browser == "firefox" {
		m.AllowedExtensions = []string{GeckoID}
	} else {
		// The trailing slash is required: Chrome matches the origin exactly.
		m.AllowedOrigins = []string{"chrome-extension://" + ExtensionID + "/"}
	}
	return m
}

// ManifestPath returns where browser reads the manifest: the profile's own
// NativeMessagingHosts directory when profile is set (Chromium family), else the
// per-user directory.
func ManifestPath(browser, profile, home string) (string, error) {
	dirs, ok := userDirs[browser]
	if !ok {
		return "", fmt.Errorf("%w %q (one of %v)", ErrUnknownBrowser, browser, Browsers())
	}
	if profile != "" {
		if browser == "firefox" {
			return "", fmt.Errorf("firefox reads host manifests per user, not per profile: run without --profile (set HOME for a throwaway user)")
		}
		return filepath.Join(profile, "NativeMessagingHosts", HostName+".json"), nil
	}
	rel, ok := dirs[runtime.GOOS]
	if !ok {
		return "", fmt.Errorf("installing for %s on %s is not supported yet", browser, runtime.GOOS)
	}
	return filepath.Join(home, rel, HostName+".json"), nil
}

// Install writes the manifest for browser and returns its path.
func Install(browser, profile, hostPath string) (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find home directory: %w", err)
	}
	path, err := ManifestPath(browser, profile, home)
	if err != nil {
		return "", err
	}
	if !filepath.IsAbs(hostPath) {
		return "", fmt.Errorf("host path %q must be absolute (browsers do not search PATH)", hostPath)
	}
	data, err := json.MarshalIndent(NewManifest(browser, hostPath), "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode manifest: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("write manifest: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("write manifest: %w", err)
	}
	return path, nil
}

// Uninstall removes the manifest for browser; a missing manifest is not an error.
func Uninstall(browser, profile string) (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find home directory: %w", err)
	}
	path, err := ManifestPath(browser, profile, home)
	if err != nil {
		return "", err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("remove %s: %w", path, err)
	}
	return path, nil
}
