package media

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// MaxSDP caps an SDP body from the PBX; real audio offers are well under 4 KiB.
const MaxSDP = 16 << 10

// Negotiated is the outcome of an offer/answer on the PBX leg.
type Negotiated struct {
	Codec     Codec        // our codec, with PT set to the payload type used on the wire
	DTMFPT    int          // telephone-event payload type, -1 when none
	Remote    *net.UDPAddr // where the PBX wants RTP; nil when the stream is on hold (0.0.0.0)
	Direction string       // sendrecv, sendonly, recvonly or inactive, as the PBX wrote it
	Proto     string       // the m= line's transport: RTP/AVP, RTP/SAVP, UDP/TLS/RTP/SAVPF…
	RTCP      *net.UDPAddr // the a=rtcp address; nil: the port after Remote's
	Crypto    []Crypto     // the usable a=crypto attributes, in the SDP's order
}

// OfferParams are what we put into an SDP offer or answer.
type OfferParams struct {
	SessionID uint64
	Version   uint64
	IP        net.IP
	Port      int
	Codecs    []Codec
	Direction string // "" means sendrecv
	DTMFPT    int    // telephone-event payload type: 0 means TelephoneEventPT, -1 none
	Proto     string // "" means RTP/AVP
	Crypto    []Crypto
}

