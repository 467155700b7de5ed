package phone

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"
	"github.com/tabphone/tabphone/media"
)

// byeTimeout bounds waiting for the answer to our BYE.
const byeTimeout = 2 * time.Second

// call is one call. Its INVITE and its end are driven by one goroutine: runOutgoing for
// an outgoing call, the onInvite handler that took an incoming one; hang-up and answer
// reach it through channels. Requests inside the dialog (hold, DTMF, REFER and NOTIFY,
// session refreshes) go out from the goroutines that make them, and the PBX's requests
// are answered on sipgo's handler goroutines; every change of the call's info goes
// through update, under mu.
type call struct {
	id        string
	sipCallID string // the dialog's Call-ID, to match in-dialog requests
	acct      *account
	fl        *flow // the account's flow the call's dialog lives on
	media     *media.Call

	hangupOnce    sync.Once
	hangup        chan struct{}
	mediaTimedOut atomic.Bool  // the hang-up came from watchMedia
	holdChanged   atomic.Int64 // when the call last went on or off hold (Unix ns), for watchMedia
	finishOnce    sync.Once
	doneOnce      sync.Once
	done          chan struct{} // closed when the call has ended (doneChan)
	inc           *incoming     // nil for outgoing calls

	timer       callTimer // RFC 4028 session timer (session_timer.go)
	dialogMu    sync.Mutex
	dlg         *dialog    // set once the call is connected
	referResult chan<- int // the final status of a transfer in progress

	// Set before the call starts, never changed: a transfer's extra INVITE headers
	// (Referred-By, Replaces) and a watcher of its state (the NOTIFYs of an accepted REFER).
	extra    []sip.Header
	onChange func(CallInfo)

	mu sync.Mutex
	in CallInfo
}

func (c *call) info() CallInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.in
}

// contact is our Contact in the call's requests and answers.
func (c *call) contact() *sip.ContactHeader { return c.fl.contactFor(c.acct.cfg.User) }

// callsOn reports whether a live call's dialog uses the flow.
func (p *Phone) callsOn(f *flow) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.calls {
		if c.fl == f {
			return true
		}
	}
	return false
}

func (c *call) requestHangup() { c.hangupOnce.Do(func() { close(c.hangup) }) }

// hangupCause is why a connected call we end ended.
func (c *call) hangupCause() EndCause {
	if c.mediaTimedOut.Load() {
		return EndNoMedia
	}
	return EndHangup
}

// doneChan is closed when the call has ended, before its end is reported.
func (c *call) doneChan() chan struct{} {
	c.doneOnce.Do(func() { c.done = make(chan struct{}) })
	return c.done
}

func (c *call) hangupRequested() bool {
	select {
	case <-c.hangup:
		return true
	default:
		return false
	}
}

// update changes the call's info and reports it. An ended call does not change again.
func (p *Phone) update(c *call, f func(*CallInfo)) {
	c.mu.Lock()
	if c.in.State == CallEnded {
		c.mu.Unlock()
		return
	}
	f(&c.in)
	in := c.in
	c.mu.Unlock()
	p.events.CallChanged(in)
	if c.onChange != nil {
		c.onChange(in)
	}
}

// Dial places an outgoing call from the account (the default one for "") and returns
// its id at once; progress arrives as CallChanged events.
func (p *Phone) Dial(accountID, number string) (string, error) {
	acc, err := p.account(accountID)
	if err != nil {
		return "", err
	}
	target, shown, err := TargetIn(number, acc.cfg.Region, acc.domain.Host, acc.domain.Port)
	if err != nil {
		return "", err
	}
	if acc.cfg.Registers() && !acc.registered() {
		return "", fmt.Errorf("%w: %s", ErrNotRegistered, acc.cfg.ID)
	}
	return p.startOutgoing(acc, target, shown, nil)
}

