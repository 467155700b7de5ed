package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/tabphone/tabphone/media"
	"github.com/tabphone/tabphone/nativehost/config"
	"github.com/tabphone/tabphone/nativehost/history"
	"github.com/tabphone/tabphone/nativehost/messaging"
	"github.com/tabphone/tabphone/nativehost/phone"
	"github.com/tabphone/tabphone/nativehost/protocol"
	"github.com/tabphone/tabphone/nativehost/session"
)

// shutdownTimeout bounds hanging up and unregistering at exit, so a closing browser
// never waits on the host (design: within 2 s).
const shutdownTimeout = 2 * time.Second

// Options configure Run.
type Options struct {
	Stdin     io.Reader
	Stdout    io.Writer
	ConfigDir string // where config.json lives
	Log       *slog.Logger
	Version   string
	Media     *media.BrowserNet // nil: look at the machine
	Clock     session.Clock     // nil: real time
	// Successor, when set, is asked for the next host's stream when the input ends: the
	// browser may have closed the port only to restart the extension's service worker,
	// whose new port reaches this host through its successor (nativehost/handover).
	// It returns an error when none came within its grace; then the phone ends.
	// nil: the end of the input ends the phone at once.
	Successor func(ctx context.Context) (io.ReadWriteCloser, error)
}

// Host is one native-messaging session.
type Host struct {
	opts Options
	log  *slog.Logger
	out  *messaging.Writer

	session   *session.Machine
	history   *history.Store
	closed    chan struct{} // closed when the session machine reaches Closed
	closeOnce sync.Once
	applyMu   sync.Mutex
	keys      jobQueue // dtmf requests, played in order
	settings  jobQueue // config_get, config_set and set_status, in order, beside the read loop
	calls     callLog  // each call's start, answer and end at INFO

	mu        sync.Mutex
	phone     *phone.Phone
	cfg       *config.Config
	configErr error // why the config in force is not config.json's, or the phone did not start
	stopped   bool  // the phone was stopped for good
}

// Run serves the browser until stdin ends (the browser closed the port or exited), then
// hangs up, unregisters and returns.
func Run(ctx context.Context, opts Options) error {
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	h := &Host{opts: opts, log: opts.Log, out: messaging.NewWriter(opts.Stdout), closed: make(chan struct{}),
		keys:     jobQueue{max: maxQueuedKeyRequests, full: errTooManyKeys},
		settings: jobQueue{max: maxQueuedSettings, full: errTooManySettings}}
	h.loadConfig()
	h.history = history.Open(opts.ConfigDir)
	h.session = session.New(h.bound(), opts.Clock, h.onSession)
	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	if err := config.Watch(watchCtx, opts.ConfigDir, h.reload); err != nil {
		h.log.Warn("config changes will need a restart", "err", err)
	}
	if !h.bound() {
		h.ensurePhone()
	}
	defer h.stop()

	frames := make(chan []byte)
	readErr := make(chan error, 1)
	go h.readLoop(opts.Stdin, frames, readErr)
	var relayed io.Closer // the successor's stream, while the port comes through one
	defer func() {
		if relayed != nil {
			_ = relayed.Close()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			h.session.Close(session.ReasonBrowser)
			return nil
		case err := <-readErr:
			h.out.Discard()
			if relayed != nil {
				_ = relayed.Close()
				relayed = nil
			}
			if next := h.awaitSuccessor(ctx, err); next != nil {
				relayed = next
				h.out.Redirect(next)
				go h.readLoop(next, frames, readErr)
				continue
			}
			h.session.Close(session.ReasonBrowser)
			if errors.Is(err, io.EOF) {
				h.log.Info("browser closed the port")
				return nil
			}
			return fmt.Errorf("read from browser: %w", err)
		case f := <-frames:
			h.handle(f)
		case <-h.closed:
			return h.closeSession()
		}
	}
}