// BuildSDP writes an audio SDP (RFC 4566, RFC 3264) with the codecs in order of
// preference plus telephone-event, RTP/AVP unless p.Proto says otherwise, with an
// a=crypto line for each SDES key (RFC 4568).
func BuildSDP(p OfferParams) []byte {
	ip := p.IP.String()
	fams := "IP4"
	if p.IP.To4() == nil {
		fams = "IP6"
	}
	dir := p.Direction
	if dir == "" {
		dir = "sendrecv"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=tabphone %d %d IN %s %s\r\ns=Tabphone\r\nc=IN %s %s\r\nt=0 0\r\n", p.SessionID, p.Version, fams, ip, fams, ip)
	pts := make([]string, 0, len(p.Codecs)+1)
	for _, c := range p.Codecs {
		pts = append(pts, strconv.Itoa(int(c.PT)))
	}
	dtmf := p.DTMFPT
	if dtmf == 0 {
		dtmf = TelephoneEventPT
	}
	if dtmf > 0 {
		pts = append(pts, strconv.Itoa(dtmf))
	}
	proto := p.Proto
	if proto == "" {
		proto = ProtoAVP
	}
	fmt.Fprintf(&b, "m=audio %d %s %s\r\n", p.Port, proto, strings.Join(pts, " "))
	for _, c := range p.Codecs {
		if c.Channels > 1 {
			fmt.Fprintf(&b, "a=rtpmap:%d %s/%d/%d\r\n", c.PT, c.Name, c.ClockRate, c.Channels)
		} else {
			fmt.Fprintf(&b, "a=rtpmap:%d %s/%d\r\n", c.PT, c.Name, c.ClockRate)
		}
		if c.Fmtp != "" {
			fmt.Fprintf(&b, "a=fmtp:%d %s\r\n", c.PT, c.Fmtp)
		}
	}
	if dtmf > 0 {
		fmt.Fprintf(&b, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n", dtmf, dtmf)
	}
	fmt.Fprintf(&b, "a=ptime:20\r\na=%s\r\n", dir)
	for _, c := range p.Crypto {
		fmt.Fprintf(&b, "a=crypto:%s\r\n", c)
	}
	return []byte(b.String())
}

// audioStream is the part of an SDP we use.
type audioStream struct {
	addr      net.IP
	port      int
	formats   []uint8
	rtpmap    map[uint8]string // "PCMU/8000"
	direction string
	proto     string
	rtcpPort  int // a=rtcp, 0 when absent
	crypto    []Crypto
}

// The m= line transports we know (RFC 3551, RFC 3711, RFC 5124, RFC 5764).
const (
	ProtoAVP       = "RTP/AVP"
	ProtoSAVP      = "RTP/SAVP"
	ProtoAVPF      = "RTP/AVPF"
	ProtoSAVPF     = "RTP/SAVPF"
	ProtoDTLSSAVP  = "UDP/TLS/RTP/SAVP"
	ProtoDTLSSAVPF = "UDP/TLS/RTP/SAVPF"
)

func knownProto(p string) bool {
	switch p {
	case ProtoAVP, ProtoSAVP, ProtoAVPF, ProtoSAVPF, ProtoDTLSSAVP, ProtoDTLSSAVPF:
		return true
	}
	return false
}

// maxCryptoAttrs caps the a=crypto lines read from one stream.
const maxCryptoAttrs = 16

// parseAudio reads the first audio m= section of an SDP. It is lenient about order and
// unknown lines (PBXs differ) but strict about sizes and numbers.
func parseAudio(body []byte) (audioStream, error) {
	if len(body) > MaxSDP {
		return audioStream{}, fmt.Errorf("%w: %d bytes is over %d", ErrBadSDP, len(body), MaxSDP)
	}
	var (
		st         = audioStream{rtpmap: map[uint8]string{}, direction: "sendrecv"}
		sessAddr   net.IP
		mediaAddr  net.IP
		inAudio    bool
		found      bool
		sessionDir = "sendrecv"
	)
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimRight(line, "\r")
		if len(line) < 2 || line[1] != '=' {
			continue
		}
		val := line[2:]
		switch line[0] {
		case 'm':
			if found {
				inAudio = false // only the first audio stream is used
				continue
			}
			f := strings.Fields(val)
			if len(f) < 4 || f[0] != "audio" {
				inAudio = false
				continue
			}
			port, err := strconv.Atoi(strings.SplitN(f[1], "/", 2)[0])
			if err != nil || port < 0 || port > 65535 {
				return audioStream{}, fmt.Errorf("%w: bad port in m=%s", ErrBadSDP, val)
			}
			if !knownProto(f[2]) {
				inAudio = false
				continue
			}
			st.port, st.proto = port, f[2]
			for _, s := range f[3:] {
				pt, err := strconv.Atoi(s)
				if err != nil || pt < 0 || pt > 127 {
					return audioStream{}, fmt.Errorf("%w: bad payload type %q", ErrBadSDP, s)
				}
				st.formats = append(st.formats, uint8(pt))
			}
			inAudio, found = true, true
			st.direction = sessionDir
		case 'c':
			ip, err := parseConnection(val)
			if err != nil {
				return audioStream{}, err
			}
			if inAudio {
				mediaAddr = ip
			} else if !found {
				sessAddr = ip
			}
		case 'a':
			name, arg, _ := strings.Cut(val, ":")
			switch name {
			case "sendrecv", "sendonly", "recvonly", "inactive":
				if inAudio {
					st.direction = name
				} else if !found {
					sessionDir = name
				}
			case "rtpmap":
				if !inAudio {
					continue
				}
				ptStr, enc, ok := strings.Cut(arg, " ")
				pt, err := strconv.Atoi(ptStr)
				if !ok || err != nil || pt < 0 || pt > 127 {
					return audioStream{}, fmt.Errorf("%w: bad rtpmap %q", ErrBadSDP, arg)
				}
				st.rtpmap[uint8(pt)] = strings.TrimSpace(enc)
			case "crypto":
				if !inAudio || len(st.crypto) >= maxCryptoAttrs {
					continue
				}
				if c, err := ParseCrypto(arg); err == nil {
					st.crypto = append(st.crypto, c)
				}
			case "rtcp":
				if !inAudio {
					continue
				}
				port, err := strconv.Atoi(strings.Fields(arg + " ")[0])
				if err != nil || port <= 0 || port > 65535 {
					return audioStream{}, fmt.Errorf("%w: bad a=rtcp:%s", ErrBadSDP, arg)
				}
				st.rtcpPort = port
			}
		}
	}
	if !found {
		return audioStream{}, fmt.Errorf("%w: no audio stream", ErrBadSDP)
	}
	st.addr = mediaAddr
	if st.addr == nil {
		st.addr = sessAddr
	}
	if st.addr == nil {
		return audioStream{}, fmt.Errorf("%w: no connection address", ErrBadSDP)
	}
	return st, nil
}

func parseConnection(val string) (net.IP, error) {
	f := strings.Fields(val)
	if len(f) != 3 || f[0] != "IN" {
		return nil, fmt.Errorf("%w: bad c=%s", ErrBadSDP, val)
	}
	ip := net.ParseIP(strings.SplitN(f[2], "/", 2)[0])
	if ip == nil {
		return nil, fmt.Errorf("%w: c= address %q is not an IP address", ErrBadSDP, f[2])
	}
	return ip, nil
}

// codecFor names what a payload type means in this stream, per its rtpmap or the
// static RFC 3551 table.
func (st audioStream) codecFor(pt uint8) (name string, rate uint32, channels uint16, ok bool) {
	enc, has := st.rtpmap[pt]
	if !has {
		if c, static := staticCodec(pt); static {
			return c.Name, c.ClockRate, 0, true
		}
		return "", 0, 0, false
	}
	parts := strings.Split(enc, "/")
	if len(parts) < 2 {
		return "", 0, 0, false
	}
	r, err := strconv.ParseUint(parts[1], 10, 32)
	if err != nil {
		return "", 0, 0, false
	}
	if len(parts) > 2 {
		ch, err := strconv.ParseUint(parts[2], 10, 16)
		if err != nil {
			return "", 0, 0, false
		}
		channels = uint16(ch)
	}
	return parts[0], uint32(r), channels, true
}

func (st audioStream) negotiated(c Codec, pt uint8) Negotiated {
	c.PT = pt
	n := Negotiated{Codec: c, DTMFPT: -1, Direction: st.direction, Proto: st.proto, Crypto: st.crypto}
	for _, f := range st.formats {
		if name, rate, _, ok := st.codecFor(f); ok && strings.EqualFold(name, "telephone-event") && rate == 8000 {
			n.DTMFPT = int(f)
			break
		}
	}
	if st.port != 0 && !st.addr.IsUnspecified() {
		n.Remote = &net.UDPAddr{IP: st.addr, Port: st.port}
		if st.rtcpPort != 0 {
			n.RTCP = &net.UDPAddr{IP: st.addr, Port: st.rtcpPort}
		}
	}
	return n
}

// ParseAnswer reads the PBX's answer to our offer: the first payload type in the answer
// that is one of the codecs we offered decides the codec (RFC 3264 6.1).
func ParseAnswer(body []byte, offered []Codec) (Negotiated, error) {
	st, err := parseAudio(body)
	if err != nil {
		return Negotiated{}, err
	}
	if st.port == 0 {
		return Negotiated{}, fmt.Errorf("%w: the audio stream was rejected (port 0)", ErrNoCommonCodec)
	}
	for _, pt := range st.formats {
		name, rate, ch, ok := st.codecFor(pt)
		if !ok {
			continue
		}
		for _, c := range offered {
			if c.matches(name, rate, ch) {
				return st.negotiated(c, pt), nil
			}
		}
	}
	return Negotiated{}, fmt.Errorf("%w: the answer has none of %s", ErrNoCommonCodec, codecNames(offered))
}

// SelectFromOffer picks, for an incoming offer, the first of our codecs (in our order of
// preference) that the offer carries.
func SelectFromOffer(body []byte, prefs []Codec) (Negotiated, error) {
	st, err := parseAudio(body)
	if err != nil {
		return Negotiated{}, err
	}
	for _, c := range prefs {
		for _, pt := range st.formats {
			name, rate, ch, ok := st.codecFor(pt)
			if ok && c.matches(name, rate, ch) {
				return st.negotiated(c, pt), nil
			}
		}
	}
	return Negotiated{}, fmt.Errorf("%w: the offer has none of %s", ErrNoCommonCodec, codecNames(prefs))
}

func codecNames(cs []Codec) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}
