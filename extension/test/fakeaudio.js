// A fake WebAudio context: records the oscillators and gain envelopes the tone player
// schedules, with a state and a resume() the test controls (running, pending forever as
// Chromium's autoplay policy does, or rejected).

export class FakeParam {
  constructor(value = 0) {
    this.value = value;
    this.events = []; // [method, value, time]
  }

  setValueAtTime(v, t) { this.events.push(['set', v, t]); return this; }

  linearRampToValueAtTime(v, t) { this.events.push(['linear', v, t]); return this; }

  exponentialRampToValueAtTime(v, t) {
    if (!(v > 0)) throw new RangeError('exponential ramps need a positive value');
    this.events.push(['exponential', v, t]);
    return this;
  }

  /** The highest value any event sets. */
  get peak() { return Math.max(0, ...this.events.map((e) => e[1])); }
}

class FakeNode {
  constructor(ctx) {
    this.ctx = ctx;
    this.outputs = [];
    this.disconnected = false;
  }

  connect(node) {
    this.outputs.push(node);
    return node;
  }

  disconnect() { this.disconnected = true; }
}

export class FakeOscillator extends FakeNode {
  constructor(ctx) {
    super(ctx);
    this.type = 'sine';
    this.frequency = new FakeParam(440);
    this.startAt = null;
    this.stops = [];
    this.onended = null;
  }

  start(t = 0) {
    if (this.startAt !== null) throw new Error('InvalidStateError: start twice');
    this.startAt = t;
  }

  stop(t = 0) {
    if (this.startAt === null) throw new Error('InvalidStateError: stop before start');
    this.stops.push(t);
  }

  /** The frequency it was set to. */
  get hz() { return this.frequency.events[0]?.[1] ?? this.frequency.value; }

  /** True when stop() was called with no time (now): the tone was cut. */
  get cut() { return this.stops.includes(0); }
}

export class FakeGainNode extends FakeNode {
  constructor(ctx) {
    super(ctx);
    this.gain = new FakeParam(1);
  }
}

export class FakeAudioContext {
  /**
   * @param {object} [o]
   * @param {'running'|'suspended'} [o.state] the state at creation
   * @param {'run'|'pending'|'reject'} [o.resume] what resume() does
   */
  constructor({ state = 'running', resume = 'run' } = {}) {
    this.state = state;
    this.resumeMode = resume;
    this.currentTime = 0;
    this.destination = { kind: 'destination' };
    this.oscillators = [];
    this.gains = [];
    this.resumes = 0;
    this.closed = false;
    this._listeners = [];
    this._pendingResumes = [];
  }

  addEventListener(type, fn) { if (type === 'statechange') this._listeners.push(fn); }

  createOscillator() {
    const o = new FakeOscillator(this);
    this.oscillators.push(o);
    return o;
  }

  createGain() {
    const g = new FakeGainNode(this);
    this.gains.push(g);
    return g;
  }

  resume() {
    this.resumes++;
    if (this.resumeMode === 'reject') return Promise.reject(Object.assign(new Error('not allowed'), { name: 'NotAllowedError' }));
    if (this.resumeMode === 'pending') return new Promise((resolve) => { this._pendingResumes.push(resolve); });
    this.setState('running');
    return Promise.resolve();
  }

  close() {
    this.closed = true;
    this.setState('closed');
    return Promise.resolve();
  }

  /** The browser changes the state (e.g. a click allowed the sound). */
  setState(s) {
    if (this.state === s) return;
    this.state = s;
    if (s === 'running') for (const r of this._pendingResumes.splice(0)) r();
    for (const fn of this._listeners) fn({ type: 'statechange' });
  }

  /** Oscillators of one frequency. */
  at(hz) { return this.oscillators.filter((o) => Math.abs(o.hz - hz) < 0.01); }

  /** Oscillators not cut short. */
  get uncut() { return this.oscillators.filter((o) => !o.cut); }
}
