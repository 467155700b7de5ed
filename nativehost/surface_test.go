package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
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
	"github.com/tabphone/tabphone/nativehost/protocol"
)

// TestSurfaceNoListeningTCPAndMediaOnLocalAddresses runs the host program as the
// browser does, registered at Kamailio and in a call with its browser leg up, and reads
// the host process's sockets from /proc: none is a listening TCP socket, and every UDP
// socket (SIP, the PBX leg's RTP, the browser leg's ICE) is bound to 127.0.0.1 or the
// machine's default-route address (design.md "Media path"), never to a wildcard.
func TestSurfaceNoListeningTCPAndMediaOnLocalAddresses(t *testing.T) {
	k := kamailiotest.Start(t, "pw-s", 300)
	h := startHost(t, fmt.Sprintf(`{"accounts":[{"id":"work","user":"1001","password":"pw-s","domain":%q,"codecs":["pcmu"]}]}`, k.Addr))
	const wait = 10 * time.Second
	h.await("registered", 0, wait, registration(protocol.RegRegistered))
	caller := sipptest.Run(t, filepath.Join("phone", "testdata", "sipp", "invite_callee_hangs_up.xml"), k.Addr, 0, nil)
	var in protocol.CallEvent
	h.await("the incoming call", 0, wait, func(e protocol.Envelope) bool {
		return e.Type == protocol.TypeIncoming && json.Unmarshal(e.Data, &in) == nil
	})
	h.request(protocol.TypeAnswer, `{"call_id":"`+in.Call.ID+`"}`)
	pc, _ := browserpeer.New(t, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1})
	offer, _ := json.Marshal(protocol.WebRTCSDP{CallID: in.Call.ID, SDP: browserpeer.Offer(t, pc)})
	h.request(protocol.TypeWebRTCOffer, string(offer))
	h.await("the browser leg's answer", 0, wait, func(e protocol.Envelope) bool { return e.Type == protocol.TypeWebRTCAnswer })

	allowed := map[string]bool{"127.0.0.1": true}
	if ip := media.DefaultRouteIPv4(); ip != nil {
		allowed[ip.String()] = true
	}
	socks := hostSockets(t, h.cmd.Process.Pid)
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
	h.request(protocol.TypeHangup, `{"call_id":"`+in.Call.ID+`"}`)
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
