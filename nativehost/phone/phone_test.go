package phone

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/devpbxtest"
	"github.com/tabphone/tabphone/media"
	"github.com/tabphone/tabphone/nativehost/config"
)

// eventLog records what the phone reports.
type eventLog struct {
	mu       sync.Mutex
	calls    []CallInfo
	incoming []CallInfo
	beeps    []string
	answers  map[string]string // the browser leg's latest answer per call
	restarts []string
}

func (e *eventLog) StateChanged() {}

func (e *eventLog) WebRTCRestart(id string) {
	e.mu.Lock()
	e.restarts = append(e.restarts, id)
	e.mu.Unlock()
}
func (e *eventLog) CallChanged(c CallInfo) {
	e.mu.Lock()
	e.calls = append(e.calls, c)
	e.mu.Unlock()
}
func (e *eventLog) WebRTCAnswer(id, sdp string, err error) {
	if err != nil {
		return
	}
	e.mu.Lock()
	if e.answers == nil {
		e.answers = map[string]string{}
	}
	e.answers[id] = sdp
	e.mu.Unlock()
}
func (e *eventLog) Incoming(c CallInfo) {
	e.mu.Lock()
	e.incoming = append(e.incoming, c)
	e.mu.Unlock()
}
func (e *eventLog) Beep(id string) {
	e.mu.Lock()
	e.beeps = append(e.beeps, id)
	e.mu.Unlock()
}

// firstIncoming returns the first incoming call announced, if any.
func (e *eventLog) firstIncoming() (CallInfo, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.incoming) == 0 {
		return CallInfo{}, false
	}
	return e.incoming[0], true
}

func (e *eventLog) lastCall(id string) (CallInfo, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := len(e.calls) - 1; i >= 0; i-- {
		if e.calls[i].ID == id {
			return e.calls[i], true
		}
	}
	return CallInfo{}, false
}

func newPhone(t *testing.T, d *devpbxtest.PBX, password string) (*Phone, *eventLog) {
	t.Helper()
	return newPhoneAt(t, d.SIP, password, "")
}

// newPhoneAt starts a phone for user 1001 at server; extra is more account JSON fields.
func newPhoneAt(t *testing.T, server, password, extra string, opts ...func(*Options)) (*Phone, *eventLog) {
	t.Helper()
	return newPhoneAs(t, server, "1001", password, extra, opts...)
}

// newPhoneAs starts a phone with one account "work" for user at server.
// opts change the phone's Options (shortSessionTimers).
func newPhoneAs(t *testing.T, server, user, password, extra string, opts ...func(*Options)) (*Phone, *eventLog) {
	t.Helper()
	cfg, err := config.Parse([]byte(fmt.Sprintf(`{"accounts":[{"id":"work","user":%q,"password":%q,"domain":%q,"codecs":["pcmu"]%s}]}`, user, password, server, extra)))
	if err != nil {
		t.Fatal(err)
	}
	ev := &eventLog{}
	o := Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Media: &media.BrowserNet{LocalIPs: []net.IP{net.IPv4(127, 0, 0, 1)}}}
	for _, f := range opts {
		f(&o)
	}
	p, err := New(cfg, ev, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p, ev
}

func accountState(p *Phone) AccountState {
	as, _ := p.Snapshot()
	return as[0]
}

func TestWrongPasswordIsReportedWithoutRetryStorm(t *testing.T) {
	d := devpbxtest.Start(t, "1001:right-password\n")
	p, _ := newPhone(t, d, "wrong-password")
	devpbxtest.WaitFor(t, "registration failure in the state", 10*time.Second, func() bool { return accountState(p).Registration == RegFailed })
	st := accountState(p)
	var se *SIPError
	if !errors.As(st.Err, &se) || se.Code != 403 {
		t.Fatalf("failure not explained: %v", st.Err)
	}
	t.Logf("state says: %v", st.Err)
	var failures map[string]int
	d.Get(t, "/api/auth_failures", &failures)
	first := failures["1001"]
	// The next attempt is due only after the first backoff step (5 s): look for 2 s.
	time.Sleep(2 * time.Second)
	d.Get(t, "/api/auth_failures", &failures)
	if failures["1001"] != first || first == 0 {
		t.Fatalf("failed attempts went from %d to %d in 2 s", first, failures["1001"])
	}
	if accountState(p).Registration != RegFailed {
		t.Fatal("state changed without a new attempt")
	}
}