// startOutgoing places a call to target over the account's flow (connecting first
// when it has none); prep (if not nil) adds to the call before it starts.
func (p *Phone) startOutgoing(acc *account, target sip.Uri, shown string, prep func(*call)) (string, error) {
	fl := acc.currentFlow()
	if fl == nil { // an account that does not register connects at its first call
		ctx, cancel := context.WithTimeout(p.ctx, dialTimeout)
		var err error
		fl, err = acc.ensureFlow(ctx)
		cancel()
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrNoAnswer, err)
		}
	}
	m, err := media.NewCall(p.bnet, fl.ip, media.CodecsByName(acc.cfg.Codecs), acc.security(), p.log)
	if err != nil {
		return "", fmt.Errorf("open media: %w", err)
	}
	c := &call{id: p.newCallID(), sipCallID: uuid.NewString(), acct: acc, fl: fl, media: m, hangup: make(chan struct{})}
	c.in = CallInfo{ID: c.id, Account: acc.cfg.ID, Direction: Outgoing, Number: shown, State: CallCalling, StartedAt: time.Now()}
	if prep != nil {
		prep(c)
	}
	m.OnAnswer = func(sdp string, err error) { p.events.WebRTCAnswer(c.id, sdp, err) }
	m.OnRestart = func() { p.events.WebRTCRestart(c.id) }

	if !p.addCall(c) {
		m.Close()
		return "", ErrClosed
	}
	p.events.CallChanged(c.info())
	go func() {
		defer p.wg.Done()
		p.runOutgoing(c, target)
	}()
	return c.id, nil
}

// addCall registers a call unless the phone is closing; the caller must call
// p.wg.Done when the call's goroutine ends (finish does not).
func (p *Phone) addCall(c *call) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.calls[c.id] = c
	p.wg.Add(1)
	return true
}

// Hangup ends a call: CANCEL before the answer, BYE after it; a ringing incoming call
// is declined.
func (p *Phone) Hangup(callID string) error {
	c, err := p.call(callID)
	if err != nil {
		return err
	}
	c.requestHangup()
	return nil
}

// SetBrowserOffer hands the softphone window's WebRTC offer to the call's media.
func (p *Phone) SetBrowserOffer(callID, sdp string) error {
	c, err := p.call(callID)
	if err != nil {
		return err
	}
	return c.media.SetBrowserOffer(sdp)
}

// allowedMethods is our Allow header: what the phone answers in and out of dialogs.
const allowedMethods = "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, REFER, NOTIFY"

// callBySIPCallID finds the call an in-dialog request belongs to.
func (p *Phone) callBySIPCallID(id string) *call {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.calls {
		if c.sipCallID == id {
			return c
		}
	}
	return nil
}

func (p *Phone) call(id string) (*call, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.calls[id]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNoCall, id)
	}
	return c, nil
}

func (p *Phone) inviteRequest(c *call, target sip.Uri) (*sip.Request, error) {
	offer, err := c.media.Offer(uint64(time.Now().Unix()))
	if err != nil {
		return nil, fmt.Errorf("make the SDP offer: %w", err)
	}
	acc := c.acct
	req := sip.NewRequest(sip.INVITE, target)
	req.AppendHeader(acc.from(sip.GenerateTagN(16)))
	req.AppendHeader(&sip.ToHeader{Address: target})
	callID := sip.CallIDHeader(c.sipCallID)
	req.AppendHeader(&callID)
	req.AppendHeader(c.contact())
	req.AppendHeader(sip.NewHeader("Allow", allowedMethods))
	req.AppendHeader(sip.NewHeader("Supported", "timer"))
	for _, h := range c.extra {
		req.AppendHeader(h)
	}
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(offer)
	req.SetDestination(acc.server.Addr())
	req.SetTransport(c.fl.sipTransport())
	return req, nil
}