// awaitSuccessor: the input ended with err. Where a successor may take the port over
// (Options.Successor, and the input ended cleanly), the calls and registrations stay up
// for its grace; it returns the successor's stream, or nil when the phone must end.
func (h *Host) awaitSuccessor(ctx context.Context, err error) io.ReadWriteCloser {
	if h.opts.Successor == nil || !errors.Is(err, io.EOF) {
		return nil
	}
	start := time.Now()
	next, werr := h.opts.Successor(ctx)
	if werr != nil {
		h.log.Info("no successor host: the browser closed the port", "waited", time.Since(start).Round(time.Millisecond), "err", werr)
		return nil
	}
	h.log.Info("the browser's new port reaches this host through its successor; calls kept", "after", time.Since(start).Round(time.Millisecond))
	return next
}

// closeSession ends the phone after the session closed. The extension is told `close`
// first, so the window closes on time (5 s after the warning) while the calls end
// (BYE/CANCEL) and the accounts unregister (within shutdownTimeout); then the host
// exits by itself, which closes the port. The extension does not disconnect the port on
// `close`: the browser would kill a host it disconnects before the unREGISTER is done.
func (h *Host) closeSession() error {
	h.sendEvent(protocol.TypeClose, protocol.CloseEvent{Reason: h.session.Snapshot().Reason})
	h.stop()
	return nil
}

// readLoop reads frames until the input ends. Oversized frames are answered with an
// error event and skipped; the host keeps running.
func (h *Host) readLoop(in io.Reader, frames chan<- []byte, errc chan<- error) {
	r := messaging.NewReader(in)
	for {
		f, err := r.ReadFrame()
		if errors.Is(err, messaging.ErrTooLarge) {
			h.log.Warn("oversized message dropped", "err", err)
			h.sendEvent(protocol.TypeError, errorBody(err))
			continue
		}
		if err != nil {
			errc <- err
			return
		}
		frames <- f
	}
}

func (h *Host) loadConfig() {
	cfg, err := config.Load(h.configPath())
	if err != nil {
		h.log.Warn("config not loaded", "err", err)
		h.setConfigError(&configError{stage: configInvalid, err: err})
		cfg = &config.Config{Status: config.StatusAvailable}
	}
	h.mu.Lock()
	h.cfg = cfg
	h.mu.Unlock()
}

// reload applies a changed config file: an invalid one is reported and the last good
// config stays in force; a valid one re-registers only the accounts that changed, and
// calls in progress stay up.
func (h *Host) reload() {
	cfg, err := config.Load(h.configPath())
	if err != nil {
		h.log.Warn("config change not applied", "err", err)
		h.setConfigError(&configError{stage: configNotApplied, err: err})
		h.sendEvent(protocol.TypeState, h.snapshot())
		return
	}
	h.apply(cfg)
}

// apply puts a valid config in force: only the accounts that changed re-register, and
// calls in progress stay up.
func (h *Host) apply(cfg *config.Config) {
	h.applyMu.Lock() // the watcher and config_set may apply at the same time
	defer h.applyMu.Unlock()
	h.mu.Lock()
	hadAccounts := len(h.cfg.Accounts) > 0
	h.cfg, h.configErr = cfg, nil
	p := h.phone
	if p != nil && !hadAccounts {
		// The SIP socket was opened with no account to face: open it again for the new one.
		h.phone = nil
	}
	h.mu.Unlock()
	h.log.Info("config applied", "accounts", len(cfg.Accounts), "sites", len(cfg.Sites))
	switch {
	case p != nil && !hadAccounts:
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		p.Close(ctx)
		cancel()
		h.ensurePhone()
	case p != nil:
		if err := p.UpdateAccounts(cfg); err != nil {
			h.log.Warn("accounts not updated", "err", err)
		}
	}
	h.session.SetBound(h.bound())
	h.sendEvent(protocol.TypeState, h.snapshot())
}

func (h *Host) setConfigError(e error) {
	h.mu.Lock()
	h.configErr = e
	h.mu.Unlock()
}

// bound reports whether the phone's life is bound to a Dialer/PBX session: a site is
// configured and close_without_session is not switched off.
func (h *Host) bound() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.cfg.Sites) > 0 && (h.cfg.CloseWithoutSession == nil || *h.cfg.CloseWithoutSession)
}

