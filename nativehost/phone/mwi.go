package phone

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Message waiting indication (RFC 3842): with `mwi` on, an account subscribes to the
// message-summary event package at its own AOR and refreshes the subscription before it
// expires; NOTIFYs (in that subscription, or unsolicited from the account's server, as
// many PBXs send them to every registered phone) carry the voicemail counts, which go
// to the extension in the account's state.

const (
	mwiEvent        = "message-summary"
	mwiContentType  = "application/simple-message-summary"
	mwiExpires      = 3600             // asked for (RFC 3842 5.1 suggests an hour)
	maxMWIBody      = 4096             // a message summary is a few lines
	maxMWICount     = 1_000_000        // counts above are nonsense from outside
	subscribeTimout = 10 * time.Second // one SUBSCRIBE transaction, auth included
)

// mwiState is an account's subscription and the last summary heard.
type mwiState struct {
	mu sync.Mutex
	subDialog
	summary   *Voicemail
	kick      chan struct{} // subscribe again now (the notifier ended the subscription)
	kickReady sync.Once
}

func (m *mwiState) kickChan() chan struct{} {
	m.kickReady.Do(func() { m.kick = make(chan struct{}, 1) })
	return m.kick
}

// voicemail is the last summary for the account's state (nil: none heard yet).
func (a *account) voicemail() *Voicemail {
	a.mwi.mu.Lock()
	defer a.mwi.mu.Unlock()
	if a.mwi.summary == nil {
		return nil
	}
	v := *a.mwi.summary
	return &v
}

// startMWI runs the account's subscription until ctx ends, when it unsubscribes.
func (p *Phone) startMWI(ctx context.Context, acc *account) {
	if !acc.cfg.MWI {
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		acc.subscribeMWI(ctx)
	}()
}

func (a *account) subscribeMWI(ctx context.Context) {
	kick := a.mwi.kickChan()
	var bo backoff
	for {
		granted, err := a.subscribe(ctx, mwiExpires)
		if ctx.Err() != nil {
			break
		}
		wait := bo.next(granted, err)
		if err != nil {
			a.p.log.Warn("voicemail subscription failed", "account", a.cfg.ID, "err", err, "retry_in", wait)
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
			continue
		case <-kick:
			a.mwi.mu.Lock()
			a.mwi.toTag = "" // a new subscription, not a refresh
			a.mwi.mu.Unlock()
			continue
		}
		break
	}
	a.mwi.mu.Lock()
	subscribed := a.mwi.expires > 0
	a.mwi.mu.Unlock()
	if subscribed {
		uctx, cancel := context.WithTimeout(context.Background(), unregisterTimeout)
		if _, err := a.subscribe(uctx, 0); err != nil {
			a.p.log.Warn("voicemail unsubscribe failed", "account", a.cfg.ID, "err", err)
		}
		cancel()
	}
}

// subscribe sends one SUBSCRIBE for message-summary at the account's AOR (with digest
// auth when challenged) and returns the expiry the notifier granted.
func (a *account) subscribe(ctx context.Context, expires int) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, subscribeTimout)
	defer cancel()
	m := &a.mwi
	m.mu.Lock()
	d, _ := m.advance()
	m.mu.Unlock()
	aor := sip.Uri{Scheme: "sip", User: a.cfg.User, Host: a.domain.Host, Port: a.domain.Port}
	req := a.subscribeRequest(aor, a.aor(), d, mwiEvent, mwiContentType, expires)
	res, err := a.doAuthed(ctx, req) // over the account's flow, as its REGISTER
	if err != nil {
		return 0, err
	}
	m.mu.Lock()
	granted, ok := m.settle(req.CSeq().SeqNo, res, expires)
	m.mu.Unlock()
	if !ok {
		return 0, sipError(res)
	}
	return granted, nil
}

// isMessageSummary reports whether a NOTIFY is of the message-summary package.
func isMessageSummary(req *sip.Request) bool {
	return isEventPackage(req, mwiEvent)
}

