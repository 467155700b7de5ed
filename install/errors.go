package install

import "errors"

var (
	// ErrUnknownBrowser reports a browser name we do not install for.
	ErrUnknownBrowser = errors.New("unknown browser")
	// ErrNoHome: the user's home directory is unknown, so no per-user place is.
	ErrNoHome = errors.New("cannot find the home directory")
	// ErrNoKey: a registry key or its default value is missing.
	ErrNoKey = errors.New("registry key not found")
	// ErrUnsupported: the OS or the combination of flags has no manifest place.
	ErrUnsupported = errors.New("not supported")
	// ErrNoBrowser: install with no --browser found no browser to register with.
	ErrNoBrowser = errors.New("no supported browser found")
)