// runOutgoing drives one outgoing call from INVITE to its end.
func (p *Phone) runOutgoing(c *call, target sip.Uri) {
	reason := EndReason{Cause: EndHangup}
	defer func() { p.finish(c, reason) }()

	inviteCtx, cancelInvite := context.WithCancel(context.Background())
	defer cancelInvite()
	go func() {
		select {
		case <-c.hangup:
			cancelInvite() // WaitAnswer sends CANCEL (RFC 3261 9.1)
			if c.info().State != CallConnected {
				// The CANCEL transaction may take a while (no provisional response yet, or
				// no 487): the user sees the call end now.
				p.finish(c, EndReason{Cause: EndCancelled})
			}
		case <-inviteCtx.Done():
		}
	}()

	req, err := p.inviteRequest(c, target)
	if err != nil {
		reason = EndReason{Cause: EndNotSent, Err: err}
		return
	}
	sess, err := c.fl.dc.WriteInvite(inviteCtx, req)
	if err != nil {
		reason = EndReason{Cause: EndNotSent, Err: err}
		return
	}
	defer sess.Close()

	err = sess.WaitAnswer(inviteCtx, sipgo.AnswerOptions{
		Username: c.acct.authUser(),
		Password: c.acct.cfg.Password.Reveal(),
		OnResponse: func(res *sip.Response) error {
			p.onProvisional(c, res)
			return nil
		},
	})
	if err != nil {
		if c.hangupRequested() {
			reason.Cause = EndCancelled
			// A 200 that crossed our CANCEL still makes a dialog: end it (RFC 3261 9.1).
			if r := sess.InviteResponse; r != nil && r.IsSuccess() {
				p.ackAndBye(sess, req)
			}
			return
		}
		var de *sipgo.ErrDialogResponse
		if errors.As(err, &de) {
			reason = EndReason{Cause: EndRejected, SIPCode: de.Res.StatusCode}
			return
		}
		reason.Cause = EndNoAnswer
		p.log.Warn("call failed", "call", c.id, "err", err)
		return
	}

	if c.hangupRequested() { // the answer crossed the user's hang-up
		reason.Cause = EndCancelled
		p.ackAndBye(sess, req)
		return
	}
	if _, err := c.media.SetPBXAnswer(sess.InviteResponse.Body()); err != nil {
		p.log.Warn("unusable answer SDP", "call", c.id, "err", err)
		reason.Cause = EndNoCommonCodec
		if errors.Is(err, media.ErrSecurity) {
			reason.Cause, reason.Err = EndMediaSecurity, err
		}
		p.ackAndBye(sess, req)
		return
	}
	if err := sess.Ack(context.Background()); err != nil {
		p.log.Warn("ACK failed", "call", c.id, "err", err)
	}
	codec, _ := c.media.Codec()
	remote := req.Recipient
	if ct := sess.InviteResponse.Contact(); ct != nil {
		remote = ct.Address
	}
	c.setDialog(&dialog{do: answered(sess.Do), write: sess.WriteRequest, target: remote, ids: outgoingIDs(req, sess.InviteResponse)})
	p.startSessionTimer(c, timerFromResponse(sess.InviteResponse), true, sess.InviteResponse)
	p.update(c, func(in *CallInfo) {
		in.State, in.Codec, in.AnsweredAt = CallConnected, codec.Name, time.Now()
	})

	go p.watchMedia(c)
	select {
	case <-c.hangup:
		reason.Cause = c.hangupCause()
		p.bye(sess, req)
	case <-sess.Context().Done():
		reason.Cause = EndRemoteHangup
	}
}

// onProvisional handles 180/183: early media (183 with SDP) is relayed so ringback and
// announcements are heard.
func (p *Phone) onProvisional(c *call, res *sip.Response) {
	if !res.IsProvisional() || res.StatusCode == 100 {
		return
	}
	state := CallRinging
	if len(res.Body()) > 0 {
		if _, err := c.media.SetPBXAnswer(res.Body()); err == nil {
			state = CallEarly
		} else {
			p.log.Warn("unusable early media SDP", "call", c.id, "err", err)
		}
	}
	codec, _ := c.media.Codec()
	p.update(c, func(in *CallInfo) {
		if in.State != CallEarly {
			in.State = state
		}
		in.Codec = codec.Name
	})
}

func (p *Phone) ackAndBye(sess *sipgo.DialogClientSession, invite *sip.Request) {
	if err := sess.Ack(context.Background()); err != nil {
		p.log.Warn("ACK failed", "err", err)
	}
	p.bye(sess, invite)
}

// bye sends BYE from the socket the INVITE left from: sipgo's Bye does not carry the
// local address over when there is no Record-Route.
func (p *Phone) bye(sess *sipgo.DialogClientSession, invite *sip.Request) {
	recipient := invite.Recipient
	if ct := sess.InviteResponse.Contact(); ct != nil {
		recipient = ct.Address
	}
	bye := sip.NewRequest(sip.BYE, *recipient.Clone())
	bye.Laddr = invite.Laddr
	if len(sess.InviteResponse.GetHeaders("Record-Route")) == 0 && p.viaOutboundProxy(invite) {
		bye.SetDestination(invite.Destination())
	}
	ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
	defer cancel()
	if err := sess.WriteBye(ctx, bye); err != nil {
		p.log.Warn("BYE failed", "err", err)
	}
}

// dialog is what in-call requests need from either side's sipgo dialog session.
type dialog struct {
	do     requestFunc              // a request with a transaction; never a nil response with a nil error
	write  func(*sip.Request) error // an ACK, without one
	target sip.Uri                  // the remote target (its Contact)
	ids    dialogIDs                // to name it in a Replaces (transfer.go)
}

func (c *call) setDialog(d *dialog) {
	c.dialogMu.Lock()
	c.dlg = d
	c.dialogMu.Unlock()
}

