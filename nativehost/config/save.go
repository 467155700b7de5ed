package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Public is the config as the extension may see it: every field but the passwords,
// which become "password_set".
type Public struct {
	Accounts            []PublicAccount `json:"accounts"`
	DefaultAccount      string          `json:"default_account,omitempty"`
	Status              string          `json:"status,omitempty"`
	Sites               []Site          `json:"sites"`
	CloseWithoutSession *bool           `json:"close_without_session,omitempty"`
}

// PublicAccount is an Account without its password. On config_set, Password "" keeps
// the stored password; a non-empty one replaces it.
type PublicAccount struct {
	Account
	Password    string `json:"password,omitempty"`
	PasswordSet bool   `json:"password_set"`
}

// Public returns the config without passwords.
func (c *Config) Public() Public {
	p := Public{DefaultAccount: c.DefaultAccount, Status: c.Status, Sites: c.Sites, CloseWithoutSession: c.CloseWithoutSession}
	if p.Sites == nil {
		p.Sites = []Site{}
	}
	p.Accounts = make([]PublicAccount, 0, len(c.Accounts))
	for _, a := range c.Accounts {
		pa := PublicAccount{Account: a, PasswordSet: a.Password != ""}
		pa.Account.Password = ""
		p.Accounts = append(p.Accounts, pa)
	}
	return p
}

// Merge builds a full config from a Public one sent by the extension, keeping the stored
// password of every account (by id) that comes without one, and validates it.
func Merge(cur *Config, in Public) (*Config, error) {
	next := Config{DefaultAccount: in.DefaultAccount, Status: in.Status, Sites: in.Sites, CloseWithoutSession: in.CloseWithoutSession}
	if cur != nil {
		next.SIPTrace = cur.SIPTrace // a hand-edited switch the options page does not show
	}
	for _, pa := range in.Accounts {
		a := pa.Account
		a.Password = Secret(pa.Password)
		if pa.Password == "" && cur != nil {
			if old, ok := cur.Account(a.ID); ok && a.ID != "" {
				a.Password = old.Password
			}
		}
		next.Accounts = append(next.Accounts, a)
	}
	raw, err := json.Marshal(next.file())
	if err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	return Parse(raw)
}

// fileConfig is Config as written to disk, with passwords in clear (the file is 0600).
type fileConfig struct {
	Accounts            []fileAccount `json:"accounts"`
	DefaultAccount      string        `json:"default_account,omitempty"`
	Status              string        `json:"status,omitempty"`
	Sites               []Site        `json:"sites,omitempty"`
	CloseWithoutSession *bool         `json:"close_without_session,omitempty"`
	SIPTrace            bool          `json:"sip_trace,omitempty"`
}

type fileAccount struct {
	Account
	Password string `json:"password,omitempty"`
}

func (c *Config) file() fileConfig {
	f := fileConfig{DefaultAccount: c.DefaultAccount, Status: c.Status, Sites: c.Sites, CloseWithoutSession: c.CloseWithoutSession, SIPTrace: c.SIPTrace}
	f.Accounts = []fileAccount{}
	for _, a := range c.Accounts {
		f.Accounts = append(f.Accounts, fileAccount{Account: a, Password: a.Password.Reveal()})
	}
	return f
}

// Save writes the config atomically (temp file + rename in the same directory) with mode
// 0600, so a reader never sees half a file and other users never see the passwords.
func Save(path string, c *Config) error {
	data, err := json.MarshalIndent(c.file(), "", "  ")
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".config-*.json")
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write config: %w", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write config: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write config: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	return nil
}
