package rtpenginetest

import (
	"fmt"
	"slices"
	"sort"
)

// Leg is one side of a call as rtpengine's query reports it: the party with the
// SIP tag Tag, and its media as rtpengine negotiated them with that party.
type Leg struct {
	Tag    string
	Medias []Media
}

// Media is one m-line of a leg.
type Media struct {
	Type     string   // audio
	Protocol string   // RTP/AVP, RTP/SAVP, UDP/TLS/RTP/SAVPF…
	Codec    string   // e.g. PCMU/8000, once media flowed
	Flags    []string // e.g. "DTLS-SRTP", "ICE", "rtcp-mux", "DTLS role active"
	Streams  []Stream
}

// Has reports whether the media has the flag.
func (m Media) Has(flag string) bool { return slices.Contains(m.Flags, flag) }

// Stream is one of a media's sockets (RTP, and RTCP unless muxed) and what rtpengine
// received on it from the leg's party.
type Stream struct {
	LocalPort   int
	Endpoint    string   // the party's address as rtpengine latched it
	Flags       []string // e.g. "RTP", "RTCP", "DTLS fingerprint verified", "ICE"
	CryptoSuite string   // SRTP suite toward the party, "" for plain RTP
	Packets     int      // received from the party (RTP and, when muxed, RTCP)
	Bytes       int
	Errors      int
}

// Has reports whether the stream has the flag.
func (s Stream) Has(flag string) bool { return slices.Contains(s.Flags, flag) }

// Legs queries the call and returns its legs, sorted by tag.
func (r *RTPEngine) Legs(callID string) ([]Leg, error) {
	res, err := r.Query(callID)
	if err != nil {
		return nil, err
	}
	tags, ok := res["tags"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: query of %s has no tags: %v", ErrNG, callID, res)
	}
	var legs []Leg
	for tag, v := range tags {
		d, _ := v.(map[string]any)
		leg := Leg{Tag: tag}
		for _, mv := range list(d["medias"]) {
			md, _ := mv.(map[string]any)
			m := Media{Type: str(md["type"]), Protocol: str(md["protocol"]), Codec: str(md["codec"]), Flags: strs(md["flags"])}
			for _, sv := range list(md["streams"]) {
				sd, _ := sv.(map[string]any)
				st := Stream{LocalPort: num(sd["local port"]), Flags: strs(sd["flags"]), CryptoSuite: str(sd["crypto suite"])}
				if ep, ok := sd["endpoint"].(map[string]any); ok && str(ep["address"]) != "" {
					st.Endpoint = fmt.Sprintf("%s:%d", str(ep["address"]), num(ep["port"]))
				}
				if stats, ok := sd["stats"].(map[string]any); ok {
					st.Packets, st.Bytes, st.Errors = num(stats["packets"]), num(stats["bytes"]), num(stats["errors"])
				}
				m.Streams = append(m.Streams, st)
			}
			leg.Medias = append(leg.Medias, m)
		}
		legs = append(legs, leg)
	}
	sort.Slice(legs, func(i, j int) bool { return legs[i].Tag < legs[j].Tag })
	return legs, nil
}

func list(v any) []any { l, _ := v.([]any); return l }

func str(v any) string { s, _ := v.(string); return s }

func num(v any) int { n, _ := v.(int64); return int(n) }

func strs(v any) []string {
	var out []string
	for _, e := range list(v) {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
