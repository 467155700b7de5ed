// Package uac places devpbx's outbound calls: it invites a registered user at its
// binding from devpbx's own SIP socket, runs the dialog as the caller (ringing,
// answer and ACK, CANCEL, BYE both ways, re-INVITE, INFO) and serves a test mode
// (tone, echo, silence) once answered.
package uac

import (
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"sync"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/tabphone/tabphone/devpbx/calllog"
	"github.com/tabphone/tabphone/devpbx/registrar"
)

// Config wires a Dialer; every field is required except Log.
type Config struct {
	// SIP is devpbx's SIP address. UDP requests leave from this socket (phones
	// accept calls only from their registrar's address and port), RTP sockets are
	// bound to its IP, and it is the domain of From, To and P-Asserted-Identity.
	SIP       netip.AddrPort
	Registrar *registrar.Registrar
	Calls     *calllog.Log
	Log       *slog.Logger
}

// Dialer places calls to registered users. Its methods are safe for concurrent use.
type Dialer struct {
	ctx   context.Context
	sip   netip.AddrPort
	reg   *registrar.Registrar
	calls *calllog.Log
	log   *slog.Logger
	uas   map[string]*sipgo.DialogUA // by transport (UDP, TCP)

	mu       sync.Mutex
	closed   bool
	running  sync.WaitGroup
	byID     map[string]*call    // live calls by record id
	byDialog map[dialogKey]*call // calls whose INVITE went out
}

// dialogKey finds the call an in-dialog request from a callee belongs to: the
// Call-ID and devpbx's From tag (the callee's To tag). devpbx's INVITEs do not fork,
// so the callee's tag is not needed, and requests that overtake the 200 OK match.
type dialogKey struct{ callID, localTag string }

// New returns a Dialer whose calls end when ctx ends. client sends the requests;
// contacts gives devpbx's Contact per transport ("UDP", "TCP").
func New(ctx context.Context, cfg Config, client *sipgo.Client, contacts map[string]sip.ContactHeader) *Dialer {
	d := &Dialer{
		ctx: ctx, sip: cfg.SIP, reg: cfg.Registrar, calls: cfg.Calls, log: cfg.Log,
		uas:      make(map[string]*sipgo.DialogUA),
		byID:     make(map[string]*call),
		byDialog: make(map[dialogKey]*call),
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	for transport, contact := range contacts {
		// RewriteContact sends in-dialog requests (ACK, CANCEL, BYE) to where the
		// callee's responses came from rather than to its Contact: the address
		// devpbx knows reaches the phone, as with its registration.
		d.uas[transport] = &sipgo.DialogUA{Client: client, ContactHDR: contact, RewriteContact: true}
	}
	return d
}

// Originate starts a call as r describes and returns its id in /api/calls. The
// callee's registration is looked up when the delay is over; a call that finds none
// ends as "failed" with the error "not registered".
func (d *Dialer) Originate(r Request) (string, error) {
	r = r.clone()
	if err := r.normalize(); err != nil {
		return "", err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed || d.ctx.Err() != nil {
		return "", ErrClosed
	}
	ctx, stop := context.WithCancelCause(d.ctx)
	c := &call{d: d, req: r, ctx: ctx, stop: stop, rec: d.calls.StartOutbound(r.From, r.To)}
	c.log = d.log.With("call", c.rec.ID(), "to", r.To)
	d.byID[c.rec.ID()] = c
	d.running.Add(1)
	go c.run()
	return c.rec.ID(), nil
}

// Hangup ends an outbound call: BYE when it is answered, CANCEL while it rings, and
// a scheduled call is dropped. It returns before the call has ended; its record
// shows the end.
func (d *Dialer) Hangup(id string) error {
	c, err := d.live(id)
	if err != nil {
		return err
	}
	c.stop(errHangup)
	return nil
}

// Cancel withdraws an outbound call that is not answered yet (CANCEL, or drops a
// scheduled one); an answered call gives ErrAnswered.
func (d *Dialer) Cancel(id string) error {
	c, err := d.live(id)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.up {
		return ErrAnswered
	}
	c.stop(errCancel)
	return nil
}

// live returns the running call with id, or why there is none.
func (d *Dialer) live(id string) (*call, error) {
	d.mu.Lock()
	c := d.byID[id]
	d.mu.Unlock()
	if c != nil {
		return c, nil
	}
	rec, ok := d.calls.Get(id)
	switch {
	case !ok:
		return nil, ErrNoCall
	case rec.Direction != calllog.Outbound:
		return nil, ErrNotOutbound
	default:
		return nil, ErrEnded
	}
}

// Shutdown stops placing calls and waits until running ones have ended (their
// contexts end with the one given to New: BYE, CANCEL) or ctx ends.
func (d *Dialer) Shutdown(ctx context.Context) error {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	done := make(chan struct{})
	go func() {
		d.running.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// binding returns where user registered last.
func (d *Dialer) binding(user string) (registrar.Binding, bool) {
	list := d.reg.Lookup(user)
	if len(list) == 0 {
		return registrar.Binding{}, false
	}
	return list[len(list)-1], true
}

// dialogUA returns the dialog user agent for transport (UDP when unknown).
func (d *Dialer) dialogUA(transport string) *sipgo.DialogUA {
	if ua := d.uas[strings.ToUpper(transport)]; ua != nil {
		return ua
	}
	return d.uas["UDP"]
}

// uri is user's address in devpbx's domain, its SIP address (the port left out
// when it is the default 5060).
func (d *Dialer) uri(user string) sip.Uri {
	u := sip.Uri{Scheme: "sip", User: user, Host: d.sip.Addr().String()}
	if d.sip.Port() != 5060 {
		u.Port = int(d.sip.Port())
	}
	return u
}

func (d *Dialer) track(k dialogKey, c *call) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.byDialog[k] = c
}

func (d *Dialer) forget(c *call) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.byID, c.rec.ID())
	if d.byDialog[c.key] == c {
		delete(d.byDialog, c.key)
	}
}

// ServeInDialog handles the callee's requests in the dialog of an outbound call:
// BYE, re-INVITE (hold, resume), INFO (DTMF), and ACKs for devpbx's 2xx to a
// re-INVITE. It reports false when req belongs to no outbound call.
func (d *Dialer) ServeInDialog(req *sip.Request, tx sip.ServerTransaction) bool {
	if req.CallID() == nil || req.To() == nil || req.CSeq() == nil {
		return false
	}
	tag, ok := req.To().Params.Get("tag")
	if !ok {
		return false
	}
	d.mu.Lock()
	c := d.byDialog[dialogKey{req.CallID().Value(), tag}]
	d.mu.Unlock()
	if c == nil {
		return false
	}
	c.serve(req, tx)
	return true
}
