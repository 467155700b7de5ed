// Package config loads and validates the host's config file (config.json).
// The file's fields and meanings are documented in docs/config.md.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// MaxFileSize caps the config file; anything larger is an error, not a read.
const MaxFileSize = 1 << 20

// Errors.
var (
	// ErrInvalid reports a config file that parses but breaks a rule.
	ErrInvalid = errors.New("invalid config")
	// ErrNoFile reports that no config file exists yet.
	ErrNoFile = errors.New("no config file")
	// ErrOpenToOthers reports a config file other users may read or change: it holds
	// passwords, and a file others can change could point the phone at their PBX.
	ErrOpenToOthers = errors.New("config file is open to other users")
)

// MaxAutoAnswerSeconds caps auto_answer.seconds, and the delay a PBX's answer-after
// hint may ask for.
const MaxAutoAnswerSeconds = 600

// maxNameChars caps display_name, user and auth_user (the options page's limit too).
const maxNameChars = 128

// maxIDChars caps an account's id; maxPasswordChars its password (digest needs no
// more, and a longer one is a paste gone wrong).
const (
	maxIDChars       = 64
	maxPasswordChars = 1024
)

// Values of Config.Status.
const (
	StatusAvailable = "available"
	StatusDND       = "dnd" // Do not disturb
)

// Config is the whole file.
type Config struct {
	Accounts            []Account `json:"accounts"`
	DefaultAccount      string    `json:"default_account,omitempty"`
	Status              string    `json:"status,omitempty"`
	Sites               []Site    `json:"sites,omitempty"`
	CloseWithoutSession *bool     `json:"close_without_session,omitempty"`
	// SIPTrace writes every SIP message to host.log, with credentials redacted: a
	// switch a user turns on by hand to send a log to their PBX admin. The extension
	// never sees or changes it (config_set keeps the file's value).
	SIPTrace bool `json:"sip_trace,omitempty"`
}

// Account is one SIP account.
type Account struct {
	ID            string     `json:"id"`
	DisplayName   string     `json:"display_name,omitempty"`
	User          string     `json:"user"`
	AuthUser      string     `json:"auth_user,omitempty"`
	Password      Secret     `json:"password,omitempty"`
	Domain        string     `json:"domain"`
	Registrar     string     `json:"registrar,omitempty"`
	OutboundProxy string     `json:"outbound_proxy,omitempty"`
	Transport     string     `json:"transport,omitempty"`
	SRTP          string     `json:"srtp,omitempty"`
	Codecs        []string   `json:"codecs,omitempty"`
	AutoAnswer    AutoAnswer `json:"auto_answer"`
	DNDCode       int        `json:"dnd_code,omitempty"`
	Region        string     `json:"region,omitempty"`
	Expires       int        `json:"expires,omitempty"`
	// Register false: the PBX knows us by address (an IP-authenticated trunk or a test
	// peer); calls go out without a registration and incoming calls still need to come
	// from the server. Default true.
	Register *bool `json:"register,omitempty"`
	// Keepalive: seconds between NAT keepalives (a CRLF pair on UDP, RFC 5626 3.5.1) to
	// the server; 0 means the default 25 s, -1 off.
	Keepalive int `json:"keepalive,omitempty"`
	// RTPTimeout: seconds without media from the PBX on a connected call before the user
	// is told; 0 means the default 30 s, -1 never.
	RTPTimeout int `json:"rtp_timeout,omitempty"`
	// RTPTimeoutHangup: end the call when that happens (the PBX's media is gone), with
	// the reason shown; false keeps the call and only tells.
	RTPTimeoutHangup bool `json:"rtp_timeout_hangup,omitempty"`
	// AcceptRefer: follow a REFER from the PBX or the other side (we are transferred to
	// a new call); false answers 603 Decline and the call stays.
	AcceptRefer bool `json:"accept_refer,omitempty"`
	// MWI subscribes to the account's voicemail summary (RFC 3842 message-summary) at
	// its own address.
	MWI bool `json:"mwi,omitempty"`
	// TLSCAFile: a PEM file of CA certificates trusted besides the system roots for
	// this account's TLS and WSS server.
	TLSCAFile string `json:"tls_ca_file,omitempty"`
	// WSPath: the HTTP path of the PBX's WebSocket for WS and WSS ("/ws" on Asterisk);
	// empty means "/".
	WSPath string `json:"ws_path,omitempty"`
	// BLF: extensions whose busy lamps the account watches (RFC 4235 dialog event
	// package), at most MaxBLF, each a SIP user name of at most 32 characters.
	BLF []string `json:"blf,omitempty"`
	// PickupPrefix: the PBX's directed call pickup feature code; a pickup of extension
	// 2000 dials PickupPrefix+"2000". Empty means the default, "**".
	PickupPrefix string `json:"pickup_prefix,omitempty"`
}

