package install

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
)

// Env is the machine an install, uninstall or doctor run works on. Everything it
// touches goes through it, so a test can describe another OS (a fake FS and Registry)
// or this one under a temporary root.
type Env struct {
	GOOS     string
	Home     string
	Getenv   func(string) string
	FS       FS
	Registry Registry // Windows only
}

// FS is the part of the file system an install uses. Paths are the target OS's.
type FS interface {
	ReadFile(name string) ([]byte, error)
	// WriteFile replaces name atomically (temp file + rename) with data and perm.
	WriteFile(name string, data []byte, perm fs.FileMode) error
	// Mkdir creates one directory; fs.ErrExist when it is there.
	Mkdir(name string, perm fs.FileMode) error
	Stat(name string) (fs.FileInfo, error)
	// Remove removes a file or an empty directory.
	Remove(name string) error
	// ReadDir lists the names in a directory, sorted.
	ReadDir(name string) ([]string, error)
}

// CurrentEnv describes this machine for the current user.
func CurrentEnv() (Env, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return Env{}, errors.Join(ErrNoHome, err)
	}
	return Env{GOOS: runtime.GOOS, Home: home, Getenv: os.Getenv, FS: OSFS(""), Registry: systemRegistry()}, nil
}

// OSFS is the real file system; a non-empty value is a directory that stands for the
// root (packagers build a tree under it, tests keep system places out of /etc).
type OSFS string

func (r OSFS) real(name string) string {
	if r == "" {
		return name
	}
	return filepath.Join(string(r), name)
}

// ReadFile implements FS.
func (r OSFS) ReadFile(name string) ([]byte, error) { return os.ReadFile(r.real(name)) }

// WriteFile implements FS.
func (r OSFS) WriteFile(name string, data []byte, perm fs.FileMode) error {
	p := r.real(name)
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, data, perm); err != nil {
		return err
	}
	// WriteFile keeps an existing file's mode; the temp file may be left from a crash.
	if err := os.Chmod(tmp, perm); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// Mkdir implements FS.
func (r OSFS) Mkdir(name string, perm fs.FileMode) error { return os.Mkdir(r.real(name), perm) }

// Stat implements FS.
func (r OSFS) Stat(name string) (fs.FileInfo, error) { return os.Stat(r.real(name)) }

// Remove implements FS.
func (r OSFS) Remove(name string) error { return os.Remove(r.real(name)) }

// ReadDir implements FS.
func (r OSFS) ReadDir(name string) ([]string, error) {
	entries, err := os.ReadDir(r.real(name))
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, err
}

// join joins path elements with the target OS's separator.
func (e Env) join(elem ...string) string {
	if e.GOOS == "windows" {
		parts := make([]string, 0, len(elem))
		for _, p := range elem {
			if p = strings.Trim(p, `\`); p != "" {
				parts = append(parts, p)
			}
		}
		return strings.Join(parts, `\`)
	}
	return path.Join(elem...)
}

// dir returns the parent directory in the target OS's terms.
func (e Env) dir(p string) string {
	if e.GOOS == "windows" {
		i := strings.LastIndex(p, `\`)
		if i <= 2 { // C:\x → C:\ is the drive: stop there
			return p
		}
		return p[:i]
	}
	return path.Dir(p)
}

func (e Env) getenv(k string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(k)
}

// exists reports whether p is there.
func (e Env) exists(p string) bool {
	_, err := e.FS.Stat(p)
	return err == nil
}

// mkdirAll creates dir and its missing parents and returns those it created,
// outermost first, so uninstall can remove exactly them.
func (e Env) mkdirAll(dir string, perm fs.FileMode) ([]string, error) {
	var missing []string
	for d := dir; ; d = e.dir(d) {
		if st, err := e.FS.Stat(d); err == nil {
			if !st.IsDir() {
				return nil, &fs.PathError{Op: "mkdir", Path: d, Err: fs.ErrExist}
			}
			break
		}
		missing = append(missing, d)
		if e.dir(d) == d {
			break
		}
	}
	var created []string
	for i := len(missing) - 1; i >= 0; i-- {
		if err := e.FS.Mkdir(missing[i], perm); err != nil && !errors.Is(err, fs.ErrExist) {
			return created, err
		}
		created = append(created, missing[i])
	}
	return created, nil
}

// isAbs reports whether p is absolute on the target OS.
func (e Env) isAbs(p string) bool {
	if e.GOOS == "windows" {
		return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') || strings.HasPrefix(p, `\\`)
	}
	return strings.HasPrefix(p, "/")
}
