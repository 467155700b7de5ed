package phone

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Transfers made to us: a REFER in one of our calls (we are the transferee, RFC 3515),
// and an INVITE whose Replaces header names one of our calls (we are the target of an
// attended transfer, RFC 3891).

// maxReferTo caps the Refer-To and Replaces values we act on.
const maxReferTo = 1024

// onRefer answers a REFER in one of our dialogs. Only accounts with accept_refer follow
// it: 202, a new outgoing call to the Refer-To target (with its Replaces header, if the
// URI carries one), NOTIFYs with that call's progress (message/sipfrag, RFC 3515 2.4.4),
// and on success our old call ends (by the transferor's BYE, or ours after 2 s). Others
// get 603 Decline and the call stays. The router lets only the account's server in.
func (p *Phone) onRefer(c *call, req *sip.Request, tx sip.ServerTransaction) {
	if !inDialog(req) {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	d, err := c.connectedDialog()
	if err != nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	if !c.acct.cfg.AcceptRefer {
		p.log.Info("REFER declined: the account does not accept transfers", "call", c.id)
		respond(tx, req, 603, "Decline")
		return
	}
	if c.info().Transferring {
		// One transfer at a time per call (ours or theirs), RFC 3261 14.1 by analogy.
		respond(tx, req, 491, "Request Pending")
		return
	}
	target, replaces, err := parseReferTo(req.GetHeader("Refer-To"))
	if err != nil {
		p.log.Warn("REFER refused", "call", c.id, "err", err)
		respond(tx, req, 400, "Bad Refer-To")
		return
	}
	extra := []sip.Header{}
	if rb := req.GetHeader("Referred-By"); rb != nil && len(rb.Value()) <= maxReferTo {
		extra = append(extra, sip.NewHeader("Referred-By", rb.Value()))
	}
	if replaces != "" {
		extra = append(extra, sip.NewHeader("Replaces", replaces))
	}
	res := sip.NewResponseFromRequest(req, 202, "Accepted", nil)
	res.AppendHeader(c.contact())
	if err := tx.Respond(res); err != nil {
		p.log.Warn("REFER answer failed", "call", c.id, "err", err)
		return
	}
	p.log.Info("transferred by the other side", "call", c.id, "to", target.String(), "replaces", replaces != "")
	p.update(c, func(in *CallInfo) { in.Transferring = true })
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.followRefer(c, d, target, extra)
	}()
}

// parseReferTo reads a Refer-To: a sip/sips URI, whose Replaces URI header (an attended
// transfer) is returned unescaped and taken off the target.
func parseReferTo(h sip.Header) (sip.Uri, string, error) {
	if h == nil {
		return sip.Uri{}, "", fmt.Errorf("no Refer-To")
	}
	v := strings.TrimSpace(h.Value())
	if len(v) > maxReferTo {
		return sip.Uri{}, "", fmt.Errorf("a Refer-To of %d bytes", len(v))
	}
	var uri sip.Uri
	params := sip.NewParams()
	if _, err := sip.ParseAddressValue(v, &uri, &params); err != nil {
		return sip.Uri{}, "", fmt.Errorf("bad Refer-To %q: %w", v, err)
	}
	if s := strings.ToLower(uri.Scheme); s != "sip" && s != "sips" {
		return sip.Uri{}, "", fmt.Errorf("unsupported Refer-To scheme %q", uri.Scheme)
	}
	var replaces string
	if uri.Headers != nil {
		for _, k := range []string{"Replaces", "replaces"} {
			if r, ok := uri.Headers.Get(k); ok {
				u, err := url.PathUnescape(r)
				if err != nil {
					return sip.Uri{}, "", fmt.Errorf("bad Replaces %q: %w", r, err)
				}
				replaces = u
			}
		}
	}
	uri.Headers = nil
	return uri, replaces, nil
}

