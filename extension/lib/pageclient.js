// A page's side of its runtime port to the background: requests with ids and a
// timeout, events to a callback, and a reconnect when the port drops (the service
// worker was restarted; connecting again wakes it). No browser API: connect() is injected.

import { MSG, ERR, isPlainObject, failure } from './protocol.js';
import { systemClock } from './clock.js';

export const PAGE_REQUEST_TIMEOUT_MS = 15_000; // longer than the background's 10 s to the host
export const RECONNECT_MS = 200;
export const RECONNECT_MAX_MS = 5_000;

export class PageClient {
  /**
   * @param {object} o
   * @param {() => object} o.connect runtime.connect({name})
   * @param {(msg: object) => void} o.onMessage every event from the background
   * @param {() => void} [o.onDisconnect] the port dropped (a reconnect follows)
   */
  constructor({ connect, onMessage, onDisconnect = () => {}, clock = systemClock, timeoutMs = PAGE_REQUEST_TIMEOUT_MS }) {
    this._connect = connect;
    this._onMessage = onMessage;
    this._onDisconnect = onDisconnect;
    this._clock = clock;
    this._timeoutMs = timeoutMs;
    this._port = null;
    this._nextId = 1;
    this._pending = new Map();
    this._retries = 0;
    this._retryTimer = null;
    this._closed = false;
  }

  start() {
    if (this._port || this._closed) return;
    let port;
    try {
      port = this._connect();
    } catch {
      this._scheduleReconnect();
      return;
    }
    this._port = port;
    port.onMessage.addListener((msg) => {
      if (this._port === port) this._receive(msg);
    });
    port.onDisconnect.addListener(() => {
      if (this._port !== port) return;
      this._dropped();
    });
  }

  close() {
    this._closed = true;
    if (this._retryTimer !== null) this._clock.clearTimeout(this._retryTimer);
    const port = this._port;
    this._dropped();
    try { port?.disconnect(); } catch { /* gone */ }
  }

  /** Resolves to {ok, data} / {ok:false, error}; never rejects. */
  request(type, data) {
    if (!this._port) return Promise.resolve(failure(ERR.DISCONNECTED));
    const id = this._nextId++;
    const msg = data === undefined ? { type, id } : { type, id, data };
    return new Promise((resolve) => {
      const timer = this._clock.setTimeout(() => {
        if (this._pending.delete(id)) resolve(failure(ERR.TIMEOUT));
      }, this._timeoutMs);
      this._pending.set(id, { resolve, timer });
      try {
        this._port.postMessage(msg);
      } catch {
        this._dropped();
      }
    });
  }

  _receive(msg) {
    if (!isPlainObject(msg) || typeof msg.type !== 'string') return;
    this._retries = 0;
    if (msg.type === MSG.REPLY) {
      const p = this._pending.get(msg.id);
      if (!p) return;
      this._pending.delete(msg.id);
      this._clock.clearTimeout(p.timer);
      p.resolve(msg.ok === true ? { ok: true, data: msg.data ?? {} } : { ok: false, error: msg.error ?? { code: ERR.INTERNAL } });
      return;
    }
    this._onMessage(msg);
  }

  _dropped() {
    this._port = null;
    const pending = [...this._pending.values()];
    this._pending.clear();
    for (const p of pending) {
      this._clock.clearTimeout(p.timer);
      p.resolve(failure(ERR.DISCONNECTED));
    }
    if (this._closed) return;
    this._onDisconnect();
    this._scheduleReconnect();
  }

  _scheduleReconnect() {
    if (this._closed || this._retryTimer !== null) return;
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MS * 2 ** Math.min(this._retries++, 10));
    this._retryTimer = this._clock.setTimeout(() => {
      this._retryTimer = null;
      this.start();
    }, delay);
  }
}
