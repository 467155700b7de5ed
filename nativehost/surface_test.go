package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/tabphone/tabphone/internal/browserpeer"
	"github.com/tabphone/tabphone/internal/kamailiotest"
	"github.com/tabphone/tabphone/internal/sipptest"
	"github.com/tabphone/tabphone/media"
	"github.com/tabphone/tabphone/nativehost/messaging"
	"github.com/tabphone/tabphone/nativehost/protocol"
)

// TestSurfaceNoListeningTCPAndMediaOnLocalAddresses runs the host program as the
// browser does, registered at Kamailio and in a call with its browser leg up, and reads
// the host process's sockets from /proc: none is a listening TCP socket, and every UDP
// socket (SIP, the PBX leg's RTP, the browser leg's ICE) is bound to 127.0.0.1 or the
// machine's default-route address (design.md "Media path"), never to a wildcard.
func TestSurfaceNoListeningTCPAndMediaOnLocalAddresses(t *testing.T) {
	k := kamailiotest.Start(t, "pw-s", 300)
	configDir, logDir := t.TempDir(), t.TempDir()
	cfg := fmt.Sprintf(`{"accounts":[{"id":"work","user":"1001","password":"pw-s","domain":%q,"codecs":["pcmu"]}]}`, k.Addr)
	if err := os.WriteFile(filepath.Join(configDir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TABPHONE_TEST_SERVE=1", "TABPHONE_CONFIG_DIR="+configDir, "TABPHONE_LOG_DIR="+logDir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	frames := make(chan protocol.Envelope, 100)
	go func() {
		defer close(frames)
		r := messaging.NewReader(stdout)
		for {
			f, err := r.ReadFrame()
			if err != nil {
				return
			}
			if env, err := protocol.Decode(f); err == nil {
				frames <- env
			}
		}
	}()
	w := messaging.NewWriter(stdin)
	send := func(s string) {
		if err := w.WriteFrame([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	await := func(what string, match func(protocol.Envelope) bool) protocol.Envelope {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case env, ok := <-frames:
				if !ok {
					t.Fatalf("the host closed its output waiting for %s", what)
				}
				if match(env) {
					return env
				}
			case <-deadline:
				t.Fatalf("no %s", what)
			}
		}
	}
	send(`{"type":"hello","id":1,"data":{"protocol":1,"version":"x"}}`)
	await("registered", func(e protocol.Envelope) bool {
		var st protocol.State
		return e.Type == protocol.TypeState && json.Unmarshal(e.Data, &st) == nil && len(st.Accounts) == 1 && st.Accounts[0].Registration == protocol.RegRegistered
	})
	caller := sipptest.Run(t, filepath.Join("phone", "testdata", "sipp", "invite_callee_hangs_up.xml"), k.Addr, 0, nil)
	var in protocol.CallEvent
	await("the incoming call", func(e protocol.Envelope) bool {
		return e.Type == protocol.TypeIncoming && json.Unmarshal(e.Data, &in) == nil
	})
	send(`{"type":"answer","id":2,"data":{"call_id":"` + in.Call.ID + `"}}`)
	pc, _ := browserpeer.New(t, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1})
	offer, _ := json.Marshal(protocol.WebRTCSDP{CallID: in.Call.ID, SDP: browserpeer.Offer(t, pc)})
	send(`{"type":"webrtc_offer","id":3,"data":` + string(offer) + `}`)
	await("the browser leg's answer", func(e protocol.Envelope) bool { return e.Type == protocol.TypeWebRTCAnswer })

	allowed := map[string]bool{"127.0.0.1": true}
	if ip := media.DefaultRouteIPv4(); ip != nil {
		allowed[ip.String()] = true
	}
	socks := hostSockets(t, cmd.Process.Pid)
	udp := 0
	for _, s := range socks {
		switch {
		case strings.HasPrefix(s.proto, "tcp") && s.state == "0A":
			t.Errorf("the host listens on TCP %s", s.local)
		case strings.HasPrefix(s.proto, "udp"):
			udp++
			if !allowed[s.local.IP.String()] {
				t.Errorf("a UDP socket of the host is bound to %s (allowed: %v)", s.local, allowed)
			}
		}
	}
	if udp < 3 {
		t.Fatalf("only %d UDP sockets found: SIP, the PBX leg and the browser leg should all be there (%+v)", udp, socks)
	}
	t.Logf("host in a call: %d sockets, %d UDP, all on %v, none listening on TCP", len(socks), udp, allowed)
	send(`{"type":"hangup","id":4,"data":{"call_id":"` + in.Call.ID + `"}}`)
	if err := <-caller; err != nil {
		t.Fatalf("caller: %v", err)
	}
}

type procSocket struct {
	proto string
	local *net.UDPAddr // IP and port, for TCP too
	state string       // hex state column: 0A is LISTEN for TCP
}

// hostSockets lists the sockets process pid holds, from its fds and /proc/PID/net.
func hostSockets(t *testing.T, pid int) []procSocket {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	var out []procSocket
	for _, proto := range []string{"tcp", "tcp6", "udp", "udp6"} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, proto))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || !inodes[f[9]] {
				continue
			}
			out = append(out, procSocket{proto: proto, local: parseProcAddr(t, f[1]), state: f[3]})
		}
	}
	return out
}

// parseProcAddr reads /proc/net's "0100007F:1F90" (the IP in host byte order, 32-bit
// words; little-endian here).
func parseProcAddr(t *testing.T, s string) *net.UDPAddr {
	ipHex, portHex, _ := strings.Cut(s, ":")
	raw, err := hex.DecodeString(ipHex)
	if err != nil {
		t.Fatalf("address %q: %v", s, err)
	}
	for i := 0; i+4 <= len(raw); i += 4 {
		raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	port, _ := strconv.ParseUint(portHex, 16, 16)
	return &net.UDPAddr{IP: net.IP(raw), Port: int(port)}
}
