// Package uas answers the INVITEs sent to devpbx's test extensions: it authenticates
// the caller, runs the dialog (100, 180, 200 with SDP, ACK, BYE, CANCEL, re-INVITE)
// and hands each call to the Extension registered for the number dialled.
package uas

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/tabphone/tabphone/devpbx/calllog"
	"github.com/tabphone/tabphone/devpbx/sdpanswer"
	"github.com/tabphone/tabphone/devpbx/sipauth"
)

// Extension runs one call to its number: typically Ring, then Answer or Reject, then
// media until ctx ends. ctx ends when the caller hangs up (BYE or CANCEL) or devpbx
// stops. When the Extension returns while the call is still up, devpbx hangs up with
// BYE. Adding a test service to devpbx is writing one Extension.
type Extension func(ctx context.Context, c *Call) error

// Dialogs serves in-dialog requests of dialogs the Server does not own: those of
// the calls devpbx places itself (uac.Dialer), which share devpbx's SIP socket.
type Dialogs interface {
	// ServeInDialog handles req and reports true when req belongs to one of its
	// dialogs; it reports false, and leaves req alone, otherwise.
	ServeInDialog(req *sip.Request, tx sip.ServerTransaction) bool
}

// Config wires a Server; every field is required except RingDelay, Others and Log.
type Config struct {
	// IP is where RTP sockets are bound and what SDP answers advertise.
	IP   netip.Addr
	Auth *sipauth.Authenticator
	// Calls records the calls.
	Calls *calllog.Log
	// Extensions by number. A key ending in "*" ("602*") serves every number that
	// starts with it ("602*5"); the Extension reads the rest from Call.To.
	Extensions map[string]Extension
	// RingDelay is the wait between 180 Ringing and the answer.
	RingDelay time.Duration
	// Others gets the in-dialog requests (ACK, BYE, re-INVITE, INFO) that match no
	// call of this Server.
	Others Dialogs
	Log    *slog.Logger
}

// Server handles calls. Register it on a sipgo.Server.
type Server struct {
	ctx        context.Context
	ip         netip.Addr
	auth       *sipauth.Authenticator
	calls      *calllog.Log
	extensions map[string]Extension
	ringDelay  time.Duration
	others     Dialogs
	log        *slog.Logger
	dialogs    map[string]*sipgo.DialogServerCache // by transport (UDP, TCP)

	mu      sync.Mutex
	closed  bool
	running sync.WaitGroup
	byID    map[string]*Call // by SIP dialog ID
}

// New returns a Server whose calls live until ctx ends. contacts gives the Contact
// devpbx puts in its responses, per transport ("UDP", "TCP"); client sends in-dialog
// requests (BYE).
func New(ctx context.Context, cfg Config, client *sipgo.Client, contacts map[string]sip.ContactHeader) *Server {
	s := &Server{
		ctx: ctx, ip: cfg.IP, auth: cfg.Auth, calls: cfg.Calls, extensions: cfg.Extensions,
		ringDelay: cfg.RingDelay, others: cfg.Others, log: cfg.Log,
		dialogs: make(map[string]*sipgo.DialogServerCache),
		byID:    make(map[string]*Call),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	for transport, contact := range contacts {
		s.dialogs[transport] = sipgo.NewDialogServerCache(client, contact)
	}
	return s
}

// Register installs the handlers for INVITE, ACK, BYE, CANCEL and INFO.
func (s *Server) Register(srv *sipgo.Server) {
	srv.OnInvite(s.guard(s.handleInvite))
	srv.OnAck(s.guard(s.handleAck))
	srv.OnBye(s.guard(s.handleBye))
	srv.OnCancel(s.guard(s.handleCancel))
	srv.OnInfo(s.guard(s.handleInfo))
}

// Shutdown stops accepting calls and waits until running calls have finished (their
// contexts end with the one given to New) or ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.running.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// guard keeps a panic in one request from taking devpbx down.
func (s *Server) guard(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("panic in SIP handler", "method", req.Method, "panic", p, "stack", string(debug.Stack()))
				_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusInternalServerError, "Server Internal Error", nil))
			}
		}()
		h(req, tx)
	}
}

func respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string) {
	_ = tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil))
}

// wellFormed checks the headers every request handled here relies on.
func wellFormed(req *sip.Request) bool {
	return req.From() != nil && req.To() != nil && req.CallID() != nil && req.CSeq() != nil
}

