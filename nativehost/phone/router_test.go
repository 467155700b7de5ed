package phone

import (
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/devpbxtest"
)

// TestNotifyRouting: one phone takes both kinds of NOTIFY it serves. A message summary
// through Kamailio sets the account's voicemail; a transfer's NOTIFY from the
// transferee ends our blind transfer. A stranger's NOTIFY in that call, claiming the
// transfer succeeded, gets 481 and ends nothing: in-dialog requests come from the
// account's server, whatever their method.
func TestNotifyRouting(t *testing.T) {
	k, p, ev := kamailioPhone(t, `,"auto_answer":{"enabled":true,"seconds":0}`)
	wait(t, "message summary answered 200", sipp(t, "uac_notify_mwi.xml", k.Addr, 200))
	devpbxtest.WaitFor(t, "voicemail in the state", 5*time.Second, func() bool {
		return voicemailIs(p, Voicemail{Waiting: true, New: 3, Old: 5, UrgentNew: 1})
	})

	done := sipp(t, "transferee_slow.xml", k.Addr, 0)
	in := connectedIncoming(t, ev)
	c, err := p.call(in.ID)
	if err != nil {
		t.Fatal(err)
	}
	result := make(chan error, 1)
	go func() { result <- p.Transfer(in.ID, "700") }()
	devpbxtest.WaitFor(t, "REFER accepted", 5*time.Second, func() bool { l, _ := ev.lastCall(in.ID); return l.Transferring })
	wait(t, "stranger's NOTIFY refused", sippAt(t, "uac_notify_refer_stranger.xml", p.conn.LocalAddr().String(), 481, nil,
		"-cid_str", c.sipCallID))
	select {
	case err := <-result:
		t.Fatalf("the transfer ended on a stranger's word: %v", err)
	default:
	}
	select {
	case err := <-result:
		if err != nil {
			t.Fatalf("transfer: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the transferee's NOTIFY did not end the transfer")
	}
	wait(t, "transferee (REFER, NOTIFY answered, BYE)", done)
}
