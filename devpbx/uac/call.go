package uac

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/tabphone/tabphone/devpbx/calllog"
	"github.com/tabphone/tabphone/devpbx/registrar"
	"github.com/tabphone/tabphone/devpbx/rtpmedia"
	"github.com/tabphone/tabphone/devpbx/sdpanswer"
	"github.com/tabphone/tabphone/devpbx/uas"
)

// Causes of a call's context ending; shutdown leaves context.Canceled.
var (
	errHangup      = errors.New("hangup requested")
	errCancel      = errors.New("cancel requested")
	errCalleeBye   = errors.New("callee hung up")
	errRingTimeout = errors.New("ring timeout")
	errHangupAfter = errors.New("hangup_after elapsed")
)

// sipTimeout bounds one non-INVITE transaction devpbx waits for (BYE, CANCEL):
// Timer F, 64*T1.
const sipTimeout = 64 * 500 * time.Millisecond

// audioCodecs are the offered codecs devpbx can run media with, telephone-event aside.
var audioCodecs = []string{sdpanswer.PCMU, sdpanswer.PCMA, sdpanswer.Opus}

// call is one outbound call. Its goroutine (run) owns the SIP dialog and the media;
// the callee's in-dialog requests (serve) and API requests (stop) reach it through
// the fields under mu and through its context.
type call struct {
	d    *Dialer
	req  Request
	rec  *calllog.Call
	log  *slog.Logger
	ctx  context.Context
	stop context.CancelCauseFunc
	key  dialogKey // set by run before the INVITE goes out

	mu         sync.Mutex
	up         bool // the 2xx was ACKed and media runs
	byeEarly   bool // the callee's BYE overtook its 2xx
	sess       *sipgo.DialogClientSession
	media      *rtpmedia.Session
	local      sdpanswer.Answer // devpbx's side, for answers to re-INVITEs
	remoteCSeq uint32
}

func (c *call) run() {
	defer c.d.running.Done()
	defer c.d.forget(c)
	defer c.stop(nil)
	if c.req.After > 0 {
		t := time.NewTimer(c.req.After)
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			c.end(calllog.PBXCancel, 0, "")
			return
		}
	}
	c.place()
}

// end records the call's end; reason is kept as the record's error.
func (c *call) end(by calllog.EndedBy, status int, reason string) {
	if reason != "" {
		c.rec.Fail(reason)
	}
	c.rec.End(by, status)
	rec := c.rec.Record()
	args := []any{"ended_by", rec.By, "status", rec.Status, "rx_packets", rec.RxPackets, "tx_packets", rec.TxPackets}
	if rec.Tone1kHzRatio != nil {
		args = append(args, "tone_1000hz_ratio", *rec.Tone1kHzRatio, "rx_max_dbfs", *rec.RxMaxDBFS)
	}
	if reason != "" {
		args = append(args, "error", reason)
	}
	c.log.Info("outbound call ended", args...)
}

// place sends the INVITE to the callee's binding and runs the call to its end.
func (c *call) place() {
	d := c.d
	b, ok := d.binding(c.req.To)
	if !ok {
		c.end(calllog.Failed, 0, "not registered")
		return
	}
	conn, err := rtpmedia.Listen(d.sip.Addr())
	if err != nil {
		c.end(calllog.Failed, 0, "rtp socket: "+err.Error())
		return
	}
	// Until media takes the socket over, it is ours to close.
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	offer := sdpanswer.Outgoing{
		IP: d.sip.Addr(), Port: conn.LocalAddr().(*net.UDPAddr).Port,
		Codecs: sdpanswer.OutboundCodecs, SessionID: randomUint63(), Version: 1,
	}
	inv := c.invite(b, offer.Marshal())
	c.key = dialogKey{inv.CallID().Value(), mustTag(inv.From())}
	d.track(c.key, c)

	// The context only bounds a TCP connect; the call's own context may already
	// have ended, which the CANCEL logic below handles.
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), 5*time.Second)
	sess, err := d.dialogUA(b.Transport).WriteInvite(sendCtx, inv)
	cancel()
	if err != nil {
		c.end(calllog.Failed, 0, "INVITE not sent: "+err.Error())
		return
	}
	defer sess.Close()
	c.rec.Dialed(c.key.callID, time.Now())
	c.log.Info("outbound call", "from", c.req.From, "contact", b.Contact, "source", b.Source,
		"transport", b.Transport, "mode", c.req.Mode)

	withdrawn, cancelled, err := c.waitAnswer(sess)
	var dr *sipgo.ErrDialogResponse
	switch {
	case err == nil:
		c.answered(sess, conn, offer, withdrawn)
		conn = nil // closed by the media session, or by answered itself
	case errors.As(err, &dr):
		by := calllog.Rejected
		if cancelled {
			by = calllog.PBXCancel // normally 487 Request Terminated
		}
		c.end(by, dr.Res.StatusCode, "")
	case cancelled:
		c.end(calllog.PBXCancel, 0, "no final response after CANCEL")
	case errors.Is(err, sip.ErrTransactionTimeout):
		c.end(calllog.Timeout, 0, "no response to the INVITE (Timer B, 32 s)")
	default:
		c.end(calllog.Failed, 0, err.Error())
	}
}

