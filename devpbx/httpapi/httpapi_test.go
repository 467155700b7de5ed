package httpapi

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tabphone/tabphone/devpbx/calllog"
	"github.com/tabphone/tabphone/devpbx/registrar"
	"github.com/tabphone/tabphone/devpbx/sipauth"
	"github.com/tabphone/tabphone/devpbx/uac"
	"github.com/tabphone/tabphone/devpbx/users"
	"github.com/tabphone/tabphone/devpbx/webapp"
)

func TestEmptyStateIsJSON(t *testing.T) {
	dir := users.Generate("1001")
	log := slog.New(slog.DiscardHandler)
	auth := sipauth.New(dir, log)
	calls := calllog.New(0)
	sessions := webapp.NewSessions(time.Minute, nil)
	sessions.Create("1001")
	mux := http.NewServeMux()
	Register(mux, Sources{Registrar: registrar.New(auth, registrar.Options{Log: log}), Auth: auth, Calls: calls, Sessions: sessions})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	call := calls.Start("cid", "1001", "600")
	for path, want := range map[string]string{
		"/healthz":                "ok",
		"/api/registrations":      "[]\n",
		"/api/auth_failures":      "{}\n",
		"/api/calls":              `"to":"600"`,
		"/api/calls/" + call.ID(): `"state":"ringing"`,
		"/api/sessions":           `"user":"1001"`,
	} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("%s: %d %s, want %s", path, res.StatusCode, body, want)
		}
		if strings.Contains(string(body), "Token") {
			t.Errorf("%s leaks session tokens: %s", path, body)
		}
	}
	if res, _ := http.Get(srv.URL + "/api/calls/nope"); res.StatusCode != 404 {
		t.Errorf("unknown call: %d", res.StatusCode)
	}
}

func TestExpireSessions(t *testing.T) {
	sessions := webapp.NewSessions(time.Hour, nil)
	a := sessions.Create("1001")
	sessions.Create("1001")
	b := sessions.Create("1002")
	var ended []webapp.EndReason
	sessions.OnEnd(func(_ webapp.Session, why webapp.EndReason) { ended = append(ended, why) })
	watched := make(chan webapp.EndReason, 1)
	sessions.Watch(a.Token, func(why webapp.EndReason) { watched <- why })

	mux := http.NewServeMux()
	log := slog.New(slog.DiscardHandler)
	auth := sipauth.New(users.Generate("1001"), log)
	Register(mux, Sources{Registrar: registrar.New(auth, registrar.Options{Log: log}), Auth: auth, Calls: calllog.New(0), Sessions: sessions})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	post := func(query string, origin string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+"/api/sessions/expire"+query, nil)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	if code, body := post("?user=1001", "http://evil.example"); code != http.StatusForbidden {
		t.Errorf("cross-origin: %d %s", code, body)
	}
	if code, body := post("", ""); code != http.StatusBadRequest || !strings.Contains(body, `"error"`) {
		t.Errorf("no user: %d %s", code, body)
	}
	if code, body := post("?user=1001", ""); code != 200 || body != `{"expired":2}`+"\n" {
		t.Errorf("expire 1001: %d %s", code, body)
	}
	if code, body := post("?user=1001", srv.URL); code != 200 || body != `{"expired":0}`+"\n" {
		t.Errorf("again, same origin: %d %s", code, body)
	}
	if why := <-watched; why != webapp.Timeout {
		t.Errorf("the page's socket would hear %q", why)
	}
	if len(ended) != 2 || ended[0] != webapp.Timeout || ended[1] != webapp.Timeout {
		t.Errorf("ended %v", ended)
	}
	if l := sessions.List(); len(l) != 1 || l[0].Token != b.Token {
		t.Errorf("left %+v", l)
	}
	res, err := http.Get(srv.URL + "/api/sessions/expire?user=1002")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", res.StatusCode)
	}
}

// fakeDialer records what the API asked for.
type fakeDialer struct {
	got   uac.Request
	ended []string
	err   error
}

