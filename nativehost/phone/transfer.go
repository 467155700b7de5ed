package phone

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Transfers we make (we are the transferor): blind with REFER (RFC 3515), attended with
// REFER whose Refer-To carries a Replaces header for our call with the target (RFC 5589
// 7, RFC 3891).

// transferTimeout bounds a transfer: the REFER and the NOTIFY with its result.
const transferTimeout = 30 * time.Second

// targetLegGrace is how long an attended transfer waits for the target to end our call
// with it (it does when it honours Replaces) before we end it ourselves.
const targetLegGrace = 2 * time.Second

// dialogIDs names a dialog: its Call-ID, our tag and the other side's tag, and the other
// side's address (the To of our INVITE, or the From of theirs).
type dialogIDs struct {
	callID, localTag, remoteTag string
	peer                        sip.Uri
}

func outgoingIDs(invite *sip.Request, answer *sip.Response) dialogIDs {
	ids := dialogIDs{callID: invite.CallID().Value()}
	if f := invite.From(); f != nil {
		ids.localTag, _ = f.Params.Get("tag")
	}
	if to := invite.To(); to != nil {
		ids.peer = *to.Address.Clone()
	}
	if answer != nil {
		if to := answer.To(); to != nil {
			ids.remoteTag, _ = to.Params.Get("tag")
		}
	}
	return ids
}

func incomingIDs(invite *sip.Request, answer *sip.Response) dialogIDs {
	ids := dialogIDs{callID: invite.CallID().Value()}
	if f := invite.From(); f != nil {
		ids.remoteTag, _ = f.Params.Get("tag")
		ids.peer = *f.Address.Clone()
	}
	if answer != nil {
		if to := answer.To(); to != nil {
			ids.localTag, _ = to.Params.Get("tag")
		}
	}
	return ids
}

// replacesValue is the Replaces header that makes the other side of this dialog swap it
// for a new call: the tags as that side sees them (RFC 3891 3: from-tag is ours).
func (ids dialogIDs) replacesValue() string {
	return ids.callID + ";to-tag=" + ids.remoteTag + ";from-tag=" + ids.localTag
}

// escapeURIHeader escapes a value for a SIP URI's ?header=value part (RFC 3261 25.1
// hvalue): everything but unreserved characters is %-encoded.
func escapeURIHeader(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		ch := v[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9',
			strings.IndexByte("-_.!~*'()[]/?:+$", ch) >= 0:
			b.WriteByte(ch)
		default:
			fmt.Fprintf(&b, "%%%02X", ch)
		}
	}
	return b.String()
}

// Transfer hands a connected call to target (blind transfer, RFC 3515): REFER with
// Refer-To, then the PBX reports the new call's progress in NOTIFYs (RFC 3515 2.4.5);
// on success our leg ends with BYE, on failure the call stays with us.
func (p *Phone) Transfer(callID, target string) error {
	c, err := p.call(callID)
	if err != nil {
		return err
	}
	to, _, err := TargetIn(target, c.acct.cfg.Region, c.acct.domain.Host, c.acct.domain.Port)
	if err != nil {
		return err
	}
	if err := p.refer(c, "<"+to.String()+">"); err != nil {
		return err
	}
	c.requestHangup()
	return nil
}

// TransferAttended connects the other sides of two of our connected calls (attended
// transfer, RFC 5589 7): the party on callID gets a REFER to the party on toCallID with
// Replaces naming our call with it, so it calls that party, which swaps our call for the
// new one. On success both our calls end; a target that does not honour Replaces is
// left a second call, so our call with it ends after targetLegGrace at the latest.
func (p *Phone) TransferAttended(callID, toCallID string) error {
	if callID == toCallID {
		return fmt.Errorf("%w: a call cannot be transferred to itself", ErrNoCall)
	}
	c, err := p.call(callID)
	if err != nil {
		return err
	}
	t, err := p.call(toCallID)
	if err != nil {
		return err
	}
	td, err := t.connectedDialog()
	if err != nil {
		return err
	}
	ids := td.ids
	if ids.remoteTag == "" || ids.localTag == "" {
		return fmt.Errorf("%w: the target call has no confirmed dialog", ErrNoCall)
	}
	peer := ids.peer
	peer.Headers = nil
	peer.UriParams = nil
	referTo := "<" + peer.String() + "?Replaces=" + escapeURIHeader(ids.replacesValue()) + ">"
	p.update(t, func(in *CallInfo) { in.Transferring = true })
	if err := p.refer(c, referTo); err != nil {
		p.update(t, func(in *CallInfo) { in.Transferring = false })
		return err
	}
	c.requestHangup()
	select {
	case <-t.doneChan():
	case <-time.After(targetLegGrace):
		p.log.Info("attended transfer: the target kept our call, ending it", "call", t.id)
		t.requestHangup()
	}
	return nil
}

// refer sends a REFER on a connected call and waits for the NOTIFY with the new call's
// final status.
func (p *Phone) refer(c *call, referTo string) error {
	d, err := c.connectedDialog()
	if err != nil {
		return err
	}
	result := make(chan int, 1)
	c.dialogMu.Lock()
	c.referResult = result
	c.dialogMu.Unlock()
	req := sip.NewRequest(sip.REFER, *d.target.Clone())
	aor := c.acct.aor()
	req.AppendHeader(sip.NewHeader("Refer-To", referTo))
	req.AppendHeader(sip.NewHeader("Referred-By", "<"+aor.String()+">"))
	req.AppendHeader(c.contact())
	ctx, cancel := context.WithTimeout(context.Background(), transferTimeout)
	defer cancel()
	res, err := d.do(ctx, req)
	if err != nil {
		return fmt.Errorf("REFER: %w", err)
	}
	if !res.IsSuccess() {
		return sipError(res)
	}
	p.update(c, func(in *CallInfo) { in.Transferring = true })
	select {
	case code := <-result:
		if code >= 200 && code < 300 {
			return nil
		}
		p.update(c, func(in *CallInfo) { in.Transferring = false })
		return &SIPError{Code: code, Reason: "transfer failed"}
	case <-ctx.Done():
		p.update(c, func(in *CallInfo) { in.Transferring = false })
		return fmt.Errorf("transfer: no result from the PBX: %w", ctx.Err())
	}
}

// onReferNotify takes the NOTIFYs of a transfer (Event: refer, a message/sipfrag body
// with the new call's status line) and answers 200. The router lets only the account's
// server in.
func (p *Phone) onReferNotify(c *call, req *sip.Request, tx sip.ServerTransaction) {
	respond(tx, req, 200, "OK")
	ev := req.GetHeader("Event")
	if ev == nil || !strings.HasPrefix(strings.ToLower(strings.TrimSpace(ev.Value())), "refer") {
		return
	}
	// "SIP/2.0 200 OK" → 200; provisional statuses are progress, not a result.
	var code int
	if _, err := fmt.Sscanf(string(req.Body()), "SIP/2.0 %d", &code); err != nil || code < 200 {
		return
	}
	c.dialogMu.Lock()
	ch := c.referResult
	c.referResult = nil
	c.dialogMu.Unlock()
	if ch != nil {
		ch <- code
	}
}
