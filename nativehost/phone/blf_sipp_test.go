package phone

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// sippTicks reads the "<what> <ms>" lines a scenario logged with sipp's clock.
func sippTicks(t *testing.T, logFile, what string) []time.Duration {
	t.Helper()
	b, _ := os.ReadFile(logFile)
	var out []time.Duration
	for _, m := range regexp.MustCompile(what+` (\d+)`).FindAllStringSubmatch(string(b), -1) {
		ms, _ := strconv.Atoi(m[1])
		out = append(out, time.Duration(ms)*time.Millisecond)
	}
	return out
}

// TestBLFBackoffOnTheWire: a notifier that refuses every SUBSCRIBE (489 Bad Event, 403
// Forbidden) sees the lamp's attempts spaced by the backoff, doubling from the first
// retry with ±20 % jitter (read off the wire with sipp's clock); the lamp stays unknown.
func TestBLFBackoffOnTheWire(t *testing.T) {
	for _, tc := range []struct {
		code  int
		first time.Duration // Options.SubscribeRetry; 0 is the default 2 s
	}{{489, 0}, {403, 500 * time.Millisecond}} {
		t.Run(strconv.Itoa(tc.code), func(t *testing.T) {
			const attempts = 4
			logFile := filepath.Join(t.TempDir(), "sipp.log")
			var addr string
			done := sippAt(t, "uas_blf_error.xml", "", tc.code, &addr, "-m", strconv.Itoa(attempts), "-trace_logs", "-log_file", logFile)
			p, _ := newPhoneAt(t, addr, "pw", `,"register":false,"blf":["2000"]`, func(o *Options) { o.SubscribeRetry = tc.first })
			wait(t, "notifier's scenario (four refusals)", done)
			if l := lampOf(p, "2000"); l.State != LampUnknown {
				t.Fatalf("lamp %+v after refusals, want unknown", l)
			}
			ticks := sippTicks(t, logFile, "SUBSCRIBE-AT")
			if len(ticks) != attempts {
				t.Fatalf("sipp logged %d SUBSCRIBEs, want %d", len(ticks), attempts)
			}
			first := tc.first
			if first == 0 {
				first = blfRetryFirst
			}
			want := first
			for i := 1; i < len(ticks); i++ {
				gap := ticks[i] - ticks[i-1]
				t.Logf("%d → retry %d after %v (backoff step %v ±20 %%)", tc.code, i, gap, want)
				// The jitter keeps a wait in [0.8, 1.2) of its step; the wire adds a little.
				if gap < want*8/10 || gap > want*12/10+150*time.Millisecond {
					t.Errorf("retry %d came %v after the last, want %v ±20 %%", i, gap, want)
				}
				want *= 2
			}
		})
	}
}

// TestBLFRefreshAndStateWithSippNotifier: the SUBSCRIBE is challenged (407) and sent
// again with credentials; the NOTIFYs set the lamp ringing (called by 2001, "Ann") and
// then busy (a stranger's NOTIFY in the same subscription gets 481 and changes nothing);
// the refresh comes inside the subscription at about 80 % of the 3 s granted
// (seen on the wire); Close unsubscribes in the subscription (the scenario checks each).
func TestBLFRefreshAndStateWithSippNotifier(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "sipp.log")
	var addr string
	done := sippAt(t, "uas_blf.xml", "", 0, &addr, "-trace_logs", "-log_file", logFile)
	p, _ := newPhoneAt(t, addr, "pw", `,"register":false,"blf":["2000"]`)
	l := waitLamp(t, p, "2000", func(l LampInfo) bool { return l.State == LampRinging }, "ringing")
	if l != (LampInfo{Extension: "2000", State: LampRinging, Direction: Incoming, RemoteNumber: "2001", RemoteName: "Ann"}) {
		t.Fatalf("ringing lamp %+v", l)
	}
	// A stranger's NOTIFY in this very subscription (right Call-ID and tag) is refused
	// and changes nothing: only the account's server may speak for a lamp.
	p.mu.Lock()
	lp := p.accounts[0].blf.lamps[0]
	p.mu.Unlock()
	lp.mu.Lock()
	callID, tag := lp.callID, lp.fromTag
	lp.mu.Unlock()
	wait(t, "stranger's dialog NOTIFY refused", sippAt(t, "uac_notify_dialog_stranger.xml", p.conn.LocalAddr().String(), 481, nil,
		"-cid_str", callID, "-key", "totag", tag))
	if l := lampOf(p, "2000"); l.State != LampRinging {
		t.Fatalf("a stranger's NOTIFY changed the lamp: %+v", l)
	}
	waitLamp(t, p, "2000", func(l LampInfo) bool { return l.State == LampBusy }, "busy after the refresh")
	granted, refreshed := sippTicks(t, logFile, "GRANTED-AT"), sippTicks(t, logFile, "REFRESH-AT")
	if len(granted) != 1 || len(refreshed) != 1 {
		t.Fatalf("sipp logged grants %v and refreshes %v", granted, refreshed)
	}
	gap := refreshed[0] - granted[0]
	t.Logf("refresh %v after the 200 that granted 3 s (80 %%: 2.4 s)", gap)
	if gap < 2300*time.Millisecond || gap >= 3*time.Second {
		t.Fatalf("refresh %v after the grant, want about 2.4 s and before the 3 s are over", gap)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	p.Close(ctx)
	wait(t, "notifier's scenario (auth, refresh, unsubscribe)", done)
}

// TestBLFRetryAfterOnTheWire: a 503 with Retry-After: 1 holds the lamp's next attempt
// back for that second, though the backoff alone (200 ms first) would come sooner.
func TestBLFRetryAfterOnTheWire(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "sipp.log")
	var addr string
	done := sippAt(t, "uas_blf_retry_after.xml", "", 0, &addr, "-m", "3", "-trace_logs", "-log_file", logFile)
	newPhoneAt(t, addr, "pw", `,"register":false,"blf":["2000"]`, func(o *Options) { o.SubscribeRetry = 200 * time.Millisecond })
	wait(t, "notifier's scenario (three 503s)", done)
	ticks := sippTicks(t, logFile, "SUBSCRIBE-AT")
	if len(ticks) != 3 {
		t.Fatalf("sipp logged %d SUBSCRIBEs, want 3", len(ticks))
	}
	for i := 1; i < len(ticks); i++ {
		gap := ticks[i] - ticks[i-1]
		t.Logf("503 Retry-After: 1 → retry %d after %v (backoff alone: %v ±20 %%)", i, gap, 200*time.Millisecond<<(i-1))
		if gap < time.Second || gap > 1300*time.Millisecond {
			t.Errorf("retry %d came %v after the last, want the 1 s Retry-After asked for", i, gap)
		}
	}
}
