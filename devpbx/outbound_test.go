package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"

	"github.com/tabphone/tabphone/devpbx/g711"
	"github.com/tabphone/tabphone/devpbx/goertzel"
	"github.com/tabphone/tabphone/devpbx/sdpanswer"
)

// incoming is a call devpbx places to the test phone. The phone's INVITE handler
// stays in sipgo's handler until the test is done with the INVITE transaction.
type incoming struct {
	t        *testing.T
	req      *sip.Request
	sess     *sipgo.DialogServerSession
	at       time.Time
	finished chan struct{}
	once     sync.Once
}

func (p *phone) takeInvite(req *sip.Request, tx sip.ServerTransaction) {
	if _, ok := req.To().Params.Get("tag"); ok {
		// A re-INVITE from devpbx: not something these tests expect.
		p.t.Errorf("phone %s: re-INVITE from devpbx", p.user)
		_ = tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	sess, err := p.served.ReadInvite(req, tx)
	if err != nil {
		p.t.Errorf("phone %s: INVITE: %v", p.user, err)
		return
	}
	in := &incoming{t: p.t, req: req, sess: sess, at: time.Now(), finished: make(chan struct{})}
	select {
	case p.invites <- in:
	default:
		p.t.Errorf("phone %s: INVITE not read by the test", p.user)
		_ = sess.Respond(486, "Busy Here", nil)
		return
	}
	select {
	case <-in.finished:
	case <-p.closed:
	}
}

// nextInvite waits for devpbx's next call to the phone.
func (p *phone) nextInvite() *incoming {
	p.t.Helper()
	select {
	case in := <-p.invites:
		p.t.Cleanup(in.finish)
		return in
	case <-time.After(10 * time.Second):
		p.t.Fatalf("phone %s: no INVITE from devpbx", p.user)
		return nil
	}
}

// nextBye waits for the next BYE the phone receives.
func (p *phone) nextBye() heard {
	p.t.Helper()
	select {
	case h := <-p.byes:
		return h
	case <-time.After(10 * time.Second):
		p.t.Fatalf("phone %s: no BYE", p.user)
		return heard{}
	}
}

func (in *incoming) finish() { in.once.Do(func() { close(in.finished) }) }

func (in *incoming) offer() sdpanswer.Offer {
	in.t.Helper()
	o, err := sdpanswer.ParseOffer(in.req.Body())
	if err != nil {
		in.t.Fatalf("devpbx's offer: %v\n%s", err, in.req.Body())
	}
	return o
}

func (in *incoming) ring() {
	in.t.Helper()
	if err := in.sess.Respond(sip.StatusRinging, "Ringing", nil); err != nil {
		in.t.Fatalf("180: %v", err)
	}
}

// answer sends 200 with body and waits for devpbx's ACK.
func (in *incoming) answer(body []byte) {
	in.t.Helper()
	defer in.finish()
	if err := in.sess.RespondSDP(body); err != nil {
		in.t.Fatalf("200: %v", err)
	}
}

// reject sends a final error response and waits for the ACK.
func (in *incoming) reject(code int, reason string) {
	in.t.Helper()
	defer in.finish()
	if err := in.sess.Respond(code, reason, nil); err != nil {
		in.t.Fatalf("%d: %v", code, err)
	}
}

// waitCancel waits until devpbx's CANCEL ended the INVITE (sipgo answers it 200 and
// the INVITE 487).
func (in *incoming) waitCancel() {
	in.t.Helper()
	defer in.finish()
	select {
	case <-in.sess.Context().Done():
		if cause := context.Cause(in.sess.Context()); !errors.Is(cause, sip.ErrTransactionCanceled) {
			in.t.Fatalf("INVITE ended by %v, not by CANCEL", cause)
		}
	case <-time.After(10 * time.Second):
		in.t.Fatal("no CANCEL")
	}
}

func (in *incoming) hangup() {
	in.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := in.sess.Bye(ctx); err != nil {
		in.t.Fatalf("BYE: %v", err)
	}
}

// post sends JSON to devpbx's API and returns the status and body.
func (d *devpbx) post(t *testing.T, path string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		js, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(js)
	}
	res, err := http.Post(d.base+path, "application/json", r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

// originate starts a call and returns its id.
func (d *devpbx) originate(t *testing.T, body map[string]any) string {
	t.Helper()
	code, out := d.post(t, "/api/originate", body)
	var v struct {
		ID string `json:"id"`
	}
	if code != 200 || json.Unmarshal(out, &v) != nil || v.ID == "" {
		t.Fatalf("originate %v: %d %s", body, code, out)
	}
	return v.ID
}

func (d *devpbx) call(t *testing.T, id string) apiCall {
	t.Helper()
	var c apiCall
	d.get(t, "/api/calls/"+id, &c)
	return c
}

func (d *devpbx) callState(t *testing.T, id, state string) apiCall {
	t.Helper()
	return eventually(t, "call "+id+" "+state, func() (apiCall, bool) {
		c := d.call(t, id)
		return c, c.State == state
	})
}

// toneFrames sends n 20 ms PCMU frames of a 1 kHz sine at amplitude amp to "to".
func (m *media) toneFrames(to sdpanswer.Offer, n int, amp float64) {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	frame := make([]int16, 160)
	for i := range n {
		for j := range frame {
			frame[j] = int16(amp * math.Sin(2*math.Pi*1000*float64(i*160+j)/8000))
		}
		m.send(to.Remote, rtp.Packet{
			Header:  rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: uint16(i), Timestamp: uint32(160 * i), SSRC: 0xBEEF, Marker: i == 0},
			Payload: g711.EncodeFrame(nil, frame, g711.EncodeULaw),
		})
		<-tick.C
	}
}

// hearTone reads n packets of payload type pt and measures them at 1 kHz.
func (m *media) hearTone(n int, pt uint8, dec g711.Decoder) goertzel.Result {
	m.t.Helper()
	meter := goertzel.NewMeter(1000, 8000, goertzel.Options{})
	deadline := time.Now().Add(5 * time.Second)
	for i := range n {
		pkt, _, ok := m.read(deadline)
		if !ok {
			m.t.Fatalf("got %d of %d tone packets", i, n)
		}
		if pkt.PayloadType != pt || len(pkt.Payload) != 160 {
			m.t.Fatalf("packet %d: PT %d, %d bytes", i, pkt.PayloadType, len(pkt.Payload))
		}
		meter.WriteInt16(g711.DecodeFrame(nil, pkt.Payload, dec))
	}
	return meter.Result()
}

func registered(t *testing.T, d *devpbx, user, password string) *phone {
	t.Helper()
	p := newPhone(t, user, d.sip)
	if res := p.register(password, 600); res.StatusCode != sip.StatusOK {
		t.Fatalf("REGISTER: %s", res.StartLine())
	}
	return p
}

func TestOriginateToneThenCalleeHangsUp(t *testing.T) {
	d := startDevpbx(t)
	p := registered(t, d, "1001", pw1001)
	m := newMedia(t)

	id := d.originate(t, map[string]any{
		"to": "1001", "from": "602", "display": "Callback 602", "mode": "tone",
		"headers": map[string]string{"call-info": "<sip:x>;answer-after=2", "Alert-Info": "<http://example.invalid/ring>;info=alert-autoanswer"},
	})
	in := p.nextInvite()
	req := in.req
	// The phone takes INVITEs only from its registrar's address and port.
	if req.Source() != d.sip.String() {
		t.Errorf("INVITE from %s, not from devpbx's SIP socket %s", req.Source(), d.sip)
	}
	if req.Recipient.User != "1001" || req.Recipient.Port != int(p.addr.Port()) {
		t.Errorf("Request-URI %s, want the registered contact", req.Recipient.String())
	}
	domain := d.sip.String()
	if got, want := req.From().Value(), `"Callback 602" <sip:602@`+domain+`>`; !strings.HasPrefix(got, want+";tag=") {
		t.Errorf("From %s, want %s", got, want)
	}
	if got := req.To().Value(); got != "<sip:1001@"+domain+">" {
		t.Errorf("To %s", got)
	}
	for name, want := range map[string]string{
		"P-Asserted-Identity": `"Callback 602" <sip:602@` + domain + `>`,
		"Call-Info":           "<sip:x>;answer-after=2",
		"Alert-Info":          "<http://example.invalid/ring>;info=alert-autoanswer",
		"Content-Type":        "application/sdp",
	} {
		if h := req.GetHeader(name); h == nil || h.Value() != want {
			t.Errorf("%s: %v, want %s", name, h, want)
		}
	}
	offer := in.offer()
	var names []string
	for _, c := range offer.Codecs {
		names = append(names, fmt.Sprintf("%s/%d/%d", c.Name, c.ClockRate, c.Channels))
	}
	if got := strings.Join(names, " "); got != "PCMU/8000/1 PCMA/8000/1 opus/48000/2 telephone-event/8000/1" {
		t.Errorf("offered %s", got)
	}
	if offer.Remote.Addr() != d.sip.Addr() {
		t.Errorf("offer's RTP address %v", offer.Remote)
	}
	// The record turns to ringing right after the INVITE leaves; the phone may see the
	// INVITE first.
	if c := eventually(t, "the record ringing", func() (apiCall, bool) { c := d.call(t, id); return c, c.State == "ringing" }); c.Direction != "outbound" || c.From != "602" || c.To != "1001" ||
		c.DialedAt == nil || c.CallID != req.CallID().Value() {
		t.Errorf("ringing call %+v", c)
	}

	in.ring()
	eventually(t, "ringing_at", func() (apiCall, bool) { c := d.call(t, id); return c, c.RingingAt != nil })
	in.answer(m.offer("0", "rtpmap:0 PCMU/8000"))
	res := m.hearTone(50, 0, g711.DecodeULaw)
	if res.Ratio < 0.95 || math.Abs(res.MaxDBFS+10) > 1 {
		t.Errorf("devpbx's tone sounds like %+v, want 1 kHz at -10 dBFS", res)
	}
	// What devpbx hears is measured as on inbound calls: amplitude 8000 is -15.3 dBFS.
	m.toneFrames(offer, 50, 8000)
	up := eventually(t, "devpbx measured 50 packets", func() (apiCall, bool) { c := d.call(t, id); return c, c.RxPackets == 50 })
	if up.State != "up" || up.Status != 200 || up.Codec != "PCMU" || up.AnsweredAt == nil || *up.AnsweredAt < *up.RingingAt ||
		up.ToneRatio == nil || *up.ToneRatio < 0.8 || up.RxMaxDBFS == nil || math.Abs(*up.RxMaxDBFS+15.3) > 0.5 {
		t.Errorf("up call %+v (ratio %v, level %v)", up, deref(up.ToneRatio), deref(up.RxMaxDBFS))
	}

	in.hangup()
	ended := d.callState(t, id, "ended")
	if ended.EndedBy != "callee_bye" || ended.Status != 200 || ended.TxPackets < 50 || ended.RxPackets != 50 {
		t.Errorf("ended %+v", ended)
	}
}

func TestOriginateRejectedWithBusy(t *testing.T) {
	d := startDevpbx(t)
	p := registered(t, d, "1001", pw1001)

	id := d.originate(t, map[string]any{"to": "1001"})
	in := p.nextInvite()
	// Default caller: devpbx, no display name, P-Asserted-Identity the same.
	if got := in.req.GetHeader("P-Asserted-Identity").Value(); got != "<sip:devpbx@"+d.sip.String()+">" {
		t.Errorf("P-Asserted-Identity %s", got)
	}
	in.ring()
	eventually(t, "ringing_at", func() (apiCall, bool) { c := d.call(t, id); return c, c.RingingAt != nil })
	// 180 then 486: the final response must end the call at once, not after a
	// transaction timeout.
	start := time.Now()
	in.reject(sip.StatusBusyHere, "Busy Here")
	c := d.callState(t, id, "ended")
	if c.EndedBy != "rejected" || c.Status != 486 || c.AnsweredAt != nil || c.RingingAt == nil || c.Codec != "" {
		t.Errorf("rejected call %+v", c)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("486 took %v to end the call", time.Since(start))
	}
}

func TestOriginateRingTimeoutCancels(t *testing.T) {
	d := startDevpbx(t)
	p := registered(t, d, "1001", pw1001)

	id := d.originate(t, map[string]any{"to": "1001", "ring_timeout_ms": 500})
	in := p.nextInvite()
	in.ring()
	in.waitCancel()
	if waited := time.Since(in.at); waited < 400*time.Millisecond || waited > 3*time.Second {
		t.Errorf("CANCEL %v after the INVITE, want about 500 ms", waited)
	}
	c := d.callState(t, id, "ended")
	if c.EndedBy != "pbx_cancel" || c.Status != 487 || c.AnsweredAt != nil {
		t.Errorf("cancelled call %+v", c)
	}
}

func TestOriginateHangupAndCancelRequests(t *testing.T) {
	d := startDevpbx(t)
	p := registered(t, d, "1001", pw1001)
	m := newMedia(t)

	// Ringing: hangup cancels.
	id := d.originate(t, map[string]any{"to": "1001", "mode": "silence"})
	in := p.nextInvite()
	in.ring()
	eventually(t, "ringing", func() (apiCall, bool) { c := d.call(t, id); return c, c.RingingAt != nil })
	if code, body := d.post(t, "/api/calls/"+id+"/hangup", nil); code != 200 {
		t.Fatalf("hangup: %d %s", code, body)
	}
	in.waitCancel()
	if c := d.callState(t, id, "ended"); c.EndedBy != "pbx_cancel" || c.Status != 487 {
		t.Errorf("hung up while ringing: %+v", c)
	}
	if code, _ := d.post(t, "/api/calls/"+id+"/hangup", nil); code != http.StatusConflict {
		t.Errorf("hangup of an ended call: %d", code)
	}

	// Answered: cancel is refused, hangup sends BYE from devpbx's SIP socket.
	id = d.originate(t, map[string]any{"to": "1001", "mode": "silence"})
	in = p.nextInvite()
	in.answer(m.offer("8", "rtpmap:8 PCMA/8000"))
	d.callState(t, id, "up")
	if code, body := d.post(t, "/api/calls/"+id+"/cancel", nil); code != http.StatusConflict {
		t.Errorf("cancel of an answered call: %d %s", code, body)
	}
	if code, body := d.post(t, "/api/calls/"+id+"/hangup", nil); code != 200 {
		t.Fatalf("hangup: %d %s", code, body)
	}
	bye := p.nextBye()
	if bye.req.Source() != d.sip.String() || bye.req.CallID().Value() != in.req.CallID().Value() {
		t.Errorf("BYE from %s for %s", bye.req.Source(), bye.req.CallID().Value())
	}
	if c := d.callState(t, id, "ended"); c.EndedBy != "pbx" || c.Status != 200 || c.Codec != "PCMA" || c.TxPackets != 0 {
		t.Errorf("hung up: %+v", c)
	}

	// hangup_after_ms, and a scheduled call cancelled before its INVITE.
	id = d.originate(t, map[string]any{"to": "1001", "mode": "silence", "hangup_after_ms": 300})
	in = p.nextInvite()
	in.answer(m.offer("0"))
	up := d.callState(t, id, "up")
	bye = p.nextBye()
	if ended := d.callState(t, id, "ended"); ended.EndedBy != "pbx" || *ended.EndedAt-*up.AnsweredAt < 250 {
		t.Errorf("hangup_after: %+v", ended)
	}
	if bye.req.CallID().Value() != in.req.CallID().Value() {
		t.Error("BYE for another call")
	}
	id = d.originate(t, map[string]any{"to": "1001", "after_ms": 60000})
	if c := d.call(t, id); c.State != "scheduled" || c.DialedAt != nil {
		t.Errorf("scheduled %+v", c)
	}
	if code, body := d.post(t, "/api/calls/"+id+"/cancel", nil); code != 200 {
		t.Fatalf("cancel: %d %s", code, body)
	}
	if c := d.callState(t, id, "ended"); c.EndedBy != "pbx_cancel" || c.Status != 0 || c.CallID != "" {
		t.Errorf("cancelled before dialing: %+v", c)
	}
	select {
	case in := <-p.invites:
		t.Errorf("INVITE %s for a cancelled call", in.req.CallID().Value())
	default:
	}
}

func TestOriginateEchoAndCalleeHold(t *testing.T) {
	d := startDevpbx(t)
	p := registered(t, d, "1001", pw1001)
	m := newMedia(t)

	id := d.originate(t, map[string]any{"to": "1001", "mode": "echo"})
	in := p.nextInvite()
	offer := in.offer()
	in.answer(m.offer("0 101", "rtpmap:101 telephone-event/8000"))
	m.toneFrames(offer, 10, 8000)
	for i := range 10 {
		if pkt, _, ok := m.read(time.Now().Add(5 * time.Second)); !ok || pkt.PayloadType != 0 || pkt.SSRC == 0xBEEF {
			t.Fatalf("echo %d: %v %v", i, ok, pkt.Header)
		}
	}
	// The phone puts devpbx on hold (call waiting does), then hangs up.
	reinvite := sip.NewRequest(sip.INVITE, in.req.Contact().Address)
	reinvite.SetBody([]byte(strings.Replace(string(m.offer("0 101", "rtpmap:101 telephone-event/8000")), "a=sendrecv", "a=sendonly", 1)))
	reinvite.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := in.sess.Do(ctx, reinvite)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("re-INVITE: %v %v", res, err)
	}
	if a, err := sdpanswer.ParseAnswer(res.Body()); err != nil || a.Direction != sdpanswer.RecvOnly || a.Codecs[0].Name != "PCMU" {
		t.Errorf("hold answered %+v %v", a, err)
	}
	if err := in.sess.WriteRequest(sip.NewRequest(sip.ACK, in.req.Contact().Address)); err != nil {
		t.Fatal(err)
	}
	info := sip.NewRequest(sip.INFO, in.req.Contact().Address)
	info.SetBody([]byte("Signal=7\r\nDuration=160\r\n"))
	info.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
	if res, err := in.sess.Do(ctx, info); err != nil || res.StatusCode != 200 {
		t.Fatalf("INFO: %v %v", res, err)
	}
	in.hangup()
	c := d.callState(t, id, "ended")
	if c.EndedBy != "callee_bye" || c.RxPackets != 10 || c.TxPackets != 10 || c.DTMF != "7" {
		t.Errorf("echo call %+v", c)
	}
}

