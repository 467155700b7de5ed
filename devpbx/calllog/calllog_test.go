package calllog

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestLifecycle(t *testing.T) {
	l := New(0)
	clock := time.UnixMilli(1_700_000_000_000)
	l.now = func() time.Time { return clock }
	c := l.Start("abc@host", "1001", "600")
	r := c.Record()
	if r.State != Ringing || r.StartedAt != 1_700_000_000_000 || r.AnsweredAt != nil || r.Tone1kHzRatio != nil {
		t.Fatalf("%+v", r)
	}
	clock = clock.Add(time.Second)
	c.Answered(clock)
	c.AddDTMF('5')
	c.End(CallerBye, 0)
	c.End(PBX, 0) // second End is ignored
	r = c.Record()
	if r.State != Ended || r.By != CallerBye || r.Status != 200 || *r.AnsweredAt != 1_700_000_001_000 || r.DTMF != "5" {
		t.Fatalf("%+v", r)
	}
	js, _ := json.Marshal(r)
	for _, want := range []string{`"ended_by":"caller_bye"`, `"tone_1000hz_ratio":null`, `"started_at":1700000000000`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("JSON lacks %s: %s", want, js)
		}
	}
}

func TestRejectedKeepsStatus(t *testing.T) {
	l := New(0)
	c := l.Start("x", "1001", "999")
	c.End(PBX, 404)
	if r, ok := l.Get(c.ID()); !ok || r.Status != 404 || r.By != PBX {
		t.Fatalf("%+v %v", r, ok)
	}
}

func TestKeepsLastEnded(t *testing.T) {
	l := New(3)
	live := l.Start("live", "1001", "600")
	for i := range 6 {
		l.Start(fmt.Sprint(i), "1001", "600").End(CallerBye, 0)
	}
	recs := l.Records()
	if len(recs) != 4 || recs[0].ID != live.ID() || recs[1].CallID != "3" || recs[3].CallID != "5" {
		var ids []string
		for _, r := range recs {
			ids = append(ids, r.CallID)
		}
		t.Fatalf("kept %v", ids)
	}
}
