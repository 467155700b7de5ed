package phone

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"
	"github.com/tabphone/tabphone/media"
	"github.com/tabphone/tabphone/nativehost/config"
)

// Registration timing.
const (
	registerTimeout   = 10 * time.Second // one REGISTER transaction, auth included
	unregisterTimeout = 2 * time.Second  // at exit, Expires: 0 waits this long for a reply
	retryFirst        = 5 * time.Second  // first retry after a failure
	retryMax          = 60 * time.Second // backoff cap
)

// account is one SIP account and its registration loop.
type account struct {
	p      *Phone
	cfg    config.Account
	server config.Server // where requests go: outbound proxy, registrar or domain
	domain config.Server
	callID string
	stop   context.CancelFunc // ends run (which unregisters)
	done   chan struct{}      // closed when run has returned
	kick   chan struct{}      // register now (resume, network change)
	mwi    mwiState           // voicemail subscription (mwi.go)
	blf    blfState           // busy lamps (blf.go)

	dialMu sync.Mutex // one connect at a time

	mu      sync.Mutex
	fl      *flow // the connection to the server; nil until dialed or after it was lost
	reg     Registration
	regErr  error // why the last attempt failed, while reg is RegFailed
	cseq    uint32
	expires int // granted by the registrar
}

func serverOf(a config.Account) (config.Server, error) {
	for _, s := range []string{a.OutboundProxy, a.Registrar, a.Domain} {
		if s != "" {
			return config.ParseServer(s)
		}
	}
	return config.Server{}, fmt.Errorf("account %q has no server", a.ID)
}

func newAccount(p *Phone, a config.Account) (*account, error) {
	srv, err := serverOf(a)
	if err != nil {
		return nil, err
	}
	dom, err := config.ParseServer(a.Domain)
	if err != nil {
		return nil, err
	}
	if srv.Port == 0 {
		srv.Port = defaultPort(a.Transport)
	}
	return &account{p: p, cfg: a, server: srv, domain: dom, callID: uuid.NewString(), reg: RegUnregistered, cseq: 1,
		kick: make(chan struct{}, 1), blf: newBLF(a.BLF)}, nil
}

func (a *account) state() AccountState {
	a.mu.Lock()
	defer a.mu.Unlock()
	return AccountState{ID: a.cfg.ID, User: a.cfg.User, DisplayName: a.cfg.DisplayName, Domain: a.cfg.Domain, Transport: a.cfg.Transport, Registration: a.reg, Err: a.regErr,
		AutoAnswer: a.cfg.AutoAnswer, DNDCode: a.cfg.DNDCode, Voicemail: a.voicemail(),
		Lamps: a.lampInfos(), PickupPrefix: a.cfg.PickupPrefix}
}

func (a *account) registered() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.reg == RegRegistered
}

// setState records the registration state and reports a change (a failure that says
// something new is one).
func (a *account) setState(reg Registration, e error) {
	a.mu.Lock()
	changed := a.reg != reg || (a.regErr == nil) != (e == nil) || (e != nil && a.regErr != nil && e.Error() != a.regErr.Error())
	a.reg, a.regErr = reg, e
	a.mu.Unlock()
	if changed {
		a.p.events.StateChanged()
	}
}

// run registers, refreshes before expiry and retries with exponential backoff after a
// failure (so a wrong password costs one attempt per backoff step, not a storm). When
// ctx ends it unregisters.
func (a *account) run(ctx context.Context) {
	if !a.cfg.Registers() {
		<-ctx.Done()
		return
	}
	defer a.dropFlow()
	var bo backoff
	for {
		a.setState(RegRegistering, nil)
		granted, err := a.registerOutliving(ctx, a.cfg.Expires)
		if ctx.Err() != nil {
			break
		}
		wait := bo.next(granted, err)
		if err != nil {
			a.p.log.Warn("register failed", "account", a.cfg.ID, "err", err, "retry_in", wait)
			a.setState(RegFailed, registrationError(err))
		} else {
			a.setState(RegRegistered, nil)
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
			continue
		case <-a.kick:
			bo.reset()
			continue
		case <-a.currentFlow().lost():
			// The server closed the connection (a restart) or the keepalive found it dead:
			// our binding points at a connection that is gone. Register again at once
			// over a new one; if that fails the backoff above applies.
			a.p.log.Warn("connection to the server lost: registering again", "account", a.cfg.ID)
			a.setState(RegFailed, ErrConnectionLost)
			a.dropFlow()
			continue
		}
		break
	}
	if a.registered() || a.grantedAny() {
		uctx, cancel := context.WithTimeout(context.Background(), unregisterTimeout)
		if _, err := a.register(uctx, 0); err != nil {
			a.p.log.Warn("unregister failed", "account", a.cfg.ID, "err", err)
		}
		cancel()
	}
	a.setState(RegUnregistered, nil)
}