func (f *fakeDialer) Originate(r uac.Request) (string, error) { f.got = r; return "c1", f.err }
func (f *fakeDialer) Hangup(id string) error                  { f.ended = append(f.ended, "hangup "+id); return f.err }
func (f *fakeDialer) Cancel(id string) error                  { f.ended = append(f.ended, "cancel "+id); return f.err }

func TestCallControl(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	auth := sipauth.New(users.Generate("1001"), log)
	f := &fakeDialer{}
	mux := http.NewServeMux()
	Register(mux, Sources{Registrar: registrar.New(auth, registrar.Options{Log: log}), Auth: auth, Calls: calllog.New(0),
		Sessions: webapp.NewSessions(time.Hour, nil), Dialer: f})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	post := func(path, body, origin string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}

	code, body := post("/api/originate", `{"to":"1001","after_ms":1500,"mode":"echo","ring_timeout_ms":20000,"hangup_after_ms":5000,
		"from":"602","display":"Callback 602","headers":{"Call-Info":"<sip:x>;answer-after=2"}}`, "")
	if code != 200 || body != `{"id":"c1"}`+"\n" {
		t.Fatalf("originate: %d %s", code, body)
	}
	want := uac.Request{To: "1001", From: "602", Display: "Callback 602", Mode: uac.ModeEcho, After: 1500 * time.Millisecond,
		RingTimeout: 20 * time.Second, HangupAfter: 5 * time.Second}
	if g := f.got; g.To != want.To || g.From != want.From || g.Display != want.Display || g.Mode != want.Mode || g.After != want.After ||
		g.RingTimeout != want.RingTimeout || g.HangupAfter != want.HangupAfter || g.Headers["Call-Info"] != "<sip:x>;answer-after=2" {
		t.Errorf("request %+v", g)
	}
	for _, tc := range []struct {
		body string
		code int
	}{
		{`{"to":"1001","typo":1}`, 400},
		{`{"to":"1001","after_ms":-5}`, 400},
		{`not json`, 400},
		{`{"to":"1001","display":"` + strings.Repeat("x", 9000) + `"}`, 400},
	} {
		if code, body := post("/api/originate", tc.body, ""); code != tc.code {
			t.Errorf("%.40s: %d %s", tc.body, code, body)
		}
	}
	if code, _ := post("/api/originate", `{"to":"1001"}`, "http://evil.example"); code != http.StatusForbidden {
		t.Errorf("cross-origin originate: %d", code)
	}
	f.got = uac.Request{}
	if code, _ := post("/api/originate", `{"to":"1001"}`, ""); code != http.StatusConflict || f.got.To != "" {
		t.Errorf("not registered, no delay: %d", code)
	}

	f.err = nil
	if code, body := post("/api/calls/c1/hangup", "", ""); code != 200 || body != `{"id":"c1"}`+"\n" {
		t.Errorf("hangup: %d %s", code, body)
	}
	if code, _ := post("/api/calls/c1/cancel", "", srv.URL); code != 200 {
		t.Errorf("cancel: %d", code)
	}
	for err, want := range map[error]int{uac.ErrNoCall: 404, uac.ErrEnded: 409, uac.ErrNotOutbound: 409, uac.ErrAnswered: 409} {
		f.err = err
		if code, _ := post("/api/calls/c1/cancel", "", ""); code != want {
			t.Errorf("%v: %d, want %d", err, code, want)
		}
	}
	if strings.Join(f.ended[:2], ",") != "hangup c1,cancel c1" {
		t.Errorf("ended %v", f.ended)
	}
}

func TestCallControlWithoutDialer(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	auth := sipauth.New(users.Generate("1001"), log)
	mux := http.NewServeMux()
	Register(mux, Sources{Registrar: registrar.New(auth, registrar.Options{Log: log}), Auth: auth, Calls: calllog.New(0), Sessions: webapp.NewSessions(time.Hour, nil)})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	res, err := http.Post(srv.URL+"/api/originate", "application/json", strings.NewReader(`{"to":"1001","after_ms":1}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotImplemented {
		t.Errorf("originate without a dialer: %d", res.StatusCode)
	}
}