func (s *Server) handleInvite(req *sip.Request, tx sip.ServerTransaction) {
	if !wellFormed(req) {
		respond(tx, req, sip.StatusBadRequest, "Bad Request (missing From/To/Call-ID/CSeq)")
		return
	}
	if _, ok := req.To().Params.Get("tag"); ok {
		s.handleReInvite(req, tx)
		return
	}
	user, reject := s.auth.Check(req, sipauth.Proxy)
	if reject != nil {
		_ = tx.Respond(reject)
		return
	}
	if req.From().Address.User != user {
		s.log.Warn("INVITE from another user's address", "auth_user", user, "from", req.From().Address.User)
		respond(tx, req, sip.StatusForbidden, "Forbidden (From does not match the authenticated user)")
		return
	}
	if !s.begin() {
		respond(tx, req, sip.StatusServiceUnavailable, "Service Unavailable (shutting down)")
		return
	}
	defer s.running.Done()

	cache := s.dialogs[strings.ToUpper(req.Transport())]
	if cache == nil {
		cache = s.dialogs["UDP"]
	}
	sess, err := cache.ReadInvite(req, tx)
	if err != nil {
		// No Contact, or a CANCEL already terminated the transaction.
		s.log.Warn("cannot start dialog", "error", err, "call_id", req.CallID().Value())
		if errors.Is(err, sipgo.ErrDialogInviteNoContact) {
			respond(tx, req, sip.StatusBadRequest, "Bad Request (no Contact)")
		}
		return
	}
	if err := sess.Respond(sip.StatusTrying, "Trying", nil); err != nil {
		s.log.Debug("100 Trying", "error", err)
	}

	to := req.Recipient.User
	ctx, cancel := context.WithCancel(s.ctx)
	// The dialog's context ends on BYE, on CANCEL and when the transaction dies.
	stop := context.AfterFunc(sess.Context(), cancel)
	defer stop()
	c := &Call{
		srv: s, sess: sess, invite: req, from: user, to: to, cancel: cancel,
		rec: s.calls.Start(req.CallID().Value(), user, to),
	}
	c.offer, c.offerErr = parseOffer(req)
	s.track(sess.ID, c)
	defer s.untrack(sess.ID)
	s.log.Info("call started", "call", c.ID(), "from", user, "to", to, "source", req.Source())

	var runErr error
	if ext := s.extension(to); ext == nil {
		runErr = c.Reject(sip.StatusNotFound, "Not Found")
	} else {
		runErr = runExtension(ctx, ext, c)
	}
	c.finish(runErr)
}

// runExtension runs ext, turning a panic into an error so the call is still finished.
func runExtension(ctx context.Context, ext Extension, c *Call) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("extension panic: %v\n%s", p, debug.Stack())
		}
	}()
	return ext(ctx, c)
}

// extension returns what serves number: its own Extension, else the one for its
// prefix up to the first "*" ("602*5" → "602*"). Calls between registered users
// will be looked up here too, after the test extensions.
func (s *Server) extension(number string) Extension {
	if ext, ok := s.extensions[number]; ok {
		return ext
	}
	if base, _, ok := strings.Cut(number, "*"); ok {
		return s.extensions[base+"*"]
	}
	return nil
}

// other passes an in-dialog request that matches no call here to Others, and
// reports whether Others took it.
func (s *Server) other(req *sip.Request, tx sip.ServerTransaction) bool {
	return s.others != nil && s.others.ServeInDialog(req, tx)
}

func parseOffer(req *sip.Request) (sdpanswer.Offer, error) {
	if len(req.Body()) == 0 {
		return sdpanswer.Offer{}, fmt.Errorf("%w: INVITE without SDP (offer in ACK is not supported)", sdpanswer.ErrNoAudio)
	}
	if ct := req.ContentType(); ct != nil && !strings.HasPrefix(strings.ToLower(ct.Value()), "application/sdp") {
		return sdpanswer.Offer{}, fmt.Errorf("%w: body is %s", sdpanswer.ErrNoAudio, ct.Value())
	}
	return sdpanswer.ParseOffer(req.Body())
}

func (s *Server) begin() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.ctx.Err() != nil {
		return false
	}
	s.running.Add(1)
	return true
}

func (s *Server) track(id string, c *Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byID[id] = c
}

