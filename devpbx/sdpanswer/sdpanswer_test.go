package sdpanswer

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

const browserOffer = "v=0\r\n" +
	"o=- 123 1 IN IP4 127.0.0.1\r\n" +
	"s=-\r\n" +
	"c=IN IP4 127.0.0.1\r\n" +
	"t=0 0\r\n" +
	"m=audio 40000 RTP/AVP 111 9 0 8 101\r\n" +
	"a=rtpmap:111 opus/48000/2\r\n" +
	"a=fmtp:111 minptime=10;useinbandfec=1\r\n" +
	"a=rtpmap:101 telephone-event/8000\r\n" +
	"a=fmtp:101 0-16\r\n" +
	"a=sendrecv\r\n"

func TestParseOffer(t *testing.T) {
	o, err := ParseOffer([]byte(browserOffer))
	if err != nil {
		t.Fatal(err)
	}
	if o.Remote != netip.MustParseAddrPort("127.0.0.1:40000") {
		t.Errorf("remote %v", o.Remote)
	}
	var names []string
	for _, c := range o.Codecs {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); got != "opus,G722,PCMU,PCMA,telephone-event" {
		t.Errorf("codecs %s", got)
	}
	if o.Codecs[0].Channels != 2 || o.Codecs[0].Fmtp != "minptime=10;useinbandfec=1" || o.Codecs[0].ClockRate != 48000 {
		t.Errorf("opus %+v", o.Codecs[0])
	}
	if o.Direction != SendRecv {
		t.Errorf("direction %s", o.Direction)
	}
}

func TestChooseKeepsOffererOrder(t *testing.T) {
	o, _ := ParseOffer([]byte(browserOffer))
	if c, _ := o.Choose(AllAudio); c.Name != Opus || c.PayloadType != 111 {
		t.Errorf("all: %+v", c)
	}
	if c, _ := o.Choose(G711); c.Name != PCMU {
		t.Errorf("g711: %+v", c)
	}
	if c, _ := o.Choose([]string{PCMA, PCMU}); c.Name != PCMU {
		t.Errorf("offerer's order must win: %+v", c)
	}
	if c, ok := o.TelephoneEvent(); !ok || c.PayloadType != 101 {
		t.Errorf("te: %+v", c)
	}
	g722only := strings.Replace(browserOffer, "111 9 0 8 101", "9", 1)
	o2, err := ParseOffer([]byte(g722only))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := o2.Choose(G711); ok {
		t.Error("G.711 chosen from a G.722-only offer")
	}
}

func TestWrongClockRateIsNotKnown(t *testing.T) {
	o, err := ParseOffer([]byte(strings.Replace(browserOffer, "111 9 0 8 101", "96 8", 1) + "a=rtpmap:96 PCMU/16000\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := o.Choose(G711); c.Name != PCMA {
		t.Errorf("chose %+v", c)
	}
}

func TestAnswerMirrorsLines(t *testing.T) {
	offer := browserOffer + "m=video 40002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n"
	offer = strings.Replace(offer, "a=sendrecv", "a=sendonly", 1)
	o, err := ParseOffer([]byte(offer))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := o.Choose(G711)
	te, _ := o.TelephoneEvent()
	body := string(Answer{IP: netip.MustParseAddr("127.0.0.1"), Port: 30000, Codec: c, DTMF: &te, Direction: o.Direction.Reverse(), SessionID: 7, Version: 1}.Marshal(o))
	for _, want := range []string{
		"c=IN IP4 127.0.0.1\r\n",
		"m=audio 30000 RTP/AVP 0 101\r\n",
		"a=rtpmap:0 PCMU/8000\r\n",
		"a=rtpmap:101 telephone-event/8000\r\n",
		"a=fmtp:101 0-16\r\n",
		"a=recvonly\r\n",
		"m=video 0 RTP/AVP 96\r\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("answer lacks %q:\n%s", want, body)
		}
	}
	// The answer must itself be valid SDP.
	if _, err := ParseOffer([]byte(body)); err != nil {
		t.Errorf("answer does not parse: %v", err)
	}
}

func TestParseOfferErrors(t *testing.T) {
	cases := map[string]error{
		"":        ErrNoAudio,
		"garbage": ErrMalformed,
		strings.Replace(browserOffer, "RTP/AVP", "RTP/SAVP", 1):                              ErrNoAudio,
		strings.Replace(browserOffer, "m=audio 40000", "m=audio 0", 1):                       ErrNoAudio,
		strings.Replace(browserOffer, "c=IN IP4 127.0.0.1\r\n", "", 1):                       ErrMalformed,
		strings.Replace(browserOffer, "IN IP4 127.0.0.1\r\nt", "IN IP4 pbx.example\r\nt", 1): ErrMalformed,
	}
	for in, want := range cases {
		if _, err := ParseOffer([]byte(in)); !errors.Is(err, want) {
			t.Errorf("%q: err %v, want %v", in, err, want)
		}
	}
}

func FuzzParseOffer(f *testing.F) {
	f.Add([]byte(browserOffer))
	f.Add([]byte("v=0\r\nm=audio 1 RTP/AVP 0\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := ParseOffer(body)
		if err != nil {
			return
		}
		if c, ok := o.Choose(AllAudio); ok {
			_ = Answer{IP: netip.MustParseAddr("127.0.0.1"), Port: 1, Codec: c}.Marshal(o)
		}
	})
}

func TestOutgoingOfferRoundTrip(t *testing.T) {
	o := Outgoing{IP: netip.MustParseAddr("127.0.0.1"), Port: 41000, Codecs: OutboundCodecs, SessionID: 7, Version: 1}
	body := string(o.Marshal())
	for _, want := range []string{
		"m=audio 41000 RTP/AVP 0 8 111 101\r\n",
		"a=rtpmap:111 opus/48000/2\r\n",
		"a=fmtp:101 0-16\r\n",
		"a=sendrecv\r\n",
		"c=IN IP4 127.0.0.1\r\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("offer lacks %q:\n%s", want, body)
		}
	}
	// What a callee answering with PCMA and telephone-event would send back.
	answer := "v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n" +
		"m=audio 5004 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=recvonly\r\n"
	a, err := ParseAnswer([]byte(answer))
	if err != nil {
		t.Fatal(err)
	}
	c, ok := a.Choose([]string{PCMU, PCMA, Opus})
	te, teOK := a.TelephoneEvent()
	if !ok || c.Name != PCMA || !teOK || te.PayloadType != 101 || a.Remote.String() != "127.0.0.2:5004" || a.Direction.Reverse() != SendOnly {
		t.Errorf("answer %+v", a)
	}
}
