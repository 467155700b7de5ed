package phone

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Session timers (RFC 4028): the PBX asks for a refresh (re-INVITE or UPDATE) every
// Session-Expires seconds so a dialog whose other end died does not live on. We answer
// the refreshes, echo the interval and refresher in every 2xx, refresh ourselves when we
// are the refresher, and hang up when the other side stops refreshing.

// minSE is the smallest Session-Expires we accept (RFC 4028 4: 90 s at least).
const minSE = 90

// maxSE caps an interval a peer asks for (one day): the number is outside input.
const maxSE = 86400

// refreshTimeout bounds one refresh request.
const refreshTimeout = 10 * time.Second

// sessionTimer is what one refresh transaction agreed: the interval (0: no timer) and
// who refreshes, as in the Session-Expires of its 2xx.
type sessionTimer struct {
	seconds   int
	refresher string // "uac" or "uas" of that transaction
}

// header is the Session-Expires of a 2xx or of our refresh.
func (st sessionTimer) header() sip.Header {
	return sip.NewHeader("Session-Expires", strconv.Itoa(st.seconds)+";refresher="+st.refresher)
}

// callTimer is a call's session timer: a refresh or expiry timer and how to refresh.
type callTimer struct {
	mu           sync.Mutex
	t            *time.Timer
	allowsUpdate bool // the peer's Allow lists UPDATE: refreshes go as UPDATE
	seconds      int  // the interval in force, 0: none
	weRefresh    bool // we send the refreshes
	stopped      bool
}

func (ct *callTimer) stop() {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	ct.stopped = true
	if ct.t != nil {
		ct.t.Stop()
	}
}

// retrySoon sends the refresh again after a short while (RFC 3261 14.1: after a 491).
func (ct *callTimer) retrySoon(f func()) {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	if ct.stopped {
		return
	}
	if ct.t != nil {
		ct.t.Stop()
	}
	ct.t = time.AfterFunc(2*time.Second, f)
}

// headers is what both requests and responses let us read.
type headers interface {
	GetHeader(name string) sip.Header
	GetHeaders(name string) []sip.Header
}

// hasOption reports whether a Supported or Require header of m lists the option tag.
func hasOption(m headers, name, tag string) bool {
	for _, h := range m.GetHeaders(name) {
		for _, v := range strings.Split(h.Value(), ",") {
			if strings.EqualFold(strings.TrimSpace(v), tag) {
				return true
			}
		}
	}
	return false
}

// allowsMethod reports whether the Allow header of m lists method.
func allowsMethod(m headers, method string) bool {
	for _, h := range m.GetHeaders("Allow") {
		for _, v := range strings.Split(h.Value(), ",") {
			if strings.EqualFold(strings.TrimSpace(v), method) {
				return true
			}
		}
	}
	return false
}

// parseSessionExpires reads "Session-Expires: 1800;refresher=uac" (or its compact form
// "x"). ok is false when the header is absent or not a number.
func parseSessionExpires(m headers) (seconds int, refresher string, ok bool) {
	h := m.GetHeader("Session-Expires")
	if h == nil {
		h = m.GetHeader("x")
	}
	if h == nil {
		return 0, "", false
	}
	parts := strings.Split(h.Value(), ";")
	n, err := strconv.Atoi(strings.TrimSpace(parts[0]))
	if err != nil || n < 1 {
		return 0, "", false
	}
	for _, p := range parts[1:] {
		if k, v, found := strings.Cut(strings.TrimSpace(p), "="); found && strings.EqualFold(strings.TrimSpace(k), "refresher") {
			v = strings.ToLower(strings.TrimSpace(v))
			if v == "uac" || v == "uas" {
				refresher = v
			}
		}
	}
	return min(n, maxSE), refresher, true
}

// answerSessionTimer decides what the 2xx to a received INVITE or UPDATE says about the
// session timer (RFC 4028 9). A Session-Expires under our minimum is rejected here with
// 422 and Min-SE (ok false: the request is answered). Without Session-Expires the
// timer is off.
func answerSessionTimer(req *sip.Request, tx sip.ServerTransaction) (st sessionTimer, ok bool) {
	seconds, refresher, found := parseSessionExpires(req)
	if !found {
		return sessionTimer{}, true
	}
	if seconds < minSE {
		res := sip.NewResponseFromRequest(req, 422, "Session Interval Too Small", nil)
		res.AppendHeader(sip.NewHeader("Min-SE", strconv.Itoa(minSE)))
		_ = tx.Respond(res)
		return sessionTimer{}, false
	}
	if refresher == "" {
		// The UAC left the choice to us: it refreshes when it can (it supports timer),
		// else we must (RFC 4028 9).
		refresher = "uas"
		if hasOption(req, "Supported", "timer") || hasOption(req, "Require", "timer") {
			refresher = "uac"
		}
	}
	return sessionTimer{seconds: seconds, refresher: refresher}, true
}

// timerHeaders are the headers a 2xx carries for st: Session-Expires, and Require:
// timer when the UAC must refresh (RFC 4028 9).
func timerHeaders(st sessionTimer) []sip.Header {
	if st.seconds == 0 {
		return nil
	}
	hs := []sip.Header{st.header()}
	if st.refresher == "uac" {
		hs = append(hs, sip.NewHeader("Require", "timer"))
	}
	return hs
}