// MaxBLF caps an account's watched extensions (one SUBSCRIBE dialog each).
const MaxBLF = 50

// DefaultPickupPrefix is pickup_prefix when the file sets none.
const DefaultPickupPrefix = "**"

// maxBLFChars caps one watched extension; maxPickupChars the pickup code.
const (
	maxBLFChars    = 32
	maxPickupChars = 8
)

// Registers reports whether the account registers (the default).
func (a Account) Registers() bool { return a.Register == nil || *a.Register }

// AutoAnswer is the per-account auto-answer setting.
type AutoAnswer struct {
	Enabled bool `json:"enabled"`
	Seconds int  `json:"seconds"`
	// FromPBX lets the PBX's Call-Info answer-after / Alert-Info intercom hint decide
	// (paging, intercom), whether or not Enabled is set.
	FromPBX bool `json:"from_pbx,omitempty"`
}

// Site is one Dialer/PBX web app the phone's life is bound to.
type Site struct {
	URL           string `json:"url,omitempty"` // where "Open the Dialer/PBX" goes
	Match         string `json:"match"`
	Login         string `json:"login,omitempty"`
	SessionCookie string `json:"session_cookie,omitempty"`
}

// Secret is a password: it is read from the file but never logged or printed.
type Secret string

// LogValue keeps passwords out of logs.
func (s Secret) LogValue() slog.Value {
	if s == "" {
		return slog.StringValue("")
	}
	return slog.StringValue("[set]")
}

// String keeps passwords out of %v output.
func (s Secret) String() string { return s.LogValue().String() }

// Reveal returns the password for digest authentication, the one place it is needed.
func (s Secret) Reveal() string { return string(s) }

// Dir returns the config directory: $TABPHONE_CONFIG_DIR or the user config dir.
func Dir() (string, error) {
	if d := os.Getenv("TABPHONE_CONFIG_DIR"); d != "" {
		return d, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find config dir: %w", err)
	}
	return filepath.Join(base, "tabphone"), nil
}

// Load reads and validates the config file at path.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s", ErrNoFile, path)
	}
	if err != nil {
		return nil, fmt.Errorf("open config: %w", err)
	}
	defer f.Close()
	if err := checkMode(f, path); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: %s is over %d bytes", ErrInvalid, path, MaxFileSize)
	}
	return Parse(data)
}

// checkMode refuses a file with any group or other permission (Unix; Windows keeps
// the file in the user's profile, whose ACL protects it).
func checkMode(f *os.File, path string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%w: %s has mode %04o, but it holds passwords: run chmod 600 %s", ErrOpenToOthers, path, perm, path)
	}
	return nil
}

// Parse decodes and validates a config document, filling in defaults.
func Parse(data []byte) (*Config, error) {
	var c Config
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := c.normalize(); err != nil {
		return nil, err
	}
	return &c, nil
}

var knownCodecs = map[string]bool{"opus": true, "g722": true, "pcmu": true, "pcma": true}

