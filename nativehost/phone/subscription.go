package phone

import (
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"
)

// subDialog is the dialog of one SUBSCRIBE subscription (RFC 6665), shared by voicemail
// (MWI) and the busy lamps: refreshes stay in it, a failed or ended one starts afresh.
// The lock of the struct that holds it guards it.
type subDialog struct {
	callID  string
	fromTag string
	toTag   string // the notifier's, once a 2xx came: refreshes go in the dialog
	cseq    uint32
	expires int // granted; 0 when not subscribed
}

// advance readies the dialog for the next SUBSCRIBE and returns a copy to build it
// from; fresh says a new dialog began (RFC 6665 4.1.2.1).
func (d *subDialog) advance() (next subDialog, fresh bool) {
	if d.callID == "" || d.toTag == "" {
		d.callID, d.fromTag, d.toTag, fresh = uuid.NewString(), sip.GenerateTagN(16), "", true
	}
	d.cseq++
	return *d, fresh
}

// settle takes the notifier's answer to a SUBSCRIBE that asked for `asked` seconds and
// was sent with CSeq sent (an answered challenge uses the next): it returns the expiry
// granted, or false for a failure, after which the next attempt starts afresh.
func (d *subDialog) settle(sent uint32, res *sip.Response, asked int) (int, bool) {
	d.cseq = max(d.cseq, sent)
	if !res.IsSuccess() {
		d.toTag, d.expires = "", 0 // 481 and the like
		return 0, false
	}
	granted := asked
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && n >= 0 && n <= asked {
			granted = n
		}
	}
	if t, ok := res.To().Params.Get("tag"); ok && asked > 0 {
		d.toTag = t
	}
	d.expires = granted
	if asked == 0 {
		d.toTag = ""
	}
	return granted, true
}

// subscribeRequest is a SUBSCRIBE in dialog d to target (To: to) for an event package,
// from the account.
func (a *account) subscribeRequest(target, to sip.Uri, d subDialog, event, accept string, expires int) *sip.Request {
	req := sip.NewRequest(sip.SUBSCRIBE, target)
	req.AppendHeader(a.from(d.fromTag))
	toH := &sip.ToHeader{Address: to, Params: sip.NewParams()}
	if d.toTag != "" {
		toH.Params.Add("tag", d.toTag)
	}
	req.AppendHeader(toH)
	cid := sip.CallIDHeader(d.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: d.cseq, MethodName: sip.SUBSCRIBE})
	req.AppendHeader(sip.NewHeader("Event", event))
	req.AppendHeader(sip.NewHeader("Accept", accept))
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	return req
}

// isEventPackage reports whether a request's Event header (or its compact form "o")
// names the package.
func isEventPackage(req *sip.Request, pkg string) bool {
	h := req.GetHeader("Event")
	if h == nil {
		h = req.GetHeader("o")
	}
	if h == nil {
		return false
	}
	ev, _, _ := strings.Cut(h.Value(), ";")
	return strings.EqualFold(strings.TrimSpace(ev), pkg)
}
