package testpeer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testing.TB must stay a T: every test that starts a peer passes its *testing.T.
var _ T = testing.TB(nil)

func TestProgramFatalEndsOnlyDo(t *testing.T) {
	var log strings.Builder
	p := NewProgram("testpeer-test", &log)
	after := false
	err := p.Do(func(t T) {
		t.Fatalf("no %s", "kamailio")
		after = true
	})
	if !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), "no kamailio") || after {
		t.Fatalf("Do = %v, ran on after Fatal: %v", err, after)
	}
	if !p.Failed() || !strings.Contains(log.String(), "no kamailio") {
		t.Fatalf("Failed = %v, log %q", p.Failed(), log.String())
	}
	if err := p.Do(func(t T) { t.Skip("not installed") }); !errors.Is(err, ErrSkipped) {
		t.Fatalf("Do with Skip = %v", err)
	}
	if err := p.Do(func(T) {}); err != nil {
		t.Fatalf("Do after a failure = %v", err)
	}
	_ = p.Close()
}

func TestProgramCloseRunsCleanupsNewestFirstAndRemovesTempDirs(t *testing.T) {
	p := NewProgram("testpeer-test", &strings.Builder{})
	var order []string
	var dirs []string
	if err := p.Do(func(t T) {
		dirs = append(dirs, t.TempDir(), t.TempDir())
		t.Cleanup(func() { order = append(order, "first") })
		t.Cleanup(func() { order = append(order, "second"); t.Fatal("a failing cleanup ends only itself") })
		t.Cleanup(func() { order = append(order, "third") })
	}); err != nil {
		t.Fatal(err)
	}
	if dirs[0] == dirs[1] || filepath.Dir(dirs[0]) != filepath.Dir(dirs[1]) {
		t.Fatalf("temp dirs %v", dirs)
	}
	for _, d := range dirs {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			t.Fatalf("%s: %v", d, err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(order, ",") != "third,second,first" {
		t.Fatalf("cleanups ran %v", order)
	}
	if _, err := os.Stat(filepath.Dir(dirs[0])); !os.IsNotExist(err) {
		t.Fatalf("temp dirs left behind: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}
