// Package sdpanswer reads an SDP offer's audio stream and writes devpbx's answer, and
// for the calls devpbx places writes its offer and reads the answer (RFC 3264
// offer/answer, RFC 4566 SDP, RFC 3551 static payload types).
package sdpanswer

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// Canonical codec names, as devpbx reports them.
const (
	PCMU           = "PCMU"
	PCMA           = "PCMA"
	G722           = "G722"
	Opus           = "opus"
	TelephoneEvent = "telephone-event"
)

// AllAudio lists every audio codec devpbx can take part in (it never decodes Opus or
// G.722, it only echoes or counts them).
var AllAudio = []string{PCMU, PCMA, G722, Opus}

// G711 lists the codecs devpbx can generate and measure audio in.
var G711 = []string{PCMU, PCMA}

// Codec is one payload type of an offer.
type Codec struct {
	// Name is canonical for known codecs (see the constants), as offered otherwise.
	Name        string
	PayloadType uint8
	ClockRate   uint32
	Channels    int
	Fmtp        string
}

// Direction is an SDP media direction attribute.
type Direction string

const (
	SendRecv Direction = "sendrecv"
	SendOnly Direction = "sendonly"
	RecvOnly Direction = "recvonly"
	Inactive Direction = "inactive"
)

// Reverse is the direction an answerer uses for an offered one (RFC 3264 6.1).
func (d Direction) Reverse() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	}
	return d
}

// mediaLine is an offered m= line that the answer must mirror, used or rejected.
type mediaLine struct {
	media, proto string
	formats      []string
}

// Offer is the audio stream devpbx will use from an SDP offer.
type Offer struct {
	// Remote is where the offerer wants RTP; its address is unspecified (0.0.0.0)
	// for the old-style hold of RFC 2543.
	Remote netip.AddrPort
	// Codecs in the offerer's order of preference.
	Codecs    []Codec
	Direction Direction

	lines []mediaLine
	audio int // index of the used line in lines
}

// static payload types of RFC 3551 table 4 that devpbx knows.
var static = map[uint8]Codec{
	0: {Name: PCMU, PayloadType: 0, ClockRate: 8000, Channels: 1},
	8: {Name: PCMA, PayloadType: 8, ClockRate: 8000, Channels: 1},
	9: {Name: G722, PayloadType: 9, ClockRate: 8000, Channels: 1},
}

// canonical maps an rtpmap encoding name to devpbx's spelling. A known name with the
// wrong clock rate gets the rate appended, so it never matches a codec devpbx knows.
func canonical(name string, rate uint32) string {
	for _, c := range []struct {
		name string
		rate uint32
	}{{PCMU, 8000}, {PCMA, 8000}, {G722, 8000}, {Opus, 48000}, {TelephoneEvent, 8000}} {
		if strings.EqualFold(name, c.name) {
			if rate == c.rate {
				return c.name
			}
			return fmt.Sprintf("%s/%d", name, rate)
		}
	}
	return name
}

