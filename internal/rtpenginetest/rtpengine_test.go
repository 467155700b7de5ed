package rtpenginetest

import (
	"fmt"
	"strings"
	"testing"
)

func TestStartAnswersPing(t *testing.T) {
	r := Start(t, Options{})
	if err := r.Ping(commandTimeout); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Log(), "Received command 'ping'") {
		t.Fatalf("log has no ping:\n%s", r.Log())
	}
	ids, err := r.List()
	if err != nil || len(ids) != 0 {
		t.Fatalf("list: %v %v", ids, err)
	}
}

// plainOffer is a baresip-like RTP/AVP offer.
const plainOffer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
	"m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"

// An offer from a plain SIP peer, with the flags the gateway uses toward a WebRTC
// client, comes out as a WebRTC offer: the profile, DTLS fingerprint and setup, ICE
// credentials and a candidate, rtcp-mux and a mid.
func TestOfferTowardWebRTC(t *testing.T) {
	r := Start(t, Options{})
	res, err := r.Command("offer", map[string]any{
		"call-id": "webrtc-offer@test", "from-tag": "a1", "sdp": plainOffer,
		"flags":              []string{"generate-mid"},
		"ICE":                "force",
		"transport-protocol": "UDP/TLS/RTP/SAVPF",
		"rtcp-mux":           []string{"offer", "require"},
		"SDES":               []string{"off"},
	})
	if err != nil {
		t.Fatal(err)
	}
	sdp, _ := res["sdp"].(string)
	for _, want := range []string{"UDP/TLS/RTP/SAVPF", "a=fingerprint:", "a=setup:", "a=ice-ufrag:", "a=ice-pwd:", "a=candidate:", "a=rtcp-mux", "a=mid:"} {
		if !strings.Contains(sdp, want) {
			t.Errorf("offer lacks %q:\n%s", want, sdp)
		}
	}
	if strings.Contains(sdp, "a=crypto:") {
		t.Errorf("SDES-off still offers a=crypto:\n%s", sdp)
	}
	ids, err := r.List()
	if err != nil || fmt.Sprint(ids) != "[webrtc-offer@test]" {
		t.Fatalf("list: %v %v", ids, err)
	}
	q, err := r.Query("webrtc-offer@test")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("query: %v", q)
}
