package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// browserLock is the machine's lock around anything that starts a browser (shared with
// the E2E runs of other checkouts).
const browserLock = "/tmp/tabphone-browser.lock"

// lockWait is how long (seconds) the bench waits for the browser lock; lockBusy is
// flock's exit code when it gave up.
const (
	lockWait = "300"
	lockBusy = "75"
)

// browserFigures is what firstword.mjs prints.
type browserFigures struct {
	Runs     int `json:"runs"`
	CallS    int `json:"call_s"`
	Chromium struct {
		Heard []float64               `json:"heard"`
		Mic   []float64               `json:"mic"`
		Cost  map[string]processCosts `json:"cost"`
	} `json:"chromium"`
	Firefox *struct {
		Heard []float64 `json:"heard"`
		Mic   []float64 `json:"mic"`
	} `json:"firefox"`
}

type processCosts struct {
	CPU float64 `json:"cpu_ms_per_s"`
	RSS float64 `json:"rss"` // KiB
	PSS float64 `json:"pss"` // KiB
}

// BenchmarkBrowsers runs firstword.mjs (real Chromium and Firefox ESR, the host, the dev
// PBX; see the script): the first word heard in each browser, and the CPU and memory of
// Chromium's processes that carry the softphone window's audio beside the host's, in
// the same call.
func BenchmarkBrowsers(b *testing.B) {
	node, err := exec.LookPath("node")
	if err != nil {
		b.Skip("node not installed")
	}
	if _, err := os.Stat("/usr/lib/chromium/chromium"); err != nil {
		b.Skip("chromium not installed")
	}
	if _, err := os.Stat(filepath.Join("..", "node_modules", "playwright-core")); err != nil {
		b.Skip("npm packages not installed (npm ci)")
	}
	args := []string{node, "firstword.mjs"}
	if flock, err := exec.LookPath("flock"); err == nil {
		// Another checkout's browser suite may hold the lock for minutes: wait at most
		// lockWait, so make bench stays within its 10 minutes.
		args = append([]string{flock, "-w", lockWait, "-E", lockBusy, browserLock}, args...)
	}
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(args[0], args[1:]...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, os.Stderr
		if err := cmd.Run(); err != nil {
			var exit *exec.ExitError
			if errors.As(err, &exit) && strconv.Itoa(exit.ExitCode()) == lockBusy {
				b.Skipf("the browser lock %s stayed busy for %s s: no browser figures this run", browserLock, lockWait)
			}
			b.Fatalf("firstword.mjs: %v\n%s", err, out.String())
		}
		lines := bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n"))
		var f browserFigures
		if err := json.Unmarshal(lines[len(lines)-1], &f); err != nil {
			b.Fatalf("firstword.mjs printed no figures: %v\n%s", err, out.String())
		}
		record("first word, Chromium: 200 OK → heard", "ms", medianOf(f.Chromium.Heard), 100, "<", 0)
		record("first word, Chromium: 200 OK → mic at PBX", "ms", medianOf(f.Chromium.Mic), 100, "<", 0)
		if f.Firefox != nil {
			record("first word, Firefox: 200 OK → heard", "ms", medianOf(f.Firefox.Heard), 100, "<", 0)
			record("first word, Firefox: 200 OK → mic at PBX", "ms", medianOf(f.Firefox.Mic), 100, "<", 0)
		}
		c := f.Chromium.Cost
		var browserCPU, browserPSS float64
		for _, p := range []struct{ key, name string }{
			{"renderer", "window's renderer"}, {"audio", "audio service"}, {"network", "network service"},
		} {
			record("call in Chromium: "+p.name+" CPU", "ms/s", c[p.key].CPU, 0, "", 0)
			record("call in Chromium: "+p.name+" PSS", "MiB", c[p.key].PSS/1024, 0, "", 0)
			browserCPU += c[p.key].CPU
			browserPSS += c[p.key].PSS
		}
		host := c["host"].CPU + c["host_parent"].CPU
		hostPSS := c["host"].PSS + c["host_parent"].PSS
		record("call in Chromium: host CPU (2 processes)", "ms/s", host, 0, "", 0)
		record("call in Chromium: host PSS (2 processes)", "MiB", hostPSS/1024, 0, "", 0)
		record("call in Chromium: browser ÷ host, CPU", "×", browserCPU/host, 0, "", 0)
		record("call in Chromium: browser ÷ host, PSS", "×", browserPSS/hostPSS, 0, "", 0)
	}
}