func (c *Config) normalize() error {
	seen := map[string]bool{}
	for i := range c.Accounts {
		a := &c.Accounts[i]
		if a.ID == "" {
			a.ID = a.User
		}
		if a.ID == "" || a.User == "" || a.Domain == "" {
			return fmt.Errorf("%w: account %d needs id, user and domain", ErrInvalid, i+1)
		}
		if len([]rune(a.ID)) > maxIDChars || strings.IndexFunc(a.ID, unicode.IsControl) >= 0 {
			return fmt.Errorf("%w: account %d: id must be at most %d characters, without control characters", ErrInvalid, i+1, maxIDChars)
		}
		if len([]rune(string(a.Password))) > maxPasswordChars {
			return fmt.Errorf("%w: account %q: password is over %d characters", ErrInvalid, a.ID, maxPasswordChars)
		}
		if err := checkNames(a); err != nil {
			return fmt.Errorf("%w: account %q: %v", ErrInvalid, a.ID, err)
		}
		if seen[a.ID] {
			return fmt.Errorf("%w: two accounts have the id %q", ErrInvalid, a.ID)
		}
		seen[a.ID] = true
		for _, s := range []string{a.Domain, a.Registrar, a.OutboundProxy} {
			if s == "" {
				continue
			}
			if _, err := ParseServer(s); err != nil {
				return fmt.Errorf("%w: account %q: %v", ErrInvalid, a.ID, err)
			}
		}
		a.Transport = strings.ToLower(a.Transport)
		if a.Transport == "" {
			// A sip: URI's ;transport= (outbound proxy, else registrar, else domain)
			// names the account's transport when the field does not.
			for _, s := range []string{a.OutboundProxy, a.Registrar, a.Domain} {
				if s != "" {
					srv, _ := ParseServer(s)
					a.Transport = srv.Transport
					break
				}
			}
		}
		switch a.Transport {
		case "":
			a.Transport = "udp"
		case "udp", "tcp", "tls", "ws", "wss":
		default:
			return fmt.Errorf("%w: account %q: transport %q is not udp, tcp, tls, ws or wss", ErrInvalid, a.ID, a.Transport)
		}
		a.SRTP = strings.ToLower(a.SRTP)
		switch a.SRTP {
		case "":
			a.SRTP = "auto"
		case "auto", "off", "sdes", "sdes-optional", "dtls":
		default:
			return fmt.Errorf("%w: account %q: srtp %q is not off, sdes, sdes-optional, dtls or auto", ErrInvalid, a.ID, a.SRTP)
		}
		if len(a.TLSCAFile) > 4096 || (a.TLSCAFile != "" && !filepath.IsAbs(a.TLSCAFile)) || strings.IndexFunc(a.TLSCAFile, unicode.IsControl) >= 0 {
			return fmt.Errorf("%w: account %q: tls_ca_file must be an absolute path", ErrInvalid, a.ID)
		}
		if a.WSPath != "" && !validWSPath(a.WSPath) {
			return fmt.Errorf("%w: account %q: ws_path must be a path such as /ws (at most 256 characters, no spaces, no ? or #)", ErrInvalid, a.ID)
		}
		if len(a.Codecs) == 0 {
			a.Codecs = []string{"opus", "g722", "pcmu", "pcma"}
		}
		listed := map[string]bool{}
		for _, name := range a.Codecs {
			if !knownCodecs[strings.ToLower(name)] {
				return fmt.Errorf("%w: account %q: unknown codec %q (opus, g722, pcmu, pcma)", ErrInvalid, a.ID, name)
			}
			if listed[strings.ToLower(name)] {
				return fmt.Errorf("%w: account %q: codec %q is listed twice", ErrInvalid, a.ID, name)
			}
			listed[strings.ToLower(name)] = true
		}
		if a.DNDCode == 0 {
			a.DNDCode = 486
		}
		if a.DNDCode < 400 || a.DNDCode > 699 {
			// Anything else would not reject the call (RFC 3261 21: 4xx-6xx are failures).
			return fmt.Errorf("%w: account %q: dnd_code %d is not a SIP failure status (400-699, e.g. 486, 480 or 603)", ErrInvalid, a.ID, a.DNDCode)
		}
		if s := a.AutoAnswer.Seconds; s < 0 || s > MaxAutoAnswerSeconds {
			return fmt.Errorf("%w: account %q: auto_answer.seconds %d is outside 0..%d", ErrInvalid, a.ID, s, MaxAutoAnswerSeconds)
		}
		if a.Region != "" {
			r := strings.ToUpper(a.Region)
			if !phonenumbers.GetSupportedRegions()[r] {
				return fmt.Errorf("%w: account %q: region %q is not a two-letter country code the number rules know (e.g. US, GB, DE)", ErrInvalid, a.ID, a.Region)
			}
			a.Region = r
		}
		switch {
		case a.Keepalive == 0:
			a.Keepalive = 25
		case a.Keepalive < -1 || a.Keepalive > 3600:
			return fmt.Errorf("%w: account %q: keepalive %d is outside -1..3600", ErrInvalid, a.ID, a.Keepalive)
		}
		switch {
		case a.RTPTimeout == 0:
			a.RTPTimeout = 30
		case a.RTPTimeout < -1 || a.RTPTimeout > 3600 || (a.RTPTimeout > 0 && a.RTPTimeout < 5):
			return fmt.Errorf("%w: account %q: rtp_timeout %d must be -1 (never) or 5..3600 seconds", ErrInvalid, a.ID, a.RTPTimeout)
		}
		if a.Expires == 0 {
			a.Expires = 300
		}
		if err := checkBLF(a); err != nil {
			return fmt.Errorf("%w: account %q: %v", ErrInvalid, a.ID, err)
		}
		if a.Expires < 30 || a.Expires > 86400 {
			return fmt.Errorf("%w: account %q: expires %d is outside 30..86400", ErrInvalid, a.ID, a.Expires)
		}
	}
	for i, site := range c.Sites {
		if err := checkPattern(site.Match); err != nil {
			return fmt.Errorf("%w: sites[%d].match: %v", ErrInvalid, i, err)
		}
		if site.Login != "" {
			if err := checkPattern(site.Login); err != nil {
				return fmt.Errorf("%w: sites[%d].login: %v", ErrInvalid, i, err)
			}
		}
		if site.URL != "" {
			if u, err := url.Parse(site.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("%w: sites[%d].url %q is not an http(s) URL", ErrInvalid, i, site.URL)
			}
		}
		if len(site.SessionCookie) > 256 || !isToken(site.SessionCookie) {
			return fmt.Errorf("%w: sites[%d].session_cookie must be a cookie name (at most 256 letters, digits and !#$%%&'*+-.^_`|~)", ErrInvalid, i)
		}
	}
	if c.DefaultAccount == "" && len(c.Accounts) > 0 {
		c.DefaultAccount = c.Accounts[0].ID
	}
	if c.DefaultAccount != "" && !seen[c.DefaultAccount] {
		return fmt.Errorf("%w: default_account %q names no account", ErrInvalid, c.DefaultAccount)
	}
	switch c.Status {
	case "":
		c.Status = StatusAvailable
	case StatusAvailable, StatusDND:
	default:
		return fmt.Errorf("%w: status %q is not available or dnd", ErrInvalid, c.Status)
	}
	return nil
}

