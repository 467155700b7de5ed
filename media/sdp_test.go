package media

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
)

func TestBuildSDPRoundTrip(t *testing.T) {
	offer := BuildSDP(OfferParams{SessionID: 1, Version: 1, IP: net.IPv4(127, 0, 0, 1), Port: 40000, Codecs: []Codec{Opus, PCMU}})
	s := string(offer)
	for _, want := range []string{"m=audio 40000 RTP/AVP 111 0 101\r\n", "a=rtpmap:111 opus/48000/2\r\n", "a=rtpmap:0 PCMU/8000\r\n", "c=IN IP4 127.0.0.1\r\n", "a=sendrecv\r\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("offer lacks %q:\n%s", want, s)
		}
	}
	n, err := ParseAnswer(offer, []Codec{PCMU, Opus})
	if err != nil || n.Codec.Key != "opus" || n.Codec.PT != 111 || n.DTMFPT != 101 || n.Remote.String() != "127.0.0.1:40000" {
		t.Fatalf("ParseAnswer of our own offer: %+v %v", n, err)
	}
}

const answerPCMU = "v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n"

func TestParseAnswerStaticPT(t *testing.T) {
	n, err := ParseAnswer([]byte(answerPCMU), []Codec{Opus, G722, PCMU, PCMA})
	if err != nil {
		t.Fatal(err)
	}
	if n.Codec.Key != "pcmu" || n.Codec.PT != 0 || n.DTMFPT != 101 || n.Remote.String() != "10.0.0.5:30000" || n.Direction != "sendrecv" {
		t.Fatalf("got %+v", n)
	}
}

func TestParseAnswerDynamicPTAndMediaLevelC(t *testing.T) {
	sdp := "v=0\no=- 1 1 IN IP4 1.1.1.1\ns=-\nc=IN IP4 1.1.1.1\nt=0 0\nm=audio 4000 RTP/AVP 96\nc=IN IP4 2.2.2.2\na=rtpmap:96 OPUS/48000/2\na=sendonly\n"
	n, err := ParseAnswer([]byte(sdp), []Codec{PCMU, Opus})
	if err != nil || n.Codec.Key != "opus" || n.Codec.PT != 96 || n.Remote.IP.String() != "2.2.2.2" || n.Direction != "sendonly" || n.DTMFPT != -1 {
		t.Fatalf("got %+v %v", n, err)
	}
}

func TestSelectFromOfferUsesOurPreference(t *testing.T) {
	offer := "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 5000 RTP/AVP 8 0 9\r\n"
	n, err := SelectFromOffer([]byte(offer), []Codec{G722, PCMU})
	if err != nil || n.Codec.Key != "g722" || n.Codec.PT != 9 {
		t.Fatalf("got %+v %v", n, err)
	}
}

