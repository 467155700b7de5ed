package uas

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/tabphone/tabphone/devpbx/calllog"
	"github.com/tabphone/tabphone/devpbx/rtpmedia"
	"github.com/tabphone/tabphone/devpbx/sdpanswer"
)

// Call is one incoming call as an Extension sees it. Its methods are meant to be
// called from the Extension's goroutine.
type Call struct {
	srv    *Server
	sess   *sipgo.DialogServerSession
	invite *sip.Request
	rec    *calllog.Call
	from   string
	to     string
	cancel context.CancelFunc

	offer    sdpanswer.Offer
	offerErr error

	acked       atomic.Bool
	byeReceived atomic.Bool
	byeOnDialog atomic.Bool // the BYE came after devpbx's 200 OK

	mu       sync.Mutex
	status   int // final response sent (0: none yet)
	media    *rtpmedia.Session
	answer   sdpanswer.Answer
	answered bool
	afterEnd []func(hungUp time.Time) error
}

// From is the calling user (authenticated).
func (c *Call) From() string { return c.from }

// To is the number called (the Request-URI user).
func (c *Call) To() string { return c.to }

// Offer is the caller's SDP offer; its error is non-nil when the offer is unusable.
func (c *Call) Offer() (sdpanswer.Offer, error) { return c.offer, c.offerErr }

// ID is the call's id in /api/calls.
func (c *Call) ID() string { return c.rec.ID() }

// AfterEnd has f called once the call has ended, with the time it was hung up: just
// before devpbx's BYE, or as devpbx finished after the caller's BYE or CANCEL. f runs
// on the call's goroutine after the SIP clean-up; an error is logged.
func (c *Call) AfterEnd(f func(hungUp time.Time) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.afterEnd = append(c.afterEnd, f)
}

// Ring sends 180 Ringing and then waits the configured ring delay.
func (c *Call) Ring(ctx context.Context) error {
	if err := c.sess.Respond(sip.StatusRinging, "Ringing", nil); err != nil {
		return fmt.Errorf("180 Ringing: %w", err)
	}
	c.rec.Ringing(time.Now())
	if d := c.srv.ringDelay; d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
	return ctx.Err()
}

// Reject sends a final error response (e.g. 486 Busy Here) and waits for its ACK.
func (c *Call) Reject(code int, reason string) error {
	c.mu.Lock()
	if c.status != 0 {
		c.mu.Unlock()
		return ErrAnswered
	}
	c.status = code
	c.mu.Unlock()
	if err := c.sess.Respond(code, reason, nil); err != nil {
		return fmt.Errorf("%d %s: %w", code, reason, err)
	}
	return nil
}

// Offers reports whether the caller offered one of the codecs named in accept.
func (c *Call) Offers(accept []string) bool {
	if c.offerErr != nil {
		return false
	}
	_, ok := c.offer.Choose(accept)
	return ok
}

// AnswerOptions say how to answer.
type AnswerOptions struct {
	// Codecs devpbx accepts, by sdpanswer name; the offerer's order picks among them.
	Codecs []string
	// Echo sends every received audio packet back from the first one on.
	Echo bool
}