// checkNames refuses names that would break the headers they go into: display_name in
// From and To (the phone escapes quotes and backslashes, RFC 3261 25.1 quoted-pair),
// user in every SIP URI of the account, auth_user in the quoted username of
// Authorization.
func checkNames(a *Account) error {
	for _, f := range []struct{ name, v string }{{"display_name", a.DisplayName}, {"user", a.User}, {"auth_user", a.AuthUser}} {
		if len([]rune(f.v)) > maxNameChars {
			return fmt.Errorf("%s is over %d characters", f.name, maxNameChars)
		}
		if strings.IndexFunc(f.v, unicode.IsControl) >= 0 {
			return fmt.Errorf("%s holds a control character (a line break?)", f.name)
		}
	}
	if strings.ContainsAny(a.AuthUser, `"\`) {
		return fmt.Errorf(`auth_user must not hold " or \`)
	}
	if !validUser(a.User) {
		return fmt.Errorf("user %q is not a SIP user name: letters, digits and - _ . ! ~ * ' ( ) & = + $ , / or %%XX only (no spaces, no @)", a.User)
	}
	return nil
}

// checkBLF checks the watch list and the pickup code, and sets the default code.
func checkBLF(a *Account) error {
	if len(a.BLF) > MaxBLF {
		return fmt.Errorf("blf watches %d extensions, at most %d", len(a.BLF), MaxBLF)
	}
	seen := map[string]bool{}
	for i, ext := range a.BLF {
		if ext == "" || len(ext) > maxBLFChars || !validUser(ext) {
			return fmt.Errorf("blf[%d] %q is not an extension: 1 to %d letters, digits and - _ . ! ~ * ' ( ) & = + $ , / (no spaces, no @)", i, ext, maxBLFChars)
		}
		if seen[ext] {
			return fmt.Errorf("blf lists %q twice", ext)
		}
		seen[ext] = true
	}
	if a.PickupPrefix == "" {
		a.PickupPrefix = DefaultPickupPrefix
	}
	if len(a.PickupPrefix) > maxPickupChars || strings.Trim(a.PickupPrefix, "0123456789*#") != "" {
		return fmt.Errorf("pickup_prefix %q is not a feature code: 1 to %d of 0-9 * #", a.PickupPrefix, maxPickupChars)
	}
	return nil
}

// validUser accepts the user part of a SIP URI (RFC 3261 25.1: unreserved, escaped and
// user-unreserved characters, but not ; and ?, which common parsers take for the start
// of parameters and headers).
func validUser(u string) bool {
	for i := 0; i < len(u); i++ {
		ch := u[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9', strings.IndexByte("-_.!~*'()&=+$,/", ch) >= 0:
		case ch == '%' && i+2 < len(u) && isHex(u[i+1]) && isHex(u[i+2]):
			i += 2
		default:
			return false
		}
	}
	return true
}

