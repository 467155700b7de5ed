// The tones of the softphone window, synthesized with WebAudio (no audio files): the
// ringtone of an incoming call (a soft two-tone chime), the ringback of an outgoing call
// that rings without early media (425 Hz, 1 s on, 4 s off) and the auto-answer beep
// (880 Hz, 150 ms). The host says when (docs/design.md, "Media path"): which tones should
// sound follows from the calls (wantedTones), and TonePlayer schedules them on an
// AudioContext made by an injected factory, with an injected clock, so node:test runs
// it with fakes. A browser that will not start the context (autoplay policy) is
// reported through onBlocked, and resume() retries from the user's next click.

import { CALL_STATE, DIRECTION } from './protocol.js';
import { isRingingIncoming } from './state.js';
import { systemClock } from './clock.js';
import { t } from './i18n.js';

export const TONE = Object.freeze({
  RING: 'ring', RINGBACK: 'ringback', BEEP: 'beep', KEY: 'key', BUSY: 'busy',
});

/** storage.local key of the ringtone volume (0…1). */
export const RING_VOLUME_KEY = 'ringVolume';
export const DEFAULT_RING_VOLUME = 0.6;

/** How long resume() may take before the sound counts as blocked (ms). */
export const RESUME_TIMEOUT_MS = 1000;

/** Notes start this far after the context's current time (s), so none starts in the past. */
export const SCHEDULE_LEAD_S = 0.02;

/**
 * A tone pattern: notes (offset and duration in seconds) repeated every periodMs (0: once).
 * `bell` notes strike and fade out with an octave partial; `flat` notes hold their level
 * with short ramps at both ends (no clicks).
 */
export const RING_PATTERN = Object.freeze({
  kind: TONE.RING,
  periodMs: 3000,
  shape: 'bell',
  level: 0.5, // × ringVolume
  // E5 – C5, twice: "ding-dong, ding-dong", then a pause.
  notes: Object.freeze([
    { offset: 0, duration: 0.45, frequency: 659.25 },
    { offset: 0.4, duration: 0.7, frequency: 523.25 },
    { offset: 1.1, duration: 0.45, frequency: 659.25 },
    { offset: 1.5, duration: 0.7, frequency: 523.25 },
  ]),
});

/** A classic phone ring: 440 + 480 Hz together, 2 s on, 4 s off. */
export const CLASSIC_RING_PATTERN = Object.freeze({
  kind: TONE.RING,
  periodMs: 6000,
  shape: 'flat',
  level: 0.35, // × ringVolume
  notes: Object.freeze([
    { offset: 0, duration: 2, frequency: 440 },
    { offset: 0, duration: 2, frequency: 480 },
  ]),
});

/** Three short rising pips, repeated every 2 s: noticeable in a noisy room. */
export const PIPS_RING_PATTERN = Object.freeze({
  kind: TONE.RING,
  periodMs: 2000,
  shape: 'flat',
  level: 0.4, // × ringVolume
  notes: Object.freeze([
    { offset: 0, duration: 0.12, frequency: 880 },
    { offset: 0.18, duration: 0.12, frequency: 1046.5 },
    { offset: 0.36, duration: 0.12, frequency: 1318.5 },
  ]),
});

/** The built-in ringtones by the name stored under RINGTONE_KEY, with their labels (read when shown). */
export const RINGTONES = Object.freeze({
  chime: Object.freeze({ get label() { return t('ringtoneChime'); }, pattern: RING_PATTERN }),
  classic: Object.freeze({ get label() { return t('ringtoneClassic'); }, pattern: CLASSIC_RING_PATTERN }),
  pips: Object.freeze({ get label() { return t('ringtonePips'); }, pattern: PIPS_RING_PATTERN }),
});
export const RINGTONE_KEY = 'ringtone';
export const DEFAULT_RINGTONE = 'chime';

/** A ringtone name from storage: one of RINGTONES, else the default. */
export function normalizeRingtone(v) {
  return typeof v === 'string' && Object.hasOwn(RINGTONES, v) ? v : DEFAULT_RINGTONE;
}

/** The busy tone after an outgoing call was refused as busy: 425 Hz, 0.5 s on/off, 3 times. */
export const BUSY_PATTERN = Object.freeze({
  kind: TONE.BUSY,
  periodMs: 0,
  shape: 'flat',
  level: 0.2,
  notes: Object.freeze([0, 1, 2].map((offset) => Object.freeze({ offset, duration: 0.5, frequency: 425 }))),
});

