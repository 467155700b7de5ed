// The microphone and the speaker: getUserMedia constraints for the chosen microphone,
// the choices of the device selects from enumerateDevices, the words for a microphone
// that is allowed or blocked, and a level meter (WebAudio analyser). The options page and
// the softphone window share these; the browser objects are injected.

import { systemClock } from './clock.js';
import { t } from './i18n.js';

/** The microphone as calls use it: the browser's voice processing on. */
export const AUDIO_CONSTRAINTS = Object.freeze({
  audio: Object.freeze({ echoCancellation: true, noiseSuppression: true, autoGainControl: true }),
});

/** getUserMedia constraints for a chosen microphone ("" : the system default). */
export function micConstraints(deviceId) {
  if (typeof deviceId !== 'string' || deviceId === '') return AUDIO_CONSTRAINTS;
  return { audio: { ...AUDIO_CONSTRAINTS.audio, deviceId: { exact: deviceId } } };
}

export const DEVICE_KIND = Object.freeze({ MIC: 'audioinput', SPEAKER: 'audiooutput' });

/**
 * The options of a device select: the system default (value ""), then every device of
 * the kind the browser lists with an id ("Microphone 2" where it hides the name until
 * the microphone is allowed), and the chosen one, kept even while it is unplugged.
 * Chromium's own "default" entry is left out: the first option is the same thing.
 * @returns {{value: string, label: string}[]}
 */
export function deviceChoices(devices, kind, chosen = '') {
  const out = [{ value: '', label: t('audioSystemDefault') }];
  const numbered = (n) => (kind === DEVICE_KIND.SPEAKER ? t('audioSpeakerNumbered', n) : t('audioMicNumbered', n));
  const seen = new Set(['']);
  for (const d of Array.isArray(devices) ? devices : []) {
    if (d?.kind !== kind || typeof d.deviceId !== 'string' || d.deviceId === '' || d.deviceId === 'default') continue;
    if (seen.has(d.deviceId)) continue;
    seen.add(d.deviceId);
    const label = typeof d.label === 'string' && d.label.trim() !== '' ? d.label.trim() : numbered(out.length);
    out.push({ value: d.deviceId, label });
  }
  if (typeof chosen === 'string' && chosen !== '' && !seen.has(chosen)) out.push({ value: chosen, label: t('audioMissingDevice') });
  return out;
}

/** True when the browser names the microphones: the page may use the microphone. */
export function micNamesShown(devices) {
  return (Array.isArray(devices) ? devices : []).some((d) => d?.kind === DEVICE_KIND.MIC && typeof d.label === 'string' && d.label !== '');
}

/** "Microphone allowed", in the user's language. */
export function micAllowedWords() {
  return t('audioMicAllowed');
}

/** "Microphone blocked: …" for a getUserMedia failure, with what to do. */
export function micBlockedWords(e) {
  switch (e?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return t('audioMicRefused');
    case 'NotFoundError':
    case 'OverconstrainedError':
      return t('audioMicNotFound');
    case 'NotReadableError':
    case 'AbortError':
      return t('audioMicBusy');
    default:
      return t('audioMicBlockedWhy', e?.message || t('audioMicCouldNotOpen')).replace(/\.\.$/, '.');
  }
}

/**
 * Words for a permission state from navigator.permissions ('' when there is nothing to
 * say). Pages decide how to show them by the state, never by comparing words.
 */
export function micPermissionWords(state) {
  if (state === 'granted') return micAllowedWords();
  if (state === 'denied') return micBlockedWords({ name: 'NotAllowedError' });
  return '';
}

/** The level (0…1) of audio samples (-1…1): their RMS on a -60…0 dB scale. */
export function micLevel(samples) {
  const n = samples?.length ?? 0;
  if (n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += samples[i] * samples[i];
  const rms = Math.sqrt(sum / n);
  if (!(rms > 0)) return 0;
  const db = 20 * Math.log10(rms);
  return Math.min(1, Math.max(0, (db + 60) / 60));
}

export const METER_INTERVAL_MS = 100;

/** Measures a microphone stream's level every 100 ms with a WebAudio analyser. */
export class MicMeter {
  /**
   * @param {object} o
   * @param {() => object} o.createContext makes an AudioContext (once, at the first start)
   * @param {(level: number) => void} o.onLevel each measurement (0 when stopped)
   */
  constructor({ createContext, onLevel, clock = systemClock, intervalMs = METER_INTERVAL_MS }) {
    this._createContext = createContext;
    this._onLevel = onLevel;
    this._clock = clock;
    this._intervalMs = intervalMs;
    this._ctx = null;
    this._source = null;
    this._timer = null;
  }

  get running() {
    return this._timer !== null;
  }

  /** Starts measuring a stream (stops measuring the one before). */
  start(stream) {
    this.stop();
    this._ctx ??= this._createContext();
    const ctx = this._ctx;
    if (!ctx) return;
    const source = ctx.createMediaStreamSource(stream);
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 1024;
    source.connect(analyser);
    this._source = source;
    const buf = new Float32Array(analyser.fftSize);
    try {
      ctx.resume?.()?.catch?.(() => {});
    } catch { /* no resume: already running */ }
    this._timer = this._clock.setInterval(() => {
      analyser.getFloatTimeDomainData(buf);
      this._onLevel(micLevel(buf));
    }, this._intervalMs);
  }

  /** Stops measuring; the level goes to 0. */
  stop() {
    if (this._timer !== null) {
      this._clock.clearInterval(this._timer);
      this._timer = null;
    }
    try {
      this._source?.disconnect();
    } catch { /* gone */ }
    this._source = null;
    this._onLevel(0);
  }

  /** Stops and releases the audio context. */
  close() {
    this.stop();
    const ctx = this._ctx;
    this._ctx = null;
    try {
      ctx?.close?.()?.catch?.(() => {});
    } catch { /* closed */ }
  }
}