// followRefer places the call a REFER asked for and reports its progress to the referrer.
func (p *Phone) followRefer(old *call, d *dialog, target sip.Uri, extra []sip.Header) {
	p.notifyRefer(old, d, "SIP/2.0 100 Trying", false)
	result := make(chan int, 1)
	shown := target.User
	if shown == "" {
		shown = target.Host
	}
	by := old.info().Number
	id, err := p.startOutgoing(old.acct, target, shown, func(c *call) {
		c.extra = extra
		c.in.TransferredBy = by
		c.onChange = func(in CallInfo) {
			code := 0
			switch {
			case in.State == CallConnected:
				code = 200
			case in.State == CallEnded:
				code = 487
				if in.End.SIPCode >= 300 {
					code = in.End.SIPCode
				}
			}
			if code != 0 {
				select {
				case result <- code:
				default:
				}
			}
		}
	})
	code := 503
	if err != nil {
		p.log.Warn("transfer call failed to start", "call", old.id, "err", err)
	} else {
		select {
		case code = <-result:
		case <-time.After(transferTimeout):
			code = 408
		case <-p.ctx.Done():
		}
	}
	p.notifyRefer(old, d, fmt.Sprintf("SIP/2.0 %d %s", code, reasonPhrase(code)), true)
	if code >= 200 && code < 300 {
		// The transferor ends the old call after our NOTIFY (RFC 5589 6); if it does not,
		// we do.
		select {
		case <-old.doneChan():
		case <-time.After(targetLegGrace):
			p.log.Info("transfer done, ending the old call", "call", old.id, "new_call", id)
			old.requestHangup()
		}
		return
	}
	p.update(old, func(in *CallInfo) { in.Transferring = false })
}

// notifyTimeout bounds one NOTIFY of a transfer's progress.
const notifyTimeout = 5 * time.Second

// notifyRefer sends one NOTIFY of the implicit refer subscription (RFC 3515 2.4.4); the
// last one terminates it.
func (p *Phone) notifyRefer(c *call, d *dialog, status string, final bool) {
	req := sip.NewRequest(sip.NOTIFY, *d.target.Clone())
	req.AppendHeader(sip.NewHeader("Event", "refer"))
	state := "active;expires=60"
	if final {
		state = "terminated;reason=noresource"
	}
	req.AppendHeader(sip.NewHeader("Subscription-State", state))
	req.AppendHeader(c.contact())
	req.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	req.SetBody([]byte(status + "\r\n"))
	ctx, cancel := context.WithTimeout(context.Background(), notifyTimeout)
	defer cancel()
	res, err := d.do(ctx, req)
	if err != nil {
		p.log.Warn("transfer NOTIFY failed", "call", c.id, "err", err)
		return
	}
	if !res.IsSuccess() {
		p.log.Warn("transfer NOTIFY refused", "call", c.id, "code", res.StatusCode)
	}
}

// replacedCall finds the call an INVITE's Replaces header names (RFC 3891 3): a
// connected call whose Call-ID, our tag (to-tag) and the other side's tag (from-tag)
// match. found is false when the INVITE has a Replaces header that names none of them.
func (p *Phone) replacedCall(req *sip.Request) (c *call, found bool) {
	h := req.GetHeader("Replaces")
	if h == nil {
		return nil, true
	}
	v := h.Value()
	if len(v) > maxReferTo {
		return nil, false
	}
	parts := strings.Split(v, ";")
	callID := strings.TrimSpace(parts[0])
	var toTag, fromTag string
	for _, kv := range parts[1:] {
		k, val, _ := strings.Cut(strings.TrimSpace(kv), "=")
		switch strings.ToLower(k) {
		case "to-tag":
			toTag = val
		case "from-tag":
			fromTag = val
		}
	}
	p.mu.Lock()
	calls := make([]*call, 0, len(p.calls))
	for _, c := range p.calls {
		calls = append(calls, c)
	}
	p.mu.Unlock()
	for _, c := range calls {
		d, err := c.connectedDialog()
		if err != nil {
			continue
		}
		if d.ids.callID == callID && d.ids.localTag == toTag && d.ids.remoteTag == fromTag {
			return c, true
		}
	}
	return nil, false
}
