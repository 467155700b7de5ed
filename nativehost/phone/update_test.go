package phone

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/tabphone/tabphone/internal/devpbxtest"
	"github.com/tabphone/tabphone/nativehost/config"
)

// TestUpdateAccountsReregistersOnlyWhatChanged: an unchanged account keeps its binding
// (same registration, no REGISTER storm), a changed one registers afresh, a removed one
// unregisters.
func TestUpdateAccountsReregistersOnlyWhatChanged(t *testing.T) {
	d := devpbxtest.Start(t, "1001:pw1\n1002:pw2\n")
	doc := func(accounts ...string) *config.Config {
		cfg, err := config.Parse([]byte(`{"accounts":[` + strings.Join(accounts, ",") + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	acc := func(user, pw string, seconds int) string {
		return fmt.Sprintf(`{"id":%q,"user":%q,"password":%q,"domain":%q,"auto_answer":{"enabled":false,"seconds":%d}}`, user, user, pw, d.SIP, seconds)
	}
	p, _ := newPhoneAt(t, d.SIP, "pw1", "")
	devpbxtest.WaitFor(t, "1001 registered", 10*time.Second, func() bool { return d.Registered(t, "1001") })

	if err := p.UpdateAccounts(doc(acc("1001", "pw1", 0), acc("1002", "pw2", 0))); err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "1002 registered as well", 10*time.Second, func() bool { return d.Registered(t, "1002") })
	p.mu.Lock()
	first := p.accounts[0]
	p.mu.Unlock()

	if err := p.UpdateAccounts(doc(acc("1001", "pw1", 0), acc("1002", "pw2", 7))); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	same := p.accounts[0] == first
	seconds := p.accounts[1].cfg.AutoAnswer.Seconds
	p.mu.Unlock()
	if !same || seconds != 7 {
		t.Fatalf("unchanged account replaced %v, new seconds %d", !same, seconds)
	}

	if err := p.UpdateAccounts(doc(acc("1002", "pw2", 7))); err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "1001 unregistered when removed", 5*time.Second, func() bool { return !d.Registered(t, "1001") })
	as, _ := p.Snapshot()
	if len(as) != 1 || as[0].ID != "1002" || as[0].AutoAnswer.Seconds != 7 {
		t.Fatalf("accounts after removal: %+v", as)
	}
	devpbxtest.WaitFor(t, "1002 registered", 10*time.Second, func() bool {
		as, _ := p.Snapshot()
		return as[0].Registration == RegRegistered
	})
}

func TestSentencesForCodes(t *testing.T) {
	for code, want := range map[int]string{401: "Wrong user name or password", 403: "Wrong user name or password, or not allowed",
		404: "Number not found", 480: "No answer", 486: "Busy", 487: "Call cancelled", 488: "The other side cannot use any of our audio codecs",
		503: "Service unavailable, try again later", 603: "Call declined", 502: "The PBX failed to handle the call", 420: "The call failed", 302: "SIP error"} {
		if got := Sentence(code); got != want {
			t.Errorf("Sentence(%d) = %q, want %q", code, got, want)
		}
	}
}

func TestBackoffDoublesToTheCapAndResets(t *testing.T) {
	var b backoff
	fail := errors.New("no answer")
	var got []time.Duration
	for i := 0; i < 6; i++ {
		got = append(got, b.next(0, fail))
	}
	want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second, 60 * time.Second, 60 * time.Second}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("waits %v, want %v", got, want)
	}
	if w := b.next(300, nil); w != refreshAfter(300) {
		t.Fatalf("after a success: %v", w)
	}
	if w := b.next(0, fail); w != retryFirst {
		t.Fatalf("a failure after a success waits %v", w)
	}
	b.next(0, fail)
	b.reset()
	if w := b.next(0, fail); w != retryFirst {
		t.Fatalf("after reset: %v", w)
	}
}

// sipgo's Do returns no response and no error when the transaction ended without one
// (its transport closed, as at exit): that must be an error, not a nil response.
func TestAnsweredTurnsNoResponseIntoAnError(t *testing.T) {
	none := answered(func(context.Context, *sip.Request) (*sip.Response, error) { return nil, nil })
	if res, err := none(context.Background(), nil); res != nil || !errors.Is(err, errNoResponse) {
		t.Fatalf("got %v, %v", res, err)
	}
	ok := &sip.Response{StatusCode: 200}
	some := answered(func(context.Context, *sip.Request) (*sip.Response, error) { return ok, nil })
	if res, err := some(context.Background(), nil); res != ok || err != nil {
		t.Fatalf("got %v, %v", res, err)
	}
}