/** True for an outgoing call that just ended because the other side was busy (486, 600). */
export function isBusyEnd(call) {
  return call?.direction !== DIRECTION.INCOMING && call?.state === CALL_STATE.ENDED
    && [486, 600].includes(call?.end_reason?.sip_code);
}

export const RINGBACK_PATTERN = Object.freeze({
  kind: TONE.RINGBACK,
  periodMs: 5000, // 1 s on, 4 s off
  shape: 'flat',
  level: 0.2,
  notes: Object.freeze([{ offset: 0, duration: 1, frequency: 425 }]),
});

// The DTMF pairs (ITU-T Q.23): a key's row and column frequencies, in Hz.
const DTMF_ROWS = Object.freeze({ 1: 697, 2: 697, 3: 697, 4: 770, 5: 770, 6: 770, 7: 852, 8: 852, 9: 852, '*': 941, 0: 941, '#': 941 });
const DTMF_COLUMNS = Object.freeze({ 1: 1209, 4: 1209, 7: 1209, '*': 1209, 2: 1336, 5: 1336, 8: 1336, 0: 1336, 3: 1477, 6: 1477, 9: 1477, '#': 1477 });

/**
 * The local feedback of a keypad key: its DTMF pair for 120 ms, quietly (the PBX gets
 * the key as an RFC 4733 event from the host, not this sound). null for other keys.
 */
export function keyTonePattern(key) {
  if (!Object.hasOwn(DTMF_ROWS, key)) return null;
  const note = (frequency) => ({ offset: 0, duration: 0.12, frequency });
  return {
    kind: TONE.KEY, periodMs: 0, shape: 'flat', level: 0.08, notes: [note(DTMF_ROWS[key]), note(DTMF_COLUMNS[key])],
  };
}

export const BEEP_PATTERN = Object.freeze({
  kind: TONE.BEEP,
  periodMs: 0,
  shape: 'flat',
  level: 0.3,
  notes: Object.freeze([{ offset: 0, duration: 0.15, frequency: 880 }]),
});

/** Partials of a bell note: [frequency factor, relative amplitude]. */
const BELL_PARTIALS = Object.freeze([[1, 0.8], [2, 0.2]]);
const FLAT_PARTIALS = Object.freeze([[1, 1]]);
const ATTACK_S = 0.01;
const RELEASE_S = 0.01;
const SILENT = 0.0001; // exponential ramps cannot reach 0

/** A ring volume from storage: a number in 0…1, else the default. */
export function normalizeVolume(v) {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1 ? v : DEFAULT_RING_VOLUME;
}

/**
 * Which looping tones the calls want: the ringtone while an incoming call rings, the
 * ringback while an outgoing call is "ringing" (180 without early media; "early" relays
 * the PBX's own tones). Calls in `silenced` (answered or declined here, or just
 * auto-answered) want nothing, so the tone stops before the host's next event.
 * @returns {{ring: boolean, ringback: boolean}}
 */
export function wantedTones(calls, silenced = new Set()) {
  let ring = false;
  let ringback = false;
  for (const c of calls ?? []) {
    if (!c || silenced.has(c.id)) continue;
    if (isRingingIncoming(c)) ring = true;
    else if (c.direction !== DIRECTION.INCOMING && c.state === CALL_STATE.RINGING) ringback = true;
  }
  return { ring, ringback };
}

/** Wall-clock time in ms as the pages record it (performance.timeOrigin + performance.now()). */
export function wallClockNow() {
  return globalThis.performance.timeOrigin + globalThis.performance.now();
}

export class TonePlayer {
  /**
   * @param {object} o
   * @param {() => object} o.createContext makes an AudioContext (called once, when a tone is first needed)
   * @param {(t: {kind: string, at: number, state: string}) => void} [o.onTone] each tone start
   *   (each cycle of a looping tone): its kind, the wall-clock ms and the context's state then
   * @param {(blocked: boolean) => void} [o.onBlocked] the browser will (not) let the sound start
   * @param {() => number} [o.now] wall-clock ms for onTone
   */
  constructor({
    createContext, clock = systemClock, now = wallClockNow, onTone = () => {}, onBlocked = () => {},
    ringVolume = DEFAULT_RING_VOLUME, ringtone = DEFAULT_RINGTONE, resumeTimeoutMs = RESUME_TIMEOUT_MS, log = console,
  }) {
    this._ringtone = normalizeRingtone(ringtone);
    this._createContext = createContext;
    this._clock = clock;
    this._now = now;
    this._onTone = onTone;
    this._onBlocked = onBlocked;
    this._ringVolume = normalizeVolume(ringVolume);
    this._resumeTimeoutMs = resumeTimeoutMs;
    this._log = log;
    this._ctx = null;
    this._loops = new Map(); // kind → {timer, nodes}
    this._oneShots = new Set(); // node lists of beeps still sounding
    this._resuming = null;
    this._blocked = false;
  }

