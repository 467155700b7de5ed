package kamailiotest

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// Message is one SIP message with an SDP body that Kamailio received or sent, as its
// log holds it (whole, base64 on one line).
type Message struct {
	Sent  bool   // false: Kamailio received it; true: Kamailio sent it
	Proto string // the transport it travelled on: udp, tcp, tls, ws, wss
	Peer  string // ip:port it came from (received) or went to (sent)
	// Method is the request's method (INVITE, ACK, UPDATE…), or for a response the
	// method of its CSeq; Status is the response's code, 0 for a request.
	Method string
	Status int
	CallID string
	Raw    string // the whole message
	SDP    string // its body
}

// Request reports whether m is a request.
func (m Message) Request() bool { return m.Status == 0 }

// Direction is "recv" or "sent", for test output.
func (m Message) Direction() string {
	if m.Sent {
		return "sent"
	}
	return "recv"
}

func (m Message) String() string {
	what := m.Method
	if !m.Request() {
		what = strconv.Itoa(m.Status) + " " + m.Method
	}
	return m.Direction() + " " + what + " " + m.Proto + " " + m.Peer + "\n" + m.SDP
}

// SDPs lists, oldest first, the messages with an SDP body that Kamailio received and
// sent: INVITEs, their 18x and 2xx, ACKs and UPDATEs carrying offers and answers. With
// the RTPEngine option, a sent message holds the SDP rtpengine rewrote.
func (k *Kamailio) SDPs() []Message {
	var out []Message
	for _, line := range strings.Split(k.Log(), "\n") {
		var m Message
		var rest string
		var ok bool
		if _, rest, ok = strings.Cut(line, "SDP-RECV "); !ok {
			if _, rest, ok = strings.Cut(line, "SDP-SENT "); !ok {
				continue
			}
			m.Sent = true
		}
		for _, f := range strings.Fields(rest) {
			key, v, _ := strings.Cut(f, "=")
			switch key {
			case "proto":
				m.Proto = v
			case "peer":
				m.Peer = v
			case "msg":
				raw, err := base64.StdEncoding.DecodeString(v)
				if err != nil {
					continue
				}
				m.Raw = string(raw)
			}
		}
		if m.Raw == "" {
			continue
		}
		parseMessage(&m)
		out = append(out, m)
	}
	return out
}

// parseMessage fills m's method, status, Call-ID and body from m.Raw.
func parseMessage(m *Message) {
	head, body, _ := strings.Cut(m.Raw, "\r\n\r\n")
	m.SDP = body
	lines := strings.Split(head, "\r\n")
	first := strings.Fields(lines[0])
	sawVia := false
	if len(first) >= 2 && strings.HasPrefix(first[0], "SIP/") {
		m.Status, _ = strconv.Atoi(first[1])
	} else if len(first) > 0 {
		m.Method = first[0]
	}
	for _, l := range lines[1:] {
		name, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "call-id", "i":
			m.CallID = v
		case "via", "v":
			// Kamailio logs WebSocket sends as tcp/tls; the top Via of what it sent says
			// ws/wss: its own Via on a request, the requester's on a response.
			if m.Sent && !sawVia {
				if f := strings.Fields(v); len(f) > 0 {
					if _, tr, ok := strings.Cut(f[0], "SIP/2.0/"); ok {
						m.Proto = strings.ToLower(tr)
					}
				}
			}
			sawVia = true
		case "cseq":
			if f := strings.Fields(v); len(f) == 2 && m.Status != 0 {
				m.Method = f[1]
			}
		}
	}
}
