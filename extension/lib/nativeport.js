// The one native-messaging port to tabphone-host: hello first, a ping every 20 s (keeps
// the MV3 worker and the port alive), replies matched to requests by id with a timeout
// per request, and reconnects with exponential backoff when the host goes away, unless
// the background stopped it (no Dialer/PBX session, or the host said `close`).
// No browser API here: connect() and lastError() are injected.

import {
  MSG, ERR, HOST_PROBLEM, MAX_REQUEST_BYTES, jsonBytes, isPlainObject, failure, hello, ping,
} from './protocol.js';
import { systemClock } from './clock.js';
import { t } from './i18n.js';

export const PING_INTERVAL_MS = 20_000;
export const REQUEST_TIMEOUT_MS = 10_000;
export const BACKOFF_INITIAL_MS = 500;
export const BACKOFF_MAX_MS = 30_000;
// A host must stay up this long after its hello before the backoff starts over: one that
// crashes soon after it starts (a bad config, a broken install) is restarted at 0.5 s,
// 1 s, 2 s … 30 s, never in a hot loop.
export const STABLE_MS = 60_000;
// After `close` the host ends its calls and unregisters (at most 2 s), then exits, which
// closes the port. If it has not after this long, the port is closed from this side.
export const CLOSE_WAIT_MS = 5_000;

/** Connection phases. */
export const PHASE = Object.freeze({
  IDLE: 'idle', // never started, or stopped
  CONNECTING: 'connecting', // port open, hello not answered yet
  READY: 'ready', // hello answered; requests flow
  MISMATCH: 'mismatch', // host answered hello with a protocol error; port kept open
  WAITING: 'waiting', // port closed, reconnect scheduled
  CLOSING: 'closing', // stopped; the host is ending calls and will close the port itself
});

/** The status while the port opens (no problem to show yet). */
function connectingStatus() {
  return { connected: false, connecting: true, message: t('hostConnecting') };
}

/**
 * Turns the browser's disconnect reason into a sentence that says the fix.
 * Chrome and Firefox word the same problems differently.
 */
export function explainDisconnect(reason) {
  const r = String(reason ?? '');
  if (/not found|no such native application/i.test(r)) {
    return t('hostNotInstalled', t('hostInstallHint'));
  }
  if (/forbidden|not allowed/i.test(r)) {
    return t('hostNotAllowed', t('hostInstallHint'));
  }
  if (/exited|terminated/i.test(r)) {
    return t('hostExited');
  }
  if (/communicat|invalid|failed to start|cannot start/i.test(r)) {
    return t('hostStartFailed', r.replace(/\.$/, ''), t('hostInstallHint'));
  }
  if (r) return t('hostLostWhy', r.replace(/\.$/, ''));
  return t('hostLost');
}

/**
 * Which HOST_PROBLEM the browser's disconnect reason is, or undefined when the host was
 * reachable (it exited or the port broke): only the former need the install steps.
 */
export function disconnectProblem(reason) {
  const r = String(reason ?? '');
  if (/not found|no such native application/i.test(r)) return HOST_PROBLEM.NOT_INSTALLED;
  if (/forbidden|not allowed/i.test(r)) return HOST_PROBLEM.NOT_ALLOWED;
  if (/exited|terminated/i.test(r)) return undefined;
  if (/communicat|invalid|failed to start|cannot start/i.test(r)) return HOST_PROBLEM.START_FAILED;
  return undefined;
}

/** The backoff before reconnect attempt n (0-based): 0.5 s doubling, capped at 30 s. */
export function backoffDelay(attempt, initial = BACKOFF_INITIAL_MS, max = BACKOFF_MAX_MS) {
  return Math.min(max, initial * 2 ** Math.min(attempt, 30));
}

export class NativePort {
  /**
   * @param {object} o
   * @param {() => object} o.connect opens the port (runtime.connectNative(HOST_NAME))
   * @param {() => ({message?: string}|undefined)} [o.lastError] runtime.lastError, read in onDisconnect
   * @param {string} o.version the extension's version, sent in hello
   * @param {(msg: object) => void} [o.onEvent] host events (messages without a reply id)
   * @param {(status: object) => void} [o.onStatus] {connected:true, version} or {connected:false, message, code?}
   * @param {object} [o.clock]
   */
  constructor({
    connect, lastError = () => undefined, version, onEvent = () => {}, onStatus = () => {},
    clock = systemClock, requestTimeoutMs = REQUEST_TIMEOUT_MS, pingIntervalMs = PING_INTERVAL_MS,
    backoffInitialMs = BACKOFF_INITIAL_MS, backoffMaxMs = BACKOFF_MAX_MS, closeWaitMs = CLOSE_WAIT_MS,
    stableMs = STABLE_MS,
  }) {
    this._connect = connect;
    this._lastError = lastError;
    this._version = version;
    this._onEvent = onEvent;
    this._onStatus = onStatus;
    this._clock = clock;
    this._requestTimeoutMs = requestTimeoutMs;
    this._pingIntervalMs = pingIntervalMs;
    this._backoffInitialMs = backoffInitialMs;
    this._backoffMaxMs = backoffMaxMs;
    this._closeWaitMs = closeWaitMs;
    this._stableMs = stableMs;
    this._readyAt = null; // when the current host answered hello (clock ms)

    this.phase = PHASE.IDLE;
    this._port = null;
    this._nextId = 1;
    this._pending = new Map(); // id → {resolve, timer}
    this._queue = []; // requests made while the hello is in flight
    this._attempt = 0; // quick failures since a host last stayed up stableMs
    this._retryTimer = null;
    this._pingTimer = null;
    this._closingPort = null; // the port of a host that is closing by itself
    this._closeTimer = null;
    this._startAfterClose = false;
    this._status = { ...connectingStatus() };
  }

