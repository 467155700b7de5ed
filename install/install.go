// Package install registers the native host with browsers (copies the binary to a
// stable place, writes the host manifest where each browser reads it) and undoes exactly
// that. Doctor checks an installation end to end and says the fix for each problem.
package install

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
)

// Options say what to install or uninstall.
type Options struct {
	// Browsers to register with; empty: every browser Detect finds (install) or every
	// browser the record lists (uninstall).
	Browsers []string
	Scope    Scope
	// Profile: a Chromium-family profile directory. The manifest goes into it and
	// points at HostPath; nothing is copied or recorded (throwaway test profiles).
	Profile string
	// HostPath registers this binary where it is. Empty: Binary is copied to
	// InstallDir and that copy is registered.
	HostPath string
	Binary   []byte
	// Package: write manifests for every browser (all of Browsers when set) pointing
	// at HostPath, with no copy and no record; a package manager owns the files.
	Package bool
}

// Result says what a run did.
type Result struct {
	Browsers []string // the browsers registered or unregistered
	Host     string   // the host binary the manifests name
	Changed  []string // files, directories and registry keys written or removed
	Notes    []string // things the user should know (sandboxed browsers, leftovers)
}

// recordName is the file in InstallDir that lists what install added.
const recordName = "installed.json"

// anyBrowser marks what every registered browser needs (the binary, its directory).
const anyBrowser = "*"

// record lists what install added, so uninstall removes exactly that.
type record struct {
	Items []item `json:"items"`
}

type item struct {
	Kind string   `json:"kind"` // "dir", "file", "key"
	Path string   `json:"path"`
	For  []string `json:"for"` // browsers that need it
}

func (r *record) add(kind, path, browser string) {
	for i := range r.Items {
		if r.Items[i].Kind == kind && r.Items[i].Path == path {
			if !slices.Contains(r.Items[i].For, browser) {
				r.Items[i].For = append(r.Items[i].For, browser)
			}
			return
		}
	}
	r.Items = append(r.Items, item{Kind: kind, Path: path, For: []string{browser}})
}

