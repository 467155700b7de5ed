package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPublicNeverHoldsPasswordsAndMergeKeepsThem(t *testing.T) {
	cur, err := Parse([]byte(example))
	if err != nil {
		t.Fatal(err)
	}
	pub := cur.Public()
	raw, _ := json.Marshal(pub)
	if strings.Contains(string(raw), "secret") || !strings.Contains(string(raw), `"password_set":true`) {
		t.Fatalf("public config: %s", raw)
	}
	// The options page changes the auto-answer and sends no password: it is kept.
	pub.Accounts[0].AutoAnswer.Seconds = 7
	next, err := Merge(cur, pub)
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := next.Account("work"); a.Password.Reveal() != "secret" || a.AutoAnswer.Seconds != 7 {
		t.Fatalf("merged: %+v", a)
	}
	// A new password replaces it; an invalid config is refused.
	pub.Accounts[0].Password = "new"
	if next, _ = Merge(cur, pub); func() string { a, _ := next.Account("work"); return a.Password.Reveal() }() != "new" {
		t.Fatal("new password not taken")
	}
	pub.Accounts[0].Domain = ""
	if _, err := Merge(cur, pub); err == nil {
		t.Fatal("invalid config merged")
	}
}

func TestSaveIsAtomicAndPrivate(t *testing.T) {
	cur, _ := Parse([]byte(example))
	path := filepath.Join(t.TempDir(), "sub", FileName)
	if err := Save(path, cur); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v", st.Mode(), err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := back.Account("work"); a.Password.Reveal() != "secret" || len(back.Sites) != 1 {
		t.Fatalf("round trip: %+v", back)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temp files left: %v", entries)
	}
}
