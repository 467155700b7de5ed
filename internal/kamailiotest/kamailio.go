// Package kamailiotest runs Kamailio, from Debian, as a registrar and proxy with digest
// auth for Go tests: a real SIP server nobody on this project wrote.
package kamailiotest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Kamailio is a running registrar/proxy on 127.0.0.1.
type Kamailio struct {
	Addr string // 127.0.0.1:port (UDP)
	Log  func() string
}

// config: REGISTER needs digest auth with the shared password; INVITEs are proxied to
// the registered contact (no auth, so scripted callers need none); in-dialog requests
// follow the route set. Record-Route keeps Kamailio in the dialog, as real PBXs are.
const config = `#!KAMAILIO
debug=2
log_stderror=yes
children=2
listen=udp:127.0.0.1:%d
auto_aliases=no

loadmodule "kex.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"

modparam("usrloc", "db_mode", 0)
modparam("registrar", "max_expires", %d)
modparam("registrar", "default_expires", %d)
modparam("registrar", "min_expires", %d)
modparam("registrar", "min_expires_mode", 1)

request_route {
	if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
	if (is_method("OPTIONS") && uri==myself && $rU==$null) { sl_send_reply("200", "OK"); exit; }
	if (has_totag()) {
		if (loose_route()) { t_relay(); exit; }
		if (is_method("ACK")) { if (t_check_trans()) { t_relay(); } exit; }
		sl_send_reply("404", "Not here"); exit;
	}
	if (is_method("CANCEL")) { if (t_check_trans()) { t_relay(); } exit; }
	if (is_method("REGISTER")) {
		if (!pv_www_authenticate("$td", "%s", "0")) { www_challenge("$td", "0"); exit; }
		save("location"); # replies itself, 423 included
		exit;
	}
	record_route();
	if (!lookup("location")) { sl_send_reply("404", "Not Found"); exit; }
	t_relay();
}
`

// Start runs Kamailio until the test ends. Every user's password is password; the
// registrar grants at most maxExpires seconds.
func Start(t testing.TB, password string, maxExpires int) *Kamailio {
	return StartWithMin(t, password, maxExpires, 0)
}

// StartWithMin is Start with a registrar that answers 423 to expiries under minExpires.
func StartWithMin(t testing.TB, password string, maxExpires, minExpires int) *Kamailio {
	t.Helper()
	bin, err := exec.LookPath("kamailio")
	if err != nil {
		bin = "/usr/sbin/kamailio"
		if _, err := os.Stat(bin); err != nil {
			t.Skip("kamailio is not installed (make test installs it)")
		}
	}
	port := freeUDPPort(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kamailio.cfg")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(config, port, maxExpires, maxExpires, minExpires, password)), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "kamailio.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "-DD", "-E", "-f", cfg, "-P", filepath.Join(dir, "kam.pid"), "-Y", dir, "-m", "32", "-M", "8")
	// A file, not a pipe: Kamailio's worker processes inherit it, and Wait would block on
	// a pipe until they all exit. Its own process group lets cleanup stop them all.
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	readLog := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	k := &Kamailio{Addr: fmt.Sprintf("127.0.0.1:%d", port), Log: readLog}
	if err := k.waitReady(5 * time.Second); err != nil {
		t.Fatalf("kamailio: %v\n%s", err, readLog())
	}
	return k
}

// waitReady sends OPTIONS until Kamailio answers.
func (k *Kamailio) waitReady(timeout time.Duration) error {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer conn.Close()
	dst, _ := net.ResolveUDPAddr("udp", k.Addr)
	local := conn.LocalAddr().String()
	opt := fmt.Sprintf("OPTIONS sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-ready\r\nMax-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:%s>\r\nCall-ID: ready@probe\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", k.Addr, local, k.Addr)
	buf := make([]byte, 2048)
	end := time.Now().Add(timeout)
	for time.Now().Before(end) {
		if _, err := conn.WriteTo([]byte(opt), dst); err != nil {
			return err
		}
		_ = conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		if n, _, err := conn.ReadFrom(buf); err == nil && strings.HasPrefix(string(buf[:n]), "SIP/2.0 200") {
			return nil
		}
	}
	return fmt.Errorf("no answer to OPTIONS at %s", k.Addr)
}

func freeUDPPort(t testing.TB) int {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}
