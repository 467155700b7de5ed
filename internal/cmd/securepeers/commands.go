package main

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tabphone/tabphone/internal/audiotest"
)

// The commands, one per stdin line, each answered by one JSON line on stdout ({"error":
// why} when it fails):
//
//	tone USER HZ [SECONDS]
//	               how strongly HZ sits in what baresip USER received in its newest
//	               call (its recording, measured as the Go tests do); with SECONDS,
//	               in its last SECONDS only
//	sdps NAME      the SIP messages with SDP that Kamailio NAME (plain or gateway)
//	               received and sent, oldest first, as the wire had them
//	logs           every peer's log so far, for a failing test to print

// readLines sends each line of r to lines, then closes it at EOF or on an error.
func readLines(r io.Reader, lines chan<- string) {
	defer close(lines)
	s := bufio.NewScanner(r)
	for s.Scan() {
		if l := strings.TrimSpace(s.Text()); l != "" {
			lines <- l
		}
	}
}

type toneAnswer struct {
	User         string  `json:"user"`
	Hz           float64 `json:"hz"`
	Present      bool    `json:"present"`
	Ratio        float64 `json:"ratio"`
	SignalBlocks int     `json:"signal_blocks"`
	Blocks       int     `json:"blocks"`
	MaxDBFS      float64 `json:"max_dbfs"`
}

type sdpMessage struct {
	Sent   bool   `json:"sent"`
	Proto  string `json:"proto"`
	Peer   string `json:"peer"`
	Method string `json:"method"`
	Status int    `json:"status"`
	CallID string `json:"call_id"`
	SDP    string `json:"sdp"`
}

func errorAnswer(msg string) map[string]string { return map[string]string{"error": msg} }

// answer runs one command line.
func (p *peers) answer(line string) any {
	f := strings.Fields(line)
	switch {
	case f[0] == "tone" && (len(f) == 3 || len(f) == 4):
		b, ok := p.baresip[f[1]]
		hz, err := strconv.ParseFloat(f[2], 64)
		if !ok || err != nil || hz <= 0 {
			return errorAnswer("tone wants a baresip user (2001…2004), a frequency and maybe seconds: " + line)
		}
		var l audiotest.Level
		if len(f) == 4 {
			secs, perr := strconv.ParseFloat(f[3], 64)
			if perr != nil || secs <= 0 || secs > 600 {
				return errorAnswer("tone: seconds must be a number from 0 to 600: " + line)
			}
			l, err = b.ReceivedToneLast(hz, time.Duration(secs*float64(time.Second)))
		} else {
			l, err = b.ReceivedTone(hz)
		}
		if err != nil {
			return errorAnswer(err.Error())
		}
		return toneAnswer{User: f[1], Hz: hz, Present: l.Present(), Ratio: l.Ratio, SignalBlocks: l.SignalBlocks, Blocks: l.Blocks, MaxDBFS: l.MaxDBFS}
	case f[0] == "sdps" && len(f) == 2:
		k := p.plain
		switch f[1] {
		case "plain":
		case "gateway":
			k = p.gateway
		default:
			return errorAnswer("sdps wants plain or gateway: " + line)
		}
		msgs := []sdpMessage{}
		for _, m := range k.SDPs() {
			msgs = append(msgs, sdpMessage{Sent: m.Sent, Proto: m.Proto, Peer: m.Peer, Method: m.Method, Status: m.Status, CallID: m.CallID, SDP: m.SDP})
		}
		return map[string]any{"messages": msgs}
	case f[0] == "logs" && len(f) == 1:
		logs := map[string]string{
			"kamailio_plain":   p.plain.Log(),
			"kamailio_gateway": p.gateway.Log(),
			"rtpengine":        p.rtpengine.Log(),
		}
		for user, b := range p.baresip {
			logs["baresip_"+user] = b.Log()
		}
		return logs
	}
	return errorAnswer("unknown command: " + line)
}
