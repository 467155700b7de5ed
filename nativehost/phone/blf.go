package phone

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Busy lamps (BLF): with extensions in an account's blf list, the account subscribes to
// the dialog event package (RFC 4235) of each, through its registrar/proxy with digest
// auth, refreshes each subscription before it expires, backs off (exponential, capped,
// jittered) after a failure, and unsubscribes when the account goes. The NOTIFYs of
// those subscriptions (and only those: Call-ID and our From tag, from the account's
// server) carry dialog-info documents; each lamp is the summary of its extension's
// dialogs: idle, ringing (with the direction), busy, or unknown while not subscribed.

const (
	blfEvent      = "dialog"
	blfExpires    = 600             // asked for; the notifier may grant less
	blfRetryFirst = 2 * time.Second // first wait after a failure
	blfRetryMax   = 5 * time.Minute // the backoff's cap
	blfStagger    = 20 * time.Millisecond
)

// Lamp is a watched extension's state.
type Lamp int

// Lamp states; the zero value is unknown (not subscribed, or nothing heard yet).
const (
	LampUnknown Lamp = iota
	LampIdle
	LampRinging // an early dialog: Direction says whether it is called or calling
	LampBusy    // a confirmed dialog
)

// LampInfo is one busy lamp as the phone reports it.
type LampInfo struct {
	Extension string
	State     Lamp
	// Direction of the dialog behind a ringing or busy lamp: Incoming means the
	// extension is being called (a pickup can take it), Outgoing that it called.
	Direction Direction
	// The other party, when the PBX tells: its number (the user part of its URI) and
	// its display name.
	RemoteNumber string
	RemoteName   string
}

// lamp is one extension's subscription and what it last said.
type lamp struct {
	ext string

	mu sync.Mutex
	subDialog
	version int64 // the last dialog-info version, -1 before the first
	dialogs map[string]dialogEntry
	info    LampInfo
	kick    chan struct{} // subscribe again now (the notifier ended the subscription)
}

// blfState is an account's lamps, in the order of its blf list.
type blfState struct {
	lamps []*lamp
}

func newBLF(exts []string) blfState {
	var b blfState
	for _, e := range exts {
		b.lamps = append(b.lamps, &lamp{ext: e, version: -1, kick: make(chan struct{}, 1), info: LampInfo{Extension: e}})
	}
	return b
}

// lampInfos is the account's lamps for its state.
func (a *account) lampInfos() []LampInfo {
	if len(a.blf.lamps) == 0 {
		return nil
	}
	out := make([]LampInfo, 0, len(a.blf.lamps))
	for _, l := range a.blf.lamps {
		l.mu.Lock()
		out = append(out, l.info)
		l.mu.Unlock()
	}
	return out
}

// blfBackoff is the wait after a failed SUBSCRIBE: doubling from first up to max, each
// wait jittered by ±20 % so that many lamps refused at once do not retry in step.
type blfBackoff struct {
	first, max, retry time.Duration
	jitter            func() float64 // in [0,1); nil: math/rand
}

func (b *blfBackoff) next() time.Duration {
	wait := max(b.retry, b.first)
	b.retry = min(wait*2, b.max)
	r := rand.Float64
	if b.jitter != nil {
		r = b.jitter
	}
	return time.Duration(float64(wait) * (0.8 + 0.4*r()))
}

func (b *blfBackoff) reset() { b.retry = b.first }

// blfRefreshAfter refreshes at 80 % of a short grant and 30 s before the end of a long
// one (RFC 6665 4.1.2.2 leaves the margin to the subscriber).
func blfRefreshAfter(expires int) time.Duration {
	d := time.Duration(expires) * time.Second
	if d > 150*time.Second {
		return d - 30*time.Second
	}
	return max(d*8/10, time.Second)
}

// startBLF runs a subscription per watched extension until ctx ends.
func (p *Phone) startBLF(ctx context.Context, acc *account) {
	for i, l := range acc.blf.lamps {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			// A short stagger: fifty lamps do not hit the proxy in one burst.
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(i) * blfStagger):
			}
			acc.watchLamp(ctx, l)
		}()
	}
}