// invite builds the INVITE to binding b: Request-URI the registered Contact, sent to
// the address the REGISTER came from, over its transport, and over UDP from
// devpbx's SIP socket.
func (c *call) invite(b registrar.Binding, body []byte) *sip.Request {
	d, r := c.d, c.req
	req := sip.NewRequest(sip.INVITE, *b.URI.Clone())
	from := &sip.FromHeader{DisplayName: r.Display, Address: d.uri(r.From), Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: d.uri(r.To), Params: sip.NewParams()})
	var id [12]byte
	_, _ = rand.Read(id[:])
	callID := sip.CallIDHeader(hex.EncodeToString(id[:]) + "@devpbx")
	req.AppendHeader(&callID)
	pai, ok := r.Headers["P-Asserted-Identity"]
	if !ok {
		// RFC 3325: the identity devpbx, as the trusted network, asserts for the
		// caller; the same as From here.
		uri := d.uri(r.From)
		pai = "<" + uri.String() + ">"
		if r.Display != "" {
			pai = `"` + r.Display + `" ` + pai
		}
	}
	req.AppendHeader(sip.NewHeader("P-Asserted-Identity", pai))
	for _, name := range r.extraHeaders() {
		if name != "P-Asserted-Identity" {
			req.AppendHeader(sip.NewHeader(name, r.Headers[name]))
		}
	}
	req.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO"))
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(body)
	req.SetTransport(b.Transport)
	req.SetDestination(b.Source)
	if strings.EqualFold(b.Transport, "UDP") {
		// Without this sipgo may send from another socket than the listening one;
		// sipgo copies Laddr into the CANCEL and the ACK, not into the BYE.
		req.Laddr = sip.Addr{IP: net.IP(d.sip.Addr().AsSlice()), Port: int(d.sip.Port())}
	}
	// Over TCP sipgo reuses the connection the REGISTER came in on (it looks
	// connections up by the destination), which is what reaches the phone.
	return req
}

// waitAnswer waits for the INVITE's final response. When the call is withdrawn
// (ring timeout, hangup, cancel, shutdown) it sends CANCEL as soon as a provisional
// response has come (RFC 3261 9.1) and keeps waiting for the final response,
// normally 487, at most 64*T1. withdrawn is why the call was withdrawn before the
// final response (nil if it was not), cancelled whether a CANCEL went out.
func (c *call) waitAnswer(sess *sipgo.DialogClientSession) (withdrawn error, cancelled bool, err error) {
	ringCtx, stopRing := context.WithTimeoutCause(c.ctx, c.req.RingTimeout, errRingTimeout)
	defer stopRing()
	// WaitAnswer's own context is only ended to give up: when it ends sipgo sends a
	// CANCEL itself unless the cause is WaitAnswerForceCancelErr, and it may pick
	// that over a 2xx that is already there.
	waitCtx, giveUp := context.WithCancelCause(context.Background())
	defer giveUp(nil)

	provisional := make(chan struct{})
	var provisionalOnce sync.Once
	var sentCancel atomic.Bool
	done := make(chan struct{})
	canceller := make(chan struct{})
	go func() {
		defer close(canceller)
		select {
		case <-done:
			return
		case <-ringCtx.Done():
		}
		select {
		case <-done:
			return
		case <-provisional:
		}
		sentCancel.Store(true)
		c.sendCancel(sess)
		t := time.NewTimer(sipTimeout)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			giveUp(sipgo.WaitAnswerForceCancelErr)
		}
	}()

	err = sess.WaitAnswer(waitCtx, sipgo.AnswerOptions{
		OnResponse: func(res *sip.Response) error {
			if res.IsProvisional() {
				provisionalOnce.Do(func() { close(provisional) })
				if res.StatusCode != sip.StatusTrying {
					c.rec.Ringing(time.Now())
				}
			}
			return nil
		},
	})
	if ringCtx.Err() != nil {
		withdrawn = context.Cause(ringCtx)
	}
	close(done)
	<-canceller
	return withdrawn, sentCancel.Load(), err
}

