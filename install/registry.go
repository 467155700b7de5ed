package install

import (
	"fmt"
	"strings"
)

// Registry is the part of the Windows registry an install uses: the default value of a
// key under HKEY_CURRENT_USER or HKEY_LOCAL_MACHINE. Keys are written as
// `HKCU\Software\…` or `HKLM\Software\…`. The real one (registry_windows.go) wraps
// golang.org/x/sys/windows/registry; tests use a map.
type Registry interface {
	// CreateKey creates key (its parent must exist) and reports whether it was there.
	CreateKey(key string) (existed bool, err error)
	// SetDefault sets the key's default (unnamed) string value.
	SetDefault(key, value string) error
	// Default reads the default value; ErrNoKey when the key or the value is missing.
	Default(key string) (string, error)
	// DeleteKey deletes a key without subkeys; ErrNoKey when it is missing.
	DeleteKey(key string) error
}

// Windows registry roots as written in keys.
const (
	hkcu = "HKCU"
	hklm = "HKLM"
)

// splitKey splits `HKCU\Software\X` into the root and the path below it.
//
//lint:ignore U1000 used by registry_windows.go and by the tests' fake registry; unused on other systems
func splitKey(key string) (root, sub string, err error) {
	root, sub, _ = strings.Cut(key, `\`)
	if root != hkcu && root != hklm || sub == "" {
		return "", "", fmt.Errorf("registry key %q: want HKCU\\… or HKLM\\…", key)
	}
	return root, sub, nil
}

// parentKey returns the key one level up, or "" at the root.
func parentKey(key string) string {
	i := strings.LastIndex(key, `\`)
	if i < 0 {
		return ""
	}
	return key[:i]
}