  /** The last status given to onStatus. */
  get status() {
    return this._status;
  }

  /**
   * Opens the port if it is not open; idempotent. While a closing host is still ending
   * its calls, the new host starts once the old one is gone (two hosts at once would
   * register and unregister the same account against each other).
   */
  start() {
    if (this.phase === PHASE.CLOSING) {
      this._startAfterClose = true;
      return;
    }
    if (this.phase !== PHASE.IDLE && this.phase !== PHASE.WAITING) return;
    this._clearRetry();
    this._open();
  }

  /** Skips the rest of the backoff wait (a page opened: the user wants the phone now). */
  reconnectNow() {
    if (this.phase === PHASE.WAITING) this.start();
  }

  /**
   * Stops the phone on purpose: no reconnect, no ping, and the port's end is no failure.
   * Pending and later requests fail with status.code (default host_unavailable) and
   * status.message. `status`, when given, becomes the status the pages see.
   * With waitForHost the port stays open until the host closes it (after `close` the
   * host hangs up and unregisters, then exits; a port closed from this side would make
   * the browser kill it first), at most closeWaitMs; meanwhile its messages are dropped.
   */
  stop({ status, waitForHost = false } = {}) {
    this._clearRetry();
    this._startAfterClose = false;
    this._attempt = 0;
    const port = this._port;
    const message = status?.message || t('hostStopped');
    this._teardown(failure(status?.code ?? ERR.HOST_UNAVAILABLE, message));
    if (this._closingPort && (port || !waitForHost)) this._closeNow();
    if (waitForHost && port) {
      this.phase = PHASE.CLOSING;
      this._closingPort = port;
      this._closeTimer = this._clock.setTimeout(() => {
        this._closeTimer = null;
        this._closeNow();
      }, this._closeWaitMs);
    } else if (this.phase !== PHASE.CLOSING) {
      this.phase = PHASE.IDLE;
      try { port?.disconnect(); } catch { /* already gone */ }
    }
    if (status) this._setStatus(status);
    else this._status = { ...this._status, connected: false, connecting: false, stopped: true, message };
  }

  /** The closing host is gone (or took too long): close its port, start a new one if asked. */
  _closeNow() {
    const port = this._closingPort;
    this._closingPort = null;
    if (this._closeTimer !== null) {
      this._clock.clearTimeout(this._closeTimer);
      this._closeTimer = null;
    }
    try { port?.disconnect(); } catch { /* already gone */ }
    if (this.phase !== PHASE.CLOSING) return;
    this.phase = PHASE.IDLE;
    if (this._startAfterClose) {
      this._startAfterClose = false;
      this._open();
    }
  }

  /**
   * Sends a request and resolves to the host's reply {ok, data} / {ok:false, error}.
   * Never rejects: a timeout resolves to {ok:false, error:{code:"timeout"}}.
   */
  request(type, data, { timeoutMs = this._requestTimeoutMs } = {}) {
    const msg = data === undefined ? { type } : { type, data };
    const id = this._nextId++;
    msg.id = id;
    if (jsonBytes(msg) > MAX_REQUEST_BYTES) {
      return Promise.resolve(failure(ERR.TOO_LARGE, t('hostRequestTooLarge', MAX_REQUEST_BYTES)));
    }
    switch (this.phase) {
      case PHASE.READY:
        return this._send(msg, timeoutMs);
      case PHASE.CONNECTING:
        return new Promise((resolve) => {
          this._queue.push({ msg, timeoutMs, resolve });
        });
      case PHASE.MISMATCH:
        return Promise.resolve(failure(ERR.PROTOCOL, this._status.message));
      default: {
        const code = this._status.stopped && this._status.code ? this._status.code : ERR.HOST_UNAVAILABLE;
        return Promise.resolve(failure(code, this._status.message));
      }
    }
  }

