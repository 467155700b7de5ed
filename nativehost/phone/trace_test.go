package phone

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/devpbxtest"
	"github.com/tabphone/tabphone/internal/kamailiotest"
	"github.com/tabphone/tabphone/media"
	"github.com/tabphone/tabphone/nativehost/config"
)

func TestRedactSIP(t *testing.T) {
	msg := "REGISTER sip:pbx SIP/2.0\r\n" +
		"Authorization: Digest username=\"1001\", response=\"abc123\"\r\n" +
		"proxy-authorization :Digest username=\"1001\",\r\n response=\"def456\"\r\n" +
		"WWW-Authenticate: Digest realm=\"pbx\", nonce=\"n1\"\r\n" +
		"Subject: my password is hunter22\r\n\r\n" +
		"body hunter22\n"
	got := string(RedactSIP([]byte(msg), [][]byte{[]byte("hunter22")}))
	want := "REGISTER sip:pbx SIP/2.0\r\n" +
		"Authorization: [redacted]\r\n" +
		"proxy-authorization: [redacted]\r\n" +
		"WWW-Authenticate: Digest realm=\"pbx\", nonce=\"n1\"\r\n" +
		"Subject: my password is [redacted]\r\n\r\n" +
		"body [redacted]\n"
	if got != want {
		t.Fatalf("redacted:\n%q\nwant\n%q", got, want)
	}
}

// syncBuffer is a log destination several goroutines write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSIPTraceRegisterRedacted: with sip_trace on, registering at Kamailio and
// unregistering writes the REGISTERs, the 401 and the 200s to the log at INFO, and
// neither the password nor a digest response is in it.
func TestSIPTraceRegisterRedacted(t *testing.T) {
	const password = "trace-secret-pw"
	k := kamailiotest.Start(t, password, 300)
	cfg, err := config.Parse([]byte(fmt.Sprintf(`{"accounts":[{"id":"work","user":"1001","password":%q,"domain":%q,"codecs":["pcmu"]}],"sip_trace":true}`, password, k.Addr)))
	if err != nil {
		t.Fatal(err)
	}
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	p, err := New(cfg, &eventLog{}, Options{Log: log, Media: &media.BrowserNet{LocalIPs: []net.IP{net.IPv4(127, 0, 0, 1)}}})
	if err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "registered", 10*time.Second, func() bool { return accountState(p).Registration == RegRegistered })
	p.Close(context.Background())

	out := buf.String()
	for _, want := range []string{`msg="SIP sent"`, `msg="SIP received"`, "REGISTER sip:", "SIP/2.0 401", "SIP/2.0 200", "Expires: 0", "Authorization: [redacted]"} {
		if !strings.Contains(out, want) {
			t.Errorf("the trace lacks %q", want)
		}
	}
	for _, secret := range []string{password, "response=", "Authorization: Digest"} {
		if strings.Contains(out, secret) {
			t.Errorf("the trace holds %q", secret)
		}
	}
	if t.Failed() {
		t.Logf("log:\n%s", out)
	}
	// Off again once the phone is closed: another phone's messages are not traced.
	buf2 := &syncBuffer{}
	cfg.SIPTrace = false
	q, err := New(cfg, &eventLog{}, Options{Log: slog.New(slog.NewTextHandler(buf2, nil)), Media: &media.BrowserNet{LocalIPs: []net.IP{net.IPv4(127, 0, 0, 1)}}})
	if err != nil {
		t.Fatal(err)
	}
	devpbxtest.WaitFor(t, "registered without traces", 10*time.Second, func() bool { return accountState(q).Registration == RegRegistered })
	q.Close(context.Background())
	if strings.Contains(buf2.String(), "SIP sent") || strings.Count(buf.String(), "SIP sent") != strings.Count(out, "SIP sent") {
		t.Errorf("traced with sip_trace off:\n%s", buf2.String())
	}
}
