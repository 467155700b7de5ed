// Package calllog keeps the record of devpbx's calls, live ones and the last ended
// ones, with the media figures tests read from /api/calls.
package calllog

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/tabphone/tabphone/devpbx/rtpmedia"
)

// State of a call as the API shows it.
type State string

const (
	// Scheduled is an outbound call waiting for its delay; no INVITE went out yet.
	Scheduled State = "scheduled"
	// Ringing is a call whose INVITE has no final response yet.
	Ringing State = "ringing"
	Up      State = "up"
	Ended   State = "ended"
)

// Direction of a call as devpbx sees it.
type Direction string

const (
	// Inbound calls were made by a user to a test extension.
	Inbound Direction = "inbound"
	// Outbound calls were placed by devpbx to a registered user.
	Outbound Direction = "outbound"
)

// EndedBy says who ended a call.
type EndedBy string

const (
	NotEnded EndedBy = ""
	// CallerBye and CallerCancel: the user who called a test extension hung up.
	CallerBye    EndedBy = "caller_bye"
	CallerCancel EndedBy = "caller_cancel"
	// PBX covers everything devpbx decided: a rejection (see Record.Status), a
	// service that finished, a failed answer, shutdown. On outbound calls: devpbx
	// sent BYE.
	PBX EndedBy = "pbx"
	// CalleeBye: the user devpbx called hung up (outbound).
	CalleeBye EndedBy = "callee_bye"
	// PBXCancel: devpbx withdrew an outbound call before the answer (CANCEL, or the
	// call was still scheduled).
	PBXCancel EndedBy = "pbx_cancel"
	// Rejected: the callee sent a final non-2xx response (see Record.Status).
	Rejected EndedBy = "rejected"
	// Timeout: the callee sent no response at all (Timer B, 64*T1 = 32 s).
	Timeout EndedBy = "timeout"
	// Failed: devpbx could not place the call (see Record.Error).
	Failed EndedBy = "failed"
)

// DefaultKeepEnded is how many ended calls a Log keeps.
const DefaultKeepEnded = 100