// registerOutliving is register for the loop: a REGISTER already on the wire when ctx
// ends (the phone closing) still waits up to unregisterTimeout for its final answer.
// Abandoned, it could reach the registrar after the unREGISTER that follows (a
// registrar may handle two requests at once, or the digest retry goes out late) and
// leave a binding behind: the PBX would ring a phone that is gone until it expires.
func (a *account) registerOutliving(ctx context.Context, expires int) (int, error) {
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(unregisterTimeout, cancel)
		context.AfterFunc(rctx, func() { t.Stop() })
	})
	defer stop()
	return a.register(rctx, expires)
}

func (a *account) grantedAny() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.expires > 0
}

// backoff decides the wait before an account's next REGISTER or SUBSCRIBE: the refresh
// time after a success, retryFirst doubling to retryMax after failures in a row.
type backoff struct{ retry time.Duration }

// next is the wait after an attempt that was granted `granted` seconds or failed.
func (b *backoff) next(granted int, err error) time.Duration {
	if err == nil {
		b.reset()
		return refreshAfter(granted)
	}
	wait := max(b.retry, retryFirst)
	b.retry = min(wait*2, retryMax)
	return wait
}

// reset starts the backoff over (a success, or a reason to try now).
func (b *backoff) reset() { b.retry = retryFirst }

// refreshAfter refreshes well before the binding expires (RFC 3261 10.2.4): at 80 %,
// and never later than 30 s before the end.
func refreshAfter(expires int) time.Duration {
	d := time.Duration(expires) * time.Second
	return max(min(d*8/10, d-30*time.Second), time.Second)
}

// registrationError is the failure an account's state shows: a refused certificate
// is told apart, since only a config change fixes it.
func registrationError(err error) error {
	var ce *CertificateError
	if certificateRefused(err) && !errors.As(err, &ce) {
		return &CertificateError{Err: err}
	}
	return err
}

// contactFor is our Contact on this flow for a user: the flow's address with the
// user, so the PBX's requests for it come back to this socket or connection.
func (f *flow) contactFor(user string) *sip.ContactHeader {
	c := f.contact
	c.Address.User = user
	c.Address.UriParams = f.contact.Address.UriParams.Clone()
	return &c
}

// currentFlow is the account's flow, nil while it has none.
func (a *account) currentFlow() *flow {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.fl
}

// ensureFlow returns the account's live flow, connecting first when it has none.
func (a *account) ensureFlow(ctx context.Context) (*flow, error) {
	a.dialMu.Lock()
	defer a.dialMu.Unlock()
	if f := a.currentFlow(); f != nil {
		select {
		case <-f.lost():
			a.dropFlow()
		default:
			return f, nil
		}
	}
	f, err := a.dialFlow(ctx)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.fl = f
	a.mu.Unlock()
	return f, nil
}

// dropFlow forgets the account's flow and closes its connection unless a call still
// uses it (the call's dialog lives on it; the phone closes it at exit).
func (a *account) dropFlow() {
	a.mu.Lock()
	f := a.fl
	a.fl = nil
	a.mu.Unlock()
	if f == nil || f.network == netUDP || a.p.callsOn(f) {
		return
	}
	f.close()
}