// browsers lists the browsers the record registers.
func (r *record) browsers() []string {
	var out []string
	for _, it := range r.Items {
		for _, b := range it.For {
			if b != anyBrowser && !slices.Contains(out, b) {
				out = append(out, b)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (e Env) recordPath(scope Scope) (string, error) {
	dir, err := e.InstallDir(scope)
	if err != nil {
		return "", err
	}
	return e.join(dir, recordName), nil
}

func (e Env) loadRecord(scope Scope) (*record, bool, error) {
	p, err := e.recordPath(scope)
	if err != nil {
		return nil, false, err
	}
	data, err := e.FS.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return &record{}, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", p, err)
	}
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, false, fmt.Errorf("%s is damaged (%v): remove the files it lists by hand", p, err)
	}
	return &r, true, nil
}

func (e Env) saveRecord(scope Scope, r *record) error {
	p, err := e.recordPath(scope)
	if err != nil {
		return err
	}
	data, _ := json.MarshalIndent(r, "", "  ")
	return e.FS.WriteFile(p, append(data, '\n'), 0o644)
}

// resolve turns names (or detection) into browsers.
func (e Env) resolve(names []string, res *Result) ([]Browser, error) {
	if len(names) == 0 {
		found := e.Detect()
		var out []Browser
		for _, f := range found {
			out = append(out, f.Browser)
			if a := SandboxAdvice(f); a != "" {
				res.Notes = append(res.Notes, a)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%w (looked for %s): install one, or name it with --browser", ErrNoBrowser, strings.Join(Browsers(), ", "))
		}
		return out, nil
	}
	var out []Browser
	for _, n := range names {
		b, err := Lookup(n)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// Install registers the host for opts.Browsers (or every browser found). Running it
// again changes nothing but a manifest or binary that differs.
func Install(e Env, opts Options) (Result, error) {
	var res Result
	var bs []Browser
	var err error
	if opts.Package && len(opts.Browsers) == 0 {
		bs = browsers
	} else if bs, err = e.resolve(opts.Browsers, &res); err != nil {
		return res, err
	}
	for _, b := range bs {
		res.Browsers = append(res.Browsers, b.Name)
	}
	if opts.Profile != "" || opts.Package {
		if !e.isAbs(opts.HostPath) {
			return res, fmt.Errorf("host path %q must be absolute (browsers do not search PATH)", opts.HostPath)
		}
		res.Host = opts.HostPath
		for _, b := range bs {
			places, err := e.placesFor(b, opts)
			if err != nil {
				return res, err
			}
			for _, pl := range places {
				if _, err := e.mkdirAll(e.dir(pl.Manifest), 0o755); err != nil {
					return res, fmt.Errorf("create %s: %w", e.dir(pl.Manifest), err)
				}
				if err := e.writeIfChanged(pl.Manifest, manifestJSON(NewManifest(b, opts.HostPath)), 0o644); err != nil {
					return res, fmt.Errorf("write manifest: %w", err)
				}
				res.Changed = append(res.Changed, pl.Manifest)
			}
		}
		return res, nil
	}

	rec, _, err := e.loadRecord(opts.Scope)
	if err != nil {
		return res, err
	}
	// Save what was done even when a later step fails, so uninstall can undo it.
	defer func() {
		if len(rec.Items) > 0 {
			if serr := e.saveRecord(opts.Scope, rec); serr != nil && err == nil {
				err = fmt.Errorf("save the install record: %w", serr)
			}
		}
	}()
	dir, err := e.InstallDir(opts.Scope)
	if err != nil {
		return res, err
	}
	created, err := e.mkdirAll(dir, 0o755)
	for _, d := range created {
		rec.add("dir", d, anyBrowser)
	}
	if err != nil {
		return res, fmt.Errorf("create %s: %w", dir, err)
	}
	host := opts.HostPath
	if host == "" {
		host = e.join(dir, e.exeName())
		if len(opts.Binary) == 0 {
			return res, errors.New("no host binary to copy")
		}
		rec.add("file", host, anyBrowser)
		if err := e.writeIfChanged(host, opts.Binary, 0o755); err != nil {
			return res, fmt.Errorf("copy the host to %s: %w", host, err)
		}
		res.Changed = append(res.Changed, host)
	} else if !e.isAbs(host) {
		return res, fmt.Errorf("host path %q must be absolute (browsers do not search PATH)", host)
	}
	res.Host = host
	for _, b := range bs {
		places, err := e.Places(b, opts.Scope)
		if err != nil {
			return res, err
		}
		for _, pl := range places {
			created, err := e.mkdirAll(e.dir(pl.Manifest), 0o755)
			for _, d := range created {
				rec.add("dir", d, b.Name)
			}
			if err != nil {
				return res, fmt.Errorf("create %s: %w", e.dir(pl.Manifest), err)
			}
			rec.add("file", pl.Manifest, b.Name)
			if err := e.writeIfChanged(pl.Manifest, manifestJSON(NewManifest(b, host)), 0o644); err != nil {
				return res, fmt.Errorf("write manifest: %w", err)
			}
			res.Changed = append(res.Changed, pl.Manifest)
			if pl.Key != "" {
				if err := e.setKey(pl.Key, pl.Manifest, b.Name, rec); err != nil {
					return res, fmt.Errorf("registry %s: %w", pl.Key, err)
				}
				res.Changed = append(res.Changed, pl.Key)
			}
		}
	}
	return res, nil
}

// placesFor: the profile's own place, or (for packages) the system places.
func (e Env) placesFor(b Browser, opts Options) ([]Place, error) {
	if opts.Profile != "" {
		pl, err := e.ProfilePlace(b, opts.Profile)
		return []Place{pl}, err
	}
	return e.Places(b, SystemScope)
}

// setKey creates key (and the parents it lacks, each recorded) with value as default.
func (e Env) setKey(key, value, browser string, rec *record) error {
	if e.Registry == nil {
		return fmt.Errorf("no registry on %s: %w", e.GOOS, ErrUnsupported)
	}
	var chain []string
	for k := key; strings.Contains(k, `\`); k = parentKey(k) {
		chain = append(chain, k)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		existed, err := e.Registry.CreateKey(chain[i])
		if err != nil {
			return err
		}
		if !existed || i == 0 {
			rec.add("key", chain[i], browser)
		}
	}
	return e.Registry.SetDefault(key, value)
}

func (e Env) writeIfChanged(p string, data []byte, perm fs.FileMode) error {
	if old, err := e.FS.ReadFile(p); err == nil && bytes.Equal(old, data) {
		if st, err := e.FS.Stat(p); err == nil && st.Mode().Perm() == perm {
			return nil
		}
	}
	return e.FS.WriteFile(p, data, perm)
}

// Uninstall removes what Install added for opts.Browsers (all when empty), and the
// copied binary with the last browser. Without a record (an install by an older
// version) it removes our manifests from every place it knows.
func Uninstall(e Env, opts Options) (Result, error) {
	var res Result
	if opts.Profile != "" {
		for _, n := range opts.Browsers {
			b, err := Lookup(n)
			if err != nil {
				return res, err
			}
			pl, err := e.ProfilePlace(b, opts.Profile)
			if err != nil {
				return res, err
			}
			if e.removeManifest(pl.Manifest) {
				res.Changed = append(res.Changed, pl.Manifest)
			}
			res.Browsers = append(res.Browsers, b.Name)
		}
		return res, nil
	}
	rec, found, err := e.loadRecord(opts.Scope)
	if err != nil {
		return res, err
	}
	if !found {
		return e.uninstallUnrecorded(opts)
	}
	names := opts.Browsers
	if len(names) == 0 {
		names = rec.browsers()
	}
	for _, n := range names {
		if _, err := Lookup(n); err != nil {
			return res, err
		}
	}
	res.Browsers = names
	var undo []item
	keep := rec.Items[:0]
	for _, it := range rec.Items {
		it.For = slices.DeleteFunc(it.For, func(b string) bool { return slices.Contains(names, b) })
		if len(it.For) == 0 {
			undo = append(undo, it)
		} else {
			keep = append(keep, it)
		}
	}
	rec.Items = keep
	last := len(rec.browsers()) == 0
	if last {
		undo = append(undo, rec.Items...)
		rec.Items = nil
	}
	if last {
		p, _ := e.recordPath(opts.Scope)
		if err := e.FS.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return res, err
		}
	} else if err := e.saveRecord(opts.Scope, rec); err != nil {
		return res, err
	}
	e.undo(undo, &res)
	return res, nil
}

// undo removes files and keys first, then directories from the deepest up.
func (e Env) undo(items []item, res *Result) {
	sort.SliceStable(items, func(i, j int) bool {
		ri, rj := items[i].Kind == "dir", items[j].Kind == "dir"
		if ri != rj {
			return !ri
		}
		return len(items[i].Path) > len(items[j].Path)
	})
	for _, it := range items {
		switch it.Kind {
		case "file":
			if strings.HasSuffix(it.Path, ".json") {
				if e.removeManifest(it.Path) {
					res.Changed = append(res.Changed, it.Path)
				}
				continue
			}
			if err := e.FS.Remove(it.Path); err == nil {
				res.Changed = append(res.Changed, it.Path)
			} else if !errors.Is(err, fs.ErrNotExist) {
				res.Notes = append(res.Notes, fmt.Sprintf("could not remove %s: %v", it.Path, err))
			}
		case "key":
			if e.Registry == nil {
				continue
			}
			if err := e.Registry.DeleteKey(it.Path); err == nil {
				res.Changed = append(res.Changed, it.Path)
			} else if !errors.Is(err, ErrNoKey) {
				res.Notes = append(res.Notes, fmt.Sprintf("could not remove the registry key %s: %v", it.Path, err))
			}
		case "dir":
			if err := e.FS.Remove(it.Path); err == nil {
				res.Changed = append(res.Changed, it.Path)
			} else if !errors.Is(err, fs.ErrNotExist) {
				res.Notes = append(res.Notes, fmt.Sprintf("left %s in place: it holds files install did not add", it.Path))
			}
		}
	}
}

// removeManifest removes a manifest file only while it is ours.
func (e Env) removeManifest(p string) bool {
	data, err := e.FS.ReadFile(p)
	if err != nil {
		return false
	}
	var m Manifest
	if json.Unmarshal(data, &m) != nil || m.Name != HostName {
		return false
	}
	return e.FS.Remove(p) == nil
}

func (e Env) uninstallUnrecorded(opts Options) (Result, error) {
	res := Result{Browsers: opts.Browsers}
	if len(res.Browsers) == 0 {
		res.Browsers = Browsers()
	}
	for _, n := range res.Browsers {
		b, err := Lookup(n)
		if err != nil {
			return res, err
		}
		places, err := e.Places(b, opts.Scope)
		if err != nil {
			return res, err
		}
		for _, pl := range places {
			if pl.Key != "" && e.Registry != nil {
				if v, err := e.Registry.Default(pl.Key); err == nil && v == pl.Manifest && e.Registry.DeleteKey(pl.Key) == nil {
					res.Changed = append(res.Changed, pl.Key)
				}
			}
			if e.removeManifest(pl.Manifest) {
				res.Changed = append(res.Changed, pl.Manifest)
			}
		}
	}
	return res, nil
}