// Record is one call as /api/calls shows it. Times are Unix milliseconds.
type Record struct {
	ID        string    `json:"id"`
	CallID    string    `json:"call_id"`
	Direction Direction `json:"direction"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Codec     string    `json:"codec"`
	State     State     `json:"state"`
	By        EndedBy   `json:"ended_by"`
	// Status is the final response to the INVITE (0 while ringing, and when none
	// came): the one devpbx sent (inbound) or the callee sent (outbound).
	Status int `json:"status"`
	// Error says why an outbound call failed or timed out ("" otherwise).
	Error string `json:"error"`
	// StartedAt is when the INVITE arrived (inbound) or the call was requested
	// (outbound); DialedAt when devpbx sent its INVITE (outbound only).
	StartedAt int64  `json:"started_at"`
	DialedAt  *int64 `json:"dialed_at"`
	// RingingAt is the first 180/183: sent (inbound) or received (outbound).
	RingingAt  *int64 `json:"ringing_at"`
	AnsweredAt *int64 `json:"answered_at"`
	EndedAt    *int64 `json:"ended_at"`

	RxPackets     uint64 `json:"rx_packets"`
	TxPackets     uint64 `json:"tx_packets"`
	RxBytes       uint64 `json:"rx_bytes"`
	TxBytes       uint64 `json:"tx_bytes"`
	RxDTMFPackets uint64 `json:"rx_dtmf_packets"`
	RxIgnored     uint64 `json:"rx_ignored"`
	// DTMF holds the digits received, by RFC 4733 events and by SIP INFO.
	DTMF string `json:"dtmf"`
	// Tone1kHzRatio is the mean share of the received signal's energy at 1000 Hz over
	// the 20 ms blocks that carried signal; null when the codec is not G.711.
	Tone1kHzRatio *float64 `json:"tone_1000hz_ratio"`
	// RxMaxDBFS is the level of the loudest received 20 ms block (RMS dBFS, -120 for
	// digital silence); null when the codec is not G.711.
	RxMaxDBFS      *float64 `json:"rx_max_dbfs"`
	RxSignalBlocks int      `json:"rx_signal_blocks"`
	// RxToneAt is when the first 20 ms of the 1 kHz tone arrived (G.711 only; null
	// before): with AnsweredAt, how soon the caller's audio reached the PBX.
	RxToneAt   *int64 `json:"rx_tone_at"`
	LocalRTP   string `json:"local_rtp"`
	RemoteRTP  string `json:"remote_rtp"`
	RTPLatched bool   `json:"rtp_latched"`
}

// Log holds the calls. It is safe for concurrent use.
type Log struct {
	now       func() time.Time
	keepEnded int

	mu    sync.Mutex
	calls []*Call // in start order
}

// New returns a Log keeping keepEnded ended calls (DefaultKeepEnded if ≤ 0).
func New(keepEnded int) *Log {
	if keepEnded <= 0 {
		keepEnded = DefaultKeepEnded
	}
	return &Log{now: time.Now, keepEnded: keepEnded}
}

// Call is one call's entry.
type Call struct {
	log *Log

	mu    sync.Mutex
	rec   Record
	media func() rtpmedia.Stats
}

// Start records a new ringing inbound call.
func (l *Log) Start(callID, from, to string) *Call {
	return l.add(Record{CallID: callID, Direction: Inbound, From: from, To: to, State: Ringing})
}

// StartOutbound records an outbound call devpbx is about to place; it is
// Scheduled until Dialed.
func (l *Log) StartOutbound(from, to string) *Call {
	return l.add(Record{Direction: Outbound, From: from, To: to, State: Scheduled})
}

func (l *Log) add(r Record) *Call {
	var b [8]byte
	_, _ = rand.Read(b[:])
	r.ID = hex.EncodeToString(b[:])
	r.StartedAt = l.now().UnixMilli()
	c := &Call{log: l, rec: r}
	l.mu.Lock()
	l.calls = append(l.calls, c)
	l.mu.Unlock()
	return c
}

// Dialed marks an outbound call's INVITE as sent.
func (c *Call) Dialed(callID string, at time.Time) {
	ms := at.UnixMilli()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rec.State == Scheduled {
		c.rec.State, c.rec.CallID, c.rec.DialedAt = Ringing, callID, &ms
	}
}

// Ringing records the first 180/183 (later ones are ignored).
func (c *Call) Ringing(at time.Time) {
	ms := at.UnixMilli()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rec.RingingAt == nil && c.rec.State == Ringing {
		c.rec.RingingAt = &ms
	}
}

// Fail records why an outbound call failed; End still ends it.
func (c *Call) Fail(reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rec.State != Ended && c.rec.Error == "" {
		c.rec.Error = reason
	}
}

// ID is the call's id in the API.
func (c *Call) ID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rec.ID
}

// SetMedia attaches the call's RTP session; its figures show live until End.
func (c *Call) SetMedia(codec string, s *rtpmedia.Session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rec.Codec = codec
	c.rec.LocalRTP = s.LocalAddr().String()
	c.media = s.Stats
}

// Answered marks the call up with the 2xx status; at is when the 2xx was sent
// (inbound) or received (outbound).
func (c *Call) Answered(at time.Time, status int) {
	now := at.UnixMilli()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rec.State == Ringing {
		c.rec.State = Up
		c.rec.Status = status
		c.rec.AnsweredAt = &now
	}
}

// AddDTMF appends a received digit.
func (c *Call) AddDTMF(digit byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.rec.DTMF) < 256 {
		c.rec.DTMF += string(digit)
	}
}

// End marks the call ended; the first End wins. status is the final response to the
// INVITE when the call never got up (ignored otherwise; 0 when there was none). The
// media figures are frozen here, so close the media session first.
func (c *Call) End(by EndedBy, status int) {
	now := c.log.now().UnixMilli()
	c.mu.Lock()
	media := c.media
	c.mu.Unlock()
	var st *rtpmedia.Stats
	if media != nil {
		s := media()
		st = &s
	}

	c.mu.Lock()
	if c.rec.State == Ended {
		c.mu.Unlock()
		return
	}
	if st != nil {
		applyStats(&c.rec, *st)
	}
	c.media = nil
	if c.rec.State == Ringing || c.rec.State == Scheduled {
		c.rec.Status = status
	}
	c.rec.State, c.rec.By, c.rec.EndedAt = Ended, by, &now
	c.mu.Unlock()
	c.log.prune()
}

// Record returns the call's current record, with live media figures.
func (c *Call) Record() Record {
	c.mu.Lock()
	media := c.media
	rec := c.rec
	c.mu.Unlock()
	// Do not hold our lock while asking the media session (it has its own).
	if media != nil {
		applyStats(&rec, media())
	}
	return rec
}

func applyStats(r *Record, st rtpmedia.Stats) {
	r.RxPackets, r.TxPackets = st.RxPackets, st.TxPackets
	r.RxBytes, r.TxBytes = st.RxBytes, st.TxBytes
	r.RxDTMFPackets, r.RxIgnored = st.RxDTMFPackets, st.RxIgnored
	if st.Remote.IsValid() {
		r.RemoteRTP = st.Remote.String()
	}
	r.RTPLatched = st.Latched
	if st.Tone != nil {
		ratio, level := st.Tone.Ratio, st.Tone.MaxDBFS
		r.Tone1kHzRatio, r.RxMaxDBFS = &ratio, &level
		r.RxSignalBlocks = st.Tone.SignalBlocks
	}
	if !st.ToneAt.IsZero() {
		at := st.ToneAt.UnixMilli()
		r.RxToneAt = &at
	}
}

// prune drops the oldest ended calls beyond keepEnded.
func (l *Log) prune() {
	l.mu.Lock()
	defer l.mu.Unlock()
	ended := 0
	for _, c := range l.calls {
		if c.ended() {
			ended++
		}
	}
	if ended <= l.keepEnded {
		return
	}
	drop := ended - l.keepEnded
	kept := l.calls[:0]
	for _, c := range l.calls {
		if drop > 0 && c.ended() {
			drop--
			continue
		}
		kept = append(kept, c)
	}
	clear(l.calls[len(kept):])
	l.calls = kept
}

func (c *Call) ended() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rec.State == Ended
}

// Records returns every kept call in start order.
func (l *Log) Records() []Record {
	l.mu.Lock()
	calls := append([]*Call(nil), l.calls...)
	l.mu.Unlock()
	out := make([]Record, 0, len(calls))
	for _, c := range calls {
		out = append(out, c.Record())
	}
	return out
}

// Get returns the call with id.
func (l *Log) Get(id string) (Record, bool) {
	for _, r := range l.Records() {
		if r.ID == id {
			return r, true
		}
	}
	return Record{}, false
}
