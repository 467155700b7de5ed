// Package kamailiotest runs Kamailio, from Debian, as a registrar and proxy with digest
// auth for Go tests: a real SIP server nobody on this project wrote.
package kamailiotest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tabphone/tabphone/internal/netnstest"
	"github.com/tabphone/tabphone/internal/peerbin"
	"github.com/tabphone/tabphone/internal/testpeer"
)

// Kamailio is a running registrar/proxy on 127.0.0.1 (or Options.IP).
type Kamailio struct {
	Addr string // ip:port (UDP), 127.0.0.1 unless Options.IP
	// With Options.Transports: SIP over TCP (same port as UDP), TLS, WebSocket and
	// secure WebSocket, each host:port; CAFile is the PEM of the test CA that signed the
	// TLS and WSS certificate (for 127.0.0.1 and localhost).
	TCP, TLS, WS, WSS string
	CAFile            string
	Log               func() string

	bin, dir, cfg, logPath string
	netns                  string
	mu                     sync.Mutex
	cmd                    *exec.Cmd
}

// Options shape the Kamailio a test gets; the zero value of a field means the default.
type Options struct {
	Password   string // every user's password
	MaxExpires int    // longest registration granted
	MinExpires int    // shorter asks get 423 Interval Too Brief (0: none)
	// Transports adds TCP, TLS, WS and WSS listeners (Debian's kamailio-tls-modules and
	// kamailio-websocket-modules).
	Transports bool
	// IP is the address Kamailio listens on; empty: 127.0.0.1.
	IP string
	// WSKeepalive is the websocket module's keepalive_timeout in seconds: an idle
	// WebSocket gets a ping frame after it (0: the module's default, 180 s).
	WSKeepalive int
	// DigestAlgorithm is the auth module's hash in its challenges, e.g. "SHA-256"
	// (empty: MD5).
	DigestAlgorithm string
	// WSPath, when set, is the only HTTP path where a WebSocket handshake is taken
	// (404 elsewhere), as on Asterisk's /ws.
	WSPath string
	// RTPEngine, when set, is the ng address (127.0.0.1:port) of an rtpengine that
	// relays every call's media, making Kamailio a WebRTC gateway: toward WS/WSS
	// clients media is DTLS-SRTP with ICE, rtcp-mux, AVPF and a=mid, toward the others
	// plain RTP/AVP (see rtpenginetest). WebRTC clients need Transports too.
	RTPEngine string
	// Netns, when set, runs Kamailio inside that network namespace (netnstest) on
	// IP:5060; the namespace is the test's own, so the port is free.
	Netns string
	// Presence makes Kamailio a presence server for the dialog event package (Debian's
	// kamailio-presence-modules: presence, presence_dialoginfo, pua, pua_dialoginfo,
	// with dialog and db_text): SUBSCRIBEs with Event: dialog need digest auth and are
	// served from the dialog state of the calls Kamailio proxies (RFC 4235), and an
	// INVITE to PickupPrefix+extension picks up the call ringing that extension (see
	// route[PICKUP]).
	Presence bool
	// PickupPrefix is the pickup feature code with Presence; empty: "**".
	PickupPrefix string
}