// sendCancel sends CANCEL for the INVITE: same Request-URI, top Via, Call-ID, From,
// To and CSeq number, to the same address from the same socket (RFC 3261 9.1).
func (c *call) sendCancel(sess *sipgo.DialogClientSession) {
	inv := sess.InviteRequest
	req := sip.NewRequest(sip.CANCEL, *inv.Recipient.Clone())
	req.AppendHeader(sip.HeaderClone(inv.Via()))
	req.AppendHeader(sip.HeaderClone(inv.From()))
	req.AppendHeader(sip.HeaderClone(inv.To()))
	req.AppendHeader(sip.HeaderClone(inv.CallID()))
	req.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.CANCEL})
	maxForwards := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxForwards)
	req.SetTransport(inv.Transport())
	req.SetDestination(inv.Destination())
	inv.Laddr.Copy(&req.Laddr)
	ctx, cancel := context.WithTimeout(context.Background(), sipTimeout)
	defer cancel()
	res, err := sess.UA.Client.Do(ctx, req, sipgo.ClientRequestBuild)
	switch {
	case err != nil:
		c.log.Warn("CANCEL failed", "error", err)
	case res.StatusCode != sip.StatusOK:
		// 481: the INVITE's final response crossed the CANCEL.
		c.log.Info("CANCEL answered", "status", res.StatusCode)
	default:
		c.log.Info("CANCEL sent", "reason", context.Cause(c.ctx))
	}
}

// answered runs an answered call: ACK, media per the mode, and the end (BYE from
// either side). When the call was withdrawn while the 2xx was on its way, it ACKs
// and hangs up at once (ended_by pbx_cancel).
func (c *call) answered(sess *sipgo.DialogClientSession, conn *net.UDPConn, offer sdpanswer.Outgoing, withdrawn error) {
	at := time.Now()
	res := sess.InviteResponse
	ackCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	err := sess.Ack(ackCtx)
	cancel()
	if err != nil {
		conn.Close()
		c.rec.Answered(at, res.StatusCode)
		c.end(calllog.Failed, res.StatusCode, "ACK not sent: "+err.Error())
		c.bye(sess)
		return
	}

	answer, err := sdpanswer.ParseAnswer(res.Body())
	codec, ok := answer.Choose(audioCodecs)
	if err != nil || !ok {
		// RFC 3264 6: an answer devpbx cannot use; the session cannot go on.
		conn.Close()
		c.rec.Answered(at, res.StatusCode)
		reason := "answer has no codec devpbx offered"
		if err != nil {
			reason = "unusable answer: " + err.Error()
		}
		c.end(calllog.PBX, res.StatusCode, reason)
		c.bye(sess)
		return
	}
	var dtmf *sdpanswer.Codec
	if te, ok := answer.TelephoneEvent(); ok {
		dtmf = &te
	}
	dir := answer.Direction.Reverse()
	media, err := rtpmedia.Open(c.d.sip.Addr(), rtpmedia.Config{
		Conn:   conn,
		Codec:  codec,
		DTMF:   dtmf,
		Remote: answer.Remote,
		Send:   sends(dir),
		Echo:   c.req.Mode == ModeEcho,
		OnDTMF: c.rec.AddDTMF,
		Log:    c.log,
	})
	if err != nil { // not with a socket given; kept for safety
		conn.Close()
		c.rec.Answered(at, res.StatusCode)
		c.end(calllog.Failed, res.StatusCode, "media: "+err.Error())
		c.bye(sess)
		return
	}
	c.rec.SetMedia(codec.Name, media)
	c.rec.Answered(at, res.StatusCode)

	c.mu.Lock()
	c.up, c.sess, c.media = true, sess, media
	c.local = sdpanswer.Answer{
		IP: offer.IP, Port: offer.Port, Codec: codec, DTMF: dtmf, Direction: dir,
		SessionID: offer.SessionID, Version: offer.Version,
	}
	byeEarly := c.byeEarly
	c.mu.Unlock()
	c.log.Info("outbound call answered", "status", res.StatusCode, "codec", codec.Name,
		"local_rtp", media.LocalAddr(), "answered_rtp", answer.Remote)

	by := calllog.PBX
	switch {
	case byeEarly:
		by = calllog.CalleeBye
	case withdrawn != nil:
		// The 2xx crossed the CANCEL, or came as devpbx withdrew the call.
		c.log.Info("answered while withdrawn: hanging up", "reason", withdrawn)
		by = calllog.PBXCancel
	default:
		upCtx := c.ctx
		if c.req.HangupAfter > 0 {
			var cancel context.CancelFunc
			upCtx, cancel = context.WithTimeoutCause(c.ctx, c.req.HangupAfter, errHangupAfter)
			defer cancel()
		}
		if c.req.Mode == ModeTone && (codec.Name == sdpanswer.PCMU || codec.Name == sdpanswer.PCMA) {
			_ = media.Tone(upCtx, rtpmedia.ToneFrequency, rtpmedia.ToneDBFS)
		} else {
			<-upCtx.Done()
		}
		switch cause := context.Cause(upCtx); {
		case errors.Is(cause, errCalleeBye):
			by = calllog.CalleeBye
		case errors.Is(cause, errCancel):
			by = calllog.PBXCancel // a cancel that crossed the answer
		}
	}
	media.Close()
	c.end(by, res.StatusCode, "")
	if by != calllog.CalleeBye {
		c.bye(sess)
	}
}

