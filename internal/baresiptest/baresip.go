// Package baresiptest runs baresip 1.0, from Debian, headless as the other party of a
// call in Go tests. It is driven over its ctrl_tcp module (netstring-framed JSON
// commands) and reports baresip's events, so a test sees what a real softphone saw.
package baresiptest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tabphone/tabphone/internal/peerbin"
	"github.com/tabphone/tabphone/internal/testpeer"
)

// Options configure one baresip. The zero value is a manual-answer phone "2001" that
// does not register.
type Options struct {
	User     string // account user, "2001" when empty
	Password string // auth_pass for the registrar
	// Registrar is the registrar/proxy (127.0.0.1:port) baresip registers at and sends
	// every request to; empty means no registration and direct calls.
	Registrar string
	// AnswerMode is manual (default: incoming calls ring until Accept) or auto.
	AnswerMode string
	// MediaEnc is the account's media encryption: "" (plain RTP/AVP), "srtp"
	// (SDES offered, plain accepted), "srtp-mand" (SDES required: RTP/SAVP with
	// a=crypto) or "dtls_srtp" (DTLS-SRTP, UDP/TLS/RTP/SAVP with a fingerprint).
	MediaEnc string
	// MediaNAT is the account's medianat module, "ice" for ICE candidates and
	// credentials in its SDP; a dtls_srtp baresip needs it to talk to WebRTC peers.
	MediaNAT string
	// Codecs is the account's audio_codecs list, e.g. "PCMU", "PCMA,PCMU",
	// "opus/48000/2", "G722"; empty means "PCMU".
	Codecs string
	// ToneHz is the frequency of the sine baresip sends in every call; 0 means 440.
	ToneHz int
	// Record makes baresip write each call's decoded audio (what it received) and
	// encoded audio (what it sent) to WAV files in its directory; see Recordings.
	Record bool
}

// Event is one baresip event as ctrl_tcp reports it.
type Event struct {
	Type       string `json:"type"` // CALL_INCOMING, CALL_RINGING, CALL_ESTABLISHED, CALL_CLOSED, CALL_DTMF_START, TRANSFER…
	Class      string `json:"class"`
	AccountAOR string `json:"accountaor"`
	Direction  string `json:"direction"`
	PeerURI    string `json:"peeruri"`
	ID         string `json:"id"`    // baresip's call id (the SIP Call-ID)
	Param      string `json:"param"` // CALL_CLOSED: the reason ("486 Rejected"); DTMF: the key
	At         time.Time
	Raw        string `json:"-"` // the event's JSON as ctrl_tcp sent it
}

func (e Event) String() string {
	return fmt.Sprintf("%s %s id=%s peer=%s param=%q", e.At.Format("15:04:05.000"), e.Type, e.ID, e.PeerURI, e.Param)
}

type message struct {
	Event    bool   `json:"event"`
	Response bool   `json:"response"`
	OK       bool   `json:"ok"`
	Data     string `json:"data"`
	Token    string `json:"token"`
}

// Baresip is a running baresip.
type Baresip struct {
	SIPAddr string // 127.0.0.1:port it listens on (UDP)
	User    string
	URI     string // sip:user@127.0.0.1:port, to call it directly

	t       testpeer.T
	pid     int
	logPath string
	dir     string
	conn    net.Conn
	sendMu  sync.Mutex
	token   int

	mu        sync.Mutex
	events    []Event
	changed   chan struct{} // closed and replaced when events or responses grow
	responses map[string]message
}