// Answer picks the first offered codec named in opts.Codecs, opens the RTP session,
// sends 200 OK with devpbx's SDP and waits for the ACK. Without an acceptable codec it
// rejects the call with 488 Not Acceptable Here and returns ErrRejected.
func (c *Call) Answer(ctx context.Context, opts AnswerOptions) (*rtpmedia.Session, error) {
	accept := opts.Codecs
	if c.offerErr != nil {
		_ = c.Reject(sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return nil, fmt.Errorf("%w: %v", ErrRejected, c.offerErr)
	}
	codec, ok := c.offer.Choose(accept)
	if !ok {
		_ = c.Reject(sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return nil, fmt.Errorf("%w: no codec of %v offered", ErrRejected, accept)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := c.sess.Context().Err(); err != nil {
		return nil, err // CANCEL or BYE arrived; ctx follows a moment later
	}
	var dtmf *sdpanswer.Codec
	if te, ok := c.offer.TelephoneEvent(); ok {
		dtmf = &te
	}
	dir := c.offer.Direction.Reverse()
	media, err := rtpmedia.Open(c.srv.ip, rtpmedia.Config{
		Codec:  codec,
		DTMF:   dtmf,
		Remote: c.offer.Remote,
		Send:   sends(dir),
		Echo:   opts.Echo,
		OnDTMF: c.rec.AddDTMF,
		Log:    c.srv.log.With("call", c.ID()),
	})
	if err != nil {
		_ = c.Reject(sip.StatusInternalServerError, "Server Internal Error")
		return nil, fmt.Errorf("rtp socket: %w", err)
	}
	var sid [8]byte
	_, _ = rand.Read(sid[:])
	answer := sdpanswer.Answer{
		IP: c.srv.ip, Port: int(media.LocalAddr().Port()), Codec: codec, DTMF: dtmf,
		Direction: dir, SessionID: binary.BigEndian.Uint64(sid[:]) >> 1, Version: 1,
	}
	c.mu.Lock()
	if c.status != 0 {
		c.mu.Unlock()
		media.Close()
		return nil, ErrAnswered
	}
	c.status = sip.StatusOK
	c.media, c.answer = media, answer
	c.mu.Unlock()
	c.rec.SetMedia(codec.Name, media)

	answeredAt := time.Now()
	// RespondSDP retransmits the 200 until the ACK arrives; without an ACK it fails
	// once the transaction times out (Timer L, 64*T1).
	err = c.sess.RespondSDP(answer.Marshal(c.offer))
	if err == nil && !c.acked.Load() {
		// sipgo may also call the dialog confirmed without an ACK; RFC 3261 13.3.1.4
		// says the session should then end.
		err = ErrNoACK
	}
	if err == nil || c.byeOnDialog.Load() {
		// A BYE on the dialog proves the caller got the 200 even if it overtook the
		// ACK (sipgo handles each request in its own goroutine, so they can arrive
		// reordered).
		c.mu.Lock()
		c.answered = true
		c.mu.Unlock()
		c.rec.Answered(answeredAt, sip.StatusOK)
	}
	if err != nil {
		return nil, fmt.Errorf("200 OK: %w", err)
	}
	c.srv.log.Info("call answered", "call", c.ID(), "codec", codec.Name, "local_rtp", media.LocalAddr(), "offered_rtp", c.offer.Remote)
	return media, nil
}

// sends reports whether devpbx may send RTP in answer direction d.
func sends(d sdpanswer.Direction) bool {
	return d == sdpanswer.SendRecv || d == sdpanswer.SendOnly
}

// finish ends the call after its Extension returned: it closes the media, sends what
// SIP still owes (a final response, or a BYE when devpbx hangs up) and records who
// ended the call.
func (c *Call) finish(runErr error) {
	c.mu.Lock()
	media, status, afterEnd := c.media, c.status, c.afterEnd
	c.mu.Unlock()
	// Once a 200 went out the dialog exists, ACKed or not; if devpbx ends it, it owes
	// a BYE (RFC 3261 13.3.1.4 also asks for one when the ACK never came).
	sent200 := status == sip.StatusOK

	by := calllog.PBX
	switch {
	case c.byeReceived.Load():
		by = calllog.CallerBye
	case errors.Is(context.Cause(c.sess.Context()), sip.ErrTransactionCanceled):
		by = calllog.CallerCancel
		status = sip.StatusRequestTerminated // sipgo's transaction layer sent the 487
	}

	// The Extension may have returned without a final response: devpbx is stopping,
	// or the Extension failed, or the caller sent BYE on the early dialog (RFC 3261
	// 15.1.2: answer the INVITE with 487).
	owed, reason := 0, ""
	if status == 0 {
		owed, reason = sip.StatusInternalServerError, "Server Internal Error"
		switch {
		case by == calllog.CallerBye:
			owed, reason = sip.StatusRequestTerminated, "Request Terminated"
		case c.srv.ctx.Err() != nil:
			owed, reason = sip.StatusServiceUnavailable, "Service Unavailable"
		}
		status = owed
	}
	if media != nil {
		_ = media.Close()
	}
	// Record the end before the SIP clean-up below, which can wait for an ACK that
	// never comes (up to 32 s of Timer H).
	c.rec.End(by, status)
	if owed != 0 {
		_ = c.Reject(owed, reason)
	}
	hungUp := time.Now()
	if sent200 && by == calllog.PBX {
		c.hangup()
	}
	c.sess.Close()
	c.cancel()
	for _, f := range afterEnd {
		if err := f(hungUp); err != nil {
			c.srv.log.Warn("after the call", "call", c.ID(), "error", err)
		}
	}

	rec := c.rec.Record()
	args := []any{"call", rec.ID, "from", rec.From, "to", rec.To, "ended_by", rec.By, "status", rec.Status,
		"rx_packets", rec.RxPackets, "tx_packets", rec.TxPackets}
	if rec.Tone1kHzRatio != nil {
		args = append(args, "tone_1000hz_ratio", *rec.Tone1kHzRatio, "rx_max_dbfs", *rec.RxMaxDBFS)
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) && !errors.Is(runErr, ErrRejected) {
		args = append(args, "error", runErr)
	}
	c.srv.log.Info("call ended", args...)
}

// hangup sends BYE. It goes to where the INVITE came from (symmetric signaling, as a
// NAT-aware PBX does), so it leaves through the listening socket sipgo keeps for that
// address instead of a new ephemeral one.
func (c *Call) hangup() {
	contact := c.invite.Contact()
	if contact == nil {
		return
	}
	bye := sip.NewRequest(sip.BYE, *contact.Address.Clone())
	bye.SetTransport(c.invite.Transport())
	bye.SetDestination(c.invite.Source())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.sess.WriteBye(ctx, bye); err != nil {
		c.srv.log.Warn("BYE failed", "call", c.ID(), "error", err)
	}
}

// reoffer answers a re-INVITE (hold, resume, address change) on an answered call. The
// codec cannot change mid-call; the remote address and direction can.
func (c *Call) reoffer(req *sip.Request) (*sip.Response, error) {
	offer, err := sdpanswer.ParseOffer(req.Body())
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.answered || c.media == nil {
		return sip.NewResponseFromRequest(req, sip.StatusRequestPending, "Request Pending", nil), nil
	}
	ok := false
	for _, codec := range offer.Codecs {
		if codec.Name == c.answer.Codec.Name && codec.PayloadType == c.answer.Codec.PayloadType {
			ok = true
		}
	}
	if !ok {
		return nil, fmt.Errorf("%w: re-INVITE drops the call's codec", sdpanswer.ErrNoAudio)
	}
	a := c.answer
	a.Version++
	a.Direction = offer.Direction.Reverse()
	c.answer = a
	c.media.Update(offer.Remote, sends(a.Direction))
	res := sip.NewSDPResponseFromRequest(req, a.Marshal(offer))
	return res, nil
}
