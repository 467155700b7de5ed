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