// config: REGISTER needs digest auth with the shared password; INVITEs are proxied to
// the registered contact (no auth, so scripted callers need none); in-dialog requests
// follow the route set. Record-Route keeps Kamailio in the dialog, as real PBXs are.
// Every accepted REGISTER and every request Kamailio sends is logged with its transport,
// so tests can see refreshes and the path of a call on the wire; every message with an
// SDP body it receives or sends is logged whole (base64, one line), so tests can read
// what each side put on the wire. One worker per transport: with two, a 180 and a 200
// sent back to back could be relayed in the wrong order (seen with auto-answer after
// 0 s), which strict sipp scenarios take for an error.
//
// With WITH_RTPENGINE defined, Kamailio is a WebRTC gateway in front of plain SIP
// peers, as in Kamailio's own WebRTC examples: rtpengine relays every call's media, in
// WebRTC form (DTLS-SRTP, ICE, rtcp-mux, AVPF, a=mid) toward WS/WSS clients and plain
// RTP/AVP toward the others. The offer's flags are chosen per branch, where the
// destination's transport is known; the answer's by the transport the request came in
// on (flag 5), which is where the reply goes. WS clients' contacts are unreachable
// addresses, so REGISTERs over WS keep the connection's address (fix_nated_register)
// and other requests and replies carry it in an alias parameter (add_contact_alias);
// enable_double_rr (the default) puts one Record-Route per transport, so in-dialog
// requests leave on the right one.
const config = `#!KAMAILIO
%[9]s
debug=2
log_stderror=yes
children=1
listen=udp:%[8]s:%[1]d
%[2]s
auto_aliases=no
onsend_route_reply=yes

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
#!ifdef WITH_RTPENGINE
loadmodule "nathelper.so"
loadmodule "rtpengine.so"
#!endif
#!ifdef WITH_PRESENCE
loadmodule "db_text.so"
loadmodule "htable.so"
loadmodule "tmx.so"
loadmodule "dialog.so"
loadmodule "presence.so"
loadmodule "presence_dialoginfo.so"
loadmodule "pua.so"
loadmodule "pua_dialoginfo.so"
modparam("presence", "db_url", PRESENCE_DB)
modparam("presence", "server_address", PRESENCE_SERVER)
modparam("presence", "max_expires", 3600)
modparam("pua", "db_url", PRESENCE_DB)
modparam("pua", "outbound_proxy", PRESENCE_SERVER)
modparam("pua_dialoginfo", "include_callid", 1)
modparam("pua_dialoginfo", "include_tags", 1)
modparam("pua_dialoginfo", "include_localremote", 1)
modparam("htable", "htable", "ring=>size=4;autoexpire=300;")
#!endif
%[3]s

modparam("xlog", "buf_size", 32768)
modparam("usrloc", "db_mode", 0)
modparam("registrar", "max_expires", %[4]d)
modparam("registrar", "default_expires", %[4]d)
modparam("registrar", "min_expires", %[5]d)
modparam("registrar", "min_expires_mode", 1)
#!ifdef WITH_RTPENGINE
modparam("rtpengine", "rtpengine_sock", RTPENGINE_SOCK)
modparam("nathelper", "received_avp", "$avp(RECEIVED)")
modparam("registrar", "received_avp", "$avp(RECEIVED)")
modparam("rr", "enable_double_rr", 1)
#!endif

request_route {
	if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
	if (is_method("OPTIONS") && uri==myself && $rU==$null) { sl_send_reply("200", "OK"); exit; }
	if (!is_method("REGISTER|OPTIONS")) { xlog("L_NOTICE", "RECV $rm proto=$pr src=$si:$sp\n"); }
	if (has_body("application/sdp")) { xlog("L_NOTICE", "SDP-RECV proto=$pr peer=$si:$sp msg=$(mb{s.encode.base64})\n"); }
#!ifdef WITH_RTPENGINE
	if (proto == WS || proto == WSS) {
		if (is_method("REGISTER")) { fix_nated_register(); }
		else if (!add_contact_alias()) { sl_send_reply("400", "Bad Contact"); exit; }
	}
#!endif
#!ifdef WITH_PRESENCE
	if (is_method("SUBSCRIBE|PUBLISH")) { route(PRESENCE); exit; }
#!endif
	if (has_totag()) {
		if (loose_route()) {
#!ifdef WITH_RTPENGINE
			handle_ruri_alias();
			route(MEDIA);
#!endif
			t_relay(); exit;
		}
		if (is_method("ACK")) { if (t_check_trans()) { t_relay(); } exit; }
		sl_send_reply("404", "Not here"); exit;
	}
	if (is_method("CANCEL")) {
		if (t_check_trans()) {
#!ifdef WITH_RTPENGINE
			rtpengine_manage();
#!endif
			t_relay();
		}
		exit;
	}
	if (is_method("REGISTER")) {
		if (!pv_www_authenticate("$td", "%[6]s", "0")) { www_challenge("$td", "0"); exit; }
		xlog("L_NOTICE", "REGISTER-OK proto=$pr callid=$ci cseq=$cs expires=$hdr(Expires) src=$si:$sp contact=$ct via=$hdr(Via)\n");
		save("location"); # replies itself, 423 included
		exit;
	}
#!ifdef WITH_PRESENCE
	if (is_method("INVITE")) {
		if ($(rU{s.len}) > PICKUP_LEN && $(rU{s.substr,0,PICKUP_LEN}) == PICKUP_PREFIX) { route(PICKUP); exit; }
		dlg_manage(); # pua_dialoginfo publishes the dialog's states
		# What a pickup of this extension needs: the ringing INVITE and its caller.
		$sht(ring=>$rU::callid) = $ci;
		$sht(ring=>$rU::cseq) = $(cs{s.int});
		$sht(ring=>$rU::caller) = "sip:" + $fU + "@" + $fd;
		t_on_reply("RINGING");
	}
#!endif
	record_route();
	if (!lookup("location")) { sl_send_reply("404", "Not Found"); exit; }
#!ifdef WITH_RTPENGINE
	route(MEDIA);
#!endif
	t_relay();
}

#!ifdef WITH_RTPENGINE
#!define WEBRTC_FLAGS "ICE=force UDP/TLS/RTP/SAVPF rtcp-mux-offer rtcp-mux-require generate-mid SDES-off"
#!define PLAIN_FLAGS "ICE=remove RTP/AVP rtcp-mux-demux DTLS=off SDES-off"

# route[MEDIA] hands a request's media to rtpengine: offers per branch, answers in the
# reply, an ACK's answer (late offer) and BYE/CANCEL (delete) here.
route[MEDIA] {
	if (proto == WS || proto == WSS) { setflag(5); }
	if (is_method("BYE")) { rtpengine_manage(); return; }
	if (is_method("ACK")) {
		if (has_body("application/sdp")) { route(TOWARD); }
		return;
	}
	if (is_method("INVITE|UPDATE")) {
		t_on_branch("MEDIA_OFFER");
		t_on_reply("MEDIA_ANSWER");
		if (is_method("INVITE") && !has_totag()) { t_on_failure("MEDIA_FAILED"); }
	}
}

# route[TOWARD] runs rtpengine_manage with the flags for the request's next hop.
route[TOWARD] {
	if ($(nh(P){s.tolower}) =~ "^wss?$") {
		xlog("L_NOTICE", "MEDIA $rm toward=webrtc nh=$nh(u)\n");
		rtpengine_manage(WEBRTC_FLAGS);
	} else {
		xlog("L_NOTICE", "MEDIA $rm toward=plain nh=$nh(u)\n");
		rtpengine_manage(PLAIN_FLAGS);
	}
}

branch_route[MEDIA_OFFER] {
	if (has_body("application/sdp")) { route(TOWARD); }
}

onreply_route[MEDIA_ANSWER] {
	if (!has_body("application/sdp")) { return; }
	if (isflagset(5)) {
		xlog("L_NOTICE", "MEDIA reply $rs toward=webrtc\n");
		rtpengine_manage(WEBRTC_FLAGS);
	} else {
		xlog("L_NOTICE", "MEDIA reply $rs toward=plain\n");
		rtpengine_manage(PLAIN_FLAGS);
	}
}

failure_route[MEDIA_FAILED] {
	rtpengine_manage();
}
#!endif

#!ifdef WITH_PRESENCE
# route[PRESENCE]: SUBSCRIBE needs the user's digest auth; Kamailio's own PUBLISHes
# (pua_dialoginfo) are taken from itself only.
route[PRESENCE] {
	if (is_method("SUBSCRIBE")) {
		xlog("L_NOTICE", "SUBSCRIBE-RECV event=$hdr(Event) expires=$hdr(Expires) callid=$ci ruri=$ru totag=$tt auth=$(hdr(Proxy-Authorization){s.len})\n");
		if (!pv_proxy_authenticate("$fd", "%[6]s", "0")) { proxy_challenge("$fd", "0"); exit; }
		consume_credentials();
		if (!t_newtran()) { sl_reply_error(); exit; }
		handle_subscribe();
		t_release();
		exit;
	}
	if ($si != "%[8]s" || $sp != %[1]d) { sl_send_reply("403", "Forbidden"); exit; }
	if (!t_newtran()) { sl_reply_error(); exit; }
	handle_publish();
	t_release();
}

# route[PICKUP]: directed pickup as a proxy can do it. A proxy cannot bridge two calls
# as a PBX's pickup does, so the ringing call to the extension is cancelled (its caller
# gets 487) and the picker's INVITE goes to that caller instead, who answers it: the
# picker's call connects to the caller, as it would through a PBX.
route[PICKUP] {
	$var(ext) = $(rU{s.substr,PICKUP_LEN,0});
	$var(cid) = $sht(ring=>$var(ext)::callid);
	if ($var(cid) == $null || $sht(ring=>$var(ext)::state) != "early") {
		xlog("L_NOTICE", "PICKUP ext=$var(ext) nothing ringing\n");
		sl_send_reply("404", "Nothing to pick up"); exit;
	}
	xlog("L_NOTICE", "PICKUP ext=$var(ext) callid=$var(cid) caller=$sht(ring=>$var(ext)::caller)\n");
	$sht(ring=>$var(ext)::state) = "picked";
	t_cancel_callid("$var(cid)", "$sht(ring=>$var(ext)::cseq)", "0", "487");
	$ru = $sht(ring=>$var(ext)::caller);
	record_route();
	if (!lookup("location")) { sl_send_reply("404", "Caller gone"); exit; }
	t_relay();
}

onreply_route[RINGING] {
	if ($rs == 180 || $rs == 183) { $sht(ring=>$tU::state) = "early"; }
	else if ($rs >= 200) { $sht(ring=>$tU::state) = "over"; }
}
#!endif

onreply_route {
	if (has_body("application/sdp")) { xlog("L_NOTICE", "SDP-RECV proto=$pr peer=$si:$sp msg=$(mb{s.encode.base64})\n"); }
#!ifdef WITH_RTPENGINE
	if (nat_uac_test("64")) { add_contact_alias(); }
#!endif
}

onsend_route {
	if (is_request()) { xlog("L_NOTICE", "SENT $rm proto=$snd(sproto) dst=$snd(ip):$snd(port)\n"); }
	if (has_body("application/sdp")) { xlog("L_NOTICE", "SDP-SENT proto=$snd(sproto) peer=$snd(ip):$snd(port) msg=$(snd(buf){s.encode.base64})\n"); }
}
%[7]s
`

