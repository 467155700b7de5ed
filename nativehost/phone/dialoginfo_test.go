package phone

import (
	"errors"
	"strings"
	"testing"
)

// As Kamailio's pua_dialoginfo writes it for a call from 1002 ringing 2000.
const ringingDoc = `<?xml version="1.0"?>
<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="3" state="full" entity="sip:2000@127.0.0.1">
  <dialog id="a84b4c76e66710" call-id="a84b4c76e66710" local-tag="1928301774" direction="recipient">
    <state>early</state>
    <remote><identity display="Ann Caller">sip:1002@127.0.0.1</identity><target uri="sip:1002@127.0.0.1:5080"/></remote>
    <local><identity>sip:2000@127.0.0.1</identity></local>
  </dialog>
</dialog-info>`

func TestParseDialogInfo(t *testing.T) {
	doc, err := parseDialogInfo([]byte(ringingDoc))
	if err != nil {
		t.Fatal(err)
	}
	if doc.Version != 3 || !doc.Full || doc.Entity != "sip:2000@127.0.0.1" || len(doc.Dialogs) != 1 {
		t.Fatalf("document %+v", doc)
	}
	d := doc.Dialogs[0]
	if d.State != "early" || d.Direction != "recipient" || d.Remote.URI != "sip:1002@127.0.0.1" || d.Remote.Display != "Ann Caller" || d.CallID != "a84b4c76e66710" {
		t.Fatalf("dialog %+v", d)
	}
	empty, err := parseDialogInfo([]byte(`<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="0" state="full" entity="sip:2000@x"/>`))
	if err != nil || len(empty.Dialogs) != 0 {
		t.Fatalf("no dialogs: %+v %v", empty, err)
	}
}

func TestParseDialogInfoRejects(t *testing.T) {
	ns := `xmlns="urn:ietf:params:xml:ns:dialog-info"`
	cases := map[string]string{
		"not xml":         `dialog`,
		"other root":      `<presence ` + ns + ` version="1" state="full"/>`,
		"no namespace":    `<dialog-info version="1" state="full"/>`,
		"bad version":     `<dialog-info ` + ns + ` version="-1" state="full"/>`,
		"bad state":       `<dialog-info ` + ns + ` version="1" state="some"/>`,
		"doctype":         `<!DOCTYPE x [<!ENTITY a "aaaa">]><dialog-info ` + ns + ` version="1" state="full"/>`,
		"unclosed":        `<dialog-info ` + ns + ` version="1" state="full"><dialog id="1">`,
		"trailing":        `<dialog-info ` + ns + ` version="1" state="full"/><x/>`,
		"no id":           `<dialog-info ` + ns + ` version="1" state="full"><dialog><state>early</state></dialog></dialog-info>`,
		"two states":      `<dialog-info ` + ns + ` version="1" state="full"><dialog id="1"><state>early</state><state>confirmed</state></dialog></dialog-info>`,
		"odd state":       `<dialog-info ` + ns + ` version="1" state="full"><dialog id="1"><state>ringing</state></dialog></dialog-info>`,
		"odd direction":   `<dialog-info ` + ns + ` version="1" state="full"><dialog id="1" direction="up"><state>early</state></dialog></dialog-info>`,
		"control in name": `<dialog-info ` + ns + ` version="1" state="full"><dialog id="1"><state>early</state><remote><identity display="a&#10;b">sip:1@x</identity></remote></dialog></dialog-info>`,
		"long id":         `<dialog-info ` + ns + ` version="1" state="full"><dialog id="` + strings.Repeat("i", 300) + `"><state>early</state></dialog></dialog-info>`,
		"too many":        `<dialog-info ` + ns + ` version="1" state="full">` + strings.Repeat(`<dialog id="1"><state>early</state></dialog>`, maxDialogs+1) + `</dialog-info>`,
		"too big":         `<dialog-info ` + ns + ` version="1" state="full">` + strings.Repeat(" ", maxDialogInfoBody) + `</dialog-info>`,
	}
	for name, body := range cases {
		if _, err := parseDialogInfo([]byte(body)); !errors.Is(err, errDialogInfo) {
			t.Errorf("%s: got %v, want errDialogInfo", name, err)
		}
	}
}

// TestLampSummary: a full document sets the dialogs, a partial one changes them, an
// older version is dropped, and the lamp shows busy over ringing over idle.
func TestLampSummary(t *testing.T) {
	l := &lamp{ext: "2000", version: -1}
	apply := func(body string) {
		t.Helper()
		doc, err := parseDialogInfo([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		l.apply(doc)
	}
	head := func(v, state string) string {
		return `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="` + v + `" state="` + state + `" entity="sip:2000@x">`
	}
	apply(ringingDoc)
	if want := (LampInfo{Extension: "2000", State: LampRinging, Direction: Incoming, RemoteNumber: "1002", RemoteName: "Ann Caller"}); l.info != want {
		t.Fatalf("ringing: %+v", l.info)
	}
	apply(head("4", "partial") + `<dialog id="b" direction="initiator"><state>confirmed</state><remote><identity>tel:+4930123</identity></remote></dialog></dialog-info>`)
	if want := (LampInfo{Extension: "2000", State: LampBusy, Direction: Outgoing, RemoteNumber: "+4930123"}); l.info != want {
		t.Fatalf("busy over ringing: %+v", l.info)
	}
	apply(head("2", "full") + `</dialog-info>`) // older: dropped
	if l.info.State != LampBusy {
		t.Fatalf("an older version changed the lamp: %+v", l.info)
	}
	apply(head("5", "partial") + `<dialog id="b"><state>terminated</state></dialog><dialog id="a84b4c76e66710"><state>terminated</state></dialog></dialog-info>`)
	if l.info != (LampInfo{Extension: "2000", State: LampIdle}) {
		t.Fatalf("all ended: %+v", l.info)
	}
}

func TestBLFBackoffAndRefresh(t *testing.T) {
	for _, tc := range []struct {
		jitter float64
		want   []int // ms
	}{{0.5, []int{2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000, 300000, 300000}}, {0, []int{1600, 3200, 6400}}, {0.999999, []int{2399, 4799}}} {
		b := blfBackoff{first: blfRetryFirst, max: blfRetryMax, jitter: func() float64 { return tc.jitter }}
		for i, w := range tc.want {
			if got := b.next().Milliseconds(); got != int64(w) {
				t.Errorf("jitter %v, wait %d: %d ms, want %d", tc.jitter, i, got, w)
			}
		}
	}
	for exp, want := range map[int]int{600: 570, 120: 96, 5: 4, 1: 1} {
		if got := blfRefreshAfter(exp); got.Seconds() != float64(want) {
			t.Errorf("refresh of %d s after %v, want %d s", exp, got, want)
		}
	}
}

func FuzzParseDialogInfo(f *testing.F) {
	f.Add([]byte(ringingDoc))
	f.Add([]byte(`<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="partial"><dialog id="x"><state>terminated</state></dialog></dialog-info>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		doc, err := parseDialogInfo(body)
		if err != nil {
			return
		}
		if len(doc.Dialogs) > maxDialogs {
			t.Fatalf("%d dialogs", len(doc.Dialogs))
		}
		l := &lamp{ext: "2000", version: -1}
		l.apply(doc)
		if l.info.State == LampUnknown || len(l.info.RemoteName) > maxDialogText || len(l.info.RemoteNumber) > maxDialogText {
			t.Fatalf("lamp %+v", l.info)
		}
	})
}
