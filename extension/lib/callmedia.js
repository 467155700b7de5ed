// The softphone window's audio: one RTCPeerConnection to the host per call, the one
// microphone stream shared by all calls, the offer sent once ICE gathering is complete
// (no trickle: only host candidates exist), the host's answer applied, and the remote
// stream handed to the page's one <audio> element. The peer connection is made as soon
// as the call exists, so the host has it up while the call rings and the far party's
// first word is heard; a ringing incoming call's connection carries no microphone (none
// is opened) until the user answers, then the track is put on it without a new offer.
// The microphone is the one chosen on
// the options page (storage.local micDeviceId), or the system default when that one is
// gone. getUserMedia, RTCPeerConnection and MediaStream are injected so node:test runs
// this with fakes.

import { CALL_STATE, DIRECTION } from './protocol.js';
import { errorWords } from './callview.js';
import { t } from './i18n.js';
import { systemClock } from './clock.js';
import { AUDIO_CONSTRAINTS, micConstraints } from './audiodevices.js';

export { AUDIO_CONSTRAINTS, micConstraints };
export const ICE_GATHER_CAP_MS = 3000;

/** The words of the audio problems, in the user's language (each read when shown). */
export const MEDIA_WORDS = Object.freeze({
  get MIC_BLOCKED() { return t('mediaMicBlocked'); },
  get NO_MIC() { return t('mediaNoMic'); },
  get MIC_BUSY() { return t('mediaMicBusy'); },
  get NO_NETWORK() { return t('mediaNoNetwork'); },
  get FAILED() { return t('mediaFailed'); },
});

/** Words for a getUserMedia failure. */
export function micErrorWords(e) {
  switch (e?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return MEDIA_WORDS.MIC_BLOCKED;
    case 'NotFoundError':
    case 'OverconstrainedError':
      return MEDIA_WORDS.NO_MIC;
    case 'NotReadableError':
    case 'AbortError':
      return MEDIA_WORDS.MIC_BUSY;
    default:
      return e?.message ? t('mediaMicFailedWhy', e.message) : t('mediaMicFailed');
  }
}

/** True when an SDP carries at least one ICE candidate. */
export function hasCandidates(sdp) {
  return /^a=candidate:/m.test(String(sdp ?? ''));
}

export class CallMedia {
  /**
   * @param {object} o
   * @param {(c: object) => Promise<object>} o.getUserMedia navigator.mediaDevices.getUserMedia
   * @param {Function} o.RTCPeerConnection the constructor
   * @param {Function} o.MediaStream the constructor (for a track that comes without a stream)
   * @param {(callId: string, sdp: string) => Promise<object>} o.sendOffer sends webrtc_offer, resolves to the reply
   * @param {(stream: object|null) => void} o.onRemoteStream what the <audio> element should play
   * @param {(callId: string, words: string|null) => void} [o.onProblem] a call's media problem (null: none)
   * @param {() => string} [o.micDeviceId] the chosen microphone's deviceId ("" for the default),
   *   read each time the microphone opens
   */
  constructor({
    getUserMedia, RTCPeerConnection, MediaStream, sendOffer, onRemoteStream, onProblem = () => {},
    micDeviceId = () => '', clock = systemClock, iceGatherCapMs = ICE_GATHER_CAP_MS, log = console,
  }) {
    this._getUserMedia = getUserMedia;
    this._micDeviceId = micDeviceId;
    this._RTCPeerConnection = RTCPeerConnection;
    this._MediaStream = MediaStream;
    this._sendOffer = sendOffer;
    this._onRemoteStream = onRemoteStream;
    this._onProblem = onProblem;
    this._clock = clock;
    this._iceGatherCapMs = iceGatherCapMs;
    this._log = log;
    this._entries = new Map(); // call id → entry
    this._mic = null; // Promise<MediaStream> shared by all calls
    this._playing = null; // the entry whose remote stream the page plays
  }

  /** Call ids that have media (being set up or up). */
  get callIds() {
    return [...this._entries.keys()];
  }

  /** The RTCRtpSender of a call's microphone, or null (the conference mix replaces its track). */
  sender(callId) {
    return this._entries.get(callId)?.transceiver?.sender ?? null;
  }

