// Call recording in the softphone window: the settings (off by default; an admin policy
// may force them), the file name (date, number, duration), and a recorder around
// MediaRecorder that records the mix of lib/conference.js (the microphone plus what the
// user hears) and hands back the file. Saving goes through the downloads API
// (downloads.download of a blob: URL), which the page calls; MediaRecorder, Blob and the
// clock are injected so node:test runs this without a browser.

import { systemClock } from './clock.js';

/** storage.local: the user allowed recording (the Record button shows). */
export const RECORDING_ALLOWED_KEY = 'callRecordingAllowed';
/** storage.local: a short tone announces each recording to both sides. */
export const RECORDING_ANNOUNCE_KEY = 'callRecordingAnnounce';

/** The downloads permission the options page asks for when recording is turned on. */
export const DOWNLOADS_PERMISSION = Object.freeze({ permissions: ['downloads'] });

/** Container types tried in order: Chromium records WebM, Firefox Ogg (both Opus). */
export const RECORDING_TYPES = Object.freeze([
  ['audio/webm;codecs=opus', 'webm'],
  ['audio/ogg;codecs=opus', 'ogg'],
  ['audio/webm', 'webm'],
  ['audio/ogg', 'ogg'],
]);

/** A recording cut off here (a forgotten Record button must not fill the disk). */
export const MAX_RECORDING_MS = 4 * 60 * 60 * 1000;

/**
 * The recording settings from storage.local's values and the admin policy's
 * (`call_recording`: false forces recording off, true allows it; either locks the switch).
 * @returns {{allowed: boolean, announce: boolean, locked: boolean}}
 */
export function recordingSettingsOf(got, policy) {
  const g = got && typeof got === 'object' ? got : {};
  const forced = policy?.callRecording;
  const allowed = typeof forced === 'boolean' ? forced : g[RECORDING_ALLOWED_KEY] === true;
  return { allowed, announce: allowed && g[RECORDING_ANNOUNCE_KEY] === true, locked: typeof forced === 'boolean' };
}

const two = (n) => String(n).padStart(2, '0');

/** "5s", "1m05s", "1h02m03s": the duration in a file name. */
export function durationForFile(ms) {
  const total = Math.max(0, Math.round((Number(ms) || 0) / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${two(m)}m${two(s)}s`;
  if (m > 0) return `${m}m${two(s)}s`;
  return `${s}s`;
}

/** At most this many characters of the number go into a file name. */
export const MAX_NUMBER_CHARS = 40;

/**
 * The other party as a file-name part: digits, letters, + and a few safe marks kept;
 * anything else (/, \, :, @ of a SIP URI, spaces, control characters) becomes "_".
 */
export function numberForFile(number) {
  const cleaned = String(number ?? '')
    .replace(/^sips?:/i, '')
    .replace(/[^0-9A-Za-z+*#._-]/g, '_')
    .replace(/_+/g, '_')
    .replace(/^[._]+|[._]+$/g, '')
    .slice(0, MAX_NUMBER_CHARS);
  return cleaned || 'unknown';
}

/**
 * The file name of a recording: "tabphone-2026-12-03_04-12-05-1002-1m05s.webm", local
 * time of the start, the other party (parties joined with "+" for a conference), the
 * length. Sorts by date in a file manager, and says who and how long at a glance.
 */
export function recordingFileName({ startedAt, numbers, durationMs, extension = 'webm' }) {
  const d = new Date(startedAt);
  const date = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
  const time = `${two(d.getHours())}-${two(d.getMinutes())}-${two(d.getSeconds())}`;
  const who = (Array.isArray(numbers) ? numbers : [numbers]).map(numberForFile).join('+');
  const ext = /^[a-z0-9]{1,5}$/.test(extension) ? extension : 'webm';
  return `tabphone-${date}_${time}-${who}-${durationForFile(durationMs)}.${ext}`;
}

/** The first container type MediaRecorder supports here: {mimeType, extension}. */
export function pickRecordingType(MediaRecorder) {
  for (const [mimeType, extension] of RECORDING_TYPES) {
    if (typeof MediaRecorder?.isTypeSupported !== 'function' || MediaRecorder.isTypeSupported(mimeType)) {
      return { mimeType, extension };
    }
  }
  return { mimeType: '', extension: 'webm' };
}

/**
 * One recording at a time: start(stream, who) records, stop() resolves to
 * {blob, fileName, durationMs, mimeType}. The duration is the clock's, from the
 * recorder's start to its stop event, so it matches what the file holds.
 */
export class CallRecorder {
  constructor({ MediaRecorder, Blob, clock = systemClock, maxMs = MAX_RECORDING_MS, onCut = () => {} }) {
    this._MediaRecorder = MediaRecorder;
    this._Blob = Blob;
    this._clock = clock;
    this._maxMs = maxMs;
    this._onCut = onCut;
    this._rec = null;
  }

  /** The recording in progress: {callId, numbers, startedAt} or null. */
  get current() {
    const r = this._rec;
    return r ? { callId: r.callId, numbers: [...r.numbers], startedAt: r.startedAt } : null;
  }

  /** Starts recording stream for callId; numbers name the other parties. */
  start(stream, { callId, numbers }) {
    if (this._rec) throw new Error('a recording is already running');
    const type = pickRecordingType(this._MediaRecorder);
    const recorder = new this._MediaRecorder(stream, type.mimeType ? { mimeType: type.mimeType } : {});
    const rec = {
      callId, numbers: [...numbers], recorder, type, chunks: [], startedAt: this._clock.now(), stopped: null, cut: null,
    };
    rec.stopped = new Promise((resolve, reject) => {
      recorder.addEventListener('dataavailable', (ev) => { if (ev.data?.size > 0) rec.chunks.push(ev.data); });
      recorder.addEventListener('stop', () => resolve(this._clock.now()));
      recorder.addEventListener('error', (ev) => reject(ev?.error ?? new Error('recording failed')));
    });
    rec.stopped.catch(() => {});
    recorder.start(1000); // a chunk a second: a crash loses at most that
    rec.cut = this._clock.setTimeout(() => { if (this._rec === rec) this._onCut(callId); }, this._maxMs);
    this._rec = rec;
  }

  /** Stops the recording and resolves to the file; null when none runs. */
  async stop() {
    const rec = this._rec;
    if (!rec) return null;
    this._rec = null;
    this._clock.clearTimeout(rec.cut);
    if (rec.recorder.state !== 'inactive') rec.recorder.stop();
    const endedAt = await rec.stopped;
    const durationMs = Math.max(0, endedAt - rec.startedAt);
    const blob = new this._Blob(rec.chunks, { type: rec.type.mimeType || 'audio/webm' });
    return {
      blob,
      mimeType: rec.type.mimeType,
      durationMs,
      fileName: recordingFileName({
        startedAt: rec.startedAt, numbers: rec.numbers, durationMs, extension: rec.type.extension,
      }),
    };
  }
}

/**
 * Saves a recording through the downloads API into the browser's download folder
 * (no Save As dialog: the call goes on). Resolves to the download id.
 */
export async function saveRecording(downloads, { blob, fileName }, URL = globalThis.URL) {
  if (typeof downloads?.download !== 'function') throw new Error('the downloads permission is missing');
  const url = URL.createObjectURL(blob);
  try {
    return await downloads.download({ url, filename: fileName, saveAs: false, conflictAction: 'uniquify' });
  } finally {
    // The browser has read the blob once the download exists; a minute is plenty.
    const timer = setTimeout(() => URL.revokeObjectURL(url), 60000);
    timer?.unref?.(); // node:test: do not hold the process
  }
}