// ParseOffer reads the first audio stream with a non-zero port and the RTP/AVP profile.
func ParseOffer(body []byte) (Offer, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(string(body)); err != nil {
		return Offer{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	o := Offer{audio: -1}
	for i, md := range sd.MediaDescriptions {
		o.lines = append(o.lines, mediaLine{
			media:   md.MediaName.Media,
			proto:   strings.Join(md.MediaName.Protos, "/"),
			formats: md.MediaName.Formats,
		})
		if o.audio >= 0 || md.MediaName.Media != "audio" || md.MediaName.Port.Value == 0 ||
			strings.Join(md.MediaName.Protos, "/") != "RTP/AVP" {
			continue
		}
		conn := md.ConnectionInformation
		if conn == nil {
			conn = sd.ConnectionInformation
		}
		if conn == nil || conn.Address == nil {
			return Offer{}, fmt.Errorf("%w: no c= line for the audio stream", ErrMalformed)
		}
		ip, err := netip.ParseAddr(conn.Address.Address)
		if err != nil {
			return Offer{}, fmt.Errorf("%w: c= address %q is not an IP address", ErrMalformed, conn.Address.Address)
		}
		port := md.MediaName.Port.Value
		if port < 1 || port > 65535 {
			return Offer{}, fmt.Errorf("%w: port %d", ErrMalformed, port)
		}
		o.Remote = netip.AddrPortFrom(ip.Unmap(), uint16(port))
		o.Codecs = codecs(md)
		o.Direction = direction(md, &sd)
		o.audio = i
	}
	if o.audio < 0 {
		return Offer{}, ErrNoAudio
	}
	return o, nil
}

func codecs(md *sdp.MediaDescription) []Codec {
	maps := make(map[uint8]Codec)
	fmtps := make(map[uint8]string)
	for _, a := range md.Attributes {
		pt, rest, ok := strings.Cut(a.Value, " ")
		n, err := strconv.ParseUint(pt, 10, 7)
		if !ok || err != nil {
			continue
		}
		switch a.Key {
		case "rtpmap":
			// <encoding name>/<clock rate>[/<channels>]
			parts := strings.Split(strings.TrimSpace(rest), "/")
			if len(parts) < 2 {
				continue
			}
			rate, err := strconv.ParseUint(parts[1], 10, 32)
			if err != nil {
				continue
			}
			ch := 1
			if len(parts) > 2 {
				if v, err := strconv.Atoi(parts[2]); err == nil && v > 0 {
					ch = v
				}
			}
			maps[uint8(n)] = Codec{Name: canonical(parts[0], uint32(rate)), PayloadType: uint8(n), ClockRate: uint32(rate), Channels: ch}
		case "fmtp":
			fmtps[uint8(n)] = strings.TrimSpace(rest)
		}
	}
	var out []Codec
	for _, f := range md.MediaName.Formats {
		n, err := strconv.ParseUint(f, 10, 7)
		if err != nil {
			continue
		}
		pt := uint8(n)
		c, ok := maps[pt]
		if !ok {
			if c, ok = static[pt]; !ok {
				continue // dynamic type without rtpmap: unusable
			}
		}
		c.Fmtp = fmtps[pt]
		out = append(out, c)
	}
	return out
}

func direction(md *sdp.MediaDescription, sd *sdp.SessionDescription) Direction {
	for _, attrs := range [][]sdp.Attribute{md.Attributes, sd.Attributes} {
		for _, a := range attrs {
			switch d := Direction(a.Key); d {
			case SendRecv, SendOnly, RecvOnly, Inactive:
				return d
			}
		}
	}
	return SendRecv
}

// Choose returns the first offered codec whose name is in accept: the offerer's
// preference wins (RFC 3264 6.1).
func (o Offer) Choose(accept []string) (Codec, bool) {
	for _, c := range o.Codecs {
		for _, a := range accept {
			if c.Name == a {
				return c, true
			}
		}
	}
	return Codec{}, false
}

// TelephoneEvent returns the offered RFC 4733 event payload type at 8000 Hz.
func (o Offer) TelephoneEvent() (Codec, bool) {
	return o.Choose([]string{TelephoneEvent})
}

// Answer describes devpbx's side of the audio stream.
type Answer struct {
	IP    netip.Addr
	Port  int
	Codec Codec
	// DTMF is the telephone-event payload type, if accepted.
	DTMF      *Codec
	Direction Direction
	// SessionID and Version fill the o= line; bump Version for every new answer in
	// the same dialog (RFC 3264 8).
	SessionID, Version uint64
}

// Marshal writes the answer for offer: the audio line with the chosen codec, every
// other offered line rejected with port 0, as RFC 3264 6 requires.
func (a Answer) Marshal(offer Offer) []byte {
	ipv := "IP4"
	if a.IP.Is6() {
		ipv = "IP6"
	}
	var b strings.Builder
	line := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\r\n")
	}
	line("v=0")
	line("o=devpbx %d %d IN %s %s", a.SessionID, a.Version, ipv, a.IP)
	line("s=devpbx")
	line("c=IN %s %s", ipv, a.IP)
	line("t=0 0")
	for i, m := range offer.lines {
		if i != offer.audio {
			formats := m.formats
			if len(formats) == 0 {
				formats = []string{"0"}
			}
			line("m=%s 0 %s %s", m.media, m.proto, strings.Join(formats, " "))
			continue
		}
		pts := []string{strconv.Itoa(int(a.Codec.PayloadType))}
		if a.DTMF != nil {
			pts = append(pts, strconv.Itoa(int(a.DTMF.PayloadType)))
		}
		line("m=audio %d RTP/AVP %s", a.Port, strings.Join(pts, " "))
		writeCodec(line, a.Codec)
		if a.DTMF != nil {
			writeCodec(line, *a.DTMF)
		}
		if a.Codec.Name == PCMU || a.Codec.Name == PCMA {
			line("a=ptime:20")
		}
		dir := a.Direction
		if dir == "" {
			dir = SendRecv
		}
		line("a=%s", dir)
	}
	return []byte(b.String())
}

func writeCodec(line func(string, ...any), c Codec) {
	if c.Channels > 1 {
		line("a=rtpmap:%d %s/%d/%d", c.PayloadType, c.Name, c.ClockRate, c.Channels)
	} else {
		line("a=rtpmap:%d %s/%d", c.PayloadType, c.Name, c.ClockRate)
	}
	if c.Fmtp != "" {
		line("a=fmtp:%d %s", c.PayloadType, c.Fmtp)
	}
}

// OutboundCodecs is what devpbx offers when it places a call, in its order of
// preference: G.711 first because only G.711 carries the test tone.
var OutboundCodecs = []Codec{
	{Name: PCMU, PayloadType: 0, ClockRate: 8000, Channels: 1},
	{Name: PCMA, PayloadType: 8, ClockRate: 8000, Channels: 1},
	{Name: Opus, PayloadType: 111, ClockRate: 48000, Channels: 2, Fmtp: "minptime=10;useinbandfec=1"},
	{Name: TelephoneEvent, PayloadType: 101, ClockRate: 8000, Channels: 1, Fmtp: "0-16"},
}

// Outgoing is devpbx's SDP offer for a call it places: one sendrecv audio stream.
type Outgoing struct {
	IP   netip.Addr
	Port int
	// Codecs in devpbx's order of preference, telephone-event included.
	Codecs             []Codec
	SessionID, Version uint64
}

// Marshal writes the offer.
func (o Outgoing) Marshal() []byte {
	ipv := "IP4"
	if o.IP.Is6() {
		ipv = "IP6"
	}
	var b strings.Builder
	line := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\r\n")
	}
	line("v=0")
	line("o=devpbx %d %d IN %s %s", o.SessionID, o.Version, ipv, o.IP)
	line("s=devpbx")
	line("c=IN %s %s", ipv, o.IP)
	line("t=0 0")
	pts := make([]string, 0, len(o.Codecs))
	for _, c := range o.Codecs {
		pts = append(pts, strconv.Itoa(int(c.PayloadType)))
	}
	line("m=audio %d RTP/AVP %s", o.Port, strings.Join(pts, " "))
	for _, c := range o.Codecs {
		writeCodec(line, c)
	}
	line("a=ptime:20")
	line("a=%s", SendRecv)
	return []byte(b.String())
}

// ParseAnswer reads the callee's answer to an Outgoing offer. An answer is read like
// an offer: its first usable audio stream, the codecs in the answerer's order (their
// payload types are the ones devpbx sends with), its address and direction.
func ParseAnswer(body []byte) (Offer, error) {
	return ParseOffer(body)
}