// isToken accepts an RFC 7230 token (a cookie name, RFC 6265 4.1.1); "" is one too.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", ch) >= 0) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// checkPattern accepts WebExtension match patterns for web pages, without a port
// (Firefox ignores ports in patterns, so a port would match differently per browser):
// "https://pbx.example.com/*", "*://*.example.com/app/*".
func checkPattern(p string) error {
	scheme, rest, ok := strings.Cut(p, "://")
	if !ok || (scheme != "http" && scheme != "https" && scheme != "*") {
		return fmt.Errorf("%q must start with http://, https:// or *://", p)
	}
	host, _, ok := strings.Cut(rest, "/")
	if !ok || host == "" {
		return fmt.Errorf("%q needs a host and a path, e.g. https://pbx.example.com/*", p)
	}
	if strings.Contains(host, ":") {
		return fmt.Errorf("%q has a port: match patterns match every port, leave it out", p)
	}
	if strings.Contains(host[min(1, len(host)):], "*") || (strings.HasPrefix(host, "*") && host != "*" && !strings.HasPrefix(host, "*.")) {
		return fmt.Errorf("%q: a host wildcard may only be a leading \"*.\" label", p)
	}
	if len(p) > 2048 {
		return fmt.Errorf("pattern is too long")
	}
	return nil
}

// Account returns the account with the given id, or the default one for "".
func (c *Config) Account(id string) (Account, bool) {
	if id == "" {
		id = c.DefaultAccount
	}
	for _, a := range c.Accounts {
		if a.ID == id {
			return a, true
		}
	}
	return Account{}, false
}

// Server is a SIP server address from domain, registrar or outbound_proxy.
type Server struct {
	Host      string
	Port      int
	Transport string
}

// Addr returns host:port, with the default SIP port when none was given.
func (s Server) Addr() string {
	port := s.Port
	if port == 0 {
		port = 5060
	}
	return net.JoinHostPort(s.Host, strconv.Itoa(port))
}

// ParseServer accepts "host", "host:port" or "sip:host:port;transport=tcp".
func ParseServer(s string) (Server, error) {
	var srv Server
	// Spaces around are forgiven; a line break or other control character is refused,
	// not trimmed, so the address kept in the config is the one checked.
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != ' ' || r == 0x7f }) {
		return Server{}, fmt.Errorf("server address %q is not a host name or an IP address: it holds a line break or another control character", s)
	}
	rest := strings.TrimSpace(s)
	if strings.HasPrefix(strings.ToLower(rest), "sip:") {
		rest = rest[4:]
		if i := strings.IndexByte(rest, ';'); i >= 0 {
			for _, p := range strings.Split(rest[i+1:], ";") {
				if k, v, ok := strings.Cut(p, "="); ok && strings.EqualFold(k, "transport") {
					srv.Transport = strings.ToLower(v)
				}
			}
			rest = rest[:i]
		}
		if i := strings.LastIndexByte(rest, '@'); i >= 0 {
			rest = rest[i+1:]
		}
	}
	if rest == "" || strings.ContainsAny(rest, " /?#@") {
		return Server{}, fmt.Errorf("server address %q is not host, host:port or a sip: URI", s)
	}
	host, port, err := net.SplitHostPort(rest)
	if err != nil {
		if strings.Contains(err.Error(), "missing port") {
			srv.Host = strings.Trim(rest, "[]")
			if !validHost(srv.Host) {
				return Server{}, fmt.Errorf("server address %q: %q is not a host name or an IP address", s, srv.Host)
			}
			return srv, nil
		}
		return Server{}, fmt.Errorf("server address %q: %v", s, err)
	}
	if !validHost(host) {
		return Server{}, fmt.Errorf("server address %q: %q is not a host name or an IP address", s, host)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return Server{}, fmt.Errorf("server address %q: bad port", s)
	}
	srv.Host, srv.Port = host, p
	return srv, nil
}

// validHost accepts an IP address or a DNS name (letters, digits, - _ and dots, at most
// 253 characters): the host goes into the Request-URI, To and From of every request, so
// nothing else may pass (a line break would add headers).
func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if h == "" || len(h) > 253 {
		return false
	}
	for i := 0; i < len(h); i++ {
		ch := h[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '.' || ch == '_') {
			return false
		}
	}
	return true
}

// validWSPath accepts an absolute URL path of the characters RFC 3986 allows in one.
func validWSPath(p string) bool {
	if len(p) > 256 || !strings.HasPrefix(p, "/") {
		return false
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/-._~!$&'()*+,;=:@%", r)) {
			return false
		}
	}
	return true
}
