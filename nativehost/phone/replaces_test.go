package phone

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tabphone/tabphone/internal/devpbxtest"
	"github.com/tabphone/tabphone/nativehost/messaging"
)

// sippReplacing runs a scripted caller (testdata/sipp) whose INVITE carries
// "Replaces: replaces" (sipp's -key), expecting code where the scenario says CODE.
func sippReplacing(t *testing.T, scenario, target, replaces string, code int) <-chan error {
	t.Helper()
	bin, err := exec.LookPath("sipp")
	if err != nil {
		t.Skip("sipp is not installed (make test installs sip-tester)")
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "sipp", scenario))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f := filepath.Join(dir, scenario)
	if err := os.WriteFile(f, []byte(strings.ReplaceAll(string(raw), "CODE", fmt.Sprint(code))), 0o600); err != nil {
		t.Fatal(err)
	}
	errFile := filepath.Join(dir, "sipp-errors.log")
	cmd := exec.Command(bin, "-sf", f, "-m", "1", "-i", "127.0.0.1", "-p", fmt.Sprint(freePort(t)),
		"-mi", "127.0.0.1", "-mp", fmt.Sprint(freePort(t)), "-rtp_echo", "-timeout", "20s", "-timeout_error", "-nostdin",
		"-trace_err", "-error_file", errFile, "-trace_msg", "-message_file", errFile+".msg",
		"-key", "replaces", replaces, "-s", "1001", target)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	done := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		if err != nil {
			log, _ := os.ReadFile(errFile)
			msgs, _ := os.ReadFile(errFile + ".msg")
			err = fmt.Errorf("sipp %s: %v\n%s\n%s%s", scenario, err, out.String(), log, msgs)
		}
		done <- err
	}()
	return done
}

// replacesFor is the Replaces header a transferee sends us to take over our call id:
// to-tag is our tag, from-tag the other side's (RFC 3891 3).
func replacesFor(t *testing.T, p *Phone, id string) string {
	t.Helper()
	c, err := p.call(id)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.connectedDialog()
	if err != nil {
		t.Fatal(err)
	}
	return d.ids.callID + ";to-tag=" + d.ids.localTag + ";from-tag=" + d.ids.remoteTag
}

// We are the target of an attended transfer: the transferee's INVITE with Replaces
// naming our call with baresip is answered at once (no ring, no incoming event) and our
// call with baresip ends.
func TestAttendedTransferReplacesOurCall(t *testing.T) {
	k, p, ev, bs := withBaresip(t, "", "manual", "2001")
	x := bs[0]
	idX := connectedTo(t, p, ev, x, "2001")
	done := sippReplacing(t, "invite_replaces.xml", k.Addr, replacesFor(t, p, idX), 0)
	var repl messaging.Call
	devpbxtest.WaitFor(t, "the replacing call connected", eventWait, func() bool {
		ev.mu.Lock()
		defer ev.mu.Unlock()
		for _, c := range ev.calls {
			if c.Replaces == idX && c.State == messaging.CallConnected {
				repl = c
				return true
			}
		}
		return false
	})
	if repl.Direction != "incoming" || repl.Number != "alice" {
		t.Fatalf("replacing call %+v", repl)
	}
	x.WaitEvent("CALL_CLOSED", eventWait, nil) // our BYE to the replaced party
	if c := waitState(t, ev, idX, messaging.CallEnded); c.EndReason.Message != "Call ended" {
		t.Fatalf("replaced call ended with %+v", c.EndReason)
	}
	if _, rang := ev.firstIncoming(); rang {
		t.Fatal("the replacing call rang")
	}
	wait(t, "transferee answered at once, then hangs up", done)
	waitState(t, ev, repl.ID, messaging.CallEnded)
}

// A Replaces that names no call of ours (a wrong tag) is refused with 481 and never
// rings; the call stays.
func TestReplacesNamingNoCallIsRefused(t *testing.T) {
	k, p, ev, bs := withBaresip(t, "", "manual", "2001")
	idX := connectedTo(t, p, ev, bs[0], "2001")
	wrong := strings.Replace(replacesFor(t, p, idX), "to-tag=", "to-tag=x", 1)
	wait(t, "481 for an unknown dialog", sippReplacing(t, "invite_replaces_rejected.xml", k.Addr, wrong, 481))
	if _, rang := ev.firstIncoming(); rang {
		t.Fatal("rang")
	}
	if c, _ := ev.lastCall(idX); c.State != messaging.CallConnected {
		t.Fatalf("our call: %+v", c)
	}
}
