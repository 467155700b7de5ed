package wsphone

import (
	"crypto/x509"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/audiotest"
	"github.com/tabphone/tabphone/internal/baresiptest"
	"github.com/tabphone/tabphone/internal/kamailiotest"
	"github.com/tabphone/tabphone/internal/rtpenginetest"
)

// gateway is Kamailio in front of rtpengine, as a WebRTC PBX is, with one plain SIP
// baresip (2002, auto-answer, 440 Hz) registered over UDP.
type gateway struct {
	r *rtpenginetest.RTPEngine
	k *kamailiotest.Kamailio
	b *baresiptest.Baresip
}

func startGateway(t *testing.T) gateway { return startGatewayWith(t, baresiptest.Options{}) }

// startGatewayWith is startGateway with the baresip's codecs and answer mode from o.
func startGatewayWith(t *testing.T, o baresiptest.Options) gateway {
	r := rtpenginetest.Start(t, rtpenginetest.Options{})
	k := kamailiotest.StartOpts(t, kamailiotest.Options{Password: "pw", MaxExpires: 300, Transports: true, RTPEngine: r.NG})
	o.User, o.Password, o.Registrar, o.Record, o.ToneHz = "2002", "pw", k.Addr, true, 440
	if o.AnswerMode == "" {
		o.AnswerMode = "auto"
	}
	b := baresiptest.Start(t, o)
	return gateway{r, k, b}
}

// phone connects a WebRTC phone (1001, 1000 Hz) over ws or wss and registers it.
func (g gateway) phone(t *testing.T, scheme string, o Options) *Phone {
	o.User, o.Password, o.ToneHz = "1001", "pw", 1000
	o.URL = "ws://" + g.k.WS
	if scheme == "wss" {
		o.URL = "wss://" + g.k.WSS
		pem, err := os.ReadFile(g.k.CAFile)
		if err != nil {
			t.Fatal(err)
		}
		o.RootCAs = x509.NewCertPool()
		o.RootCAs.AppendCertsFromPEM(pem)
	}
	p := New(t, o)
	if err := p.Register(300); err != nil {
		t.Fatal(err)
	}
	return p
}

// webRTCSDP lists what a WebRTC SDP must carry; plainSDP what a plain one must not.
var (
	webRTCSDP = []string{"UDP/TLS/RTP/SAVPF", "a=fingerprint:sha-256 ", "a=setup:", "a=ice-ufrag:", "a=ice-pwd:", "a=candidate:", "a=rtcp-mux", "a=mid:"}
	plainSDP  = []string{"RTP/AVP ", "!a=fingerprint", "!a=ice-ufrag", "!a=candidate", "!a=crypto", "!SAVP"}
)

// checkSDP fails the test unless sdp contains each want ("!x": does not contain x).
func checkSDP(t *testing.T, what, sdp string, wants []string) {
	t.Helper()
	for _, w := range wants {
		if not, ok := strings.CutPrefix(w, "!"); ok {
			if strings.Contains(sdp, not) {
				t.Errorf("%s has %q:\n%s", what, not, sdp)
			}
		} else if !strings.Contains(sdp, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, sdp)
		}
	}
}

// checkWire checks, from Kamailio's log, that the INVITE and its 200 were WebRTC on
// the WebSocket side and plain RTP/AVP on the UDP side, both ways through rtpengine.
func checkWire(t *testing.T, k *kamailiotest.Kamailio, callID, wsProto string) {
	t.Helper()
	seen := map[string]bool{}
	for _, m := range k.SDPs() {
		if m.CallID != callID || m.Method != "INVITE" || (!m.Request() && m.Status != 200) {
			continue
		}
		key := m.Direction() + " " + m.Proto
		seen[key] = true
		switch m.Proto {
		case wsProto:
			checkSDP(t, key, m.SDP, webRTCSDP)
		case "udp":
			checkSDP(t, key, m.SDP, plainSDP)
		default:
			t.Errorf("SDP over %s: %v", m.Proto, m)
		}
	}
	for _, want := range []string{"recv " + wsProto, "sent " + wsProto, "recv udp", "sent udp"} {
		if !seen[want] {
			t.Errorf("Kamailio logged no SDP %s for %s; it logged %v", want, callID, seen)
		}
	}
}

