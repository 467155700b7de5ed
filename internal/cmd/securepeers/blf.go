package main

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/tabphone/tabphone/internal/baresiptest"
	"github.com/tabphone/tabphone/internal/kamailiotest"
	"github.com/tabphone/tabphone/internal/testpeer"
)

// The busy lamp peers (-blf): Kamailio with its presence modules serving the dialog
// state of the calls it proxies and the ** pickup code (kamailiotest Options.Presence),
// baresip 2000 that rings until told to answer, and baresip 2001 that answers at once,
// sends 440 Hz and records what it receives. The commands, one per line:
//
//	dial FROM TO   baresip FROM calls TO (a user at Kamailio)
//	accept USER    baresip USER answers its ringing call
//	hangup USER    baresip USER ends its call
//	wait USER TYPE waits up to 10 s for baresip USER's next event TYPE (CALL_INCOMING,
//	               CALL_ESTABLISHED, CALL_CLOSED…) since the last wait for it
//	tone USER HZ   as in commands.go
//	logs           Kamailio's and both baresips' logs
type blfPeers struct {
	kamailio *kamailiotest.Kamailio
	baresip  map[string]*baresiptest.Baresip
	seen     map[string]time.Time // per "USER TYPE": the last event a wait returned
}

type blfReady struct {
	Password string `json:"password"`
	UDP      string `json:"udp"`
	ToneHz   int    `json:"tone_hz"`
}

// RunBLF is Run with the busy lamp peers.
func RunBLF(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) error {
	return serve(ctx, stdin, stdout, stderr, func(t testpeer.T) server {
		pw := randomPassword(t)
		p := &blfPeers{baresip: map[string]*baresiptest.Baresip{}, seen: map[string]time.Time{}}
		p.kamailio = kamailiotest.StartOpts(t, kamailiotest.Options{Password: pw, MaxExpires: 300, Presence: true})
		p.baresip["2000"] = baresiptest.Start(t, baresiptest.Options{User: "2000", Password: pw, Registrar: p.kamailio.Addr, AnswerMode: "manual"})
		p.baresip["2001"] = baresiptest.Start(t, baresiptest.Options{User: "2001", Password: pw, Registrar: p.kamailio.Addr,
			AnswerMode: "auto", ToneHz: baresipTone, Record: true})
		return server{ready: blfReady{Password: pw, UDP: p.kamailio.Addr, ToneHz: baresipTone}, answer: p.answer}
	})
}

func (p *blfPeers) answer(line string) (out any) {
	f := strings.Fields(line)
	// baresiptest reports a failed command through its T, which panics in this program's
	// T outside Do; a failed command is an error answer instead.
	defer func() {
		if r := recover(); r != nil {
			out = errorAnswer("failed: " + line)
		}
	}()
	b := func(user string) *baresiptest.Baresip { return p.baresip[user] }
	switch {
	case len(f) == 3 && f[0] == "dial" && b(f[1]) != nil:
		if _, err := b(f[1]).Command("dial", "sip:"+f[2]+"@127.0.0.1"); err != nil {
			return errorAnswer(err.Error())
		}
		return map[string]bool{"ok": true}
	case len(f) == 2 && (f[0] == "accept" || f[0] == "hangup") && b(f[1]) != nil:
		if _, err := b(f[1]).Command(f[0], ""); err != nil {
			return errorAnswer(err.Error())
		}
		return map[string]bool{"ok": true}
	case len(f) == 3 && f[0] == "wait" && b(f[1]) != nil:
		after := p.seen[f[1]+" "+f[2]]
		e, err := b(f[1]).Find(f[2], 10*time.Second, func(e baresiptest.Event) bool { return e.At.After(after) })
		if err != nil {
			return errorAnswer(err.Error())
		}
		p.seen[f[1]+" "+f[2]] = e.At
		return e
	case len(f) == 3 && f[0] == "tone" && b(f[1]) != nil:
		return (&peers{baresip: p.baresip}).answer(line)
	case len(f) == 1 && f[0] == "logs":
		logs := map[string]string{"kamailio": p.kamailio.Log()}
		for user, bs := range p.baresip {
			logs["baresip_"+user] = bs.Log()
		}
		return logs
	}
	return errorAnswer("unknown command: " + line)
}
