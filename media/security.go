package media

import (
	"fmt"
	"strings"
)

// Security is the media the PBX leg speaks, from an account's `srtp` setting.
type Security int

const (
	// SecurityOff is plain RTP/AVP; an SRTP-only offer is refused.
	SecurityOff Security = iota
	// SecuritySDES requires SDES-SRTP (RFC 4568): RTP/SAVP with a=crypto, or a=crypto in
	// an RTP/AVP offer; plain RTP is refused.
	SecuritySDES
	// SecuritySDESOptional offers SDES keys in an RTP/AVP offer (best-effort SRTP, as
	// desk phones do) and accepts a plain answer or a plain offer.
	SecuritySDESOptional
	// SecurityDTLS is WebRTC media: UDP/TLS/RTP/SAVPF with ICE, DTLS-SRTP and rtcp-mux.
	SecurityDTLS
)

// The config values of `srtp` (docs/config.md).
const (
	SRTPOff          = "off"
	SRTPSDES         = "sdes"
	SRTPSDESOptional = "sdes-optional"
	SRTPDTLS         = "dtls"
	SRTPAuto         = "auto"
)

// SecurityFor resolves an account's `srtp` value for its SIP transport: "auto" (or
// empty) is dtls over ws/wss (WebRTC PBXs), sdes-optional over tls (signalling already
// protects the keys), off over udp/tcp (SDES keys in clear text SIP protect nothing).
func SecurityFor(value, transport string) (Security, error) {
	switch strings.ToLower(value) {
	case SRTPOff:
		return SecurityOff, nil
	case SRTPSDES:
		return SecuritySDES, nil
	case SRTPSDESOptional:
		return SecuritySDESOptional, nil
	case SRTPDTLS:
		return SecurityDTLS, nil
	case SRTPAuto, "":
		switch strings.ToLower(transport) {
		case "ws", "wss":
			return SecurityDTLS, nil
		case "tls":
			return SecuritySDESOptional, nil
		}
		return SecurityOff, nil
	}
	return SecurityOff, fmt.Errorf("srtp %q is not one of off, sdes, sdes-optional, dtls, auto", value)
}

func (s Security) String() string {
	switch s {
	case SecuritySDES:
		return SRTPSDES
	case SecuritySDESOptional:
		return SRTPSDESOptional
	case SecurityDTLS:
		return SRTPDTLS
	}
	return SRTPOff
}

// secureProto reports an m= transport that is SRTP by itself (RFC 3711 12).
func secureProto(p string) bool { return p == ProtoSAVP || p == ProtoSAVPF }

// dtlsProto reports WebRTC's DTLS-SRTP transports (RFC 5764 8).
func dtlsProto(p string) bool { return p == ProtoDTLSSAVP || p == ProtoDTLSSAVPF }

// keysForOffer decides, for an offer from the PBX, which SDES keys protect the call:
// the first usable a=crypto of the offer (its order is its preference, RFC 4568 7.1.1)
// and our key for the same tag and suite (current, when the call already has it, so a
// re-INVITE keeps our stream's key). nil keys mean plain RTP. The error wraps
// ErrSecurity when the account's setting does not allow the offer's media.
func keysForOffer(n Negotiated, sec Security, current *Crypto) (local, remote *Crypto, err error) {
	switch {
	case dtlsProto(n.Proto) && sec != SecurityDTLS:
		return nil, nil, fmt.Errorf("%w: the PBX offers WebRTC media (DTLS-SRTP) and the account's srtp is %q", ErrSecurity, sec)
	case !dtlsProto(n.Proto) && sec == SecurityDTLS:
		return nil, nil, fmt.Errorf("%w: the account's srtp is \"dtls\" and the PBX offers %s", ErrSecurity, n.Proto)
	case secureProto(n.Proto) && sec == SecurityOff:
		return nil, nil, fmt.Errorf("%w: the PBX offers only SRTP and the account's srtp is \"off\"", ErrSecurity)
	case sec == SecurityOff:
		return nil, nil, nil // an RTP/AVP offer's a=crypto is optional: answered plain
	case len(n.Crypto) == 0 && secureProto(n.Proto):
		return nil, nil, fmt.Errorf("%w: the PBX offers SRTP without a key we can use", ErrSecurity)
	case len(n.Crypto) == 0 && sec == SecuritySDES:
		return nil, nil, fmt.Errorf("%w: the PBX offers plain RTP and the account requires SRTP", ErrSecurity)
	case len(n.Crypto) == 0:
		return nil, nil, nil
	}
	theirs := n.Crypto[0]
	if current != nil && current.Tag == theirs.Tag && current.Suite == theirs.Suite {
		return current, &theirs, nil
	}
	ours, err := NewCrypto(theirs.Tag, theirs.Suite)
	if err != nil {
		return nil, nil, err
	}
	return &ours, &theirs, nil
}

// matchingCrypto finds the PBX's key answering one of ours: the same tag and suite
// (RFC 4568 7.1.3).
func matchingCrypto(theirs, ours []Crypto) (*Crypto, bool) {
	for _, t := range theirs {
		for _, o := range ours {
			if o.Tag == t.Tag && o.Suite == t.Suite {
				return &t, true
			}
		}
	}
	return nil, false
}

// keysFromAnswer decides, for the PBX's answer to our offer, which keys protect the
// call: ours for the tag it chose and its own.
func (c *Call) keysFromAnswer(n Negotiated) (local, remote *Crypto, err error) {
	if len(c.offered) == 0 {
		if secureProto(n.Proto) || dtlsProto(n.Proto) {
			return nil, nil, fmt.Errorf("%w: we offered plain RTP and the PBX answered %s", ErrSecurity, n.Proto)
		}
		return nil, nil, nil
	}
	if theirs, ok := matchingCrypto(n.Crypto, c.offered); ok {
		for i := range c.offered {
			if c.offered[i].Tag == theirs.Tag {
				return &c.offered[i], theirs, nil
			}
		}
	}
	if c.sec == SecuritySDES {
		return nil, nil, fmt.Errorf("%w: the PBX answered without an SRTP key and the account requires SRTP", ErrSecurity)
	}
	if secureProto(n.Proto) {
		return nil, nil, fmt.Errorf("%w: the PBX answered SRTP without a key we offered", ErrSecurity)
	}
	return nil, nil, nil
}
