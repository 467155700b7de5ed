// Fakes for the browser API pieces the lib modules take by injection: a clock that runs
// only when told, runtime events, native and runtime ports.

/** A clock whose timers fire only in advance(); now() moves with it. */
export class FakeClock {
  constructor(start = 1_700_000_000_000) {
    this._now = start;
    this._timers = new Map(); // id → {at, fn, every}
    this._nextId = 1;
  }

  now() { return this._now; }

  setTimeout(fn, ms) { return this._add(fn, ms, 0); }

  setInterval(fn, ms) { return this._add(fn, ms, Math.max(1, ms)); }

  clearTimeout(id) { this._timers.delete(id); }

  clearInterval(id) { this._timers.delete(id); }

  /** Number of timers waiting. */
  get pending() { return this._timers.size; }

  /** Delays (from now) of the waiting timers, sorted. */
  delays() { return [...this._timers.values()].map((t) => t.at - this._now).sort((a, b) => a - b); }

  /** Moves time forward by ms, firing every timer that falls due, in order. */
  advance(ms) {
    const end = this._now + ms;
    for (;;) {
      let next = null;
      for (const [id, t] of this._timers) if (t.at <= end && (!next || t.at < next[1].at)) next = [id, t];
      if (!next) break;
      const [id, t] = next;
      this._now = t.at;
      if (t.every) t.at += t.every;
      else this._timers.delete(id);
      t.fn();
    }
    this._now = end;
  }

  _add(fn, ms, every) {
    const id = this._nextId++;
    this._timers.set(id, { at: this._now + Math.max(0, ms ?? 0), fn, every });
    return id;
  }
}

/** A runtime event (onMessage, onDisconnect, …). */
export class FakeEvent {
  constructor() { this.listeners = []; }

  addListener(fn) { this.listeners.push(fn); }

  removeListener(fn) { this.listeners = this.listeners.filter((l) => l !== fn); }

  hasListener(fn) { return this.listeners.includes(fn); }

  emit(...args) { for (const l of [...this.listeners]) l(...args); }
}

/** A runtime.Port: what the code posts lands in `sent`; the test plays the other side. */
export class FakePort {
  constructor({ name = '', sender } = {}) {
    this.name = name;
    this.sender = sender;
    this.sent = [];
    this.onMessage = new FakeEvent();
    this.onDisconnect = new FakeEvent();
    this.disconnected = false;
    this.error = null;
    this.throwOnPost = null;
  }

  postMessage(msg) {
    if (this.throwOnPost) throw this.throwOnPost;
    if (this.disconnected) throw new Error('Attempting to use a disconnected port object');
    this.sent.push(structuredClone(msg));
  }

  disconnect() { this.disconnected = true; }

  /** The other side sends a message. */
  receive(msg) { this.onMessage.emit(msg); }

  /** The other side closes the port (the browser fires onDisconnect). */
  drop(errorMessage) {
    if (errorMessage) this.error = { message: errorMessage };
    this.disconnected = true;
    this.onDisconnect.emit(this);
  }

  /** The last message of a type that was posted. */
  last(type) {
    for (let i = this.sent.length - 1; i >= 0; i--) if (this.sent[i].type === type) return this.sent[i];
    return undefined;
  }

  ofType(type) { return this.sent.filter((m) => m.type === type); }
}

/** Lets pending promise callbacks run (one macrotask turn; not a sleep). */
export function flush() {
  return new Promise((resolve) => { setImmediate(resolve); });
}

/** A storage area (storage.local / storage.session) in memory. */
export class FakeStorage {
  constructor(data = {}) { this.data = { ...data }; }

  async get(k) {
    if (k === undefined || k === null) return { ...this.data };
    const keys = Array.isArray(k) ? k : [k];
    const out = {};
    for (const key of keys) if (key in this.data) out[key] = structuredClone(this.data[key]);
    return out;
  }

  async set(o) { Object.assign(this.data, structuredClone(o)); }

  async remove(k) { for (const key of Array.isArray(k) ? k : [k]) delete this.data[key]; }
}