// Start runs baresip until the test ends.
func Start(t testpeer.T, opts Options) *Baresip {
	t.Helper()
	bin := peerbin.Find(t, "baresip", "baresip")
	if opts.User == "" {
		opts.User = "2001"
	}
	if opts.AnswerMode == "" {
		opts.AnswerMode = "manual"
	}
	if opts.Codecs == "" {
		opts.Codecs = "PCMU"
	}
	if opts.ToneHz == 0 {
		opts.ToneHz = 440
	}
	dir := t.TempDir()
	sipPort := freeSIPPort(t)
	ctrlPort := freeTCPPort(t)
	rtp := 20000 + rand.IntN(400)*100 // 100 ports somewhere in 20000-60000: baresip picks within
	conf := fmt.Sprintf(`poll_method epoll
sip_listen 127.0.0.1:%d
net_interface 127.0.0.1
audio_player aubridge,nil
audio_alert aubridge,nil
audio_source ausine,%d
ausrc_srate 48000
ausrc_channels 2
rtp_ports %d-%d
call_max_calls 4
module_path /usr/lib/baresip/modules
module g711.so
module ausine.so
module aubridge.so
module ctrl_tcp.so
module_app account.so
module_app menu.so
ctrl_tcp_listen 127.0.0.1:%d
`, sipPort, opts.ToneHz, rtp, rtp+99, ctrlPort)
	conf += extraModules(opts, dir)
	acct := fmt.Sprintf("<sip:%s@127.0.0.1;transport=udp>;answermode=%s;audio_codecs=%s", opts.User, opts.AnswerMode, opts.Codecs)
	if opts.MediaEnc != "" {
		acct += ";mediaenc=" + opts.MediaEnc
	}
	if opts.MediaNAT != "" {
		acct += ";medianat=" + opts.MediaNAT
	}
	if opts.Registrar != "" {
		acct += fmt.Sprintf(";auth_pass=%s;outbound=\"sip:%s\";regint=600", opts.Password, opts.Registrar)
	} else {
		acct += ";regint=0"
	}
	for name, body := range map[string]string{"config": conf, "accounts": acct + "\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	logPath := filepath.Join(dir, "baresip.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	// -s writes every SIP message to the log, which tests read and print on failure.
	cmd := exec.Command(bin, "-s", "-f", dir, "-t", "600")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Stdin = nil // /dev/null: baresip's stdio UI is not loaded
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b := &Baresip{SIPAddr: fmt.Sprintf("127.0.0.1:%d", sipPort), User: opts.User, t: t, pid: cmd.Process.Pid, logPath: logPath, dir: dir,
		changed: make(chan struct{}), responses: map[string]message{}}
	b.URI = fmt.Sprintf("sip:%s@%s", opts.User, b.SIPAddr)
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		if b.conn != nil {
			b.conn.Close()
		}
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("baresip %s log:\n%s", b.User, b.Log())
		}
	})

	end := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", ctrlPort), time.Second)
		if err == nil {
			b.conn = c
			break
		}
		select {
		case <-exited:
			t.Fatalf("baresip exited at start:\n%s", b.Log())
		default:
		}
		if time.Now().After(end) {
			t.Fatalf("baresip ctrl_tcp did not open: %v\n%s", err, b.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	go b.read()
	if opts.Registrar != "" {
		b.waitRegistered(10 * time.Second)
	}
	return b
}

// extraModules returns the config lines for the codecs, media encryption, media NAT
// and recording that opts ask for. Debian's generated config has srtp.so and
// dtls_srtp.so commented out; baresip refuses an account whose mediaenc or medianat
// module is not loaded.
func extraModules(opts Options, dir string) string {
	var s strings.Builder
	codecs := strings.ToLower(opts.Codecs)
	if strings.Contains(codecs, "opus") {
		s.WriteString("module opus.so\n")
	}
	if strings.Contains(codecs, "g722") {
		s.WriteString("module g722.so\n")
	}
	switch opts.MediaEnc {
	case "srtp", "srtp-mand", "srtp-mandf":
		s.WriteString("module srtp.so\n")
	case "dtls_srtp", "dtls_srtpf":
		s.WriteString("module dtls_srtp.so\n")
	}
	if opts.MediaNAT != "" {
		fmt.Fprintf(&s, "module %s.so\n", opts.MediaNAT)
	}
	if opts.Record {
		fmt.Fprintf(&s, "module sndfile.so\nsnd_path %s\n", dir)
	}
	return s.String()
}

// waitRegistered polls reginfo: REGISTER_OK may come before the control connection.
func (b *Baresip) waitRegistered(timeout time.Duration) {
	b.t.Helper()
	end := time.Now().Add(timeout)
	for {
		out, err := b.Command("reginfo", "")
		if err == nil && strings.Contains(out, "OK") {
			return
		}
		if time.Now().After(end) {
			b.t.Fatalf("baresip %s did not register: %q %v\n%s", b.User, out, err, b.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// PID is baresip's process id (benchmarks read its memory and CPU time).
func (b *Baresip) PID() int { return b.pid }

// Log is baresip's output so far, SIP trace included.
func (b *Baresip) Log() string {
	raw, _ := os.ReadFile(b.logPath)
	return string(raw)
}

// read decodes netstrings (len ":" json ",") from the control connection.
func (b *Baresip) read() {
	r := bufio.NewReader(b.conn)
	for {
		head, err := r.ReadString(':')
		if err != nil {
			return
		}
		n, err := strconv.Atoi(strings.TrimSpace(head[:len(head)-1]))
		if err != nil || n < 0 || n > 1<<20 {
			return
		}
		buf := make([]byte, n+1)
		if _, err := io.ReadFull(r, buf); err != nil {
			return
		}
		var m message
		if err := json.Unmarshal(buf[:n], &m); err != nil {
			continue
		}
		b.mu.Lock()
		switch {
		case m.Response:
			b.responses[m.Token] = m
		case m.Event:
			var e Event
			_ = json.Unmarshal(buf[:n], &e)
			e.At, e.Raw = time.Now(), string(buf[:n])
			b.events = append(b.events, e)
		}
		close(b.changed)
		b.changed = make(chan struct{})
		b.mu.Unlock()
	}
}

// commandTimeout bounds waiting for baresip's reply to a command.
const commandTimeout = 5 * time.Second

// Command sends one ctrl_tcp command (menu's long names: dial, accept, hangup, hold,
// resume, sndcode, transfer, callstat, listcalls, reginfo…) and returns its output.
func (b *Baresip) Command(cmd, params string) (string, error) {
	b.sendMu.Lock()
	b.token++
	token := strconv.Itoa(b.token)
	body, _ := json.Marshal(map[string]string{"command": cmd, "params": params, "token": token})
	_, err := fmt.Fprintf(b.conn, "%d:%s,", len(body), body)
	b.sendMu.Unlock()
	if err != nil {
		return "", fmt.Errorf("baresip %s: send %s: %w", b.User, cmd, err)
	}
	end := time.After(commandTimeout)
	for {
		b.mu.Lock()
		m, ok := b.responses[token]
		ch := b.changed
		b.mu.Unlock()
		if ok {
			if !m.OK {
				return m.Data, fmt.Errorf("baresip %s: %s %s failed: %s", b.User, cmd, params, m.Data)
			}
			return m.Data, nil
		}
		select {
		case <-ch:
		case <-end:
			return "", fmt.Errorf("baresip %s: no reply to %s", b.User, cmd)
		}
	}
}

// must runs a command and fails the test if baresip refuses it.
func (b *Baresip) must(cmd, params string) {
	b.t.Helper()
	if _, err := b.Command(cmd, params); err != nil {
		b.t.Fatal(err)
	}
}

// Dial calls uri (a full sip: URI, or a user that goes to the registrar).
func (b *Baresip) Dial(uri string) { b.t.Helper(); b.must("dial", uri) }

// Accept answers the ringing incoming call.
func (b *Baresip) Accept() { b.t.Helper(); b.must("accept", "") }

// Hangup ends the current call; a ringing incoming call is rejected (486 Rejected).
func (b *Baresip) Hangup() { b.t.Helper(); b.must("hangup", "") }

// Hold puts the current call on hold (re-INVITE with a=sendonly).
func (b *Baresip) Hold() { b.t.Helper(); b.must("hold", "") }

// Resume takes the current call off hold.
func (b *Baresip) Resume() { b.t.Helper(); b.must("resume", "") }

// SendDTMF plays keys on the current call (RFC 4733 telephone-events).
func (b *Baresip) SendDTMF(keys string) { b.t.Helper(); b.must("sndcode", keys) }

// Transfer sends a REFER for the current call to uri (blind transfer).
func (b *Baresip) Transfer(uri string) { b.t.Helper(); b.must("transfer", uri) }

// Events returns every event so far.
func (b *Baresip) Events() []Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Event(nil), b.events...)
}

// ErrTimeout is what WaitEvent's deadline passing is reported as.
var ErrTimeout = errors.New("timed out")

// Find returns the first event of type typ that match accepts (nil accepts all),
// waiting until timeout.
func (b *Baresip) Find(typ string, timeout time.Duration, match func(Event) bool) (Event, error) {
	end := time.After(timeout)
	for {
		b.mu.Lock()
		ch := b.changed
		for _, e := range b.events {
			if e.Type == typ && (match == nil || match(e)) {
				b.mu.Unlock()
				return e, nil
			}
		}
		b.mu.Unlock()
		select {
		case <-ch:
		case <-end:
			return Event{}, fmt.Errorf("baresip %s: %w after %v waiting for %s", b.User, ErrTimeout, timeout, typ)
		}
	}
}

// WaitEvent is Find that fails the test on timeout, listing the events seen.
func (b *Baresip) WaitEvent(typ string, timeout time.Duration, match func(Event) bool) Event {
	b.t.Helper()
	e, err := b.Find(typ, timeout, match)
	if err != nil {
		var seen strings.Builder
		for _, e := range b.Events() {
			if e.Type != "CALL_RTCP" {
				seen.WriteString("\n  " + e.String())
			}
		}
		b.t.Fatalf("%v; events:%s", err, seen.String())
	}
	return e
}

// DTMF returns the keys baresip received so far, in order (CALL_DTMF_START events).
func (b *Baresip) DTMF() string {
	var s strings.Builder
	for _, e := range b.Events() {
		if e.Type == "CALL_DTMF_START" {
			s.WriteString(e.Param)
		}
	}
	return s.String()
}

// freeSIPPort finds a port P free for UDP and TCP, with P+1 free for TCP too: baresip
// listens on UDP and TCP P and opens TLS on P+1.
func freeSIPPort(t testpeer.T) int {
	for range 50 {
		u, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := u.LocalAddr().(*net.UDPAddr).Port
		t1, err1 := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		t2, err2 := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+1))
		for _, c := range []io.Closer{u, t1, t2} {
			if c != nil {
				c.Close()
			}
		}
		if err1 == nil && err2 == nil {
			return p
		}
	}
	t.Fatal("no free SIP port pair for baresip")
	return 0
}

func freeTCPPort(t testpeer.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