// transportListen, transportModules and transportRoutes add TCP (on the UDP port), TLS,
// WS and WSS. WebSocket handshakes are taken only on the WS and WSS ports.
const transportListen = `listen=tcp:%[5]s:%[1]d
listen=tls:%[5]s:%[2]d
listen=tcp:%[5]s:%[3]d
listen=tls:%[5]s:%[4]d
enable_tls=yes
tcp_accept_no_cl=yes
tcp_connection_lifetime=3605`

const transportModules = `loadmodule "tls.so"
loadmodule "xhttp.so"
loadmodule "websocket.so"
modparam("tls", "config", "%[1]s")
%[2]s`

const transportRoutes = `event_route[xhttp:request] {
	set_reply_close();
	set_reply_no_connect();
	if ($Rp != %[1]d && $Rp != %[2]d) { xhttp_reply("403", "Forbidden", "", ""); exit; }
	%[3]s
	if ($hdr(Upgrade) =~ "websocket" && $hdr(Connection) =~ "Upgrade" && $rm =~ "GET") {
		xlog("L_NOTICE", "WS-HANDSHAKE proto=$pr src=$si:$sp\n");
		if (ws_handle_handshake()) { exit; }
	}
	xhttp_reply("404", "Not Found", "", "");
}
`

const tlsConfig = `[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
private_key = %[1]s
certificate = %[2]s

[client:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
`

