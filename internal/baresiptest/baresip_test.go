package baresiptest

import (
	"strings"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/kamailiotest"
)

// Two baresips registered at Kamailio call each other: the helper's commands and
// events work as the phone tests rely on.
func TestTwoBaresipsThroughKamailio(t *testing.T) {
	k := kamailiotest.Start(t, "pw", 300)
	a := Start(t, Options{User: "2001", Password: "pw", Registrar: k.Addr})
	b := Start(t, Options{User: "2002", Password: "pw", Registrar: k.Addr})
	a.Dial("sip:2002@127.0.0.1")
	in := b.WaitEvent("CALL_INCOMING", 5*time.Second, nil)
	a.WaitEvent("CALL_RINGING", 5*time.Second, nil)
	b.Accept()
	a.WaitEvent("CALL_ESTABLISHED", 5*time.Second, func(e Event) bool { return e.ID == in.ID })
	b.WaitEvent("CALL_ESTABLISHED", 5*time.Second, nil)
	a.SendDTMF("1234*#")
	deadline := time.Now().Add(5 * time.Second)
	for b.DTMF() != "1234*#" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := b.DTMF(); got != "1234*#" {
		t.Fatalf("DTMF %q", got)
	}
	a.Hangup()
	closed := b.WaitEvent("CALL_CLOSED", 5*time.Second, nil)
	if !strings.Contains(closed.Param, "reset by peer") {
		t.Fatalf("closed: %+v", closed)
	}
}

// A manual-answer baresip that hangs up a ringing call rejects it with 486.
func TestRejectIsBusy(t *testing.T) {
	a := Start(t, Options{User: "2001"})
	b := Start(t, Options{User: "2002"})
	a.Dial(b.URI)
	b.WaitEvent("CALL_INCOMING", 5*time.Second, nil)
	b.Hangup()
	if e := a.WaitEvent("CALL_CLOSED", 5*time.Second, nil); !strings.HasPrefix(e.Param, "486") {
		t.Fatalf("caller closed with %q", e.Param)
	}
}