func TestCallsYouBack602(t *testing.T) {
	d := startDevpbx(t)
	p := registered(t, d, "1001", pw1001)
	m := newMedia(t)

	c, err := p.dial("602*1", pw1001, m.offer("0"))
	if err != nil {
		t.Fatalf("dial 602*1: %v", err)
	}
	res := m.hearTone(40, 0, g711.DecodeULaw)
	if res.Ratio < 0.95 {
		t.Errorf("602 plays %+v", res)
	}
	bye := p.nextBye()
	if bye.req.CallID().Value() != c.sess.InviteRequest.CallID().Value() {
		t.Fatal("BYE for another call")
	}
	in := p.nextInvite()
	if gap := in.at.Sub(bye.at); gap < 800*time.Millisecond || gap > 1500*time.Millisecond {
		t.Errorf("callback INVITE %v after the BYE, want about 1 s", gap)
	}
	want := `"Callback 602" <sip:602@` + d.sip.String() + `>`
	if got := in.req.From().Value(); !strings.HasPrefix(got, want+";tag=") {
		t.Errorf("From %s, want %s", got, want)
	}
	if got := in.req.GetHeader("P-Asserted-Identity"); got == nil || got.Value() != want {
		t.Errorf("P-Asserted-Identity %v, want %s", got, want)
	}
	if in.req.Source() != d.sip.String() {
		t.Errorf("callback from %s", in.req.Source())
	}
	// Answered with PCMA, devpbx plays the tone in PCMA.
	m2 := newMedia(t)
	in.answer(m2.offer("8"))
	if res := m2.hearTone(20, 8, g711.DecodeALaw); res.Ratio < 0.95 {
		t.Errorf("callback plays %+v", res)
	}
	in.hangup()

	calls := d.calls(t)
	if len(calls) != 2 {
		t.Fatalf("calls %+v", calls)
	}
	first, back := calls[0], calls[1]
	if first.Direction != "inbound" || first.To != "602*1" || first.EndedBy != "pbx" || first.Status != 200 || first.RingingAt == nil {
		t.Errorf("602 call %+v", first)
	}
	back = d.callState(t, back.ID, "ended")
	if back.Direction != "outbound" || back.From != "602" || back.To != "1001" || back.EndedBy != "callee_bye" || back.Codec != "PCMA" {
		t.Errorf("callback %+v", back)
	}

	// Not a delay: 404, and no callback.
	if _, err := p.dial("602*61", pw1001, m.offer("0")); responseCode(err) != sip.StatusNotFound {
		t.Errorf("602*61: %v", err)
	}
}