// startSessionTimer puts what a transaction agreed in force for the call: weAreUAC says
// whether we sent that request. peer is a message of the other side whose Allow tells
// whether it takes UPDATE (nil keeps what is known).
func (p *Phone) startSessionTimer(c *call, st sessionTimer, weAreUAC bool, peer headers) {
	ct := &c.timer
	ct.mu.Lock()
	defer ct.mu.Unlock()
	if peer != nil {
		ct.allowsUpdate = allowsMethod(peer, "UPDATE")
	}
	if ct.t != nil {
		ct.t.Stop()
		ct.t = nil
	}
	ct.seconds = st.seconds
	ct.weRefresh = (st.refresher == "uac") == weAreUAC
	if ct.stopped || st.seconds == 0 {
		return
	}
	interval := time.Duration(st.seconds) * p.sessionUnit
	if weRefresh := (st.refresher == "uac") == weAreUAC; weRefresh {
		// RFC 4028 10: refresh at half the interval.
		ct.t = time.AfterFunc(interval/2, func() { p.refreshSession(c) })
		return
	}
	// RFC 4028 10: without a refresh by interval minus min(32 s, interval/3), the
	// session is over: BYE.
	ct.t = time.AfterFunc(interval-min(32*p.sessionUnit, interval/3), func() {
		if c.info().State == CallEnded {
			return
		}
		p.log.Warn("session timer expired: the PBX stopped refreshing, hanging up", "call", c.id)
		c.requestHangup()
	})
}

// ourRequestHeaders are what a re-INVITE of ours (hold, resume) carries while a timer
// runs: every re-INVITE is a refresh (RFC 4028 7.4), and leaving Session-Expires out
// would switch the timer off. The refresher stays who it was.
func (ct *callTimer) ourRequestHeaders() []sip.Header {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	if ct.seconds == 0 {
		return nil
	}
	st := sessionTimer{seconds: ct.seconds, refresher: "uas"}
	if ct.weRefresh {
		st.refresher = "uac"
	}
	return []sip.Header{st.header(), sip.NewHeader("Supported", "timer")}
}

// timerFromResponse reads what a 2xx to our INVITE or refresh says (RFC 4028 7.2). No
// Session-Expires means no timer.
func timerFromResponse(res *sip.Response) sessionTimer {
	seconds, refresher, ok := parseSessionExpires(res)
	if !ok || seconds < minSE {
		return sessionTimer{}
	}
	if refresher == "" {
		refresher = "uas"
	}
	return sessionTimer{seconds: seconds, refresher: refresher}
}

// refreshSession sends our refresh: UPDATE without a body when the peer takes UPDATE
// (RFC 4028 9 recommends it), else a re-INVITE with the session as it is. A failed
// refresh ends the call (RFC 4028 10).
func (p *Phone) refreshSession(c *call) {
	if c.info().State != CallConnected {
		return
	}
	d, err := c.connectedDialog()
	if err != nil {
		return
	}
	c.timer.mu.Lock()
	useUpdate, seconds := c.timer.allowsUpdate, c.timer.seconds
	c.timer.mu.Unlock()
	st := sessionTimer{seconds: max(seconds, minSE), refresher: "uac"}

	method := sip.INVITE
	if useUpdate {
		method = sip.UPDATE
	}
	req := sip.NewRequest(method, *d.target.Clone())
	req.AppendHeader(c.contact())
	req.AppendHeader(st.header())
	req.AppendHeader(sip.NewHeader("Supported", "timer"))
	if !useUpdate {
		offer, err := c.media.CurrentOffer()
		if c.info().Held {
			offer, err = c.media.HoldOffer(true)
		}
		if err != nil {
			return
		}
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		req.SetBody(offer)
	}
	ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
	defer cancel()
	res, err := d.do(ctx, req)
	if err != nil || (!res.IsSuccess() && res.StatusCode != 491) {
		p.log.Warn("session refresh failed, hanging up", "call", c.id, "method", method, "err", err, "status", statusOf(res))
		c.requestHangup()
		return
	}
	if res.StatusCode == 491 { // glare with the PBX's own request: try again soon
		c.timer.retrySoon(func() { p.refreshSession(c) })
		return
	}
	if !useUpdate {
		ack := sip.NewRequest(sip.ACK, *d.target.Clone())
		if err := d.write(ack); err != nil {
			p.log.Warn("ACK for the refresh failed", "call", c.id, "err", err)
		}
		if err := c.media.SetHoldAnswer(res.Body()); err != nil {
			p.log.Warn("refresh answer SDP", "call", c.id, "err", err)
		}
	}
	p.startSessionTimer(c, timerFromResponse(res), true, nil)
}

func statusOf(res *sip.Response) int {
	if res == nil {
		return 0
	}
	return res.StatusCode
}

// onUpdate answers an UPDATE (RFC 3311) from the PBX within a call: a session refresh
// without a body, or a new offer, applied like a re-INVITE's. The router lets only the
// account's server in.
func (p *Phone) onUpdate(c *call, req *sip.Request, tx sip.ServerTransaction) {
	st, ok := answerSessionTimer(req, tx)
	if !ok {
		return
	}
	var res *sip.Response
	if len(req.Body()) > 0 {
		answer, dir, err := c.media.Reoffer(req.Body())
		if err != nil {
			p.log.Warn("UPDATE offer refused", "call", c.id, "err", err)
			respond(tx, req, 488, "Not Acceptable Here")
			return
		}
		held := dir == "sendonly" || dir == "inactive"
		p.update(c, func(in *CallInfo) {
			if in.RemoteHold != held {
				c.holdChanged.Store(time.Now().UnixNano())
			}
			in.RemoteHold = held
		})
		res = sip.NewSDPResponseFromRequest(req, answer)
	} else {
		res = sip.NewResponseFromRequest(req, 200, "OK", nil)
	}
	res.AppendHeader(c.contact())
	for _, h := range timerHeaders(st) {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		p.log.Warn("UPDATE answer failed", "call", c.id, "err", err)
		return
	}
	p.startSessionTimer(c, st, false, nil)
}