// Start runs Kamailio until the test ends. Every user's password is password; the
// registrar grants at most maxExpires seconds.
func Start(t testpeer.T, password string, maxExpires int) *Kamailio {
	return StartWithMin(t, password, maxExpires, 0)
}

// StartWithMin is Start with a registrar that answers 423 to expiries under minExpires.
func StartWithMin(t testpeer.T, password string, maxExpires, minExpires int) *Kamailio {
	t.Helper()
	return StartOpts(t, Options{Password: password, MaxExpires: maxExpires, MinExpires: minExpires})
}

// StartOpts runs Kamailio as o describes until the test ends.
func StartOpts(t testpeer.T, o Options) *Kamailio {
	t.Helper()
	bin := peerbin.Find(t, "kamailio", "kamailio", "/usr/sbin")
	dir := t.TempDir()
	k := &Kamailio{bin: bin, dir: dir, cfg: filepath.Join(dir, "kamailio.cfg"), logPath: filepath.Join(dir, "kamailio.log")}
	k.Log = func() string { b, _ := os.ReadFile(k.logPath); return string(b) }
	ip := o.IP
	if ip == "" {
		ip = "127.0.0.1"
	}
	port := 5060
	if o.Netns == "" {
		port = freeUDPAndTCPPort(t, ip)
	}
	k.netns = o.Netns
	k.Addr = net.JoinHostPort(ip, fmt.Sprint(port))
	var listen, modules, routes string
	if o.Transports {
		requireModule(t, "tls.so", "kamailio-tls-modules")
		requireModule(t, "websocket.so", "kamailio-websocket-modules")
		ca, err := writeTestPKI(dir, net.ParseIP(ip))
		if err != nil {
			t.Fatal(err)
		}
		k.CAFile = ca
		tlsCfg := filepath.Join(dir, "tls.cfg")
		if err := os.WriteFile(tlsCfg, []byte(fmt.Sprintf(tlsConfig, filepath.Join(dir, "server.key"), filepath.Join(dir, "server.pem"))), 0o600); err != nil {
			t.Fatal(err)
		}
		tlsPort, wsPort, wssPort := freeTCPPort(t, ip), freeTCPPort(t, ip), freeTCPPort(t, ip)
		k.TCP = k.Addr
		k.TLS = net.JoinHostPort(ip, fmt.Sprint(tlsPort))
		k.WS = net.JoinHostPort(ip, fmt.Sprint(wsPort))
		k.WSS = net.JoinHostPort(ip, fmt.Sprint(wssPort))
		listen = fmt.Sprintf(transportListen, port, tlsPort, wsPort, wssPort, ip)
		wsParams := ""
		if o.WSKeepalive > 0 {
			wsParams = fmt.Sprintf("modparam(\"websocket\", \"keepalive_timeout\", %d)\nmodparam(\"websocket\", \"keepalive_interval\", 1)", o.WSKeepalive)
		}
		modules = fmt.Sprintf(transportModules, tlsCfg, wsParams)
		pathCheck := ""
		if o.WSPath != "" {
			pathCheck = fmt.Sprintf(`if ($hu != "%s") { xlog("L_NOTICE", "WS-WRONG-PATH $hu\n"); xhttp_reply("404", "Not Found", "", ""); exit; }`, o.WSPath)
		}
		routes = fmt.Sprintf(transportRoutes, wsPort, wssPort, pathCheck)
	}
	if o.DigestAlgorithm != "" {
		modules += fmt.Sprintf("\nmodparam(\"auth\", \"algorithm\", %q)", o.DigestAlgorithm)
	}
	defines := ""
	if o.RTPEngine != "" {
		requireModule(t, "rtpengine.so", "kamailio")
		defines = fmt.Sprintf("#!define WITH_RTPENGINE\n#!define RTPENGINE_SOCK \"udp:%s\"", o.RTPEngine)
	}
	var pickup *strings.Replacer // the pickup code, written into route[PICKUP]
	if o.Presence {
		for _, m := range []string{"presence.so", "presence_dialoginfo.so", "pua.so", "pua_dialoginfo.so"} {
			requireModule(t, m, "kamailio-presence-modules")
		}
		db, err := presenceDB(dir)
		if err != nil {
			t.Fatal(err)
		}
		prefix := o.PickupPrefix
		if prefix == "" {
			prefix = "**"
		}
		defines += fmt.Sprintf("\n#!define WITH_PRESENCE\n#!define PRESENCE_DB \"text://%s\"\n#!define PRESENCE_SERVER \"sip:%s\"", db, k.Addr)
		pickup = strings.NewReplacer("PICKUP_PREFIX", strconv.Quote(prefix), "PICKUP_LEN", strconv.Itoa(len(prefix)))
	}
	text := fmt.Sprintf(config, port, listen, modules, o.MaxExpires, o.MinExpires, o.Password, routes, ip, defines)
	if pickup != nil {
		text = pickup.Replace(text)
	}
	if err := os.WriteFile(k.cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Stop)
	k.start(t)
	return k
}