  _open() {
    this.phase = PHASE.CONNECTING;
    if (this._status.stopped) this._setStatus({ ...connectingStatus() });
    let port;
    try {
      port = this._connect();
    } catch (e) {
      this._disconnected(null, e?.message ?? String(e));
      return;
    }
    this._port = port;
    port.onMessage.addListener((msg) => {
      if (this._port === port) this._receive(msg);
    });
    port.onDisconnect.addListener((p) => {
      // Read lastError here, in the listener, or Chrome logs it as unchecked.
      const le = this._lastError();
      if (this._closingPort === port) {
        this._closeNow(); // the host exited after `close`, as it should
        return;
      }
      if (this._port !== port) return;
      this._disconnected(port, p?.error?.message ?? port.error?.message ?? le?.message);
    });
    const h = hello(this._version);
    h.id = this._nextId++;
    this._send(h, this._requestTimeoutMs).then((reply) => this._helloAnswered(port, reply));
  }

  _helloAnswered(port, reply) {
    if (this._port !== port) return; // an old port's hello
    if (reply.ok) {
      // The backoff starts over only once this host has stayed up (see _disconnected).
      this._readyAt = this._clock.now();
      this.phase = PHASE.READY;
      this._startPing();
      this._setStatus({ connected: true, version: reply.data?.version ?? '' });
      const queue = this._queue;
      this._queue = [];
      for (const q of queue) this._send(q.msg, q.timeoutMs).then(q.resolve);
      return;
    }
    if (reply.error?.code === ERR.PROTOCOL) {
      // The host keeps running on a mismatch; reconnecting would only start it again.
      this.phase = PHASE.MISMATCH;
      this._startPing();
      const message = reply.error.message || t('hostMismatch');
      this._setStatus({ connected: false, code: ERR.PROTOCOL, message });
      this._flushQueue(failure(ERR.PROTOCOL, message));
      return;
    }
    // No usable answer (timeout or garbage): start over.
    const reason = reply.error?.code === ERR.TIMEOUT ? t('hostNoAnswer') : reply.error?.message;
    this._disconnected(port, reason, { closePort: true });
  }

  _send(msg, timeoutMs) {
    return new Promise((resolve) => {
      const timer = this._clock.setTimeout(() => {
        if (this._pending.delete(msg.id)) resolve(failure(ERR.TIMEOUT, t('errorTimeout')));
      }, timeoutMs);
      this._pending.set(msg.id, { resolve, timer });
      try {
        this._port.postMessage(msg);
      } catch (e) {
        // postMessage throws on a port that has just closed; onDisconnect may not follow.
        this._disconnected(this._port, e?.message ?? String(e), { closePort: true });
      }
    });
  }

  _receive(msg) {
    if (!isPlainObject(msg) || typeof msg.type !== 'string') return;
    if (msg.type === MSG.REPLY) {
      const p = this._pending.get(msg.id);
      if (!p) return; // late reply after its timeout
      this._pending.delete(msg.id);
      this._clock.clearTimeout(p.timer);
      p.resolve(msg.ok === true
        ? { ok: true, data: isPlainObject(msg.data) ? msg.data : {} }
        : { ok: false, error: isPlainObject(msg.error) ? msg.error : { code: ERR.INTERNAL } });
      return;
    }
    this._onEvent(msg);
  }

  _disconnected(port, reason, { closePort = false } = {}) {
    if (port && this._port !== port) return;
    if (closePort) {
      try { port?.disconnect(); } catch { /* already gone */ }
    }
    const message = explainDisconnect(reason);
    this._teardown(failure(ERR.HOST_UNAVAILABLE, message));
    if (this._readyAt !== null && this._clock.now() - this._readyAt >= this._stableMs) this._attempt = 0;
    this._readyAt = null;
    this.phase = PHASE.WAITING;
    const delay = backoffDelay(this._attempt++, this._backoffInitialMs, this._backoffMaxMs);
    this._retryTimer = this._clock.setTimeout(() => {
      this._retryTimer = null;
      this.start();
    }, delay);
    // Last: the listener may stop() the port, which cancels the retry just scheduled.
    const problem = disconnectProblem(reason);
    this._setStatus(problem ? { connected: false, message, problem } : { connected: false, message });
  }

  /** Forgets the port and fails everything that waited on it. */
  _teardown(result) {
    this._port = null;
    if (this._pingTimer !== null) {
      this._clock.clearInterval(this._pingTimer);
      this._pingTimer = null;
    }
    const pending = [...this._pending.values()];
    this._pending.clear();
    for (const p of pending) {
      this._clock.clearTimeout(p.timer);
      p.resolve(result);
    }
    this._flushQueue(result);
  }

  _flushQueue(result) {
    const queue = this._queue;
    this._queue = [];
    for (const q of queue) q.resolve(result);
  }

  _startPing() {
    if (this._pingTimer !== null) return;
    this._pingTimer = this._clock.setInterval(() => {
      const p = ping();
      p.id = this._nextId++;
      this._send(p, this._requestTimeoutMs);
    }, this._pingIntervalMs);
  }

  _clearRetry() {
    if (this._retryTimer !== null) {
      this._clock.clearTimeout(this._retryTimer);
      this._retryTimer = null;
    }
  }

  _setStatus(status) {
    this._status = status;
    this._onStatus(status);
  }
}
