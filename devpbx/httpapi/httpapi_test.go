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