  /** The remote stream of a call, or null before its track arrived. */
  remoteStream(callId) {
    return this._entries.get(callId)?.remote ?? null;
  }

  /** The stream the page plays when no mix plays (the newest call's), or null. */
  get playingStream() {
    return this._playing?.remote ?? null;
  }

  /** The shared microphone stream while calls hold it (a Promise), or null. */
  get microphoneStream() {
    return this._mic;
  }

  /** The peer connection of a call, or null (for tests and stats). */
  peerConnection(callId) {
    return this._entries.get(callId)?.pc ?? null;
  }

  /** Brings media in line with the calls: set up new ones, close the ones that are gone. */
  update(calls) {
    const live = new Set();
    for (const c of calls ?? []) {
      if (!c || typeof c.id !== 'string' || c.state === CALL_STATE.ENDED) continue;
      live.add(c.id);
      const ringingHere = c.direction === DIRECTION.INCOMING && c.state === CALL_STATE.RINGING;
      const entry = this._entries.get(c.id);
      if (!entry) this._start(c.id, { withMic: !ringingHere });
      else if (!ringingHere && !entry.wantMic) this._attachMicrophone(entry);
    }
    for (const [id, entry] of [...this._entries]) if (!live.has(id)) this._close(entry);
  }

  /** The host's webrtc_answer for a call. */
  async answer(callId, sdp) {
    const entry = this._entries.get(callId);
    if (!entry?.pc || entry.closed || typeof sdp !== 'string') return;
    if (entry.pc.signalingState !== 'have-local-offer') return;
    try {
      await entry.pc.setRemoteDescription({ type: 'answer', sdp });
      entry.answered = true;
    } catch (e) {
      if (!entry.closed) this._problem(entry, t('mediaAnswerRejected', e?.message ?? e));
    }
  }

  /**
   * The host's webrtc_restart: the call's browser leg must be built again (the PBX
   * leg's codec changed), so its peer connection is replaced by a new one with a new
   * offer. The microphone stays open.
   */
  restart(callId) {
    const entry = this._entries.get(callId);
    if (!entry || entry.closed) return;
    this._close(entry, { keepMicrophone: true });
    this._start(callId, { withMic: entry.wantMic });
  }

  /** An error event from the host about one call's media. */
  hostError(data) {
    const entry = this._entries.get(data?.call_id);
    if (entry && !entry.closed) this._problem(entry, errorWords(data));
  }

  /** Ends all media (the window is closing). */
  closeAll() {
    for (const entry of [...this._entries.values()]) this._close(entry);
  }

  async _start(callId, { withMic = true } = {}) {
    const entry = {
      callId, pc: null, closed: false, remote: null, answered: false, wake: null, wantMic: withMic, transceiver: null,
    };
    this._entries.set(callId, entry);
    let mic = null;
    if (withMic) {
      try {
        mic = await this._microphone();
      } catch (e) {
        if (!entry.closed) this._problem(entry, micErrorWords(e));
        return;
      }
    }
    if (entry.closed) return;
    try {
      const pc = new this._RTCPeerConnection({ iceServers: [] });
      entry.pc = pc;
      pc.addEventListener('track', (ev) => this._remoteTrack(entry, ev));
      pc.addEventListener('connectionstatechange', () => this._connectionState(entry));
      // sendrecv without a track while an incoming call rings: the microphone is put on
      // the sender at the answer (replaceTrack needs no new offer).
      entry.transceiver = pc.addTransceiver(mic ? mic.getAudioTracks()[0] : 'audio', { direction: 'sendrecv' });
      if (entry.wantMic && !mic) this._attachMicrophone(entry, { again: true });
      const offer = await pc.createOffer();
      if (entry.closed) return;
      await pc.setLocalDescription(offer);
      await this._gathered(entry);
      if (entry.closed) return;
      const sdp = pc.localDescription?.sdp ?? '';
      if (!hasCandidates(sdp)) {
        this._problem(entry, MEDIA_WORDS.NO_NETWORK);
        return;
      }
      const reply = await this._sendOffer(callId, sdp);
      if (entry.closed) return;
      if (!reply?.ok) this._problem(entry, errorWords(reply?.error));
    } catch (e) {
      if (!entry.closed) this._problem(entry, t('mediaSetupFailed', e?.message ?? e));
    }
  }

