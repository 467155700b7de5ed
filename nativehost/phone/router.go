package phone

import (
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// The phone's one router: which handler takes each request the SIP server receives.
// sipgo keeps one handler per method and a second registration silently replaces the
// first, so every method is registered here and only here. Requests inside one of our
// calls (re-INVITE, UPDATE, REFER, a transfer's NOTIFY) are matched to the call by
// Call-ID and taken only from the account's server, like a new INVITE (ghost-call
// protection); anything else in them gets 481. BYE and ACK are matched by sipgo's dialog
// caches (Call-ID and both tags).

// serve registers the phone's handlers on its SIP server.
func (p *Phone) serve(srv *sipgo.Server) {
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		if inDialog(req) {
			p.inCall(p.onReInvite)(req, tx)
			return
		}
		p.onInvite(req, tx)
	})
	srv.OnAck(p.onAck)
	srv.OnBye(p.onBye)
	// A CANCEL that matches a transaction is answered by sipgo's transaction layer; one
	// that reaches us matches nothing (RFC 3261 9.2: 481, not sipgo's default 405).
	srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
	})
	// OPTIONS (a keepalive or a probe) is answered and forgotten: a retransmission gets
	// another 200, and a flood of them keeps no transactions (stranger.go).
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		respondOnce(tx, req, 200, "OK")
	})
	srv.OnUpdate(p.inCall(p.onUpdate))
	srv.OnRefer(p.inCall(p.onRefer))
	srv.OnNotify(p.onNotify)
}

// onNotify routes a NOTIFY by its event package: a voicemail summary (mwi.go), a busy
// lamp's dialog state (blf.go), else the
// progress of a transfer we made (transfer.go).
func (p *Phone) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	if isMessageSummary(req) {
		p.onMWINotify(req, tx)
		return
	}
	if isDialogEvent(req) {
		p.onDialogNotify(req, tx)
		return
	}
	p.inCall(p.onReferNotify)(req, tx)
}

// inCall adapts a handler of requests inside a call: it finds the call by Call-ID and
// lets only the account's server in.
func (p *Phone) inCall(h func(*call, *sip.Request, sip.ServerTransaction)) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		c := p.callBySIPCallID(req.CallID().Value())
		if c == nil || !p.fromServer(req, c.acct) {
			respond(tx, req, 481, "Call/Transaction Does Not Exist")
			return
		}
		h(c, req, tx)
	}
}

func (p *Phone) onAck(req *sip.Request, tx sip.ServerTransaction) {
	for _, f := range p.flows() {
		if f.dsc.ReadAck(req, tx) == nil {
			return
		}
	} // an ACK for a non-2xx is absorbed by the transaction
}

func (p *Phone) onBye(req *sip.Request, tx sip.ServerTransaction) {
	for _, f := range p.flows() {
		if f.dc.ReadBye(req, tx) == nil || f.dsc.ReadBye(req, tx) == nil {
			return
		}
	}
	respond(tx, req, 481, "Call/Transaction Does Not Exist")
}

// inDialog reports whether a request carries a To tag (RFC 3261 12.2.2).
func inDialog(req *sip.Request) bool {
	to := req.To()
	if to == nil {
		return false
	}
	_, ok := to.Params.Get("tag")
	return ok
}