func TestRegisterCallHangupUnregister(t *testing.T) {
	d := devpbxtest.Start(t, "1001:pw-1001\n")
	p, ev := newPhone(t, d, "pw-1001")
	devpbxtest.WaitFor(t, "registered", 10*time.Second, func() bool { return accountState(p).Registration == RegRegistered })
	if !d.Registered(t, "1001") {
		t.Fatal("devpbx has no binding")
	}

	if _, err := p.Dial("", "60x"); err == nil {
		t.Fatal("bad number dialled")
	}
	t0 := time.Now()
	id, err := p.Dial("", "600")
	if err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "connected", 10*time.Second, func() bool {
		c, _ := ev.lastCall(id)
		return c.State == CallConnected
	})
	if c, _ := ev.lastCall(id); c.Codec != "PCMU" || c.AnsweredAt.IsZero() {
		t.Fatalf("connected call: %+v", c)
	}
	t.Logf("connected after %v", time.Since(t0))
	t0 = time.Now()
	if err := p.Mute(id, true); err != nil {
		t.Fatal(err)
	}
	if c, _ := ev.lastCall(id); !c.Muted {
		t.Fatal("mute not reported")
	}
	if err := p.Mute("c-none", true); err == nil {
		t.Fatal("muted a call that does not exist")
	}
	// DTMF as RFC 4733 events: devpbx decodes them from the RTP stream.
	if err := p.SendDTMF(id, "x"); err == nil {
		t.Fatal("a bad DTMF key was accepted")
	}
	if err := p.SendDTMF(id, "12*#"); err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "DTMF at devpbx", 5*time.Second, func() bool {
		var calls []struct {
			To, State, DTMF string
		}
		d.Get(t, "/api/calls", &calls)
		for _, c := range calls {
			if c.To == "600" && c.State == "up" && c.DTMF == "12*#" {
				return true
			}
		}
		return false
	})
	if err := p.Hangup(id); err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "BYE at devpbx", 5*time.Second, func() bool {
		for _, c := range d.Calls(t) {
			if c.To == "600" && c.State == "ended" && c.EndedBy == "caller_bye" {
				return true
			}
		}
		return false
	})
	devpbxtest.WaitFor(t, "ended event", 5*time.Second, func() bool {
		c, _ := ev.lastCall(id)
		return c.State == CallEnded
	})
	if _, calls := p.Snapshot(); len(calls) != 0 {
		t.Fatalf("ended call still listed: %+v", calls)
	}

	t.Logf("ended after %v", time.Since(t0))
	// Hold stops the 601 tone at the PBX (it answers our sendonly with recvonly), resume
	// brings it back.
	id, err = p.Dial("", "601")
	if err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "601 connected", 5*time.Second, func() bool { c, _ := ev.lastCall(id); return c.State == CallConnected })
	txPackets := func() uint64 {
		var calls []struct {
			To, State string
			Tx        uint64 `json:"tx_packets"`
		}
		d.Get(t, "/api/calls", &calls)
		for _, c := range calls {
			if c.To == "601" && c.State == "up" {
				return c.Tx
			}
		}
		return 0
	}
	if err := p.Hold(id, true); err != nil {
		t.Fatal(err)
	}
	if c, _ := ev.lastCall(id); !c.Held {
		t.Fatal("hold not reported")
	}
	before := txPackets()
	time.Sleep(300 * time.Millisecond) // 15 packets' worth: none may come while held
	if after := txPackets(); after != before {
		t.Fatalf("devpbx kept sending while held: %d → %d", before, after)
	}
	if err := p.Hold(id, false); err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "tone after resume", 3*time.Second, func() bool { return txPackets() > before+5 })
	if err := p.Hangup(id); err != nil {
		t.Fatal(err)
	}
	t0 = time.Now()
	// Dial 404 → a sentence and the SIP code.
	id, err = p.Dial("", "999")
	if err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "404 ends the call", 5*time.Second, func() bool {
		c, _ := ev.lastCall(id)
		return c.State == CallEnded
	})
	if c, _ := ev.lastCall(id); c.End.Cause != EndRejected || c.End.SIPCode != 404 || Sentence(c.End.SIPCode) != "Number not found" {
		t.Fatalf("404: %+v", c.End)
	}

	t.Logf("404 after %v", time.Since(t0))
	t0 = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	p.Close(ctx)
	t.Logf("closed after %v", time.Since(t0))
	if d.Registered(t, "1001") {
		t.Fatal("binding left after Close")
	}
}