// doAuthed sends an out-of-dialog request of the account (REGISTER, SUBSCRIBE) over its
// flow with our Contact, and answers one 401/407 with the account's credentials.
func (a *account) doAuthed(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	f, err := a.ensureFlow(ctx)
	if err != nil {
		return nil, err
	}
	req.AppendHeader(f.contactFor(a.cfg.User))
	req.SetDestination(a.server.Addr())
	req.SetTransport(f.sipTransport())
	what := fmt.Sprintf("%s to %s", req.Method, a.server.Addr())
	res, err := answered(func(ctx context.Context, req *sip.Request) (*sip.Response, error) {
		return f.client.Do(ctx, req)
	})(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if res.StatusCode == 401 || res.StatusCode == 407 {
		res, err = answered(func(ctx context.Context, req *sip.Request) (*sip.Response, error) {
			return f.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: a.authUser(), Password: a.cfg.Password.Reveal()})
		})(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("%s with credentials: %w", what, err)
		}
	}
	return res, nil
}

func (a *account) aor() sip.Uri {
	return sip.Uri{Scheme: "sip", User: a.cfg.User, Host: a.domain.Host}
}

// from is the account's From header with our tag.
func (a *account) from(tag string) *sip.FromHeader {
	from := &sip.FromHeader{DisplayName: a.displayName(), Address: a.aor(), Params: sip.NewParams()}
	from.Params.Add("tag", tag)
	return from
}

// displayName is display_name as the inside of a quoted string: sipgo writes it
// between quotes as it is, so quotes and backslashes become quoted-pairs (RFC 3261
// 25.1); config refused control characters.
func (a *account) displayName() string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(a.cfg.DisplayName)
}

// register sends one REGISTER (with digest auth when challenged) and returns the expiry
// the registrar granted. A 423 Interval Too Brief is followed by one more REGISTER
// with the registrar's Min-Expires.
func (a *account) register(ctx context.Context, expires int) (int, error) {
	return a.registerFor(ctx, expires, true)
}

// registerFor is register; retry423 says whether a 423 may be answered with another
// REGISTER (not for the one that follows a 423, so a registrar that keeps answering
// 423 cannot loop us).
func (a *account) registerFor(ctx context.Context, expires int, retry423 bool) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, registerTimeout)
	defer cancel()

	a.mu.Lock()
	a.cseq++
	cseq := a.cseq
	a.mu.Unlock()

	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: a.domain.Host, Port: a.domain.Port})
	req.AppendHeader(a.from(sip.GenerateTagN(16)))
	req.AppendHeader(&sip.ToHeader{DisplayName: a.displayName(), Address: a.aor()})
	callID := sip.CallIDHeader(a.callID)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: sip.REGISTER})
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	req.AppendHeader(sip.NewHeader("Allow", allowedMethods))
	res, err := a.doAuthed(ctx, req)
	if err != nil {
		return 0, err
	}
	a.mu.Lock()
	a.cseq = req.CSeq().SeqNo // an answered challenge sent it again with the next CSeq
	a.mu.Unlock()
	if res.StatusCode == 423 && expires > 0 && retry423 {
		// Interval Too Brief (RFC 3261 10.3): ask again with the registrar's minimum.
		if h := res.GetHeader("Min-Expires"); h != nil {
			if min, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && min > expires && min <= 86400 {
				a.p.log.Info("registrar wants a longer expiry", "account", a.cfg.ID, "min_expires", min)
				return a.registerFor(ctx, min, false)
			}
		}
	}
	if !res.IsSuccess() {
		return 0, sipError(res)
	}
	granted := grantedExpires(res, expires)
	a.mu.Lock()
	a.expires = granted
	a.mu.Unlock()
	return granted, nil
}

// security is the media the account's PBX leg speaks (config validated the value).
func (a *account) security() media.Security {
	sec, _ := media.SecurityFor(a.cfg.SRTP, a.cfg.Transport)
	return sec
}

func (a *account) authUser() string {
	if a.cfg.AuthUser != "" {
		return a.cfg.AuthUser
	}
	return a.cfg.User
}

// grantedExpires reads the expiry the registrar granted from the Contact's expires
// parameter or the Expires header (RFC 3261 10.2.4), falling back to what we asked.
func grantedExpires(res *sip.Response, asked int) int {
	if asked == 0 {
		return 0
	}
	if c := res.Contact(); c != nil {
		if v, ok := c.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return n
			}
		}
	}
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(h.Value()); err == nil && n > 0 {
			return n
		}
	}
	return asked
}
