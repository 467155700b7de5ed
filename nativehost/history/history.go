// Package history keeps the call history in a bounded JSON-lines file
// (history.jsonl): one line per ended call, newest last. It is told calls in its own
// terms (Call); the host translates the phone's calls and the wire's replies.
package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// FileName is the history file's name in the config directory.
const FileName = "history.jsonl"

// Bounds: the file keeps the last Keep calls; it is rewritten when it reaches Keep+Slack
// lines, so appends stay cheap.
const (
	Keep  = 1000
	Slack = 200
)

// maxLine caps one line read back; longer lines are skipped as damaged.
const maxLine = 4096

// Results of a call in the history.
const (
	Answered = "answered" // incoming, answered
	Missed   = "missed"   // incoming, not answered (cancelled, DND, declined)
	Outgoing = "outgoing" // outgoing, connected
	Failed   = "failed"   // outgoing, never connected
)

// Directions of a call in the history.
const (
	DirectionIncoming = "incoming"
	DirectionOutgoing = "outgoing"
)

// Call is what the history is told of a call that ended.
type Call struct {
	ID         string
	Account    string
	Incoming   bool
	Number     string
	Name       string
	Reason     string    // why it ended, in the words the user saw
	StartedAt  time.Time // the INVITE went out or arrived
	AnsweredAt time.Time // zero: never connected
	EndedAt    time.Time
}

// Entry is one call as history.jsonl keeps it (times in Unix milliseconds).
type Entry struct {
	ID         string `json:"id"`
	Account    string `json:"account"`
	Direction  string `json:"direction"`
	Number     string `json:"number"`
	Name       string `json:"name,omitempty"`
	Result     string `json:"result"`
	Reason     string `json:"reason,omitempty"`
	StartedAt  int64  `json:"started_at"`
	AnsweredAt int64  `json:"answered_at,omitempty"`
	EndedAt    int64  `json:"ended_at"`
	Seconds    int64  `json:"seconds"` // talk time
}

// NewEntry files an ended call: its direction, its result and its talk time.
func NewEntry(c Call) Entry {
	e := Entry{ID: c.ID, Account: c.Account, Direction: DirectionOutgoing, Number: c.Number, Name: c.Name, Reason: c.Reason,
		StartedAt: unixMilli(c.StartedAt), AnsweredAt: unixMilli(c.AnsweredAt), EndedAt: unixMilli(c.EndedAt)}
	if c.Incoming {
		e.Direction = DirectionIncoming
	}
	if e.AnsweredAt > 0 && e.EndedAt > e.AnsweredAt {
		e.Seconds = (e.EndedAt - e.AnsweredAt) / 1000
	}
	switch {
	case c.Incoming && e.AnsweredAt > 0:
		e.Result = Answered
	case c.Incoming:
		e.Result = Missed
	case e.AnsweredAt > 0:
		e.Result = Outgoing
	default:
		e.Result = Failed
	}
	return e
}

// unixMilli is a time in the file: Unix milliseconds, 0 for none.
func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// Store appends to and reads the history file. It is safe for concurrent use.
type Store struct {
	path  string
	mu    sync.Mutex
	lines int // lines in the file, -1 until counted
}

// Open returns the store for dir/history.jsonl (created on the first append).
func Open(dir string) *Store { return &Store{path: filepath.Join(dir, FileName), lines: -1} }

// Append adds one entry, trimming the file to the last Keep entries when it has grown
// by Slack.
func (s *Store) Append(e Entry) error {
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode history entry: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lines < 0 {
		all, err := s.readAll()
		if err != nil {
			return err
		}
		s.lines = len(all)
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("create history dir: %w", err)
	}
	f, err := os.OpenFile(s.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("open history: %w", err)
	}
	// A line torn by a crash must not swallow this one: start on a fresh line.
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if r, err := os.Open(s.path); err == nil {
			if _, err := r.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
				line = append([]byte{'\n'}, line...)
			}
			r.Close()
		}
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("append history: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("append history: %w", err)
	}
	s.lines++
	if s.lines >= Keep+Slack {
		return s.trim()
	}
	return nil
}

// trim rewrites the file with its last Keep entries (temp file + rename).
func (s *Store) trim() error {
	all, err := s.readAll()
	if err != nil {
		return err
	}
	if len(all) > Keep {
		all = all[len(all)-Keep:]
	}
	var buf bytes.Buffer
	for _, e := range all {
		b, _ := json.Marshal(e)
		buf.Write(append(b, '\n'))
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("trim history: %w", err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("trim history: %w", err)
	}
	s.lines = len(all)
	return nil
}

// Recent returns up to limit entries, newest first.
func (s *Store) Recent(limit int) ([]Entry, error) {
	s.mu.Lock()
	all, err := s.readAll()
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, min(limit, len(all)))
	for i := len(all) - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, all[i])
	}
	return out, nil
}

// readLine returns the next line without its newline, or nil for a line over maxLine,
// whose bytes it skips up to its end: one damaged line never hides the lines after it.
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = r.ReadSlice('\n')
		}
		return nil, err
	}
	return bytes.TrimSuffix(line, []byte("\n")), err
}

// readAll reads every well-formed line; damaged ones (a crash mid-write, a hand edit)
// are skipped rather than losing the rest.
func (s *Store) readAll() ([]Entry, error) {
	f, err := os.Open(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open history: %w", err)
	}
	defer f.Close()
	var out []Entry
	r := bufio.NewReaderSize(f, maxLine)
	for {
		line, err := readLine(r)
		if line != nil {
			var e Entry
			if json.Unmarshal(line, &e) == nil && e.ID != "" {
				out = append(out, e)
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return out, fmt.Errorf("read history: %w", err)
		}
	}
	return out, nil
}
