package install

import (
	"bytes"
	"strings"
)

// Found is a browser found on the machine.
type Found struct {
	Browser Browser
	// Where shows it: the command, application or data directory found.
	Where string
	// Native: a copy outside Snap and Flatpak. Snap, Flatpak: a sandboxed copy, which
	// cannot start a host on its own (see SandboxAdvice).
	Native, Snap, Flatpak bool
}

// Detect returns the browsers installed (or used, by their data directory) on e.
func (e Env) Detect() []Found {
	var out []Found
	for _, b := range browsers {
		f := Found{Browser: b}
		switch e.GOOS {
		case "linux":
			e.detectLinux(&f)
		case "darwin":
			for _, app := range b.Apps {
				for _, dir := range []string{"/Applications", e.join(e.Home, "Applications")} {
					if p := e.join(dir, app); f.Where == "" && e.exists(p) {
						f.Native, f.Where = true, p
					}
				}
			}
			e.detectData(&f)
		case "windows":
			for _, env := range []string{"ProgramFiles", "ProgramFiles(x86)"} {
				for _, exe := range b.WinExe {
					if pf := e.getenv(env); pf != "" && f.Where == "" && e.exists(e.join(pf, exe)) {
						f.Native, f.Where = true, e.join(pf, exe)
					}
				}
			}
			e.detectData(&f)
		}
		if f.Native || f.Snap || f.Flatpak {
			out = append(out, f)
		}
	}
	return out
}

func (e Env) detectLinux(f *Found) {
	b := f.Browser
	for _, c := range b.Commands {
		p, ok := e.lookPath(c)
		if !ok {
			continue
		}
		if strings.HasPrefix(p, "/snap/") || e.snapWrapper(p) {
			f.Snap = true
			continue
		}
		if !f.Native {
			f.Native, f.Where = true, p
		}
	}
	e.detectData(f)
	if b.Snap != "" && (e.exists(e.join("/snap", b.Snap)) || e.exists(e.join(e.Home, "snap", b.Snap))) {
		f.Snap = true
	}
	if b.Flatpak != "" {
		for _, d := range []string{e.join(e.Home, ".var/app", b.Flatpak), e.join("/var/lib/flatpak/app", b.Flatpak), e.join(e.Home, ".local/share/flatpak/app", b.Flatpak)} {
			if e.exists(d) {
				f.Flatpak = true
			}
		}
	}
	if f.Where == "" && f.Snap {
		f.Where = "snap " + b.Snap
	}
	if f.Where == "" && f.Flatpak {
		f.Where = "flatpak " + b.Flatpak
	}
}

// detectData marks the browser native when its own data exists: the user has run it
// (a sandboxed copy keeps its data under ~/snap or ~/.var/app instead).
func (e Env) detectData(f *Found) {
	for _, d := range f.Browser.Data[e.GOOS] {
		var p string
		switch {
		case strings.HasPrefix(d, "local:"):
			p = e.join(e.localAppData(), strings.TrimPrefix(d, "local:"))
		case strings.HasPrefix(d, "roaming:"):
			p = e.join(e.roamingAppData(), strings.TrimPrefix(d, "roaming:"))
		default:
			p = e.join(e.Home, d)
		}
		if e.exists(p) && !f.Native {
			f.Native, f.Where = true, p
		}
	}
}

// lookPath finds an executable command on PATH.
func (e Env) lookPath(name string) (string, bool) {
	sep := ":"
	if e.GOOS == "windows" {
		sep = ";"
	}
	for _, dir := range strings.Split(e.getenv("PATH"), sep) {
		if dir == "" || !e.isAbs(dir) {
			continue
		}
		p := e.join(dir, name)
		if st, err := e.FS.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}

// snapWrapper: Ubuntu's /usr/bin/chromium-browser and /usr/bin/firefox are small scripts
// that run the snap.
func (e Env) snapWrapper(p string) bool {
	st, err := e.FS.Stat(p)
	if err != nil || st.Size() > 16<<10 {
		return false
	}
	data, err := e.FS.ReadFile(p)
	return err == nil && bytes.HasPrefix(data, []byte("#!")) && bytes.Contains(data, []byte("/snap/"))
}

// SandboxAdvice explains what works for a browser found only as a Snap or Flatpak,
// and what to install instead. Empty when a native copy exists.
func SandboxAdvice(f Found) string {
	if f.Native || !f.Snap && !f.Flatpak {
		return ""
	}
	b := f.Browser
	if f.Snap && b.Firefox {
		return "Firefox from Snap starts the host only through the desktop's WebExtensions portal (Ubuntu 22.04 and later asks once for permission); if it never asks, install Firefox from Mozilla's Debian package or firefox-esr"
	}
	kind := "Snap"
	if !f.Snap {
		kind = "Flatpak"
	}
	return b.Title + " from " + kind + " cannot start native hosts (its sandbox forbids running programs outside it): install " + b.Title + " from your distribution's or the vendor's .deb/.rpm package, or use Firefox from a package"
}