// onMWINotify takes a message summary: in an account's subscription (matched by
// Call-ID), or unsolicited from the account's server. Strangers get 403.
func (p *Phone) onMWINotify(req *sip.Request, tx sip.ServerTransaction) {
	acc := p.mwiAccount(req.CallID().Value())
	if acc == nil {
		acc = p.accountFor(req)
		if acc == nil {
			respond(tx, req, 481, "Subscription Does Not Exist")
			return
		}
		if !p.fromServer(req, acc) {
			p.log.Warn("message summary not from the account's server dropped", "source", req.Source(), "account", acc.cfg.ID)
			respond(tx, req, 403, "Forbidden")
			return
		}
	}
	if len(req.Body()) > maxMWIBody {
		respond(tx, req, 413, "Request Entity Too Large")
		return
	}
	respond(tx, req, 200, "OK")
	if st := req.GetHeader("Subscription-State"); st != nil && strings.HasPrefix(strings.ToLower(strings.TrimSpace(st.Value())), "terminated") &&
		acc.mwiSubscribed(req.CallID().Value()) {
		select { // RFC 6665 4.1.3: the notifier ended it; subscribe again
		case acc.mwi.kickChan() <- struct{}{}:
		default:
		}
	}
	if len(bytes.TrimSpace(req.Body())) == 0 {
		return // a NOTIFY that only reports the subscription's state
	}
	v, err := parseMessageSummary(req.Body())
	if err != nil {
		p.log.Warn("message summary not understood", "account", acc.cfg.ID, "err", err)
		return
	}
	acc.mwi.mu.Lock()
	changed := acc.mwi.summary == nil || *acc.mwi.summary != v
	acc.mwi.summary = &v
	acc.mwi.mu.Unlock()
	if changed {
		p.events.StateChanged()
	}
}

// mwiAccount finds the account whose subscription has this Call-ID.
func (p *Phone) mwiAccount(callID string) *account {
	p.mu.Lock()
	accs := append([]*account(nil), p.accounts...)
	p.mu.Unlock()
	for _, a := range accs {
		if a.mwiSubscribed(callID) {
			return a
		}
	}
	return nil
}

func (a *account) mwiSubscribed(callID string) bool {
	a.mwi.mu.Lock()
	defer a.mwi.mu.Unlock()
	return a.mwi.callID != "" && a.mwi.callID == callID
}

// parseMessageSummary reads an application/simple-message-summary body (RFC 3842 5.2):
//
//	Messages-Waiting: yes
//	Message-Account: sip:alice@vmail.example.com
//	Voice-Message: 2/8 (0/2)
//
// Messages-Waiting is required; the voice counts are new/old (urgent new/old).
func parseMessageSummary(body []byte) (Voicemail, error) {
	var v Voicemail
	if len(body) > maxMWIBody {
		return v, fmt.Errorf("message summary of %d bytes is over %d", len(body), maxMWIBody)
	}
	seen := false
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "messages-waiting":
			switch strings.ToLower(value) {
			case "yes":
				v.Waiting, seen = true, true
			case "no":
				v.Waiting, seen = false, true
			default:
				return Voicemail{}, fmt.Errorf("Messages-Waiting %q is not yes or no", value)
			}
		case "voice-message":
			counts, urgent, _ := strings.Cut(value, "(")
			n, o, err := countPair(counts)
			if err != nil {
				return Voicemail{}, fmt.Errorf("Voice-Message %q: %w", value, err)
			}
			v.New, v.Old = n, o
			if urgent = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(urgent), ")")); urgent != "" {
				if un, uo, err := countPair(urgent); err == nil {
					v.UrgentNew, v.UrgentOld = un, uo
				}
			}
		}
	}
	if !seen {
		return Voicemail{}, fmt.Errorf("no Messages-Waiting line")
	}
	return v, nil
}

// countPair reads "new/old".
func countPair(s string) (int, int, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return 0, 0, fmt.Errorf("not new/old")
	}
	n, err1 := strconv.Atoi(strings.TrimSpace(a))
	o, err2 := strconv.Atoi(strings.TrimSpace(b))
	if err1 != nil || err2 != nil || n < 0 || o < 0 || n > maxMWICount || o > maxMWICount {
		return 0, 0, fmt.Errorf("counts %q are not two numbers", s)
	}
	return n, o, nil
}