  /** True when the browser did not let the sound start (the page asks for a click). */
  get blocked() {
    return this._blocked;
  }

  get ringVolume() {
    return this._ringVolume;
  }

  get ringtone() {
    return this._ringtone;
  }

  /** A new ringtone (a RINGTONES name); it applies from the next ring. */
  set ringtone(v) {
    this._ringtone = normalizeRingtone(v);
  }

  /** A new ringtone volume (0…1); it applies from the next ring. */
  set ringVolume(v) {
    this._ringVolume = normalizeVolume(v);
  }

  /** True while a looping tone of this kind plays. */
  isOn(kind) {
    return this._loops.has(kind);
  }

  /** Starts or stops the ringtone (idempotent). */
  setRinging(on) {
    this._setLoop(RINGTONES[this._ringtone].pattern, on);
  }

  /** Starts or stops the ringback tone (idempotent). */
  setRingback(on) {
    this._setLoop(RINGBACK_PATTERN, on);
  }

  /** Plays the auto-answer beep once. */
  beep() {
    this._oneShot(this._play(BEEP_PATTERN, BEEP_PATTERN.level));
  }

  /** Plays the busy tone once (3 s). */
  busy() {
    this._oneShot(this._play(BUSY_PATTERN, BUSY_PATTERN.level));
  }

  /** Plays a keypad key's DTMF pair once (local feedback); other keys play nothing. */
  keyTone(key) {
    const pattern = keyTonePattern(key);
    if (pattern) this._oneShot(this._play(pattern, pattern.level));
  }

  /** Plays one cycle of the ringtone at the ringtone volume (the options page's "Play"). */
  ringOnce() {
    const { pattern } = RINGTONES[this._ringtone];
    this._oneShot(this._play(pattern, pattern.level * this._ringVolume));
  }

  /** Keeps a one-shot's nodes until its last oscillator ends, so stopAll() can cut it. */
  _oneShot(nodes) {
    if (nodes.length === 0) return;
    this._oneShots.add(nodes);
    const osc = nodes.filter((n) => typeof n.start === 'function').at(-1);
    if (osc) osc.onended = () => { this._oneShots.delete(nodes); };
  }

  /** Stops every tone at once. */
  stopAll() {
    for (const kind of [...this._loops.keys()]) this._stopLoop(kind);
    for (const nodes of this._oneShots) stopNodes(nodes);
    this._oneShots.clear();
  }

  /**
   * Retries starting the sound; call it from a user gesture (a click), which the
   * autoplay policy accepts. Makes the context then, if none exists yet.
   */
  resume() {
    const ctx = this._context();
    if (!ctx) return;
    this._resuming = null;
    this._ensureRunning(ctx);
  }

  /**
   * Tries again to start a context that is not running, without making one: for moments
   * the browser may have started to allow sound (Chromium allows it in a page that
   * captures the microphone, so the page calls this once the microphone is open).
   */
  retry() {
    const ctx = this._ctx;
    if (!ctx || ctx.state === 'running' || ctx.state === 'closed') return;
    this._resuming = null;
    this._ensureRunning(ctx);
  }

  /** Stops everything and releases the audio device (the window is closing). */
  close() {
    this.stopAll();
    const ctx = this._ctx;
    this._ctx = null;
    try {
      ctx?.close?.()?.catch?.(() => {});
    } catch { /* closed already */ }
  }

  _setLoop(pattern, on) {
    if (!on) {
      this._stopLoop(pattern.kind);
      return;
    }
    if (this._loops.has(pattern.kind)) return;
    const loop = { timer: null, nodes: [] };
    this._loops.set(pattern.kind, loop);
    this._cycle(pattern, loop);
    loop.timer = this._clock.setInterval(() => this._cycle(pattern, loop), pattern.periodMs);
  }

  _stopLoop(kind) {
    const loop = this._loops.get(kind);
    if (!loop) return;
    this._loops.delete(kind);
    this._clock.clearInterval(loop.timer);
    stopNodes(loop.nodes);
  }