func TestBusy603AndRingForever604(t *testing.T) {
	d := startDevpbx(t)
	p := newPhone(t, "1001", d.sip)
	m := newMedia(t)

	c, err := p.dial("603", pw1001, m.offer("0"))
	if responseCode(err) != sip.StatusBusyHere || !strings.Contains(fmt.Sprint(c.codes), "180") {
		t.Errorf("603: %v, responses %v", err, c.codes)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sess, err := p.dialogs.Invite(ctx, p.uri("604"), m.offer("0"), sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		t.Fatal(err)
	}
	err = sess.WaitAnswer(ctx, sipgo.AnswerOptions{
		Username: "1001", Password: pw1001,
		OnResponse: func(r *sip.Response) error {
			if r.StatusCode == sip.StatusRinging {
				cancel()
			}
			return nil
		},
	})
	if !errors.Is(err, context.Canceled) || sess.InviteResponse.StatusCode != sip.StatusRequestTerminated {
		t.Fatalf("604: %v %v", err, sess.InviteResponse.StartLine())
	}
	calls := eventually(t, "both ended", func() ([]apiCall, bool) {
		cs := d.calls(t)
		return cs, len(cs) == 2 && cs[1].State == "ended"
	})
	if calls[0].Status != 486 || calls[0].EndedBy != "pbx" || calls[0].RingingAt == nil {
		t.Errorf("603 %+v", calls[0])
	}
	if calls[1].Status != 487 || calls[1].EndedBy != "caller_cancel" || calls[1].RingingAt == nil || calls[1].Direction != "inbound" {
		t.Errorf("604 %+v", calls[1])
	}
}

func TestOriginateRefusals(t *testing.T) {
	d := startDevpbx(t)
	registered(t, d, "1001", pw1001)
	for _, tc := range []struct {
		body any
		code int
	}{
		{map[string]any{"to": "1002"}, http.StatusConflict}, // not registered
		{map[string]any{"to": "1001", "mode": "music"}, http.StatusBadRequest},
		{map[string]any{"to": "1001", "headers": map[string]string{"Via": "x"}}, http.StatusBadRequest},
		{map[string]any{"to": "1001", "headers": map[string]string{"Call-Info": "a\r\nBYE x"}}, http.StatusBadRequest},
		{map[string]any{"to": "1001", "headers": map[string]string{"Alert-Info": strings.Repeat("x", 300)}}, http.StatusBadRequest},
		{map[string]any{"to": "1001", "display": `a"b`}, http.StatusBadRequest},
		{map[string]any{"to": "1001", "from": "a b"}, http.StatusBadRequest},
		{map[string]any{"to": "1001", "ring_timeout_ms": -1}, http.StatusBadRequest},
		{map[string]any{"to": "1001", "ringtimeout": 5}, http.StatusBadRequest}, // unknown field
		{map[string]any{"to": ""}, http.StatusBadRequest},
	} {
		if code, body := d.post(t, "/api/originate", tc.body); code != tc.code {
			t.Errorf("%v: %d %s, want %d", tc.body, code, body, tc.code)
		}
	}
	if code, _ := d.post(t, "/api/calls/nope/hangup", nil); code != http.StatusNotFound {
		t.Errorf("hangup of an unknown call: %d", code)
	}
	if calls := d.calls(t); len(calls) != 0 {
		t.Errorf("refused requests left calls: %+v", calls)
	}
	// With a delay the registration is looked up when it is over.
	id := d.originate(t, map[string]any{"to": "1002", "after_ms": 50})
	if c := d.callState(t, id, "ended"); c.EndedBy != "failed" || c.Error != "not registered" || c.DialedAt != nil {
		t.Errorf("delayed call to nobody: %+v", c)
	}
}

func TestShutdownEndsOutboundCalls(t *testing.T) {
	d := startDevpbx(t)
	p := registered(t, d, "1001", pw1001)
	m := newMedia(t)
	up := d.originate(t, map[string]any{"to": "1001"})
	in := p.nextInvite()
	in.answer(m.offer("0"))
	d.callState(t, up, "up")
	ringing := d.originate(t, map[string]any{"to": "1001"})
	in2 := p.nextInvite()
	in2.ring()
	eventually(t, "ringing", func() (apiCall, bool) { c := d.call(t, ringing); return c, c.RingingAt != nil })

	done := make(chan error, 1)
	go func() { done <- d.stop() }()
	bye := p.nextBye()
	in2.waitCancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if bye.req.CallID().Value() != in.req.CallID().Value() || bye.req.Source() != d.sip.String() {
		t.Errorf("BYE %s from %s", bye.req.CallID().Value(), bye.req.Source())
	}
}

// TestOriginateOverTCP: a phone registered over TCP is called on its connection, at
// the REGISTER's source, whatever its Contact says.
func TestOriginateOverTCP(t *testing.T) {
	d := startDevpbx(t)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("1001"), sipgo.WithUserAgentHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	srv, _ := sipgo.NewServer(ua)
	client, _ := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	// Port 9 (discard) is where nothing answers: devpbx must use the connection.
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1", Port: 9, UriParams: sip.NewParams()}}
	contact.Address.UriParams.Add("transport", "tcp")
	served := sipgo.NewDialogServerCache(client, contact)
	invites := make(chan *sipgo.DialogServerSession, 1)
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		sess, err := served.ReadInvite(req, tx)
		if err != nil {
			t.Errorf("INVITE: %v", err)
			return
		}
		invites <- sess
		<-done
	})
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = served.ReadAck(req, tx) })

	aor := sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1"}
	reg := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: int(d.sip.Port())})
	reg.SetTransport("TCP")
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	reg.AppendHeader(from)
	reg.AppendHeader(&sip.ToHeader{Address: aor})
	reg.AppendHeader(&contact)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := client.Do(ctx, reg)
	if err == nil && res.StatusCode == sip.StatusUnauthorized {
		res, err = client.DoDigestAuth(ctx, reg, res, sipgo.DigestAuth{Username: "1001", Password: pw1001})
	}
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("REGISTER over TCP: %v %v", res, err)
	}

	id := d.originate(t, map[string]any{"to": "1001", "mode": "silence"})
	var sess *sipgo.DialogServerSession
	select {
	case sess = <-invites:
	case <-time.After(10 * time.Second):
		t.Fatal("no INVITE over TCP")
	}
	if tp := sess.InviteRequest.Transport(); !strings.EqualFold(tp, "TCP") {
		t.Errorf("INVITE over %s", tp)
	}
	m := newMedia(t)
	if err := sess.RespondSDP(m.offer("0")); err != nil {
		t.Fatalf("200: %v", err)
	}
	d.callState(t, id, "up")
	if err := sess.Bye(ctx); err != nil {
		t.Fatalf("BYE: %v", err)
	}
	if c := d.callState(t, id, "ended"); c.EndedBy != "callee_bye" {
		t.Errorf("TCP call %+v", c)
	}
}
