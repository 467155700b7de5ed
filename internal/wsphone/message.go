package wsphone

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// errMessage is a WebSocket frame that is not a SIP message.
var errMessage = errors.New("wsphone: not a SIP message")

// message is one SIP message: over WebSocket each frame carries exactly one
// (RFC 7118 5.2), so the body is whatever follows the blank line.
type message struct {
	method, uri string // requests
	status      int    // responses
	reason      string
	headers     []header
	body        string
}

type header struct{ name, value string }

// compact header forms (RFC 3261 7.3.3) that Kamailio may send.
var compact = map[string]string{"i": "call-id", "m": "contact", "f": "from", "t": "to", "v": "via", "l": "content-length", "c": "content-type"}

func parseMessage(raw string) (*message, error) {
	head, body, ok := strings.Cut(raw, "\r\n\r\n")
	if !ok {
		return nil, fmt.Errorf("%w: no blank line", errMessage)
	}
	lines := strings.Split(head, "\r\n")
	m := &message{body: body}
	first := strings.SplitN(lines[0], " ", 3)
	if len(first) != 3 {
		return nil, fmt.Errorf("%w: start line %q", errMessage, lines[0])
	}
	if first[0] == "SIP/2.0" {
		code, err := strconv.Atoi(first[1])
		if err != nil || code < 100 || code > 699 {
			return nil, fmt.Errorf("%w: status %q", errMessage, first[1])
		}
		m.status, m.reason = code, first[2]
	} else {
		if first[2] != "SIP/2.0" {
			return nil, fmt.Errorf("%w: start line %q", errMessage, lines[0])
		}
		m.method, m.uri = first[0], first[1]
	}
	for _, l := range lines[1:] {
		name, v, ok := strings.Cut(l, ":")
		if !ok {
			return nil, fmt.Errorf("%w: header line %q", errMessage, l)
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if long, ok := compact[name]; ok {
			name = long
		}
		m.headers = append(m.headers, header{name, strings.TrimSpace(v)})
	}
	return m, nil
}

// get returns the first value of a header ("" when absent).
func (m *message) get(name string) string {
	for _, h := range m.headers {
		if strings.EqualFold(h.name, name) {
			return h.value
		}
	}
	return ""
}

// all returns every value of a header, comma-separated values split (Record-Route
// may carry several in one line).
func (m *message) all(name string) []string {
	var out []string
	for _, h := range m.headers {
		if strings.EqualFold(h.name, name) {
			for _, v := range splitList(h.value) {
				out = append(out, strings.TrimSpace(v))
			}
		}
	}
	return out
}

// splitList splits a header value at commas outside <> and quotes.
func splitList(v string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i, c := range v {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '<':
			depth++
		case c == '>':
			depth--
		case c == ',' && depth == 0:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

// cseq returns the CSeq number and method.
func (m *message) cseq() (int, string) {
	f := strings.Fields(m.get("cseq"))
	if len(f) != 2 {
		return 0, ""
	}
	n, _ := strconv.Atoi(f[0])
	return n, f[1]
}

// tag returns the tag parameter of a From or To value.
func tag(v string) string {
	if i := strings.LastIndex(v, ">"); i >= 0 {
		v = v[i:]
	}
	for _, p := range strings.Split(v, ";")[1:] {
		if k, val, _ := strings.Cut(strings.TrimSpace(p), "="); strings.EqualFold(k, "tag") {
			return val
		}
	}
	return ""
}

// uriOf returns the URI inside <> of a Contact or Route value (or the value itself).
func uriOf(v string) string {
	if i := strings.Index(v, "<"); i >= 0 {
		if j := strings.Index(v[i:], ">"); j >= 0 {
			return v[i+1 : i+j]
		}
	}
	v, _, _ = strings.Cut(v, ";")
	return strings.TrimSpace(v)
}

func (m *message) String() string {
	var b strings.Builder
	if m.status != 0 {
		fmt.Fprintf(&b, "SIP/2.0 %d %s\r\n", m.status, m.reason)
	} else {
		fmt.Fprintf(&b, "%s %s SIP/2.0\r\n", m.method, m.uri)
	}
	for _, h := range m.headers {
		fmt.Fprintf(&b, "%s: %s\r\n", h.name, h.value)
	}
	b.WriteString("\r\n")
	b.WriteString(m.body)
	return b.String()
}
