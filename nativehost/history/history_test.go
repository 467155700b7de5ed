package history

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tabphone/tabphone/nativehost/protocol"
)

func TestFromCall(t *testing.T) {
	cases := []struct {
		c    protocol.Call
		want string
		secs int64
	}{
		{protocol.Call{ID: "1", Direction: "incoming", StartedAt: 1000, AnsweredAt: 2000, EndedAt: 62000}, Answered, 60},
		{protocol.Call{ID: "2", Direction: "incoming", StartedAt: 1000, EndedAt: 5000, EndReason: &protocol.EndReason{Message: "Missed call"}}, Missed, 0},
		{protocol.Call{ID: "3", Direction: "outgoing", StartedAt: 1000, AnsweredAt: 1500, EndedAt: 3500}, Outgoing, 2},
		{protocol.Call{ID: "4", Direction: "outgoing", StartedAt: 1000, EndedAt: 1200}, Failed, 0},
	}
	for _, tc := range cases {
		e := FromCall(tc.c)
		if e.Result != tc.want || e.Seconds != tc.secs {
			t.Errorf("call %s: %s %ds, want %s %ds", tc.c.ID, e.Result, e.Seconds, tc.want, tc.secs)
		}
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
