package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/peerbin"
)

// TestRunStartsAnswersAndStopsOnEOF: the ready line names every peer, commands get one
// line each, and closing stdin stops the peers and removes their files.
func TestRunStartsAnswersAndStopsOnEOF(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	var stderr strings.Builder
	done := make(chan error, 1)
	go func() { done <- Run(context.Background(), inR, outW, &stderr); outW.Close() }()
	lines := bufio.NewScanner(outR)
	lines.Buffer(nil, 1<<24)
	next := func() map[string]any {
		t.Helper()
		if !lines.Scan() {
			t.Fatalf("no line on stdout; stderr:\n%s", stderr.String())
		}
		var m map[string]any
		if err := json.Unmarshal(lines.Bytes(), &m); err != nil {
			t.Fatalf("%v: %s", err, lines.Text())
		}
		return m
	}
	first := next()
	if why, ok := first["skip"].(string); ok {
		inW.Close()
		<-done
		peerbin.Missing(t, "%s", why)
	}
	var r ready
	raw, _ := json.Marshal(first)
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	if r.Password == "" || r.Plain.UDP == "" || r.Gateway.WS == "" || r.Gateway.WSS == "" || r.RTPEngine == "" ||
		r.Baresip["2001"].Registrar != "gateway" || r.Baresip["2002"].Media != "sdes" ||
		r.Baresip["2003"].ToneHz != 700 || r.Baresip["2004"].ToneHz != 1300 || r.Baresip["2004"].Media != "rtp" {
		t.Fatalf("ready line %s", raw)
	}
	if _, err := os.Stat(r.Gateway.CAFile); err != nil {
		t.Fatal(err)
	}

	for cmd, want := range map[string]string{
		"tone 2001 440":    "error", // no call yet, so no recording
		"tone 9999 440":    "error",
		"tone 2003 700 2":  "error", // no call yet
		"tone 2003 700 -1": "error", // seconds out of range
		"sdps gateway":     "messages",
		"logs":             "kamailio_gateway",
		"dance":            "error",
	} {
		if _, err := io.WriteString(inW, cmd+"\n"); err != nil {
			t.Fatal(err)
		}
		if m := next(); m[want] == nil {
			t.Errorf("%s answered %v, want a %q field", cmd, m, want)
		}
	}

	inW.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after stdin closed")
	}
	if _, err := os.Stat(r.Gateway.CAFile); !os.IsNotExist(err) {
		t.Fatalf("the peers' files are left behind: %v", err)
	}
}