// checkLegs checks rtpengine's view: the WebRTC leg is DTLS-SRTP with a verified
// fingerprint, ICE and rtcp-mux, the plain leg RTP/AVP, and media arrived on both.
func checkLegs(t *testing.T, r *rtpenginetest.RTPEngine, callID, webRTCTag string) {
	t.Helper()
	legs, err := r.Legs(callID)
	if err != nil {
		t.Fatal(err)
	}
	if len(legs) != 2 {
		t.Fatalf("rtpengine has %d legs: %+v", len(legs), legs)
	}
	for _, leg := range legs {
		if len(leg.Medias) != 1 || len(leg.Medias[0].Streams) == 0 {
			t.Fatalf("leg %s: %+v", leg.Tag, leg)
		}
		m := leg.Medias[0]
		rtp := m.Streams[0]
		if rtp.Packets == 0 {
			t.Errorf("leg %s: rtpengine received nothing: %+v", leg.Tag, m)
		}
		if leg.Tag == webRTCTag {
			if m.Protocol != "UDP/TLS/RTP/SAVPF" || !m.Has("DTLS-SRTP") || !m.Has("ICE") || !m.Has("rtcp-mux") ||
				!rtp.Has("DTLS fingerprint verified") || rtp.CryptoSuite == "" {
				t.Errorf("WebRTC leg %s: %+v", leg.Tag, m)
			}
		} else if m.Protocol != "RTP/AVP" || m.Has("DTLS-SRTP") || rtp.CryptoSuite != "" {
			t.Errorf("plain leg %s: %+v", leg.Tag, m)
		}
	}
}