func (a *account) watchLamp(ctx context.Context, l *lamp) {
	bo := blfBackoff{first: a.p.blfRetry, max: blfRetryMax}
	for {
		granted, retryAfter, err := a.subscribeLamp(ctx, l, blfExpires)
		if ctx.Err() != nil {
			break
		}
		var wait time.Duration
		if err == nil {
			bo.reset()
			wait = blfRefreshAfter(granted)
		} else {
			wait = bo.next()
			if retryAfter > wait {
				wait = min(retryAfter, blfRetryMax)
			}
			a.p.log.Warn("busy lamp subscription failed", "account", a.cfg.ID, "extension", l.ext, "err", err, "retry_in", wait)
			a.setLamp(l, func(l *lamp) { l.info = LampInfo{Extension: l.ext}; l.dialogs = nil })
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
			continue
		case <-l.kick:
			// The notifier ended the subscription (RFC 6665 4.1.3): a new one, after the
			// first backoff step so a notifier that ends every subscription is not hammered.
			l.mu.Lock()
			l.toTag = ""
			l.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(bo.next()):
				continue
			}
		}
		break
	}
	l.mu.Lock()
	subscribed := l.expires > 0
	l.mu.Unlock()
	if subscribed {
		uctx, cancel := context.WithTimeout(context.Background(), unregisterTimeout)
		if _, _, err := a.subscribeLamp(uctx, l, 0); err != nil {
			a.p.log.Warn("busy lamp unsubscribe failed", "account", a.cfg.ID, "extension", l.ext, "err", err)
		}
		cancel()
	}
}

// setLamp changes a lamp under its lock and reports a change of what it shows.
func (a *account) setLamp(l *lamp, f func(*lamp)) {
	l.mu.Lock()
	before := l.info
	f(l)
	changed := l.info != before
	l.mu.Unlock()
	if changed {
		a.p.events.StateChanged()
	}
}

// subscribeLamp sends one SUBSCRIBE for an extension's dialog events (with digest auth
// when challenged) and returns the expiry granted, or the failure and the wait a
// Retry-After asked for.
func (a *account) subscribeLamp(ctx context.Context, l *lamp, expires int) (int, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, subscribeTimout)
	defer cancel()
	l.mu.Lock()
	d, fresh := l.advance()
	if fresh {
		l.version = -1
	}
	l.mu.Unlock()
	target := sip.Uri{Scheme: "sip", User: l.ext, Host: a.domain.Host, Port: a.domain.Port}
	to := sip.Uri{Scheme: "sip", User: l.ext, Host: a.domain.Host}
	req := a.subscribeRequest(target, to, d, blfEvent, dialogInfoType, expires)
	res, err := a.doAuthed(ctx, req)
	if err != nil {
		l.mu.Lock()
		l.toTag, l.expires = "", 0
		l.mu.Unlock()
		return 0, 0, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	granted, ok := l.settle(req.CSeq().SeqNo, res, expires)
	if !ok {
		var retryAfter time.Duration
		if h := res.GetHeader("Retry-After"); h != nil {
			v, _, _ := strings.Cut(h.Value(), ";")
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
				retryAfter = time.Duration(min(n, int(blfRetryMax/time.Second))) * time.Second
			}
		}
		return 0, retryAfter, sipError(res)
	}
	return granted, 0, nil
}

// isDialogEvent reports whether a NOTIFY is of the dialog package.
func isDialogEvent(req *sip.Request) bool {
	return isEventPackage(req, blfEvent)
}

// lampFor finds the account and lamp whose subscription a NOTIFY is in: its Call-ID and
// its To tag (our From tag), RFC 6665 4.4.1.
func (p *Phone) lampFor(req *sip.Request) (*account, *lamp) {
	toTag, _ := req.To().Params.Get("tag")
	if toTag == "" {
		return nil, nil
	}
	callID := req.CallID().Value()
	p.mu.Lock()
	accs := append([]*account(nil), p.accounts...)
	p.mu.Unlock()
	for _, a := range accs {
		for _, l := range a.blf.lamps {
			l.mu.Lock()
			ok := l.callID == callID && l.fromTag == toTag
			l.mu.Unlock()
			if ok {
				return a, l
			}
		}
	}
	return nil, nil
}

