package install

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
)

// Finding is one line of a doctor report.
type Finding struct {
	Browser string
	Path    string
	OK      bool
	Problem string // what is wrong
	Fix     string // the command or step that fixes it
}

// Doctor checks the manifest of each browser (the profile's own when profile is set)
// against the host binary at hostPath.
func Doctor(browsers []string, profile, hostPath string) []Finding {
	home, _ := os.UserHomeDir()
	var out []Finding
	for _, b := range browsers {
		f := Finding{Browser: b}
		fix := "tabphone-host install --browser " + b
		if profile != "" {
			fix += " --profile " + profile
		}
		path, err := ManifestPath(b, profile, home)
		if err != nil {
			f.Problem = err.Error()
			out = append(out, f)
			continue
		}
		f.Path = path
		f.Problem, f.Fix = checkManifest(b, path, hostPath), fix
		f.OK = f.Problem == ""
		if f.OK {
			f.Fix = ""
		}
		out = append(out, f)
	}
	return out
}

func checkManifest(browser, path, hostPath string) string {
	raw, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return "no host manifest: the browser will say \"Specified native messaging host not found\""
	}
	if err != nil {
		return fmt.Sprintf("cannot read the manifest: %v", err)
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Sprintf("the manifest is not valid JSON: %v", err)
	}
	want := NewManifest(browser, hostPath)
	switch {
	case m.Name != HostName:
		return fmt.Sprintf("the manifest names %q, not %q", m.Name, HostName)
	case m.Type != "stdio":
		return "the manifest's type is not stdio"
	case !slices.Equal(m.AllowedOrigins, want.AllowedOrigins) || !slices.Equal(m.AllowedExtensions, want.AllowedExtensions):
		return "the manifest does not allow this extension (allowed_origins needs chrome-extension://" + ExtensionID + "/ with the trailing slash)"
	}
	st, err := os.Stat(m.Path)
	if err != nil {
		return fmt.Sprintf("the host binary %s is missing", m.Path)
	}
	if st.Mode()&0o111 == 0 {
		return fmt.Sprintf("the host binary %s is not executable", m.Path)
	}
	if hostPath != "" && m.Path != hostPath {
		return fmt.Sprintf("the manifest points to %s, not to this host (%s)", m.Path, hostPath)
	}
	return ""
}