  _cycle(pattern, loop) {
    // A cycle ends well before the next one starts; what is left of the last one never
    // sounded (a suspended context does not advance), so it must not pile up.
    stopNodes(loop.nodes);
    const level = pattern.kind === TONE.RING ? pattern.level * this._ringVolume : pattern.level;
    loop.nodes = this._play(pattern, level);
  }

  /** Schedules one cycle of a pattern; returns its nodes (none without WebAudio). */
  _play(pattern, level) {
    const ctx = this._context();
    if (!ctx) {
      this._onTone({ kind: pattern.kind, at: this._now(), state: 'unavailable' });
      return [];
    }
    this._ensureRunning(ctx);
    const nodes = [];
    try {
      const t0 = ctx.currentTime + SCHEDULE_LEAD_S;
      for (const note of pattern.notes) nodes.push(...scheduleNote(ctx, t0 + note.offset, note, level, pattern.shape));
    } catch (e) {
      this._log.warn?.('tabphone: a tone could not be scheduled', e);
    }
    this._onTone({ kind: pattern.kind, at: this._now(), state: ctx.state });
    return nodes;
  }

  _context() {
    if (this._ctx && this._ctx.state !== 'closed') return this._ctx;
    try {
      const ctx = this._createContext();
      if (!ctx) return null;
      const onState = () => {
        if (this._ctx === ctx && ctx.state === 'running') this._setBlocked(false);
      };
      if (typeof ctx.addEventListener === 'function') ctx.addEventListener('statechange', onState);
      else ctx.onstatechange = onState;
      this._ctx = ctx;
      return ctx;
    } catch (e) {
      this._log.warn?.('tabphone: WebAudio is not available; no tones', e);
      return null;
    }
  }

  /**
   * Starts a suspended context. Chromium keeps resume() pending (neither resolved nor
   * rejected) while autoplay is not allowed, so a timeout decides that it is blocked;
   * a later statechange to "running" clears that.
   */
  _ensureRunning(ctx) {
    if (ctx.state === 'running') {
      this._setBlocked(false);
      return;
    }
    if (this._resuming) return;
    const attempt = {};
    this._resuming = attempt;
    let timer = null;
    const settle = () => {
      if (this._resuming !== attempt) return;
      this._resuming = null;
      this._clock.clearTimeout(timer);
      if (this._ctx === ctx) this._setBlocked(ctx.state !== 'running');
    };
    timer = this._clock.setTimeout(settle, this._resumeTimeoutMs);
    let p;
    try {
      p = Promise.resolve(ctx.resume());
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(settle, settle);
  }

  _setBlocked(blocked) {
    if (this._blocked === blocked) return;
    this._blocked = blocked;
    this._onBlocked(blocked);
  }
}

/** One note: oscillators (one per partial) into a gain envelope into the speakers. */
function scheduleNote(ctx, t, note, level, shape) {
  const env = ctx.createGain();
  const g = env.gain;
  const end = t + note.duration;
  g.setValueAtTime(0, t);
  g.linearRampToValueAtTime(level, t + ATTACK_S);
  if (shape === 'bell') {
    g.exponentialRampToValueAtTime(SILENT, end);
  } else {
    g.setValueAtTime(level, end - RELEASE_S);
    g.linearRampToValueAtTime(0, end);
  }
  env.connect(ctx.destination);
  const nodes = [env];
  for (const [factor, amplitude] of shape === 'bell' ? BELL_PARTIALS : FLAT_PARTIALS) {
    const osc = ctx.createOscillator();
    osc.type = 'sine';
    osc.frequency.setValueAtTime(note.frequency * factor, t);
    if (amplitude === 1) {
      osc.connect(env);
    } else {
      const partial = ctx.createGain();
      partial.gain.setValueAtTime(amplitude, t);
      osc.connect(partial);
      partial.connect(env);
      nodes.push(partial);
    }
    osc.start(t);
    osc.stop(end + RELEASE_S);
    nodes.push(osc);
  }
  return nodes;
}

/** Silences nodes now: oscillators stop (even ones that have not started), all disconnect. */
function stopNodes(nodes) {
  for (const n of nodes) {
    try {
      if (typeof n.start === 'function') n.stop();
    } catch { /* already stopped */ }
    try {
      n.disconnect();
    } catch { /* already disconnected */ }
  }
  nodes.length = 0;
}