// onDialogNotify takes a NOTIFY of one of our lamps' subscriptions.
func (p *Phone) onDialogNotify(req *sip.Request, tx sip.ServerTransaction) {
	acc, l := p.lampFor(req)
	if acc == nil || !p.fromServer(req, acc) {
		respond(tx, req, 481, "Subscription Does Not Exist")
		return
	}
	if len(req.Body()) > maxDialogInfoBody {
		respond(tx, req, 413, "Request Entity Too Large")
		return
	}
	respond(tx, req, 200, "OK")
	if st := req.GetHeader("Subscription-State"); st != nil && strings.HasPrefix(strings.ToLower(strings.TrimSpace(st.Value())), "terminated") {
		acc.setLamp(l, func(l *lamp) { l.info = LampInfo{Extension: l.ext}; l.dialogs = nil; l.expires = 0 })
		select {
		case l.kick <- struct{}{}:
		default:
		}
		return
	}
	if len(bytes.TrimSpace(req.Body())) == 0 {
		// No document: while pending, nothing is known yet; in an active subscription
		// the notifier has no dialog state for the extension (Kamailio's presence sends
		// this when nobody published any), which is an idle lamp.
		if st := req.GetHeader("Subscription-State"); st != nil && strings.HasPrefix(strings.ToLower(strings.TrimSpace(st.Value())), "active") {
			acc.setLamp(l, func(l *lamp) {
				l.dialogs = map[string]dialogEntry{}
				l.info = summarize(l.ext, l.dialogs)
			})
		}
		return
	}
	if ct := req.ContentType(); ct == nil || !strings.EqualFold(strings.TrimSpace(strings.SplitN(ct.Value(), ";", 2)[0]), dialogInfoType) {
		p.log.Warn("busy lamp NOTIFY body is not dialog-info", "account", acc.cfg.ID, "extension", l.ext)
		return
	}
	doc, err := parseDialogInfo(req.Body())
	if err != nil {
		p.log.Warn("busy lamp NOTIFY not understood", "account", acc.cfg.ID, "extension", l.ext, "err", err)
		return
	}
	acc.setLamp(l, func(l *lamp) { l.apply(doc) })
}

// apply takes a dialog-info document into the lamp (RFC 4235 4.1: a full document
// replaces the dialogs, a partial one changes those it names; an older version than
// the last is dropped).
func (l *lamp) apply(doc dialogInfo) {
	if l.version >= 0 && int64(doc.Version) < l.version {
		return
	}
	l.version = int64(doc.Version)
	if doc.Full || l.dialogs == nil {
		l.dialogs = map[string]dialogEntry{}
	}
	for _, d := range doc.Dialogs {
		if d.State == "terminated" {
			delete(l.dialogs, d.ID)
			continue
		}
		if _, ok := l.dialogs[d.ID]; !ok && len(l.dialogs) >= maxDialogs {
			continue
		}
		l.dialogs[d.ID] = d
	}
	l.info = summarize(l.ext, l.dialogs)
}

// summarize is what a lamp shows for an extension's dialogs: busy if one is confirmed,
// else ringing if one is early, else idle.
func summarize(ext string, dialogs map[string]dialogEntry) LampInfo {
	info := LampInfo{Extension: ext, State: LampIdle}
	var pick *dialogEntry
	for _, d := range dialogs {
		switch {
		case d.State == "confirmed" && (pick == nil || pick.State != "confirmed" || d.ID < pick.ID):
			pick = &d
		case d.State != "confirmed" && (pick == nil || (pick.State != "confirmed" && d.ID < pick.ID)):
			pick = &d
		}
	}
	if pick == nil {
		return info
	}
	info.State = LampRinging
	if pick.State == "confirmed" {
		info.State = LampBusy
	}
	switch pick.Direction {
	case "recipient":
		info.Direction = Incoming
	case "initiator":
		info.Direction = Outgoing
	}
	info.RemoteName = pick.Remote.Display
	info.RemoteNumber = numberOf(pick.Remote.URI)
	return info
}

// numberOf is the user part of a SIP or tel URI, or the text itself.
func numberOf(uri string) string {
	s := uri
	for _, scheme := range []string{"sip:", "sips:", "tel:"} {
		if len(s) >= len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
			s = s[len(scheme):]
			break
		}
	}
	if user, _, ok := strings.Cut(s, "@"); ok {
		s = user
	}
	s, _, _ = strings.Cut(s, ";")
	return s
}