func (s *Server) untrack(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, id)
}

// lookup finds the call an in-dialog request belongs to.
func (s *Server) lookup(req *sip.Request) *Call {
	id, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byID[id]
}

func (s *Server) handleAck(req *sip.Request, tx sip.ServerTransaction) {
	c := s.lookup(req)
	if c == nil {
		// An outbound call's ACK, or one for a call already gone, or for a
		// re-INVITE's 2xx we do not track.
		s.other(req, tx)
		return
	}
	c.acked.Store(true)
	if err := c.sess.ReadAck(req, tx); err != nil {
		s.log.Debug("ACK not for the INVITE", "call", c.ID(), "error", err)
	}
}

func (s *Server) handleBye(req *sip.Request, tx sip.ServerTransaction) {
	if !wellFormed(req) {
		respond(tx, req, sip.StatusBadRequest, "Bad Request")
		return
	}
	c := s.lookup(req)
	if c == nil {
		if !s.other(req, tx) {
			respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		}
		return
	}
	c.byeReceived.Store(true)
	if c.sess.LoadState() < sip.DialogStateEstablished {
		// BYE on the early dialog (RFC 3261 15.1.2): 200 here, the Extension stops and
		// finish answers the INVITE with 487. sipgo's ReadBye would terminate the
		// INVITE transaction without any final response.
		respond(tx, req, sip.StatusOK, "OK")
		c.cancel()
		return
	}
	c.byeOnDialog.Store(true)
	if err := c.sess.ReadBye(req, tx); err != nil {
		if errors.Is(err, sipgo.ErrDialogInvalidCseq) {
			respond(tx, req, sip.StatusBadRequest, "Bad Request (CSeq)")
		}
		s.log.Debug("BYE", "call", c.ID(), "error", err)
	}
}

// handleCancel sees only CANCELs that match no INVITE transaction: sipgo's transaction
// layer answers the others itself (200 to the CANCEL, 487 to the INVITE).
func (s *Server) handleCancel(req *sip.Request, tx sip.ServerTransaction) {
	respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
}

func (s *Server) handleReInvite(req *sip.Request, tx sip.ServerTransaction) {
	c := s.lookup(req)
	if c == nil {
		if !s.other(req, tx) {
			respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		}
		return
	}
	if err := c.sess.ReadRequest(req, tx); err != nil {
		respond(tx, req, sip.StatusInternalServerError, "Server Internal Error (CSeq)")
		return
	}
	res, err := c.reoffer(req)
	if err != nil {
		s.log.Info("re-INVITE refused", "call", c.ID(), "error", err)
		respond(tx, req, sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	// A 2xx to a re-INVITE carries the same Contact as the dialog's first 200.
	if h := c.sess.InviteResponse.Contact(); h != nil {
		res.AppendHeader(h.Clone())
	}
	_ = tx.Respond(res)
	s.log.Info("re-INVITE", "call", c.ID(), "direction", c.answerDirection())
}

func (c *Call) answerDirection() sdpanswer.Direction {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.answer.Direction
}

// handleInfo takes DTMF sent as SIP INFO (application/dtmf-relay or application/dtmf).
func (s *Server) handleInfo(req *sip.Request, tx sip.ServerTransaction) {
	c := s.lookup(req)
	if c == nil {
		if !s.other(req, tx) {
			respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		}
		return
	}
	if d, ok := InfoDigit(req); ok {
		c.rec.AddDTMF(d)
	}
	respond(tx, req, sip.StatusOK, "OK")
}

// InfoDigit reads the DTMF digit of a SIP INFO request (application/dtmf-relay with
// "Signal=", or application/dtmf).
func InfoDigit(req *sip.Request) (byte, bool) {
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = strings.ToLower(h.Value())
	}
	body := strings.TrimSpace(string(req.Body()))
	switch {
	case strings.HasPrefix(ct, "application/dtmf-relay"):
		for line := range strings.SplitSeq(body, "\n") {
			k, v, ok := strings.Cut(line, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "Signal") {
				body = strings.TrimSpace(v)
				break
			}
		}
	case strings.HasPrefix(ct, "application/dtmf"):
	default:
		return 0, false
	}
	if len(body) == 1 && strings.ContainsRune("0123456789*#ABCDabcd", rune(body[0])) {
		return strings.ToUpper(body)[0], true
	}
	return 0, false
}