func (k *Kamailio) start(t testpeer.T) {
	t.Helper()
	logFile, err := os.OpenFile(k.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	args := []string{k.bin, "-DD", "-E", "-f", k.cfg, "-P", filepath.Join(k.dir, "kam.pid"), "-Y", k.dir, "-m", "32", "-M", "8"}
	if k.netns != "" {
		args = append(netnstest.Exec(k.netns), args...) // ip netns exec runs it in place (same PID)
	}
	cmd := exec.Command(args[0], args[1:]...)
	// A file, not a pipe: Kamailio's worker processes inherit it, and Wait would block on
	// a pipe until they all exit. Its own process group lets Stop end them all.
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	k.mu.Lock()
	k.cmd = cmd
	k.mu.Unlock()
	if err := k.inNetns(func() error { return k.waitReady(5 * time.Second) }); err != nil {
		t.Fatalf("kamailio: %v\n%s", err, k.Log())
	}
}

// Stop kills Kamailio (every process of it); its sockets and registrations are gone.
func (k *Kamailio) Stop() {
	k.mu.Lock()
	cmd := k.cmd
	k.cmd = nil
	k.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Wait()
	// The workers are in the group too; wait until none is left holding the ports.
	end := time.Now().Add(5 * time.Second)
	for groupAlive(cmd.Process.Pid) && time.Now().Before(end) {
		time.Sleep(10 * time.Millisecond)
	}
}

// groupAlive reports whether process group pgid has a member that is not a zombie.
// Killed workers are reparented to PID 1, and a container's PID 1 may never reap
// them: as zombies they hold no port, and waiting for them cost every Stop 5 s.
func groupAlive(pgid int) bool {
	if syscall.Kill(-pgid, 0) != nil {
		return false
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return true
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid pgrp …", where comm may hold spaces and parentheses.
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 3 {
			continue
		}
		if g, _ := strconv.Atoi(f[2]); g == pgid && f[0] != "Z" && f[0] != "X" {
			return true
		}
	}
	return false
}

// Restart stops Kamailio and starts it again on the same ports with the same config,
// like a PBX restart: every connection is closed and every registration forgotten.
func (k *Kamailio) Restart(t testpeer.T) {
	t.Helper()
	k.Stop()
	k.Start(t)
}

// Start starts a stopped Kamailio again on its ports.
func (k *Kamailio) Start(t testpeer.T) {
	t.Helper()
	k.start(t)
}

// Register is one REGISTER Kamailio accepted (digest checked), from its log.
type Register struct {
	Proto, CallID, Expires, Source string
	CSeq                           int
	Contact, Via                   string // the headers as sent (the top Via)
}

// Registers lists the REGISTERs Kamailio accepted, oldest first.
func (k *Kamailio) Registers() []Register {
	var out []Register
	for _, line := range strings.Split(k.Log(), "\n") {
		_, rest, ok := strings.Cut(line, "REGISTER-OK ")
		if !ok {
			continue
		}
		var r Register
		var cseq string
		rest, r.Via, _ = strings.Cut(rest, " via=")
		rest, r.Contact, _ = strings.Cut(rest, " contact=")
		for _, f := range strings.Fields(rest) {
			key, v, _ := strings.Cut(f, "=")
			switch key {
			case "proto":
				r.Proto = v
			case "callid":
				r.CallID = v
			case "cseq":
				cseq = v
			case "expires":
				r.Expires = v
			case "src":
				r.Source = v
			}
		}
		_, _ = fmt.Sscanf(cseq, "%d", &r.CSeq)
		out = append(out, r)
	}
	return out
}

// Sent lists the requests with the given method Kamailio sent, as "proto dst".
func (k *Kamailio) Sent(method string) []string { return k.logged("SENT "+method+" ", "dst=") }

// Received lists the requests (other than REGISTER and OPTIONS) with the given method
// Kamailio received, as "proto src".
func (k *Kamailio) Received(method string) []string { return k.logged("RECV "+method+" ", "src=") }

func (k *Kamailio) logged(prefix, addrKey string) []string {
	var out []string
	for _, line := range strings.Split(k.Log(), "\n") {
		_, rest, ok := strings.Cut(line, prefix)
		if !ok {
			continue
		}
		out = append(out, strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(rest, "proto=", ""), addrKey, "")))
	}
	return out
}

