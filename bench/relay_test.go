package bench

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/tabphone/tabphone/internal/browserpeer"
	"github.com/tabphone/tabphone/media"
)

// relayChildEnv makes the test binary the relay process of BenchmarkRelayedCalls: the
// host's media package alone (media.Call per call, as the host builds them), in a process
// of its own so its CPU and memory are measured apart from the peers'.
const relayChildEnv = "TABPHONE_BENCH_RELAY_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(relayChildEnv) == "1" {
		media.UseOneThread() // as the host program does
		if err := runRelayChild(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	printFigures()
	os.Exit(code)
}

// relayRequest asks the relay process for one call: its PBX leg towards echo, its
// browser leg answering offer.
type relayRequest struct {
	Echo  string `json:"echo"`
	Offer string `json:"offer"`
}

type relayReply struct {
	Answer string `json:"answer"`
	Err    string `json:"err,omitempty"`
}

// runRelayChild serves relayRequests, one JSON line each, until stdin ends.
func runRelayChild(in io.Reader, out io.Writer) error {
	lo := net.IPv4(127, 0, 0, 1)
	bnet := &media.BrowserNet{LocalIPs: []net.IP{lo}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	enc := json.NewEncoder(out)
	var calls []*media.Call
	defer func() {
		for _, c := range calls {
			c.Close()
		}
	}()
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() {
		var req relayRequest
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			return err
		}
		sdp, err := relayCall(bnet, lo, req, log)
		if err != nil {
			_ = enc.Encode(relayReply{Err: err.Error()})
			continue
		}
		calls = append(calls, sdp.call)
		if err := enc.Encode(relayReply{Answer: sdp.answer}); err != nil {
			return err
		}
	}
	return sc.Err()
}

type childCall struct {
	call   *media.Call
	answer string
}

func relayCall(bnet *media.BrowserNet, lo net.IP, req relayRequest, log *slog.Logger) (childCall, error) {
	echo, err := net.ResolveUDPAddr("udp", req.Echo)
	if err != nil {
		return childCall{}, err
	}
	call, err := media.NewCall(bnet, lo, []media.Codec{media.PCMU}, media.SecurityOff, log)
	if err != nil {
		return childCall{}, err
	}
	if _, err := call.Offer(1); err != nil {
		call.Close()
		return childCall{}, err
	}
	if _, err := call.SetPBXAnswer(media.BuildSDP(media.OfferParams{IP: lo, Port: echo.Port, Codecs: []media.Codec{media.PCMU}})); err != nil {
		call.Close()
		return childCall{}, err
	}
	answered := make(chan relayReply, 1)
	call.OnAnswer = func(sdp string, err error) {
		r := relayReply{Answer: sdp}
		if err != nil {
			r.Err = err.Error()
		}
		answered <- r
	}
	if err := call.SetBrowserOffer(req.Offer); err != nil {
		call.Close()
		return childCall{}, err
	}
	select {
	case r := <-answered:
		if r.Err != "" {
			call.Close()
			return childCall{}, fmt.Errorf("browser leg: %s", r.Err)
		}
		return childCall{call: call, answer: r.Answer}, nil
	case <-time.After(10 * time.Second):
		call.Close()
		return childCall{}, fmt.Errorf("no browser leg answer")
	}
}

// relayProcess is the relay child as the benchmark drives it.
type relayProcess struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
	mu  sync.Mutex
}

func startRelayProcess(b *testing.B) *relayProcess {
	b.Helper()
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), relayChildEnv+"=1")
	cmd.Env = append(cmd.Env, hostEnv()...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { in.Close(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	return &relayProcess{cmd: cmd, in: in, out: sc}
}

func (r *relayProcess) call(req relayRequest) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	raw, _ := json.Marshal(req)
	if _, err := r.in.Write(append(raw, '\n')); err != nil {
		return "", err
	}
	if !r.out.Scan() {
		return "", fmt.Errorf("relay process ended: %v", r.out.Err())
	}
	var rep relayReply
	if err := json.Unmarshal(r.out.Bytes(), &rep); err != nil {
		return "", err
	}
	if rep.Err != "" {
		return "", fmt.Errorf("relay process: %s", rep.Err)
	}
	return rep.Answer, nil
}

// latencies collects one-way transit times through the relay, in microseconds.
type latencies struct {
	mu sync.Mutex
	us []float64
	on bool
}

func (l *latencies) add(sent int64) {
	d := float64(time.Now().UnixNano()-sent) / 1000
	l.mu.Lock()
	if l.on {
		l.us = append(l.us, d)
	}
	l.mu.Unlock()
}

// take returns what was collected since the last take and starts afresh.
func (l *latencies) take(on bool) []float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	us := l.us
	l.us, l.on = nil, on
	return us
}

