//go:build !windows

package install

// systemRegistry: only Windows has one; installs for Windows are tested with a fake.
func systemRegistry() Registry { return nil }
