package phone

import (
	"bytes"
	"log/slog"
	"sync/atomic"

	"github.com/emiago/sipgo/sip"
	"github.com/tabphone/tabphone/nativehost/config"
)

// SIP traces (config sip_trace): every SIP message the phone sends or receives is
// written to the log at INFO, so a user can send host.log to their PBX admin. The
// values of Authorization and Proxy-Authorization and the accounts' passwords never
// reach the log: they are replaced by Redacted.
//
// sipgo's trace hook is one switch for the process (sip.SIPDebug), read by every
// transport without a lock: it is turned on once, before any transport exists, and the
// tracer drops every message while no phone asked for traces.

// Redacted replaces a secret in a trace.
const Redacted = "[redacted]"

// minSecretLen: shorter passwords are not searched for in traces (they would mangle
// every message); Authorization values are redacted whatever their length.
const minSecretLen = 4

func init() {
	sip.SIPDebugTracer(&traces)
	sip.SIPDebug = true
}

var traces sipTracer

// sipTracer writes sipgo's message traces to the log of the phone that turned them on.
type sipTracer struct{ cur atomic.Pointer[traceTarget] }

type traceTarget struct {
	owner   *Phone
	log     *slog.Logger
	secrets [][]byte
}

// setTraces turns traces on for p with cfg's passwords (sip_trace true), or off if p
// had them on.
func (p *Phone) setTraces(cfg *config.Config) {
	if cfg == nil || !cfg.SIPTrace {
		p.stopTraces()
		return
	}
	t := &traceTarget{owner: p, log: p.log}
	for _, a := range cfg.Accounts {
		if pw := a.Password.Reveal(); len(pw) >= minSecretLen {
			t.secrets = append(t.secrets, []byte(pw))
		}
	}
	if old := traces.cur.Swap(t); old == nil || old.owner != p {
		p.log.Info("SIP traces on (sip_trace): Authorization values and passwords are redacted")
	}
}

// stopTraces turns traces off if p turned them on.
func (p *Phone) stopTraces() {
	if t := traces.cur.Load(); t != nil && t.owner == p && traces.cur.CompareAndSwap(t, nil) {
		p.log.Info("SIP traces off")
	}
}

func (s *sipTracer) SIPTraceRead(transport, laddr, raddr string, msg []byte) {
	s.write("received", transport, laddr, raddr, msg)
}

func (s *sipTracer) SIPTraceWrite(transport, laddr, raddr string, msg []byte) {
	s.write("sent", transport, laddr, raddr, msg)
}

func (s *sipTracer) write(dir, transport, laddr, raddr string, msg []byte) {
	t := s.cur.Load()
	if t == nil || len(bytes.TrimSpace(msg)) == 0 { // keepalive CRLFs are no messages
		return
	}
	t.log.Info("SIP "+dir, "transport", transport, "local", laddr, "remote", raddr, "message", string(RedactSIP(msg, t.secrets)))
}

// redactedHeaders are the headers whose whole value is a credential (RFC 3261 20.7,
// 20.28): the digest response is as good as the password for a replay or an offline
// guess.
var redactedHeaders = [][]byte{[]byte("authorization"), []byte("proxy-authorization")}

// RedactSIP returns msg with the values of Authorization and Proxy-Authorization
// replaced (folded continuation lines too) and every secret replaced wherever it
// appears. msg itself is not changed.
func RedactSIP(msg []byte, secrets [][]byte) []byte {
	var out bytes.Buffer
	out.Grow(len(msg))
	inCredential := false
	for rest := msg; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i+1], rest[i+1:]
		} else {
			rest = nil
		}
		if inCredential && len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
			continue // a folded continuation of the credential (RFC 3261 7.3.1)
		}
		inCredential = false
		if name, ok := headerName(line); ok && isRedacted(name) {
			inCredential = true
			out.Write(line[:len(name)])
			out.WriteString(": " + Redacted)
			out.Write(lineEnd(line))
			continue
		}
		out.Write(line)
	}
	b := out.Bytes()
	for _, s := range secrets {
		b = bytes.ReplaceAll(b, s, []byte(Redacted))
	}
	return b
}

// headerName returns the name of a header line ("Authorization" of
// "Authorization : Digest …").
func headerName(line []byte) ([]byte, bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return nil, false
	}
	name := bytes.TrimRight(line[:i], " \t")
	if len(name) == 0 || bytes.ContainsAny(name, " \t") {
		return nil, false
	}
	return name, true
}

func isRedacted(name []byte) bool {
	for _, h := range redactedHeaders {
		if bytes.EqualFold(name, h) {
			return true
		}
	}
	return false
}

func lineEnd(line []byte) []byte {
	switch {
	case bytes.HasSuffix(line, []byte("\r\n")):
		return []byte("\r\n")
	case bytes.HasSuffix(line, []byte("\n")):
		return []byte("\n")
	}
	return nil
}
