//go:build windows

package install

import (
	"errors"

	"golang.org/x/sys/windows/registry"
)

// winRegistry is the machine's registry.
type winRegistry struct{}

func systemRegistry() Registry { return winRegistry{} }

func openRoot(key string) (registry.Key, string, error) {
	root, sub, err := splitKey(key)
	if err != nil {
		return 0, "", err
	}
	if root == hklm {
		return registry.LOCAL_MACHINE, sub, nil
	}
	return registry.CURRENT_USER, sub, nil
}

func (winRegistry) CreateKey(key string) (bool, error) {
	root, sub, err := openRoot(key)
	if err != nil {
		return false, err
	}
	k, existed, err := registry.CreateKey(root, sub, registry.SET_VALUE)
	if err != nil {
		return false, err
	}
	return existed, k.Close()
}

func (winRegistry) SetDefault(key, value string) error {
	root, sub, err := openRoot(key)
	if err != nil {
		return err
	}
	k, err := registry.OpenKey(root, sub, registry.SET_VALUE)
	if err != nil {
		return err
	}
	defer k.Close()
	return k.SetStringValue("", value)
}

func (winRegistry) Default(key string) (string, error) {
	root, sub, err := openRoot(key)
	if err != nil {
		return "", err
	}
	k, err := registry.OpenKey(root, sub, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return "", ErrNoKey
	}
	if err != nil {
		return "", err
	}
	defer k.Close()
	v, _, err := k.GetStringValue("")
	if errors.Is(err, registry.ErrNotExist) {
		return "", ErrNoKey
	}
	return v, err
}

func (winRegistry) DeleteKey(key string) error {
	root, sub, err := openRoot(key)
	if err != nil {
		return err
	}
	err = registry.DeleteKey(root, sub)
	if errors.Is(err, registry.ErrNotExist) {
		return ErrNoKey
	}
	return err
}
