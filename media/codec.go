package media

import (
	"strings"

	"github.com/pion/webrtc/v4"
)

// Codec is an audio codec both legs can carry.
type Codec struct {
	Key       string // config name: opus, g722, pcmu, pcma
	Name      string // SDP encoding name
	MimeType  string // WebRTC MIME type
	ClockRate uint32 // RTP clock rate as written in SDP (G.722 says 8000, RFC 3551 4.5.2)
	Channels  uint16 // 0 when SDP names none
	PT        uint8  // the payload type we offer
	Static    bool   // PT is a static RFC 3551 assignment
	Fmtp      string
}

// Codecs we relay, by config name.
var (
	Opus = Codec{Key: "opus", Name: "opus", MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, PT: 111, Fmtp: "minptime=10;useinbandfec=1"}
	G722 = Codec{Key: "g722", Name: "G722", MimeType: webrtc.MimeTypeG722, ClockRate: 8000, PT: 9, Static: true}
	PCMU = Codec{Key: "pcmu", Name: "PCMU", MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, PT: 0, Static: true}
	PCMA = Codec{Key: "pcma", Name: "PCMA", MimeType: webrtc.MimeTypePCMA, ClockRate: 8000, PT: 8, Static: true}
)

// TelephoneEventPT is the payload type we offer for RFC 4733 DTMF events.
const TelephoneEventPT = 101

var byKey = map[string]Codec{"opus": Opus, "g722": G722, "pcmu": PCMU, "pcma": PCMA}

// CodecsByName maps config names to codecs in the given order, skipping unknown names.
func CodecsByName(names []string) []Codec {
	out := make([]Codec, 0, len(names))
	for _, n := range names {
		if c, ok := byKey[strings.ToLower(n)]; ok {
			out = append(out, c)
		}
	}
	return out
}

// matches reports whether an SDP rtpmap (name/rate/channels) names this codec.
func (c Codec) matches(name string, rate uint32, channels uint16) bool {
	if !strings.EqualFold(name, c.Name) || rate != c.ClockRate {
		return false
	}
	if c.Channels > 1 {
		return channels == c.Channels
	}
	return channels <= 1
}

// staticCodec returns the codec a static payload type names when SDP has no rtpmap.
func staticCodec(pt uint8) (Codec, bool) {
	for _, c := range []Codec{PCMU, PCMA, G722} {
		if c.PT == pt {
			return c, true
		}
	}
	return Codec{}, false
}

// samplesPer20ms is the RTP timestamp step of one 20 ms packet.
func (c Codec) samplesPer20ms() uint32 { return c.ClockRate / 50 }
