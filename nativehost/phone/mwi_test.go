package phone

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/devpbxtest"
)

func voicemailIs(p *Phone, want Voicemail) bool {
	v := accountState(p).Voicemail
	return v != nil && *v == want
}

// TestMWISubscriptionWithSippNotifier: SUBSCRIBE with digest auth, NOTIFYs reach the
// account's state, the refresh stays in the subscription before it expires, and Close
// unsubscribes (the scenario checks each request).
func TestMWISubscriptionWithSippNotifier(t *testing.T) {
	addr, done := sippCallee(t, "uas_mwi.xml", 0)
	p, _ := newPhoneAt(t, addr, "pw-callee", `,"register":false,"mwi":true`)
	devpbxtest.WaitFor(t, "2 new, 8 old", 10*time.Second, func() bool {
		return voicemailIs(p, Voicemail{Waiting: true, New: 2, Old: 8})
	})
	t0 := time.Now()
	devpbxtest.WaitFor(t, "the refresh, then 0 new, 10 old", 10*time.Second, func() bool {
		return voicemailIs(p, Voicemail{Waiting: false, New: 0, Old: 10})
	})
	t.Logf("refreshed and notified %v after the first summary (subscription granted for 2 s)", time.Since(t0))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	p.Close(ctx)
	wait(t, "notifier's scenario (auth, refresh, unsubscribe)", done)
}

// TestUnsolicitedMWIFromTheRegistrar: a PBX's NOTIFY without a subscription, routed by
// Kamailio to the registered phone, sets the account's voicemail; the same NOTIFY sent
// by a stranger straight to the phone's socket gets 403 and changes nothing.
func TestUnsolicitedMWIFromTheRegistrar(t *testing.T) {
	k, p, _ := kamailioPhone(t, "")
	wait(t, "NOTIFY through Kamailio answered 200", sipp(t, "uac_notify_mwi.xml", k.Addr, 200))
	want := Voicemail{Waiting: true, New: 3, Old: 5, UrgentNew: 1}
	devpbxtest.WaitFor(t, "voicemail in the state", 5*time.Second, func() bool { return voicemailIs(p, want) })

	p.mu.Lock()
	acc := p.accounts[0]
	p.mu.Unlock()
	acc.mwi.mu.Lock()
	acc.mwi.summary = &Voicemail{} // a stranger's 3/5 would show
	acc.mwi.mu.Unlock()
	wait(t, "stranger's NOTIFY refused", sipp(t, "uac_notify_mwi.xml", p.conn.LocalAddr().String(), 403))
	if v := accountState(p).Voicemail; v == nil || *v != (Voicemail{}) {
		t.Fatalf("a stranger changed the voicemail: %+v", v)
	}
}

func TestParseMessageSummary(t *testing.T) {
	for _, tc := range []struct {
		body string
		want Voicemail
		ok   bool
	}{
		{"Messages-Waiting: yes\r\nMessage-Account: sip:alice@vm.example.com\r\nVoice-Message: 2/8 (0/2)\r\n", Voicemail{Waiting: true, New: 2, Old: 8, UrgentOld: 2}, true},
		{"messages-waiting:no\nvoice-message:0/0\n", Voicemail{}, true},
		{"Messages-Waiting: yes\r\n", Voicemail{Waiting: true}, true},
		{"Messages-Waiting: yes\r\nFax-Message: 1/0\r\nVoice-Message: 4/1\r\n", Voicemail{Waiting: true, New: 4, Old: 1}, true},
		{"Messages-Waiting: maybe\r\n", Voicemail{}, false},
		{"Voice-Message: 2/8\r\n", Voicemail{}, false},
		{"Messages-Waiting: yes\r\nVoice-Message: 2\r\n", Voicemail{}, false},
		{"Messages-Waiting: yes\r\nVoice-Message: 99999999999/1\r\n", Voicemail{}, false},
		{"Messages-Waiting: yes\r\n" + strings.Repeat("X: y\r\n", 1000), Voicemail{}, false},
	} {
		v, err := parseMessageSummary([]byte(tc.body))
		if (err == nil) != tc.ok || (tc.ok && v != tc.want) {
			t.Errorf("%q → %+v %v", tc.body, v, err)
		}
	}
}

func FuzzParseMessageSummary(f *testing.F) {
	f.Add([]byte("Messages-Waiting: yes\r\nVoice-Message: 2/8 (0/2)\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := parseMessageSummary(body)
		if err == nil && (v.New < 0 || v.Old < 0 || v.New > maxMWICount || v.Old > maxMWICount) {
			t.Fatalf("%q → %+v", body, v)
		}
	})
}