func (c *call) connectedDialog() (*dialog, error) {
	c.dialogMu.Lock()
	defer c.dialogMu.Unlock()
	if c.dlg == nil {
		return nil, fmt.Errorf("%w: the call is not connected", ErrNoCall)
	}
	return c.dlg, nil
}

// holdTimeout bounds a hold or resume re-INVITE.
const holdTimeout = 10 * time.Second

// Hold puts a connected call on hold (re-INVITE with sendonly) or resumes it.
func (p *Phone) Hold(callID string, on bool) error {
	c, err := p.call(callID)
	if err != nil {
		return err
	}
	d, err := c.connectedDialog()
	if err != nil {
		return err
	}
	offer, err := c.media.HoldOffer(on)
	if err != nil {
		return err
	}
	req := sip.NewRequest(sip.INVITE, *d.target.Clone())
	req.AppendHeader(c.contact())
	for _, h := range c.timer.ourRequestHeaders() {
		req.AppendHeader(h)
	}
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(offer)
	ctx, cancel := context.WithTimeout(context.Background(), holdTimeout)
	defer cancel()
	res, err := d.do(ctx, req)
	if err != nil {
		return fmt.Errorf("%w: hold re-INVITE: %v", ErrNoAnswer, err)
	}
	if !res.IsSuccess() {
		_, _ = c.media.HoldOffer(!on) // the PBX refused: the media stays as it was
		return sipError(res)
	}
	ack := sip.NewRequest(sip.ACK, *d.target.Clone())
	if err := d.write(ack); err != nil {
		p.log.Warn("ACK for the hold re-INVITE failed", "call", c.id, "err", err)
	}
	if err := c.media.SetHoldAnswer(res.Body()); err != nil {
		p.log.Warn("hold answer SDP", "call", c.id, "err", err)
	}
	if len(req.GetHeaders("Session-Expires")) > 0 {
		p.startSessionTimer(c, timerFromResponse(res), true, nil)
	}
	p.update(c, func(in *CallInfo) {
		if in.Held != on {
			c.holdChanged.Store(time.Now().UnixNano())
		}
		in.Held = on
	})
	return nil
}

// dtmfTimeout bounds playing one digit string (32 keys × 220 ms) or its INFO requests.
const dtmfTimeout = 15 * time.Second

// SendDTMF sends keys on a connected call: RFC 4733 events in the RTP stream when the
// PBX accepted telephone-event, SIP INFO (application/dtmf-relay) otherwise.
func (p *Phone) SendDTMF(callID, digits string) error {
	c, err := p.call(callID)
	if err != nil {
		return err
	}
	if err := media.ValidDTMF(digits); err != nil {
		return fmt.Errorf("%w: %v", ErrBadDTMF, err)
	}
	d, err := c.connectedDialog()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), dtmfTimeout)
	defer cancel()
	err = c.media.SendDTMF(ctx, digits)
	if !errors.Is(err, media.ErrNoDTMF) {
		return err
	}
	for _, key := range strings.ToUpper(digits) {
		info := sip.NewRequest(sip.INFO, sip.Uri{}) // the dialog fills in the target and headers
		info.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
		info.SetBody([]byte(fmt.Sprintf("Signal=%c\r\nDuration=160\r\n", key)))
		res, err := d.do(ctx, info)
		if err != nil {
			return fmt.Errorf("INFO: %w", err)
		}
		if !res.IsSuccess() {
			return sipError(res)
		}
	}
	return nil
}

// Mute stops or resumes sending the microphone on a call.
func (p *Phone) Mute(callID string, on bool) error {
	c, err := p.call(callID)
	if err != nil {
		return err
	}
	c.media.SetMuted(on)
	p.update(c, func(in *CallInfo) { in.Muted = on })
	return nil
}

// viaOutboundProxy reports whether the INVITE went to a configured outbound proxy, so
// in-dialog requests must go there too (RFC 3261 8.1.2).
func (p *Phone) viaOutboundProxy(invite *sip.Request) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range p.accounts {
		if a.cfg.OutboundProxy != "" && a.server.Addr() == invite.Destination() {
			return true
		}
	}
	return false
}

// finish removes the call and reports it ended, once.
func (p *Phone) finish(c *call, reason EndReason) {
	c.finishOnce.Do(func() {
		c.timer.stop()
		c.media.Close()
		p.mu.Lock()
		delete(p.calls, c.id)
		p.mu.Unlock()
		close(c.doneChan())
		p.update(c, func(in *CallInfo) {
			in.State, in.EndedAt, in.End = CallEnded, time.Now(), reason
		})
	})
}
