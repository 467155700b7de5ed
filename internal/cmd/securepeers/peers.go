package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/tabphone/tabphone/internal/baresiptest"
	"github.com/tabphone/tabphone/internal/kamailiotest"
	"github.com/tabphone/tabphone/internal/rtpenginetest"
	"github.com/tabphone/tabphone/internal/testpeer"
)

// baresipTone is the sine baresips 2001 and 2002 send in their calls.
const baresipTone = 440

// conferenceTones are the sines of baresips 2003 and 2004 (plain RTP on the plain
// Kamailio), the parties of the conference test.
var conferenceTones = map[string]int{"2003": 700, "2004": 1300}

// peers is what runs. Two Kamailios, because the gateway's rtpengine turns every offer
// toward a UDP peer into plain RTP/AVP, which an SDES-only peer refuses:
//   - plain: a registrar/proxy over UDP with no media relay, where baresip 2002 requires
//     SDES-SRTP (mediaenc=srtp-mand), so an SDES call passes through untouched;
//   - gateway: Kamailio with UDP, TCP, TLS, WS and WSS in front of rtpengine, the usual
//     WebRTC gateway: WebRTC media (DTLS-SRTP, ICE) toward WS/WSS clients, plain RTP
//     toward baresip 2001.
//
// Every baresip answers at once, sends its tone and records what it receives. They quit
// after 10 minutes (baresiptest runs them with -t 600), far longer than an E2E file.
type peers struct {
	password       string
	rtpengine      *rtpenginetest.RTPEngine
	plain, gateway *kamailiotest.Kamailio
	baresip        map[string]*baresiptest.Baresip
}

// ready is the line printed once the peers run; every registrar takes any user with
// Password.
type ready struct {
	Password string `json:"password"`
	Plain    struct {
		UDP string `json:"udp"`
	} `json:"plain"`
	Gateway struct {
		UDP    string `json:"udp"`
		WS     string `json:"ws"`
		WSS    string `json:"wss"`
		CAFile string `json:"ca_file"` // PEM of the CA that signed the WSS certificate
	} `json:"gateway"`
	RTPEngine string                 `json:"rtpengine"` // ng address
	Baresip   map[string]baresipInfo `json:"baresip"`   // by user
}

type baresipInfo struct {
	Registrar string `json:"registrar"` // "plain" or "gateway"
	Media     string `json:"media"`     // "rtp" or "sdes" (SDES-SRTP required)
	ToneHz    int    `json:"tone_hz"`
	URI       string `json:"uri"` // to call it directly
}

// start runs every peer on t; a missing one is t.Skip (t.Fatal under CI=true).
func start(t testpeer.T) *peers {
	p := &peers{password: randomPassword(t), baresip: map[string]*baresiptest.Baresip{}}
	p.rtpengine = rtpenginetest.Start(t, rtpenginetest.Options{})
	p.gateway = kamailiotest.StartOpts(t, kamailiotest.Options{Password: p.password, MaxExpires: 300, Transports: true, RTPEngine: p.rtpengine.NG})
	p.plain = kamailiotest.StartOpts(t, kamailiotest.Options{Password: p.password, MaxExpires: 300})
	p.baresip["2001"] = baresiptest.Start(t, baresiptest.Options{User: "2001", Password: p.password, Registrar: p.gateway.Addr,
		AnswerMode: "auto", ToneHz: baresipTone, Record: true})
	p.baresip["2002"] = baresiptest.Start(t, baresiptest.Options{User: "2002", Password: p.password, Registrar: p.plain.Addr,
		AnswerMode: "auto", ToneHz: baresipTone, Record: true, MediaEnc: "srtp-mand"})
	// The conference's two parties: plain RTP, each with its own tone, so a merged call
	// shows who hears whom.
	for user, hz := range conferenceTones {
		p.baresip[user] = baresiptest.Start(t, baresiptest.Options{User: user, Password: p.password, Registrar: p.plain.Addr,
			AnswerMode: "auto", ToneHz: hz, Record: true})
	}
	return p
}

func (p *peers) ready() ready {
	var r ready
	r.Password = p.password
	r.Plain.UDP = p.plain.Addr
	r.Gateway.UDP, r.Gateway.WS, r.Gateway.WSS, r.Gateway.CAFile = p.gateway.Addr, p.gateway.WS, p.gateway.WSS, p.gateway.CAFile
	r.RTPEngine = p.rtpengine.NG
	r.Baresip = map[string]baresipInfo{
		"2001": {Registrar: "gateway", Media: "rtp", ToneHz: baresipTone, URI: p.baresip["2001"].URI},
		"2002": {Registrar: "plain", Media: "sdes", ToneHz: baresipTone, URI: p.baresip["2002"].URI},
	}
	for user, hz := range conferenceTones {
		r.Baresip[user] = baresipInfo{Registrar: "plain", Media: "rtp", ToneHz: hz, URI: p.baresip[user].URI}
	}
	return r
}

func randomPassword(t testpeer.T) string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Run starts the peers, writes the ready line (or {"skip": why} when a peer is not
// installed outside CI) to stdout, answers the commands read from stdin one JSON line
// each, and stops everything when stdin ends or ctx is done. Progress and the peers'
// logs on failure go to stderr.
func Run(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) error {
	return serve(ctx, stdin, stdout, stderr, func(t testpeer.T) server {
		p := start(t)
		return server{ready: p.ready(), answer: p.answer}
	})
}

// server is one set of peers as serve runs it: its ready line and its commands.
type server struct {
	ready  any
	answer func(line string) any
}

// serve starts peers with start, then answers commands as Run says.
func serve(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer, start func(testpeer.T) server) error {
	prog := testpeer.NewProgram("tabphone-securepeers", stderr)
	defer prog.Close()
	var p server
	err := prog.Do(func(t testpeer.T) { p = start(t) })
	enc := json.NewEncoder(stdout)
	switch {
	case errors.Is(err, testpeer.ErrSkipped):
		return enc.Encode(map[string]string{"skip": err.Error()})
	case err != nil:
		_ = enc.Encode(map[string]string{"error": err.Error()})
		return err
	}
	if err := enc.Encode(p.ready); err != nil {
		return err
	}
	lines := make(chan string)
	go readLines(stdin, lines)
	for {
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			if !ok {
				return nil
			}
			if err := enc.Encode(p.answer(line)); err != nil {
				return fmt.Errorf("stdout: %w", err)
			}
		}
	}
}