// sends reports whether devpbx may send RTP in its direction d.
func sends(d sdpanswer.Direction) bool {
	return d == sdpanswer.SendRecv || d == sdpanswer.SendOnly
}

// bye hangs up. sipgo's Bye builds the request without the INVITE's local address,
// so over UDP it could leave from another socket: build it here with Laddr and send
// it with WriteBye (which also sends it to where the 2xx came from: RewriteContact).
func (c *call) bye(sess *sipgo.DialogClientSession) {
	target := sess.InviteRequest.Recipient
	if ct := sess.InviteResponse.Contact(); ct != nil {
		target = ct.Address
	}
	req := sip.NewRequest(sip.BYE, *target.Clone())
	sess.InviteRequest.Laddr.Copy(&req.Laddr)
	ctx, cancel := context.WithTimeout(context.Background(), sipTimeout)
	defer cancel()
	if err := sess.WriteBye(ctx, req); err != nil {
		c.log.Warn("BYE failed", "error", err)
	}
}

// serve handles one in-dialog request from the callee.
func (c *call) serve(req *sip.Request, tx sip.ServerTransaction) {
	if req.IsAck() {
		return // for devpbx's 2xx to a re-INVITE
	}
	// RFC 3261 12.2.2: a request older than the last one is out of order.
	c.mu.Lock()
	seq := req.CSeq().SeqNo
	if c.remoteCSeq != 0 && seq < c.remoteCSeq {
		c.mu.Unlock()
		respond(tx, req, sip.StatusInternalServerError, "Server Internal Error (CSeq out of order)")
		return
	}
	c.remoteCSeq = seq
	c.mu.Unlock()

	switch req.Method {
	case sip.BYE:
		c.readBye(req, tx)
	case sip.INVITE:
		c.reinvite(req, tx)
	case sip.INFO:
		if digit, ok := uas.InfoDigit(req); ok {
			c.rec.AddDTMF(digit)
		}
		respond(tx, req, sip.StatusOK, "OK")
	default:
		respond(tx, req, sip.StatusNotImplemented, "Not Implemented")
	}
}

func respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string) {
	_ = tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil))
}

// readBye takes the callee's BYE. One that overtook the 2xx (the callee may send it
// once it sent its 2xx, RFC 3261 15) is answered here and acted on when the 2xx
// is in.
func (c *call) readBye(req *sip.Request, tx sip.ServerTransaction) {
	c.mu.Lock()
	if !c.up {
		c.byeEarly = true
		c.mu.Unlock()
		respond(tx, req, sip.StatusOK, "OK")
		return
	}
	sess := c.sess
	c.mu.Unlock()
	c.stop(errCalleeBye)
	// ReadBye answers 200 and ends the INVITE transaction (no more ACKs for 2xx
	// retransmissions).
	if err := sess.ReadBye(req, tx); err != nil {
		c.log.Debug("BYE", "error", err)
	}
}

// reinvite answers the callee's re-INVITE (hold, resume, address change): same
// codec, new direction and address.
func (c *call) reinvite(req *sip.Request, tx sip.ServerTransaction) {
	offer, err := sdpanswer.ParseOffer(req.Body())
	if err != nil {
		c.log.Info("re-INVITE refused", "error", err)
		respond(tx, req, sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	c.mu.Lock()
	if !c.up {
		c.mu.Unlock()
		respond(tx, req, sip.StatusRequestPending, "Request Pending")
		return
	}
	a := c.local
	ok := false
	for _, codec := range offer.Codecs {
		if codec.Name == a.Codec.Name && codec.PayloadType == a.Codec.PayloadType {
			ok = true
		}
	}
	if !ok {
		c.mu.Unlock()
		c.log.Info("re-INVITE refused: it drops the call's codec")
		respond(tx, req, sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	a.Version++
	a.Direction = offer.Direction.Reverse()
	c.local = a
	c.media.Update(offer.Remote, sends(a.Direction))
	contact := sip.HeaderClone(c.sess.InviteRequest.Contact())
	c.mu.Unlock()
	res := sip.NewSDPResponseFromRequest(req, a.Marshal(offer))
	res.AppendHeader(contact)
	_ = tx.Respond(res)
	c.log.Info("re-INVITE", "direction", a.Direction)
}

func mustTag(from *sip.FromHeader) string {
	tag, _ := from.Params.Get("tag")
	return tag
}

func randomUint63() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:]) >> 1
}
