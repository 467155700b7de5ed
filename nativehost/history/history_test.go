package history

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNewEntry(t *testing.T) {
	at := func(ms int64) time.Time { return time.UnixMilli(ms) }
	cases := []struct {
		c    Call
		want string
		dir  string
		secs int64
	}{
		{Call{ID: "1", Incoming: true, StartedAt: at(1000), AnsweredAt: at(2000), EndedAt: at(62000)}, Answered, DirectionIncoming, 60},
		{Call{ID: "2", Incoming: true, StartedAt: at(1000), EndedAt: at(5000), Reason: "Missed call"}, Missed, DirectionIncoming, 0},
		{Call{ID: "3", StartedAt: at(1000), AnsweredAt: at(1500), EndedAt: at(3500)}, Outgoing, DirectionOutgoing, 2},
		{Call{ID: "4", StartedAt: at(1000), EndedAt: at(1200)}, Failed, DirectionOutgoing, 0},
	}
	for _, tc := range cases {
		e := NewEntry(tc.c)
		if e.Result != tc.want || e.Direction != tc.dir || e.Seconds != tc.secs || e.Reason != tc.c.Reason || e.StartedAt != 1000 {
			t.Errorf("call %s: %+v, want %s %s %ds", tc.c.ID, e, tc.want, tc.dir, tc.secs)
		}
	}
	if e := NewEntry(Call{ID: "5", StartedAt: at(1000)}); e.AnsweredAt != 0 || e.EndedAt != 0 {
		t.Errorf("unset times are 0 in the file: %+v", e)
	}
}

func TestBoundedNewestFirstAndDamageTolerant(t *testing.T) {
	dir := t.TempDir()
	s := Open(dir)
	for i := 0; i < Keep+Slack+5; i++ {
		if err := s.Append(Entry{ID: fmt.Sprint(i), Result: Outgoing}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.Recent(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) > Keep+Slack || len(all) < Keep {
		t.Fatalf("%d entries kept", len(all))
	}
	if all[0].ID != fmt.Sprint(Keep+Slack+4) {
		t.Fatalf("newest first: got %s", all[0].ID)
	}
	// A torn last line and a hand-edited garbage line are skipped.
	f, _ := os.OpenFile(filepath.Join(dir, FileName), os.O_APPEND|os.O_WRONLY, 0o600)
	f.WriteString("garbage\n{\"id\":\"torn\"")
	f.Close()
	s2 := Open(dir)
	if err := s2.Append(Entry{ID: "after", Result: Missed}); err != nil {
		t.Fatal(err)
	}
	recent, _ := s2.Recent(2)
	if len(recent) != 2 || recent[1].ID != fmt.Sprint(Keep+Slack+4) {
		t.Fatalf("after damage: %+v", recent)
	}
	if st, _ := os.Stat(filepath.Join(dir, FileName)); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode())
	}
}

// TestLongLineLosesNothingAfterIt: a line over the read limit (a hand edit, a pasted
// blob) is skipped, and the entries after it are still read, kept by a trim and added to.
func TestLongLineLosesNothingAfterIt(t *testing.T) {
	dir := t.TempDir()
	s := Open(dir)
	if err := s.Append(Entry{ID: "before", Result: Outgoing}); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, FileName), os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"id":"huge","name":"` + strings.Repeat("x", 10*maxLine) + "\"}\n")
	f.Close()
	s = Open(dir) // counts the file afresh, as a new host does
	for i := 0; i < 3; i++ {
		if err := s.Append(Entry{ID: fmt.Sprint("after", i), Result: Missed}); err != nil {
			t.Fatal(err)
		}
	}
	recent, err := s.Recent(10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range recent {
		ids = append(ids, e.ID)
	}
	if got := strings.Join(ids, " "); got != "after2 after1 after0 before" {
		t.Fatalf("entries read: %q", got)
	}
	if err := s.trim(); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.Recent(10); len(again) != 4 {
		t.Fatalf("after a trim: %+v", again)
	}
}
