package install

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
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

func TestInstallIntoProfile(t *testing.T) {
	profile := t.TempDir()
	path, err := Install("chromium", profile, "/opt/tabphone/tabphone-host")
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(profile, "NativeMessagingHosts", "com.tabphone.host.json") {
		t.Fatalf("path %s", path)
	}
	var m Manifest
	raw, _ := os.ReadFile(path)
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.Name != HostName || m.Type != "stdio" || len(m.AllowedOrigins) != 1 || m.AllowedOrigins[0] != "chrome-extension://"+ExtensionID+"/" {
		t.Fatalf("manifest %+v", m)
	}
	if _, err := Uninstall("chromium", profile); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("manifest still there: %v", err)
	}
}

func TestManifestPaths(t *testing.T) {
	if p, err := ManifestPath("firefox", "", "/home/u"); err != nil || !strings.HasSuffix(p, "com.tabphone.host.json") {
		t.Fatalf("firefox: %s %v", p, err)
	}
	if _, err := ManifestPath("netscape", "", "/home/u"); err == nil {
		t.Fatal("unknown browser accepted")
	}
	if _, err := Install("chromium", t.TempDir(), "relative/host"); err == nil {
		t.Fatal("relative host path accepted")
	}
	m := NewManifest("firefox", "/x")
	if len(m.AllowedExtensions) != 1 || m.AllowedOrigins != nil {
		t.Fatalf("firefox manifest %+v", m)
	}
}
