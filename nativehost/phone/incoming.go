package phone

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/tabphone/tabphone/media"
)

// declineCode answers a call the user declines (RFC 3261 21.4.24: Busy Here, as desk
// phones do, so the PBX may route to voicemail).
const declineCode = 486

// incoming holds what only an incoming call needs: the user's answer.
type incoming struct {
	answerOnce sync.Once
	answer     chan struct{}
}

func (c *call) requestAnswer() {
	c.inc.answerOnce.Do(func() { close(c.inc.answer) })
}

// onInvite takes an incoming INVITE that starts a call (the router sends re-INVITEs to
// onReInvite). It runs in sipgo's handler goroutine, which must not return before the
// final response (sipgo terminates the transaction after it).
func (p *Phone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	acc := p.accountFor(req)
	if acc == nil {
		p.strangers.refused(p.log, "INVITE for no account of ours refused", "source", req.Source())
		respondOnce(tx, req, 404, "Not Found")
		return
	}
	// Ghost calls: only the account's registrar/proxy may ring us (scanners send INVITEs
	// straight to SIP ports). Answered once, not retransmitted (stranger.go).
	if !p.fromServer(req, acc) {
		p.strangers.refused(p.log, "INVITE not from the account's server dropped", "source", req.Source(), "account", acc.cfg.ID)
		respondOnce(tx, req, 403, "Forbidden")
		return
	}
	if len(req.Body()) > media.MaxSDP {
		respond(tx, req, 413, "Request Entity Too Large")
		return
	}
	timer, ok := answerSessionTimer(req, tx) // 422 when the interval is too small
	if !ok {
		return
	}
	// An attended transfer to us names the call it takes over (RFC 3891): that one is
	// answered at once and the named call ends; a Replaces naming no call of ours is 481.
	replaced, ok := p.replacedCall(req)
	if !ok {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	number, name := callerID(req)
	if p.Status() == DND && replaced == nil {
		p.log.Info("DND: call rejected", "from", number)
		respond(tx, req, acc.cfg.DNDCode, reasonPhrase(acc.cfg.DNDCode))
		now := time.Now()
		p.events.CallChanged(CallInfo{ID: p.newCallID(), Account: acc.cfg.ID, Direction: Incoming, Number: number, Name: name,
			State: CallEnded, StartedAt: now, EndedAt: now, End: EndReason{Cause: EndDND, SIPCode: acc.cfg.DNDCode}})
		return
	}
	// The call lives on the flow the INVITE came in on: the UDP socket or the account's
	// connection.
	fl := p.udp
	if f := acc.currentFlow(); f != nil && strings.EqualFold(req.Transport(), f.network) {
		fl = f
	}
	m, _, err := media.NewIncomingCall(p.bnet, fl.ip, req.Body(), media.CodecsByName(acc.cfg.Codecs), acc.security(), p.log)
	if err != nil {
		p.log.Warn("incoming offer refused", "err", err)
		respond(tx, req, 488, "Not Acceptable Here")
		if errors.Is(err, media.ErrSecurity) {
			// The user should know a call came and why it could not be taken.
			now := time.Now()
			p.events.CallChanged(CallInfo{ID: p.newCallID(), Account: acc.cfg.ID, Direction: Incoming, Number: number, Name: name,
				State: CallEnded, StartedAt: now, EndedAt: now, End: EndReason{Cause: EndMediaSecurity, SIPCode: 488, Err: err}})
		}
		return
	}
	dlg, err := fl.dsc.ReadInvite(req, tx)
	if err != nil {
		m.Close()
		respond(tx, req, 400, "Bad Request")
		return
	}
	defer dlg.Close()

	arrived := time.Now()
	c := &call{id: p.newCallID(), sipCallID: req.CallID().Value(), acct: acc, fl: fl, media: m, hangup: make(chan struct{}), inc: &incoming{answer: make(chan struct{})}}
	codec, _ := m.Codec()
	c.in = CallInfo{ID: c.id, Account: acc.cfg.ID, Direction: Incoming, Number: number, Name: name,
		State: CallRinging, Codec: codec.Name, StartedAt: arrived}
	var autoAnswer <-chan time.Time
	if replaced != nil {
		c.in.Replaces = replaced.id
		c.requestAnswer()
	} else if delay, ok := autoAnswerDelay(acc.cfg.AutoAnswer, req); ok {
		// The delay counts from the INVITE's arrival; ringing starts at once.
		c.in.AutoAnswerAt = arrived.Add(delay)
		timer := time.NewTimer(delay)
		defer timer.Stop()
		autoAnswer = timer.C
	}
	m.OnAnswer = func(sdp string, err error) { p.events.WebRTCAnswer(c.id, sdp, err) }
	m.OnRestart = func() { p.events.WebRTCRestart(c.id) }
	if !p.addCall(c) {
		m.Close()
		respond(tx, req, 480, "Temporarily Unavailable")
		return
	}
	defer p.wg.Done()
	reason := EndReason{Cause: EndHangup}
	defer func() { p.finish(c, reason) }()

	// A CANCEL is answered by sipgo's transaction layer; the transaction itself ends only
	// after Timer I, so listen for the CANCEL to stop ringing at once.
	cancelled := make(chan struct{})
	var cancelOnce sync.Once
	if !tx.OnCancel(func(*sip.Request) { cancelOnce.Do(func() { close(cancelled) }) }) {
		reason.Cause = EndMissed
		return
	}
	if replaced == nil {
		if err := dlg.Respond(180, "Ringing", nil, c.contact()); err != nil {
			reason.Cause = EndMissed
			return
		}
	}
	p.events.CallChanged(c.info())
	if replaced == nil {
		p.events.Incoming(c.info())
	}

	auto := false
	select {
	case <-c.inc.answer:
	case <-autoAnswer:
		auto = true
	case <-c.hangup:
		reason = EndReason{Cause: EndDeclined, SIPCode: declineCode}
		_ = dlg.Respond(declineCode, reasonPhrase(declineCode), nil)
		return
	case <-cancelled: // the caller gave up (sipgo answers the CANCEL and sends 487)
		reason.Cause = EndMissed
		return
	case <-tx.Done():
		reason.Cause = EndMissed
		return
	}
	// Our Contact names the account's user (sipgo's default is the flow's address alone).
	answerHeaders := append([]sip.Header{c.contact(), sip.NewHeader("Content-Type", "application/sdp")}, timerHeaders(timer)...)
	if err := dlg.Respond(200, "OK", m.Answer(uint64(arrived.Unix())), answerHeaders...); err != nil {
		p.log.Warn("answer failed", "call", c.id, "err", err)
		reason.Cause = EndAnswerFailed
		select {
		case <-cancelled: // the caller's CANCEL won the race with our 200
			reason.Cause = EndMissed
		default:
		}
		return
	}
	m.Connect() // the browser leg rang with the call; the microphone reaches the caller from now
	target := req.Recipient
	if ct := req.Contact(); ct != nil {
		target = ct.Address
	}
	c.setDialog(&dialog{do: answered(dlg.Do), write: dlg.WriteRequest, target: target, ids: incomingIDs(req, dlg.InviteResponse)})
	p.startSessionTimer(c, timer, false, req)
	if auto {
		p.events.Beep(c.id)
	}
	p.update(c, func(in *CallInfo) {
		in.State, in.AnsweredAt = CallConnected, time.Now()
	})
	if replaced != nil {
		replaced.requestHangup()
	}
	go p.watchMedia(c)
	select {
	case <-c.hangup:
		reason.Cause = c.hangupCause()
		p.byeIncoming(dlg, req, fl)
	case <-dlg.Context().Done():
		reason.Cause = EndRemoteHangup
	}
}

// onReInvite answers an in-dialog INVITE from the PBX: hold/resume (the direction is
// mirrored), a session refresh (RFC 4028, same SDP), a moved media server (the PBX leg
// follows), or an offerless re-INVITE (we offer the session as it is, RFC 3261 14.2).
// The router lets only the account's server in, like any INVITE.
func (p *Phone) onReInvite(c *call, req *sip.Request, tx sip.ServerTransaction) {
	timer, ok := answerSessionTimer(req, tx)
	if !ok {
		return
	}
	var body []byte
	if len(req.Body()) > 0 {
		answer, dir, err := c.media.Reoffer(req.Body())
		if err != nil {
			p.log.Warn("re-INVITE offer refused", "call", c.id, "err", err)
			respond(tx, req, 488, "Not Acceptable Here")
			return
		}
		body = answer
		held := dir == "sendonly" || dir == "inactive"
		p.update(c, func(in *CallInfo) {
			if in.RemoteHold != held {
				c.holdChanged.Store(time.Now().UnixNano())
			}
			in.RemoteHold = held
		})
	} else {
		offer, err := c.media.CurrentOffer()
		if err != nil {
			respond(tx, req, 488, "Not Acceptable Here")
			return
		}
		body = offer
	}
	res := sip.NewSDPResponseFromRequest(req, body)
	res.AppendHeader(c.contact())
	for _, h := range timerHeaders(timer) {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		p.log.Warn("re-INVITE answer failed", "call", c.id, "err", err)
		return
	}
	p.startSessionTimer(c, timer, false, nil)
}

// byeIncoming ends an answered incoming call from the listening socket: sipgo's server
// dialog Bye ignores the client's connection address.
func (p *Phone) byeIncoming(dlg *sipgo.DialogServerSession, invite *sip.Request, fl *flow) {
	ct := invite.Contact()
	if ct == nil {
		return
	}
	bye := sip.NewRequest(sip.BYE, *ct.Address.Clone())
	bye.Laddr = fl.laddr
	if len(invite.GetHeaders("Record-Route")) == 0 {
		bye.SetDestination(invite.Source())
	}
	ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
	defer cancel()
	if err := dlg.WriteBye(ctx, bye); err != nil {
		p.log.Warn("BYE failed", "err", err)
	}
}

// Answer picks up a ringing incoming call and returns at once. Calls already
// connected are put on hold first (call waiting: the user switches to the new caller);
// the new call is answered when the PBX has answered those holds (or they failed), up
// to holdTimeout later, so Answer itself never waits on the PBX.
func (p *Phone) Answer(callID string) error {
	c, err := p.call(callID)
	if err != nil {
		return err
	}
	if c.inc == nil {
		return fmt.Errorf("%w: %s is not an incoming call", ErrNoCall, callID)
	}
	var others []*call
	for _, other := range p.connectedCalls() {
		if other.id != c.id && !other.info().Held {
			others = append(others, other)
		}
	}
	if len(others) == 0 {
		c.requestAnswer()
		return nil
	}
	if !p.goTracked(func() {
		for _, other := range others {
			if err := p.Hold(other.id, true); err != nil {
				p.log.Warn("call waiting: hold failed", "call", other.id, "err", err)
			}
		}
		c.requestAnswer()
	}) {
		return ErrClosed
	}
	return nil
}

// connectedCalls lists the calls with a dialog up.
func (p *Phone) connectedCalls() []*call {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*call
	for _, c := range p.calls {
		if c.info().State == CallConnected {
			out = append(out, c)
		}
	}
	return out
}

// accountFor finds the account an INVITE is for, by the Request-URI user (our Contact)
// or else the To user.
func (p *Phone) accountFor(req *sip.Request) *account {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range p.accounts {
		if req.Recipient.User == a.cfg.User {
			return a
		}
	}
	if to := req.To(); to != nil {
		for _, a := range p.accounts {
			if to.Address.User == a.cfg.User {
				return a
			}
		}
	}
	return nil
}

// fromServer reports whether a request came from the account's registrar/proxy: same
// IP (the host name resolved) and port.
func (p *Phone) fromServer(req *sip.Request, acc *account) bool {
	host, port, err := net.SplitHostPort(req.Source())
	if err != nil {
		return false
	}
	srvHost, srvPort, err := net.SplitHostPort(acc.server.Addr())
	if err != nil || port != srvPort {
		return false
	}
	src := net.ParseIP(host)
	if ip := net.ParseIP(srvHost); ip != nil {
		return ip.Equal(src)
	}
	ips, err := net.LookupIP(srvHost)
	if err != nil {
		return false
	}
	for _, ip := range ips {
		if ip.Equal(src) {
			return true
		}
	}
	return false
}

// callerID reads the caller's number and name from P-Asserted-Identity (set by the PBX,
// RFC 3325) or else From.
func callerID(req *sip.Request) (number, name string) {
	if h := req.GetHeader("P-Asserted-Identity"); h != nil {
		var uri sip.Uri
		params := sip.NewParams()
		if d, err := sip.ParseAddressValue(h.Value(), &uri, &params); err == nil {
			number, name = uri.User, d
		}
	}
	if from := req.From(); from != nil {
		if number == "" {
			number = from.Address.User
		}
		if name == "" {
			name = from.DisplayName
		}
	}
	const maxCallerID = 128
	return truncate(number, maxCallerID), truncate(name, maxCallerID)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