// echoPeer stands in for the PBX: it sends every packet back, stamping the send time
// into the payload, and notes how long the packet took from the window through the relay.
func echoPeer(b *testing.B, lat *latencies) *net.UDPConn {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if n >= 12+8 {
				lat.add(int64(binary.BigEndian.Uint64(buf[12:])))
				binary.BigEndian.PutUint64(buf[12:], uint64(time.Now().UnixNano()))
			}
			_, _ = conn.WriteToUDPAddrPort(buf[:n], from)
		}
	}()
	return conn
}

// windowPeer is one softphone window: a pion peer sending a stamped 20 ms PCMU packet
// every 20 ms and noting how long what comes back took from the echo through the relay.
func windowPeer(b *testing.B, relay *relayProcess, echo *net.UDPConn, lat *latencies, stop <-chan struct{}) error {
	pc, mic := browserpeer.New(b, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1})
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		buf := make([]byte, 1500)
		var p rtp.Packet
		for {
			n, _, err := tr.Read(buf)
			if err != nil {
				return
			}
			if p.Unmarshal(buf[:n]) == nil && len(p.Payload) >= 8 {
				lat.add(int64(binary.BigEndian.Uint64(p.Payload)))
			}
		}
	})
	answer, err := relay.call(relayRequest{Echo: echo.LocalAddr().String(), Offer: browserpeer.Offer(b, pc)})
	if err != nil {
		return err
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return err
	}
	go func() {
		payload := make([]byte, 160)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for seq := uint16(1); ; seq++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			binary.BigEndian.PutUint64(payload, uint64(time.Now().UnixNano()))
			_ = mic.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: uint32(seq) * 160}, Payload: payload})
		}
	}()
	return nil
}

// relayedCallsWindow is how long each of the repeated measurements at a call count lasts.
const (
	relayedCallsWindow  = 5 * time.Second
	relayedCallsRepeats = 3
)

// BenchmarkRelayedCalls: the host's relay with 50 and 200 calls at once, audio both ways,
// the windows as pion peers on loopback and the PBX legs as UDP echo peers. It prints the
// relay process's CPU per call, memory per call and the transit time of a packet from one
// peer to the other through the relay (an upper bound of the relay's added latency: it
// includes the peers' own work, two loopback hops and, on a 2-core machine, waiting for
// the peers' 400 pion goroutines), each the median of relayedCallsRepeats windows.
func BenchmarkRelayedCalls(b *testing.B) {
	for _, n := range []int{50, 200} {
		b.Run(fmt.Sprintf("calls=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				relayedCalls(b, n)
			}
		})
	}
}

func relayedCalls(b *testing.B, n int) {
	relay := startRelayProcess(b)
	pid := relay.cmd.Process.Pid
	time.Sleep(500 * time.Millisecond) // the runtime settles before the baseline
	idleMiB := mustRSS(b, pid)
	var lat latencies
	stop := make(chan struct{})
	b.Cleanup(func() { close(stop) })
	echo := echoPeer(b, &lat)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 4) // set-ups in parallel, as many as the machine takes well
	for range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := windowPeer(b, relay, echo, &lat, stop); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	time.Sleep(2 * time.Second) // every leg connected and flowing
	var cpuPct, p50s, p99s, mems []float64
	for range relayedCallsRepeats {
		lat.take(true)
		before := mustCPU(b, pid)
		time.Sleep(relayedCallsWindow)
		used := mustCPU(b, pid) - before
		us := lat.take(true)
		if len(us) < n*int(relayedCallsWindow/(20*time.Millisecond)) {
			b.Fatalf("%d calls: only %d packets relayed in %s", n, len(us), relayedCallsWindow)
		}
		sort.Float64s(us)
		cpuPct = append(cpuPct, 100*used.Seconds()/relayedCallsWindow.Seconds()/float64(n))
		p50s = append(p50s, us[len(us)/2])
		p99s = append(p99s, us[len(us)*99/100])
		mems = append(mems, (mustRSS(b, pid)-idleMiB)*1024/float64(n))
	}
	b.ReportMetric(medianOf(cpuPct), "cpu-%core/call")
	b.ReportMetric(medianOf(p50s), "transit-p50-µs")
	b.ReportMetric(medianOf(p99s), "transit-p99-µs")
	b.ReportMetric(medianOf(mems), "KiB/call")
	record(fmt.Sprintf("relay, %d calls: CPU per call", n), "% of a core", medianOf(cpuPct), 0.1, "≤", 0)
	record(fmt.Sprintf("relay, %d calls: packet transit p50", n), "µs", medianOf(p50s), 100, "<", 0)
	record(fmt.Sprintf("relay, %d calls: packet transit p99", n), "µs", medianOf(p99s), 500, "<", 0)
	record(fmt.Sprintf("relay, %d calls: memory per call", n), "KiB", medianOf(mems), 1024, "≤", 0)
}

func medianOf(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}