  /**
   * Puts the microphone on a call whose connection was made without it (an incoming
   * call that rang): the call was answered. Before the connection exists it is only
   * noted, and _start does it.
   */
  async _attachMicrophone(entry, { again = false } = {}) {
    if (entry.wantMic && !again) return;
    entry.wantMic = true;
    if (!entry.transceiver) return;
    try {
      const mic = await this._microphone();
      if (entry.closed) return;
      await entry.transceiver.sender.replaceTrack(mic.getAudioTracks()[0]);
    } catch (e) {
      if (!entry.closed) this._problem(entry, e?.name ? micErrorWords(e) : t('mediaSetupFailed', e?.message ?? e));
    }
  }

  /** The shared microphone stream; a failure is not cached, so the next call asks again. */
  _microphone() {
    if (!this._mic) {
      const mic = Promise.resolve().then(() => this._openMicrophone());
      mic.catch(() => { if (this._mic === mic) this._mic = null; });
      this._mic = mic;
    }
    return this._mic;
  }

  /**
   * The chosen microphone, exactly; when it is gone (unplugged: OverconstrainedError or
   * NotFoundError) the system default, so a call still has audio.
   */
  async _openMicrophone() {
    const deviceId = this._micDeviceId() || '';
    if (!deviceId) return this._getUserMedia(AUDIO_CONSTRAINTS);
    try {
      return await this._getUserMedia(micConstraints(deviceId));
    } catch (e) {
      if (e?.name !== 'OverconstrainedError' && e?.name !== 'NotFoundError') throw e;
      this._log.warn?.('tabphone: the chosen microphone is not there; using the default', e?.name);
      return this._getUserMedia(AUDIO_CONSTRAINTS);
    }
  }

  /** Resolves when ICE gathering is complete, the entry closes, or after the cap. */
  _gathered(entry) {
    const { pc } = entry;
    if (pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this._clock.clearTimeout(timer);
        pc.removeEventListener('icegatheringstatechange', onState);
        pc.removeEventListener('icecandidate', onCandidate);
        entry.wake = null;
        resolve();
      };
      const onState = () => { if (pc.iceGatheringState === 'complete') done(); };
      const onCandidate = (ev) => { if (!ev.candidate) done(); };
      pc.addEventListener('icegatheringstatechange', onState);
      pc.addEventListener('icecandidate', onCandidate);
      entry.wake = done;
      const timer = this._clock.setTimeout(done, this._iceGatherCapMs);
    });
  }

  _remoteTrack(entry, ev) {
    if (entry.closed) return;
    entry.remote = ev.streams?.[0] ?? new this._MediaStream([ev.track]);
    this._playing = entry;
    this._onRemoteStream(entry.remote);
  }

  _connectionState(entry) {
    if (entry.closed) return;
    const s = entry.pc.connectionState;
    if (s === 'failed') this._problem(entry, MEDIA_WORDS.FAILED);
    else if (s === 'connected') this._problem(entry, null);
  }

  _problem(entry, words) {
    this._onProblem(entry.callId, words);
  }

  _close(entry, { keepMicrophone = false } = {}) {
    entry.closed = true;
    entry.wake?.();
    this._entries.delete(entry.callId);
    try {
      entry.pc?.close();
    } catch (e) {
      this._log.warn?.('tabphone: closing a peer connection', e);
    }
    this._onProblem(entry.callId, null);
    if (this._playing === entry) {
      // Play another call's audio if one is left, else nothing.
      const other = [...this._entries.values()].reverse().find((x) => x.remote);
      this._playing = other ?? null;
      this._onRemoteStream(other?.remote ?? null);
    }
    if (this._entries.size === 0 && !keepMicrophone) this._releaseMicrophone();
  }

  _releaseMicrophone() {
    const mic = this._mic;
    this._mic = null;
    mic?.then((s) => { for (const t of s.getTracks()) t.stop(); }, () => {});
  }
}