func TestIncomingAnswerUsesTheOfferersNumbers(t *testing.T) {
	offer := []byte("v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 5000 RTP/AVP 96 0 97\r\na=rtpmap:96 opus/48000/2\r\na=rtpmap:97 telephone-event/8000\r\n")
	c, neg, err := NewIncomingCall(&BrowserNet{}, net.IPv4(127, 0, 0, 1), offer, []Codec{PCMU, Opus}, SecurityOff, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if neg.Codec.Key != "pcmu" || neg.DTMFPT != 97 {
		t.Fatalf("negotiated %+v", neg)
	}
	ans := string(c.Answer(1))
	if !strings.Contains(ans, " RTP/AVP 0 97\r\n") || !strings.Contains(ans, "a=rtpmap:97 telephone-event/8000") || strings.Contains(ans, "opus") {
		t.Fatalf("answer:\n%s", ans)
	}
	noDTMF := []byte("v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 5000 RTP/AVP 8\r\n")
	c2, _, err := NewIncomingCall(&BrowserNet{}, net.IPv4(127, 0, 0, 1), noDTMF, []Codec{PCMA}, SecurityOff, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if a := string(c2.Answer(1)); strings.Contains(a, "telephone-event") || !strings.Contains(a, " RTP/AVP 8\r\n") {
		t.Fatalf("answer without DTMF:\n%s", a)
	}
}

func TestHoldAddressGivesNoRemote(t *testing.T) {
	sdp := "v=0\r\nc=IN IP4 0.0.0.0\r\nm=audio 5000 RTP/AVP 0\r\na=inactive\r\n"
	n, err := ParseAnswer([]byte(sdp), []Codec{PCMU})
	if err != nil || n.Remote != nil || n.Direction != "inactive" {
		t.Fatalf("got %+v %v", n, err)
	}
}

func TestSDPErrors(t *testing.T) {
	cases := map[string]struct {
		sdp  string
		want error
	}{
		"no audio":       {"v=0\r\nc=IN IP4 1.1.1.1\r\nm=video 5000 RTP/AVP 96\r\n", ErrBadSDP},
		"no address":     {"v=0\r\nm=audio 5000 RTP/AVP 0\r\n", ErrBadSDP},
		"bad address":    {"v=0\r\nc=IN IP4 pbx.example\r\nm=audio 5000 RTP/AVP 0\r\n", ErrBadSDP},
		"bad port":       {"v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 99999 RTP/AVP 0\r\n", ErrBadSDP},
		"bad pt":         {"v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 5000 RTP/AVP 300\r\n", ErrBadSDP},
		"no common":      {"v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 5000 RTP/AVP 18\r\n", ErrNoCommonCodec},
		"rejected":       {"v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 0 RTP/AVP 0\r\n", ErrNoCommonCodec},
		"too large":      {strings.Repeat("a=x\r\n", MaxSDP), ErrBadSDP},
		"opus mono lies": {"v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 5000 RTP/AVP 96\r\na=rtpmap:96 opus/48000\r\n", ErrNoCommonCodec},
	}
	for name, tc := range cases {
		if _, err := ParseAnswer([]byte(tc.sdp), []Codec{Opus, PCMU}); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", name, err, tc.want)
		}
	}
}

func FuzzParseAnswer(f *testing.F) {
	f.Add([]byte(answerPCMU))
	f.Add(BuildSDP(OfferParams{IP: net.IPv4(127, 0, 0, 1), Port: 1, Codecs: []Codec{Opus}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := ParseAnswer(b, []Codec{Opus, G722, PCMU, PCMA})
		if err == nil && n.Codec.Key == "" {
			t.Fatal("no error and no codec")
		}
	})
}

func TestReofferHoldResumeAndOfferless(t *testing.T) {
	offer := []byte("v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 5000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n")
	c, _, err := NewIncomingCall(&BrowserNet{}, net.IPv4(127, 0, 0, 1), offer, []Codec{PCMU}, SecurityOff, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	first := string(c.Answer(77))
	hold := []byte("v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 5002 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n")
	ans, dir, err := c.Reoffer(hold)
	if err != nil || dir != "sendonly" || !strings.Contains(string(ans), "a=recvonly") || !strings.Contains(string(ans), "o=tabphone 77 78 ") {
		t.Fatalf("hold answer %v %s:\n%s", err, dir, ans)
	}
	if !strings.Contains(first, "o=tabphone 77 77 ") {
		t.Fatalf("first answer:\n%s", first)
	}
	if c.pbx.LocalAddr() == nil || c.pbx.remote.Port != 5002 {
		t.Fatalf("PBX leg did not follow the new port: %v", c.pbx.remote)
	}
	again, _, _ := c.Reoffer(hold) // a session refresh: same offer, same version
	if !strings.Contains(string(again), "o=tabphone 77 78 ") {
		t.Fatalf("refresh bumped the version:\n%s", again)
	}
	if _, _, err := c.Reoffer([]byte("v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 5000 RTP/AVP 8\r\n")); err == nil {
		t.Fatal("a codec change was accepted (the browser leg could not follow)")
	}
	o, err := c.CurrentOffer()
	if err != nil || !strings.Contains(string(o), "a=sendrecv") || !strings.Contains(string(o), "RTP/AVP 0 101") {
		t.Fatalf("offerless re-INVITE offer %v:\n%s", err, o)
	}
}
