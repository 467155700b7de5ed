// Package netnstest makes a two-namespace network for fault tests: a "phone" network
// namespace and a "pbx" one joined by a veth pair, with addresses only inside them
// (10.213.N.0/24, N chosen per pair), so a test can take the link down, change the
// phone's address or run peers there without touching the machine's own network.
// Creating them needs root and ip(8): without them a test skips, or fails under CI=true.
package netnstest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/tabphone/tabphone/internal/peerbin"
)

// Pair is two namespaces joined by a veth pair: Phone (interface PhoneIf, address
// PhoneIP) and PBX (interface PBXIf, address PBXIP), both on Prefix.0/24.
type Pair struct {
	Phone, PBX     string // namespace names (ip netns)
	PhoneIf, PBXIf string // the veth ends, one in each
	PhoneIP, PBXIP string // their first addresses
	Prefix         string // "10.213.N"
	t              testing.TB
}

var seq atomic.Int32

// New creates the pair (lo up in both) and removes it when the test ends.
func New(t testing.TB) *Pair {
	t.Helper()
	if _, err := exec.LookPath("ip"); err != nil {
		peerbin.Missing(t, "ip (iproute2) for network namespaces: %v", err)
	}
	if os.Geteuid() != 0 {
		peerbin.Missing(t, "network namespaces need root")
	}
	n := seq.Add(1)
	base := fmt.Sprintf("tp%d-%d", os.Getpid()%100000, n)
	octet := 1 + rand.IntN(250)
	p := &Pair{Phone: base + "-phone", PBX: base + "-pbx", PhoneIf: "vphone", PBXIf: "vpbx",
		Prefix: fmt.Sprintf("10.213.%d", octet), t: t}
	p.PhoneIP, p.PBXIP = p.Prefix+".2", p.Prefix+".1"
	if out, err := exec.Command("ip", "netns", "add", p.Phone).CombinedOutput(); err != nil {
		peerbin.Missing(t, "ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", p.Phone).Run() })
	p.must("ip", "netns", "add", p.PBX)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", p.PBX).Run() })
	p.must("ip", "link", "add", p.PhoneIf, "netns", p.Phone, "type", "veth", "peer", "name", p.PBXIf, "netns", p.PBX)
	p.In(p.Phone, "ip", "link", "set", "lo", "up")
	p.In(p.PBX, "ip", "link", "set", "lo", "up")
	// A removed primary address must not take the added ones with it (AddressChange).
	p.In(p.Phone, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/conf/"+p.PhoneIf+"/promote_secondaries")
	p.In(p.Phone, "ip", "addr", "add", p.PhoneIP+"/24", "dev", p.PhoneIf)
	p.In(p.PBX, "ip", "addr", "add", p.PBXIP+"/24", "dev", p.PBXIf)
	p.In(p.Phone, "ip", "link", "set", p.PhoneIf, "up")
	p.In(p.PBX, "ip", "link", "set", p.PBXIf, "up")
	return p
}

func (p *Pair) must(args ...string) {
	p.t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		p.t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// In runs a command inside namespace ns and fails the test if it fails.
func (p *Pair) In(ns string, args ...string) {
	p.t.Helper()
	p.must(append([]string{"ip", "netns", "exec", ns}, args...)...)
}

// Exec is the prefix that runs a program inside namespace ns.
func Exec(ns string) []string { return []string{"ip", "netns", "exec", ns} }

// LinkDown takes the phone's end of the link down (the PBX is unreachable: no route);
// LinkUp brings it back (its addresses stay).
func (p *Pair) LinkDown() { p.In(p.Phone, "ip", "link", "set", p.PhoneIf, "down") }

// LinkUp brings the phone's end of the link back up.
func (p *Pair) LinkUp() { p.In(p.Phone, "ip", "link", "set", p.PhoneIf, "up") }

// ChangePhoneAddress gives the phone's interface a new address on the same subnet and
// removes the old one, as a DHCP renewal with a new lease does.
func (p *Pair) ChangePhoneAddress(oldIP, newIP string) {
	p.In(p.Phone, "ip", "addr", "add", newIP+"/24", "dev", p.PhoneIf)
	p.In(p.Phone, "ip", "addr", "del", oldIP+"/24", "dev", p.PhoneIf)
}

// Do runs fn on an OS thread inside namespace ns: sockets fn opens belong to ns (and
// keep working after it returns). The thread is left to die if it cannot return to the
// test's own namespace.
func Do(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		own, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			errc <- err
			return
		}
		defer own.Close()
		target, err := os.Open("/var/run/netns/" + ns)
		if err != nil {
			errc <- err
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		ferr := fn()
		if err := unix.Setns(int(own.Fd()), unix.CLONE_NEWNET); err == nil {
			runtime.UnlockOSThread()
		}
		errc <- ferr
	}()
	return <-errc
}
