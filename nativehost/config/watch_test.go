package config

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestWatchSeesInPlaceEditsAndRenames: both ways editors save must be seen.
func TestWatchSeesInPlaceEditsAndRenames(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	if err := os.WriteFile(path, []byte(`{}`), 0o600); err != nil {
		t.Fatal(err)
	}
	changed := make(chan struct{}, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := Watch(ctx, dir, func() { changed <- struct{}{} }); err != nil {
		t.Fatal(err)
	}
	expect := func(what string) {
		t.Helper()
		select {
		case <-changed:
		case <-time.After(5 * time.Second):
			t.Fatalf("no change seen after %s", what)
		}
	}
	if err := os.WriteFile(path, []byte(`{"status":"dnd"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	expect("an in-place write")
	tmp := filepath.Join(dir, "config.json.tmp")
	if err := os.WriteFile(tmp, []byte(`{"status":"available"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	expect("a rename over the file")
	// Other files in the directory do not count.
	if err := os.WriteFile(filepath.Join(dir, "history.jsonl"), []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
		t.Fatal("a change of another file was reported")
	case <-time.After(3 * settle):
	}
}
