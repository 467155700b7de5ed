package phone

import (
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/tabphone/tabphone/nativehost/config"
)

// maxAnswerAfter caps the delay a PBX hint may ask for: the number is outside input.
const maxAnswerAfter = config.MaxAutoAnswerSeconds

// autoAnswerDelay decides whether and when an incoming call is picked up by itself:
// with auto_answer.from_pbx the PBX's hint decides (paging and intercom calls), else
// the account's own setting. ok is false when the call just rings.
func autoAnswerDelay(aa config.AutoAnswer, req *sip.Request) (time.Duration, bool) {
	if aa.FromPBX {
		if seconds, ok := pbxAnswerHint(req); ok {
			return time.Duration(seconds) * time.Second, true
		}
	}
	if aa.Enabled {
		return time.Duration(aa.Seconds) * time.Second, true
	}
	return 0, false
}

// pbxAnswerHint reads the ways PBXs ask a phone to answer by itself:
//   - Call-Info: <sip:pbx>;answer-after=N (N seconds; Broadsoft, Asterisk, FreeSWITCH),
//   - Alert-Info: <http://…>;info=alert-autoanswer (or intercom, alert-intercom,
//     ring-answer), optionally with ;delay=N, and the bare forms "Alert-Info: intercom",
//     "Ring Answer", "Auto Answer" (Polycom, Snom, Yealink),
//   - Answer-Mode: Auto (RFC 5373).
func pbxAnswerHint(req *sip.Request) (seconds int, ok bool) {
	for _, h := range req.GetHeaders("Call-Info") {
		for _, v := range splitValues(h.Value()) {
			if n, found := paramValue(v, "answer-after"); found {
				if s, err := strconv.Atoi(n); err == nil && s >= 0 {
					return min(s, maxAnswerAfter), true
				}
			}
		}
	}
	for _, h := range req.GetHeaders("Alert-Info") {
		for _, v := range splitValues(h.Value()) {
			info, found := paramValue(v, "info")
			if !found && !strings.Contains(v, "<") {
				info, found = v, true // the bare form
			}
			if !found || !isAutoAnswerInfo(info) {
				continue
			}
			if d, has := paramValue(v, "delay"); has {
				if s, err := strconv.Atoi(d); err == nil && s >= 0 {
					return min(s, maxAnswerAfter), true
				}
			}
			return 0, true
		}
	}
	if h := req.GetHeader("Answer-Mode"); h != nil {
		mode, _, _ := strings.Cut(h.Value(), ";")
		if strings.EqualFold(strings.TrimSpace(mode), "auto") {
			return 0, true
		}
	}
	return 0, false
}

func isAutoAnswerInfo(s string) bool {
	s, _, _ = strings.Cut(s, ";")
	s = strings.ToLower(strings.NewReplacer(" ", "", "-", "", "_", "", `"`, "").Replace(s))
	switch s {
	case "alertautoanswer", "autoanswer", "alertintercom", "intercom", "ringanswer":
		return true
	}
	return false
}

// splitValues splits a header value at the commas outside <…> and quotes.
func splitValues(v string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i, r := range v {
		switch {
		case r == '"':
			quoted = !quoted
		case quoted:
		case r == '<':
			depth++
		case r == '>' && depth > 0:
			depth--
		case r == ',' && depth == 0:
			out = append(out, strings.TrimSpace(v[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(v[start:]))
}

// paramValue finds ;name=value among the parameters after the <uri> of one value.
func paramValue(v, name string) (string, bool) {
	if i := strings.LastIndexByte(v, '>'); i >= 0 {
		v = v[i+1:]
	}
	for _, p := range strings.Split(v, ";") {
		k, val, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.Trim(strings.TrimSpace(val), `"`), true
		}
	}
	return "", false
}