// ensurePhone starts the phone once (it registers the accounts).
func (h *Host) ensurePhone() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.phone != nil || h.stopped {
		return
	}
	p, err := phone.New(h.cfg, (*events)(h), phone.Options{Log: h.log, UserAgent: "Tabphone/" + h.opts.Version, Media: h.opts.Media})
	if err != nil {
		h.log.Error("phone did not start", "err", err)
		h.configErr = &startError{err: err}
		return
	}
	h.phone = p
}

func (h *Host) stop() {
	h.mu.Lock()
	p := h.phone
	h.stopped = true
	h.mu.Unlock()
	if p == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	p.Close(ctx)
}

// snapshot is the state event's data.
func (h *Host) snapshot() protocol.State {
	h.mu.Lock()
	p, cfg, cerr := h.phone, h.cfg, h.configErr
	h.mu.Unlock()
	st := protocol.State{Accounts: []protocol.AccountState{}, Calls: []protocol.Call{}, Status: statuses[phone.StatusFromConfig(cfg.Status)],
		Session: h.sessionState(cfg)}
	if cerr != nil {
		st.ConfigError = errorBody(cerr)
	}
	if p != nil {
		st.Status = statuses[p.Status()]
		st.Accounts, st.Calls = phoneState(p)
	}
	return st
}

func (h *Host) send(frame []byte) {
	if err := h.out.WriteFrame(frame); err != nil {
		h.log.Warn("write to browser failed", "err", err)
	}
}

func (h *Host) sendEvent(typ string, data any) {
	f, err := protocol.Event(typ, data)
	if err != nil {
		h.log.Error("encode event", "type", typ, "err", err)
		return
	}
	h.send(f)
}

func (h *Host) reply(id int64, data any) {
	f, err := protocol.Reply(id, data)
	if err != nil {
		h.log.Error("encode reply", "err", err)
		h.fail(id, errUnencodable)
		return
	}
	h.send(f)
}

// fail answers request id with err (an error event when there is no id to answer).
func (h *Host) fail(id int64, err error) {
	e := errorBody(err)
	if id == 0 {
		h.sendEvent(protocol.TypeError, e)
		return
	}
	h.send(protocol.ReplyError(id, e))
}

// events adapts the host to phone.Events.
type events Host

func (e *events) StateChanged() {
	h := (*Host)(e)
	h.sendEvent(protocol.TypeState, h.snapshot())
}

func (e *events) CallChanged(c phone.CallInfo) {
	h := (*Host)(e)
	h.calls.changed(h.log, c)
	h.sendEvent(protocol.TypeCall, protocol.CallEvent{Call: callOf(c)})
	if c.State == phone.CallEnded {
		if err := h.history.Append(history.NewEntry(historyCallOf(c))); err != nil {
			h.log.Warn("history not written", "err", err)
		}
	}
}

func (e *events) Incoming(c phone.CallInfo) {
	(*Host)(e).sendEvent(protocol.TypeIncoming, protocol.CallEvent{Call: callOf(c)})
}

func (e *events) Beep(callID string) {
	(*Host)(e).sendEvent(protocol.TypeBeep, protocol.CallRef{CallID: callID})
}

func (e *events) WebRTCRestart(callID string) {
	(*Host)(e).sendEvent(protocol.TypeWebRTCRestart, protocol.CallRef{CallID: callID})
}

func (e *events) WebRTCAnswer(callID, sdp string, err error) {
	h := (*Host)(e)
	if err != nil {
		h.log.Warn("browser leg failed", "call", callID, "err", err)
		h.sendEvent(protocol.TypeError, audioErrorBody(callID, err))
		return
	}
	h.sendEvent(protocol.TypeWebRTCAnswer, protocol.WebRTCSDP{CallID: callID, SDP: sdp})
}

// decodeData unmarshals a request's data strictly.
func decodeData(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		raw = json.RawMessage("{}")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("bad data: %v", err)
	}
	return nil
}