// waitNoCalls waits until rtpengine holds no call: the BYE deleted it.
func waitNoCalls(t *testing.T, r *rtpenginetest.RTPEngine) {
	t.Helper()
	end := time.Now().Add(5 * time.Second)
	for {
		ids, err := r.List()
		if err == nil && len(ids) == 0 {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("rtpengine still holds %v (%v)", ids, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A WebRTC phone on WS and on WSS calls a plain SIP baresip through Kamailio +
// rtpengine: each side's SDP is in its own form on the wire, the tone crosses both
// ways, baresip reports the phone's RTCP sender reports, and the BYE ends the media.
func TestWebRTCPhoneCallsPlainPeerThroughGateway(t *testing.T) {
	for _, scheme := range []string{"ws", "wss"} {
		t.Run(scheme, func(t *testing.T) {
			g := startGateway(t)
			p := g.phone(t, scheme, Options{})
			c, err := p.Call("sip:2002@127.0.0.1", 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.WaitConnected(10 * time.Second); err != nil {
				t.Fatal(err)
			}
			if _, err := c.WaitTone(440, 10*time.Second); err != nil {
				t.Fatal(err)
			}
			g.b.WaitTone(1000, 10*time.Second)
			checkWire(t, g.k, c.CallID, scheme)
			checkLegs(t, g.r, c.CallID, c.Tag())
			end := time.Now().Add(10 * time.Second)
			for len(g.b.RTCPReceived(c.CallID)) == 0 {
				if time.Now().After(end) {
					t.Fatal("baresip reported no RTCP from the WebRTC phone")
				}
				time.Sleep(50 * time.Millisecond)
			}
			if got := g.b.RTCPReceived(c.CallID); got[len(got)-1].RX.Sent == 0 {
				t.Errorf("baresip's RTCP stats count no packets received: %+v", got)
			}
			if err := c.Hangup(); err != nil {
				t.Fatal(err)
			}
			g.b.WaitEvent("CALL_CLOSED", 5*time.Second, nil)
			waitNoCalls(t, g.r)
		})
	}
}

// A plain SIP baresip calls the WebRTC phone registered over WS, in PCMU and in PCMA:
// Kamailio finds the phone's WebSocket, rtpengine offers it WebRTC media, the tone
// crosses both ways, and baresip's BYE reaches the phone.
func TestPlainPeerCallsWebRTCPhoneThroughGateway(t *testing.T) {
	for _, law := range []audiotest.Law{audiotest.PCMU, audiotest.PCMA} {
		t.Run(law.String(), func(t *testing.T) {
			g := startGatewayWith(t, baresiptest.Options{Codecs: law.String()})
			p := g.phone(t, "ws", Options{Law: law})
			g.b.Dial("sip:1001@127.0.0.1")
			c, err := p.Answer(10 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			checkSDP(t, "offer to the phone", c.RemoteSDP, append([]string{law.String() + "/8000"}, webRTCSDP...))
			if err := c.WaitConnected(10 * time.Second); err != nil {
				t.Fatal(err)
			}
			g.b.WaitEvent("CALL_ESTABLISHED", 5*time.Second, nil)
			if _, err := c.WaitTone(440, 10*time.Second); err != nil {
				t.Fatal(err)
			}
			g.b.WaitTone(1000, 10*time.Second)
			checkWire(t, g.k, c.CallID, "ws")
			checkLegs(t, g.r, c.CallID, c.Tag())
			g.b.Hangup()
			end := time.Now().Add(5 * time.Second)
			for !c.HungUp() {
				if time.Now().After(end) {
					t.Fatal("the phone got no BYE")
				}
				time.Sleep(20 * time.Millisecond)
			}
			waitNoCalls(t, g.r)
		})
	}
}

// A call the plain side rejects ends at the WebRTC phone with the rejection, and
// rtpengine forgets it (the failure route deletes the offer it made).
func TestRejectedCallLeavesNoMediaInGateway(t *testing.T) {
	g := startGatewayWith(t, baresiptest.Options{AnswerMode: "manual"})
	p := g.phone(t, "ws", Options{})
	done := make(chan error, 1)
	go func() { _, err := p.Call("sip:2002@127.0.0.1", 10*time.Second); done <- err }()
	g.b.WaitEvent("CALL_INCOMING", 5*time.Second, nil)
	if ids, err := g.r.List(); err != nil || len(ids) != 1 {
		t.Fatalf("while ringing rtpengine holds %v (%v), want the one call", ids, err)
	}
	g.b.Hangup() // rejects: 486
	if err := <-done; !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "486") {
		t.Fatalf("the phone's call ended with %v, want a 486 rejection", err)
	}
	waitNoCalls(t, g.r)
}

// The control for RTCP: a phone that sends no RTCP reports gets none reported by
// baresip, so CALL_RTCP events come from the phone's reports through rtpengine, not
// from rtpengine itself.
func TestNoRTCPFromPhoneNoneAtPlainPeer(t *testing.T) {
	g := startGateway(t)
	p := g.phone(t, "ws", Options{NoRTCPReports: true})
	c, err := p.Call("sip:2002@127.0.0.1", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	g.b.WaitTone(1000, 10*time.Second)
	// With reports, the first arrives within about a second of media (pion's
	// interval); give it three.
	end := time.Now().Add(3 * time.Second)
	for time.Now().Before(end) {
		if got := g.b.RTCPReceived(c.CallID); len(got) > 0 {
			t.Fatalf("baresip reported RTCP from a phone that sends none: %+v", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sentOffers returns the SDP offers Kamailio sent in the call over proto, in order.
func sentOffers(k *kamailiotest.Kamailio, callID, proto string) []string {
	var out []string
	for _, m := range k.SDPs() {
		if m.CallID == callID && m.Sent && m.Request() && m.Method == "INVITE" && m.Proto == proto {
			out = append(out, m.SDP)
		}
	}
	return out
}

// Hold and resume cross the gateway both ways: the re-INVITEs reach the other side in
// its own SDP form with the hold direction, and after each resume the tone flows again.
func TestHoldResumeThroughGateway(t *testing.T) {
	g := startGateway(t)
	p := g.phone(t, "ws", Options{})
	c, err := p.Call("sip:2002@127.0.0.1", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitTone(440, 10*time.Second); err != nil {
		t.Fatal(err)
	}

	// The phone holds and resumes: baresip gets plain re-offers.
	if _, err := c.Hold(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Resume(); err != nil {
		t.Fatal(err)
	}
	offers := sentOffers(g.k, c.CallID, "udp")
	if len(offers) != 3 {
		t.Fatalf("baresip got %d offers, want 3", len(offers))
	}
	checkSDP(t, "hold toward baresip", offers[1], append([]string{"a=sendonly"}, plainSDP...))
	checkSDP(t, "resume toward baresip", offers[2], append([]string{"a=sendrecv"}, plainSDP...))
	c.Heard.Reset()
	if _, err := c.WaitTone(440, 10*time.Second); err != nil {
		t.Fatalf("after the phone resumed: %v", err)
	}

	// baresip holds and resumes: the phone gets WebRTC re-offers.
	g.b.Hold()
	end := time.Now().Add(5 * time.Second)
	for len(c.ReOffers()) < 1 {
		if time.Now().After(end) {
			t.Fatal("the phone got no re-INVITE for baresip's hold")
		}
		time.Sleep(20 * time.Millisecond)
	}
	g.b.Resume()
	for len(c.ReOffers()) < 2 {
		if time.Now().After(end) {
			t.Fatal("the phone got no re-INVITE for baresip's resume")
		}
		time.Sleep(20 * time.Millisecond)
	}
	re := c.ReOffers()
	checkSDP(t, "baresip's hold toward the phone", re[0], append([]string{"a=sendonly"}, webRTCSDP...))
	checkSDP(t, "baresip's resume toward the phone", re[1], append([]string{"a=sendrecv"}, webRTCSDP...))
	c.Heard.Reset()
	if _, err := c.WaitTone(440, 10*time.Second); err != nil {
		t.Fatalf("after baresip resumed: %v", err)
	}
	if err := c.Hangup(); err != nil {
		t.Fatal(err)
	}
	waitNoCalls(t, g.r)
}
