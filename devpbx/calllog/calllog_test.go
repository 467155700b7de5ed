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
	c.Answered(clock, 200)
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

func TestOutboundLifecycle(t *testing.T) {
	l := New(0)
	clock := time.UnixMilli(1_700_000_000_000)
	l.now = func() time.Time { return clock }
	c := l.StartOutbound("602", "1001")
	if r := c.Record(); r.State != Scheduled || r.Direction != Outbound || r.DialedAt != nil || r.CallID != "" {
		t.Fatalf("%+v", r)
	}
	c.Ringing(clock) // not dialed yet: ignored
	c.Dialed("cid", clock.Add(time.Second))
	c.Ringing(clock.Add(1100 * time.Millisecond))
	c.Ringing(clock.Add(1500 * time.Millisecond)) // only the first counts
	c.Answered(clock.Add(2*time.Second), 200)
	clock = clock.Add(3 * time.Second)
	c.End(CalleeBye, 0)
	r := c.Record()
	if r.State != Ended || r.CallID != "cid" || *r.DialedAt != 1_700_000_001_000 || *r.RingingAt != 1_700_000_001_100 ||
		*r.AnsweredAt != 1_700_000_002_000 || *r.EndedAt != 1_700_000_003_000 || r.Status != 200 || r.By != CalleeBye {
		t.Fatalf("%+v", r)
	}
	js, _ := json.Marshal(r)
	for _, want := range []string{`"direction":"outbound"`, `"ended_by":"callee_bye"`, `"ringing_at":1700000001100`, `"error":""`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("JSON lacks %s: %s", want, js)
		}
	}

	f := l.StartOutbound("devpbx", "1002")
	f.Fail("not registered")
	f.End(Failed, 0)
	if r := f.Record(); r.Error != "not registered" || r.By != Failed || r.Status != 0 || r.State != Ended {
		t.Errorf("%+v", r)
	}
	if r := l.Start("x", "1001", "600").Record(); r.Direction != Inbound {
		t.Errorf("inbound %+v", r)
	}
}
