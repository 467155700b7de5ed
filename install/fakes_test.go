package install

import (
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"testing"
	"time"
)

// memFS is an in-memory FS for any target OS: paths are plain strings.
type memFS struct {
	sep   string
	nodes map[string]*memNode
}

type memNode struct {
	data []byte
	mode fs.FileMode
	dir  bool
}

func newMemFS(goos string) *memFS {
	sep := "/"
	if goos == "windows" {
		sep = `\`
	}
	return &memFS{sep: sep, nodes: map[string]*memNode{}}
}

func (m *memFS) ReadFile(name string) ([]byte, error) {
	n, ok := m.nodes[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if n.dir {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrInvalid}
	}
	return append([]byte(nil), n.data...), nil
}

func (m *memFS) WriteFile(name string, data []byte, perm fs.FileMode) error {
	if n, ok := m.nodes[name]; ok && n.dir {
		return &fs.PathError{Op: "write", Path: name, Err: fs.ErrExist}
	}
	m.nodes[name] = &memNode{data: append([]byte(nil), data...), mode: perm}
	return nil
}

func (m *memFS) Mkdir(name string, perm fs.FileMode) error {
	if _, ok := m.nodes[name]; ok {
		return &fs.PathError{Op: "mkdir", Path: name, Err: fs.ErrExist}
	}
	m.nodes[name] = &memNode{dir: true, mode: perm | fs.ModeDir}
	return nil
}

func (m *memFS) Stat(name string) (fs.FileInfo, error) {
	n, ok := m.nodes[name]
	if !ok {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return memInfo{name: name, n: n}, nil
}

func (m *memFS) Remove(name string) error {
	n, ok := m.nodes[name]
	if !ok {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	}
	if n.dir {
		for p := range m.nodes {
			if strings.HasPrefix(p, name+m.sep) {
				return &fs.PathError{Op: "remove", Path: name, Err: fmt.Errorf("directory not empty")}
			}
		}
	}
	delete(m.nodes, name)
	return nil
}

func (m *memFS) ReadDir(name string) ([]string, error) {
	if n, ok := m.nodes[name]; !ok || !n.dir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	var names []string
	for p := range m.nodes {
		if rest, ok := strings.CutPrefix(p, name+m.sep); ok && !strings.Contains(rest, m.sep) {
			names = append(names, rest)
		}
	}
	sort.Strings(names)
	return names, nil
}

// mkdirs creates directories (and parents) as a machine had them before a test.
func (m *memFS) mkdirs(paths ...string) {
	for _, p := range paths {
		for {
			m.nodes[p] = &memNode{dir: true, mode: fs.ModeDir | 0o755}
			i := strings.LastIndex(p, m.sep)
			if i <= 0 || (m.sep == `\` && i <= 2) {
				break
			}
			p = p[:i]
		}
	}
}

// exe puts an executable file at p (and its directory).
func (m *memFS) exe(p string, content string) {
	m.mkdirs(p[:strings.LastIndex(p, m.sep)])
	m.nodes[p] = &memNode{data: []byte(content), mode: 0o755}
}

// snapshot lists every node with its kind, mode and content.
func (m *memFS) snapshot() map[string]string {
	out := map[string]string{}
	for p, n := range m.nodes {
		out[p] = fmt.Sprintf("%v %o %q", n.dir, n.mode, n.data)
	}
	return out
}

type memInfo struct {
	name string
	n    *memNode
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return int64(len(i.n.data)) }
func (i memInfo) Mode() fs.FileMode  { return i.n.mode }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return i.n.dir }
func (i memInfo) Sys() any           { return nil }

// fakeRegistry is a Windows registry in a map: key → default value ("" when unset).
type fakeRegistry struct {
	keys map[string]*string
}

func newFakeRegistry(existing ...string) *fakeRegistry {
	r := &fakeRegistry{keys: map[string]*string{hkcu: nil, hklm: nil}}
	for _, k := range existing {
		r.keys[k] = nil
	}
	return r
}

func (r *fakeRegistry) CreateKey(key string) (bool, error) {
	if _, _, err := splitKey(key); err != nil {
		return false, err
	}
	if _, ok := r.keys[key]; ok {
		return true, nil
	}
	if _, ok := r.keys[parentKey(key)]; !ok {
		return false, fmt.Errorf("parent of %s missing", key)
	}
	r.keys[key] = nil
	return false, nil
}

func (r *fakeRegistry) SetDefault(key, value string) error {
	if _, ok := r.keys[key]; !ok {
		return ErrNoKey
	}
	r.keys[key] = &value
	return nil
}

func (r *fakeRegistry) Default(key string) (string, error) {
	v, ok := r.keys[key]
	if !ok || v == nil {
		return "", ErrNoKey
	}
	return *v, nil
}

func (r *fakeRegistry) DeleteKey(key string) error {
	if _, ok := r.keys[key]; !ok {
		return ErrNoKey
	}
	for k := range r.keys {
		if strings.HasPrefix(k, key+`\`) {
			return fmt.Errorf("%s has subkeys", key)
		}
	}
	delete(r.keys, key)
	return nil
}

func (r *fakeRegistry) snapshot() map[string]string {
	out := map[string]string{}
	for k, v := range r.keys {
		out[k] = "<none>"
		if v != nil {
			out[k] = *v
		}
	}
	return out
}

// diff lists what differs between two snapshots, sorted, for failure messages.
func diff(before, after map[string]string) []string {
	var out []string
	for k, v := range after {
		if b, ok := before[k]; !ok {
			out = append(out, "+ "+k)
		} else if b != v {
			out = append(out, "~ "+k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			out = append(out, "- "+k)
		}
	}
	sort.Strings(out)
	return out
}

// testEnv is a machine of the given OS with a home directory and no browser.
func testEnv(t *testing.T, goos string) (Env, *memFS, *fakeRegistry) {
	t.Helper()
	m := newMemFS(goos)
	env := Env{GOOS: goos, FS: m, Getenv: func(string) string { return "" }}
	vars := map[string]string{}
	var reg *fakeRegistry
	switch goos {
	case "linux":
		env.Home = "/home/u"
		vars["PATH"] = "/usr/local/bin:/usr/bin:/bin"
	case "darwin":
		env.Home = "/Users/u"
	case "windows":
		env.Home = `C:\Users\u`
		vars["LOCALAPPDATA"] = `C:\Users\u\AppData\Local`
		vars["APPDATA"] = `C:\Users\u\AppData\Roaming`
		vars["ProgramFiles"] = `C:\Program Files`
		reg = newFakeRegistry(`HKCU\Software`, `HKLM\Software`, `HKLM\Software\Google`)
		env.Registry = reg
		m.mkdirs(`C:\Program Files`, vars["LOCALAPPDATA"], vars["APPDATA"])
	}
	m.mkdirs(env.Home)
	env.Getenv = func(k string) string { return vars[k] }
	return env, m, reg
}