// waitReady sends OPTIONS until Kamailio answers, then waits for its stream listeners.
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
	ready := false
	for !ready && time.Now().Before(end) {
		if _, err := conn.WriteTo([]byte(opt), dst); err != nil {
			return err
		}
		_ = conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		if n, _, err := conn.ReadFrom(buf); err == nil && strings.HasPrefix(string(buf[:n]), "SIP/2.0 200") {
			ready = true
		}
	}
	if !ready {
		return fmt.Errorf("no answer to OPTIONS at %s", k.Addr)
	}
	for _, a := range []string{k.TCP, k.TLS, k.WS, k.WSS} {
		if a == "" {
			continue
		}
		for {
			c, err := net.DialTimeout("tcp", a, 100*time.Millisecond)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(end) {
				return fmt.Errorf("kamailio does not listen on %s: %w", a, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nil
}

// Bound asks Kamailio whether user has a binding: an OPTIONS to sip:user@Addr gets 404
// from the registrar's lookup when none is left; with one, Kamailio relays it to the
// contact (a live phone answers 200, a gone one never answers). The answer is read on
// Kamailio's side, so a phone's own view of its registration cannot fool a test.
func (k *Kamailio) Bound(user string) (bool, error) {
	var bound bool
	err := k.inNetns(func() (err error) {
		bound, err = k.bound(user)
		return err
	})
	return bound, err
}

// inNetns runs fn where Kamailio's network is: in its namespace when it has one.
func (k *Kamailio) inNetns(fn func() error) error {
	if k.netns == "" {
		return fn()
	}
	return netnstest.Do(k.netns, fn)
}

func (k *Kamailio) bound(user string) (bool, error) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return false, err
	}
	defer conn.Close()
	dst, err := net.ResolveUDPAddr("udp", k.Addr)
	if err != nil {
		return false, err
	}
	callID := fmt.Sprintf("bound-%d@probe", time.Now().UnixNano())
	opt := fmt.Sprintf("OPTIONS sip:%s@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-%s\r\nMax-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:%s@%s>\r\nCall-ID: %s\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
		user, k.Addr, conn.LocalAddr(), callID, user, k.Addr, callID)
	buf := make([]byte, 4096)
	for try := 0; try < 2; try++ {
		if _, err := conn.WriteTo([]byte(opt), dst); err != nil {
			return false, err
		}
		_ = conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		for {
			n, _, err := conn.ReadFrom(buf)
			if err != nil {
				break // no final answer yet: relayed to a contact that is silent
			}
			if strings.HasPrefix(string(buf[:n]), "SIP/2.0 404") {
				return false, nil
			}
			if strings.HasPrefix(string(buf[:n]), "SIP/2.0 1") {
				continue
			}
			return true, nil
		}
	}
	return true, nil
}

// presenceDB makes the db_text tables the presence modules keep their state in, from
// the empty ones Debian's kamailio package ships.
func presenceDB(dir string) (string, error) {
	const src = "/usr/share/kamailio/dbtext/kamailio"
	db := filepath.Join(dir, "db")
	if err := os.MkdirAll(db, 0o700); err != nil {
		return "", err
	}
	for _, table := range []string{"version", "presentity", "active_watchers", "watchers", "xcap", "pua"} {
		b, err := os.ReadFile(filepath.Join(src, table))
		if err != nil {
			return "", fmt.Errorf("presence table %s (Debian's kamailio package): %w", table, err)
		}
		if err := os.WriteFile(filepath.Join(db, table), b, 0o600); err != nil {
			return "", err
		}
	}
	return db, nil
}

// requireModule checks that a Kamailio module is installed where Debian puts it.
func requireModule(t testpeer.T, name, pkg string) {
	t.Helper()
	peerbin.FindFile(t, pkg, filepath.Join("/usr/lib/x86_64-linux-gnu/kamailio/modules", name), filepath.Join("/usr/lib/kamailio/modules", name))
}

func freeTCPPort(t testpeer.T, ip string) int {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// freeUDPAndTCPPort finds a port free for both UDP and TCP (SIP uses one port for both).
func freeUDPAndTCPPort(t testpeer.T, ip string) int {
	for i := 0; i < 50; i++ {
		c, err := net.ListenPacket("udp", net.JoinHostPort(ip, "0"))
		if err != nil {
			t.Fatal(err)
		}
		port := c.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", net.JoinHostPort(ip, fmt.Sprint(port)))
		c.Close()
		if err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no port free for both UDP and TCP")
	return 0
}
