// The softphone window's conference and recording controls: "Merge calls" joins the
// connected calls (lib/conference.js mixes them with WebAudio; the host stays a relay),
// "Split" takes one party out (on hold), ending a party leaves the others connected, and
// Hold on a merged call holds all of them. "Record" (shown when the options allow it)
// records the microphone with what the user hears (lib/recorder.js) and saves the file
// through the downloads API when it stops, the call ends or the window closes; a
// recording indicator with its time shows while it runs.
//
// For tests, <html data-conference="id,id"> names the merged calls and
// <html data-recording="call id"> the recorded one.

import { browser } from '../lib/browser.js';
import { hold as holdRequest, mute as muteRequest } from '../lib/protocol.js';
import {
  AudioMix, mixPlan, mergeCandidates, mergedAfter, splitOff, holdTargets, heldMembers, MIC, callSource, ANNOUNCE_MS,
} from '../lib/conference.js';
import {
  CallRecorder, saveRecording, recordingSettingsOf, RECORDING_ALLOWED_KEY, RECORDING_ANNOUNCE_KEY,
} from '../lib/recorder.js';
import { readPolicy } from '../lib/managedpolicy.js';
import { callerWords, formatDuration, errorWords } from '../lib/callview.js';
import { t } from '../lib/i18n.js';

/**
 * @param {object} o
 * @param {object} o.media the window's CallMedia
 * @param {(type: string, data: object) => Promise<object>} o.request a request to the host
 * @param {object} o.tones the window's TonePlayer (the user hears the announcement beep)
 * @param {(stream: object|null) => void} o.play what the page's <audio> element plays
 * @param {() => object[]} o.liveCalls the host's live calls
 * @param {(id: string, words: string|null) => void} o.problem shows or clears a call's problem
 * @param {() => void} o.render re-renders the page
 */
export function mixControls({
  media, request, tones, play, liveCalls, problem, render, els,
}) {
  const keepAlive = new Map(); // stream → muted <audio> (Chromium feeds WebAudio only a stream that plays)
  const mix = new AudioMix({
    createContext: () => new globalThis.AudioContext(),
    keepAlive: (stream) => {
      if (keepAlive.has(stream)) return;
      const a = new globalThis.Audio();
      a.muted = true;
      a.srcObject = stream;
      a.play().catch(() => {});
      keepAlive.set(stream, a);
    },
  });
  const recorder = new CallRecorder({
    MediaRecorder: globalThis.MediaRecorder,
    Blob: globalThis.Blob,
    onCut: () => { stopRecording(); },
  });
  let merged = [];
  let recording = null; // {callId, announce}
  let announcing = false;
  // Mute of a conference silences the microphone in the mix, not a call at the host
  // (which would cut that party off from the other too).
  let micMuted = false;
  let playback = null;
  let settings = recordingSettingsOf({}, null);
  let saved = ''; // words after the last save

  async function loadSettings() {
    let got = {};
    try { got = await browser.storage.local.get([RECORDING_ALLOWED_KEY, RECORDING_ANNOUNCE_KEY]); } catch { got = {}; }
    let policy = null;
    try { policy = await readPolicy(browser.storage?.managed); } catch { policy = null; }
    settings = recordingSettingsOf(got, policy);
    if (!settings.allowed && recording) stopRecording();
    render();
  }
  loadSettings();
  browser.storage?.onChanged?.addListener((changes, area) => {
    if (area === 'managed' || (area === 'local' && (changes[RECORDING_ALLOWED_KEY] || changes[RECORDING_ANNOUNCE_KEY]))) {
      loadSettings();
    }
  });

  const callById = (id) => liveCalls().find((c) => c.id === id) ?? null;

  /** Brings the graph in line with the conference and the recording (after any change). */
  async function rewire({ prefer = null } = {}) {
    const plan = mixPlan({ merged, recording, announcing, micMuted });
    const used = plan.sends.size > 0 || plan.playback || plan.record;
    if (!used && !mix.context) return;
    let micStream = null;
    try { micStream = await media.microphoneStream; } catch { micStream = null; }
    mix.setInput(MIC, micStream);
    const ids = new Set([...plan.sends.keys(), ...merged, ...(recording ? [recording.callId] : [])]);
    const senders = new Map();
    for (const id of ids) {
      mix.setInput(callSource(id), media.remoteStream(id));
      senders.set(id, media.sender(id));
    }
    const out = mix.apply(plan, { senders, micTrack: micStream?.getAudioTracks()[0] ?? null });
    if (out.playback !== playback) {
      playback = out.playback;
      // Back to one call: the one the user stays with (after Split, not the one put on hold).
      play(playback ?? (prefer && media.remoteStream(prefer)) ?? media.playingStream);
    }
    document.documentElement.dataset.conference = merged.join(',');
    return out;
  }

  /** One in-call request (hold or mute) per call; a refusal shows on its call. */
  function requestAll(build, ids, on) {
    return Promise.all(ids.map(async (id) => {
      const req = build(id, on);
      const reply = await request(req.type, req.data);
      if (!reply.ok) problem(id, errorWords(reply.error));
      return reply;
    }));
  }
  const holdAll = (ids, on) => requestAll(holdRequest, ids, on);

  /** Mute/Unmute of a merged call: the microphone leaves (or rejoins) the mix. */
  async function toggleMute() {
    micMuted = !micMuted;
    render();
    await rewire();
  }

  /**
   * A conference that ends while muted leaves its survivors muted at the host, and a call
   * muted at the host that joins one unmutes there, the mute moving into the mix: the
   * user stays muted either way.
   */
  function moveMute(calls, before, after) {
    const byId = new Map(calls.map((c) => [c.id, c]));
    if (after.length === 0 && before.length >= 2 && micMuted) {
      micMuted = false;
      requestAll(muteRequest, before.filter((id) => byId.get(id)?.state === 'connected'), true);
    } else if (after.length >= 2) {
      const mutedAtHost = after.filter((id) => byId.get(id)?.muted === true);
      if (mutedAtHost.length > 0) {
        micMuted = true;
        requestAll(muteRequest, mutedAtHost, false);
      }
    }
  }

  async function merge() {
    const calls = liveCalls();
    const joined = mergeCandidates(calls, merged);
    if (joined.length < 2) return;
    moveMute(calls, merged, joined);
    merged = joined;
    render();
    await rewire();
    // A party waiting on hold (the usual way to a second call) joins: the host resumes it.
    await holdAll(heldMembers(merged, calls), false);
    render();
  }

  async function split(id) {
    if (!merged.includes(id)) return;
    const stay = merged.find((m) => m !== id) ?? null;
    const next = splitOff(merged, id);
    moveMute(liveCalls(), merged, next);
    merged = next;
    await rewire({ prefer: stay });
    render();
    await holdAll([id], true);
    render();
  }

  /** The calls Hold/Resume of `id` applies to (the whole conference when it is merged). */
  function holdIds(id) {
    return holdTargets(id, merged);
  }

  async function startRecording(id) {
    const call = callById(id);
    if (!call || recording || !settings.allowed) return;
    if (typeof browser.downloads?.download !== 'function') {
      problem(id, t('softphoneRecordingNoPermission'));
      return;
    }
    recording = { callId: id, announce: settings.announce };
    announcing = settings.announce;
    saved = '';
    const out = await rewire();
    if (!out?.record) { recording = null; announcing = false; return; }
    const members = merged.includes(id) ? merged : [id];
    recorder.start(out.record, { callId: id, numbers: members.map((m) => callById(m)?.number ?? '') });
    document.documentElement.dataset.recording = id;
    if (announcing) {
      tones.beep(); // the user's side; the far party hears the mix's tone
      setTimeout(() => { announcing = false; rewire(); }, ANNOUNCE_MS);
    }
    render();
  }

  async function stopRecording() {
    if (!recording) return;
    const { callId } = recording;
    recording = null;
    announcing = false;
    document.documentElement.dataset.recording = '';
    let file = null;
    try {
      file = await recorder.stop();
      await rewire();
      if (file) {
        await saveRecording(browser.downloads, file);
        saved = t('softphoneRecordingSaved', file.fileName);
      }
    } catch (e) {
      problem(callId, t('softphoneRecordingFailed', e?.message ?? String(e)));
    }
    render();
  }

  function toggleRecord(id) {
    if (recording?.callId === id) stopRecording();
    else startRecording(id);
  }

  /** After the host's state changed: ended parties leave the conference; a recording of an ended call is saved. */
  function update() {
    const calls = liveCalls();
    const next = mergedAfter(merged, calls);
    const survivors = merged.filter((id) => calls.some((c) => c.id === id && c.state === 'connected'));
    const changed = next.join() !== merged.join();
    if (changed) moveMute(calls, merged, next);
    merged = next;
    if (recording && !calls.some((c) => c.id === recording.callId && c.state !== 'ended')) {
      // The recorded call ended: in a conference the recording follows a party left.
      const heir = survivors[0] ?? null;
      if (heir) recording = { ...recording, callId: heir };
      else stopRecording();
    }
    if (changed) rewire({ prefer: survivors[0] ?? null });
    // No call left: the mix lets go of its AudioContext and the streams it kept playing.
    if (calls.length === 0 && !recording && mix.context) release();
  }

  function release() {
    mix.close();
    playback = null;
    for (const a of keepAlive.values()) a.srcObject = null;
    keepAlive.clear();
  }

  function mixIds() {
    return new Set([...merged, ...(recording ? [recording.callId] : [])]);
  }

  /** The per-call parts: Split, Record, the conference note. */
  function renderCall(li, call) {
    const connected = call.state === 'connected';
    const inConference = merged.includes(call.id);
    const splitButton = li.querySelector('.split');
    splitButton.hidden = !inConference;
    const recordButton = li.querySelector('.record');
    const mine = recording?.callId === call.id || (recording && inConference && merged.includes(recording.callId));
    recordButton.hidden = !connected || !settings.allowed || (recording !== null && !mine);
    recordButton.setAttribute('aria-pressed', String(Boolean(mine)));
    const label = mine ? t('softphoneStopRecording') : t('softphoneRecord');
    if (recordButton.textContent !== label) recordButton.textContent = label;
    li.classList.toggle('is-merged', inConference);
    li.classList.toggle('is-recording', Boolean(mine));
  }

  /** The window-level parts: the conference line, Merge, the recording indicator. */
  function renderWindow(now) {
    const calls = liveCalls();
    const canMerge = mergeCandidates(calls, merged).length >= 2;
    els.merge.hidden = !canMerge;
    const words = merged.length >= 2
      ? t('softphoneConference', merged.map((id) => callerWords(callById(id))).join(', '))
      : '';
    if (els.conferenceWords.textContent !== words) els.conferenceWords.textContent = words;
    els.conferenceBar.hidden = !canMerge && words === '';
    const rec = recorder.current;
    const recWords = rec ? t('softphoneRecording', formatDuration(now - rec.startedAt)) : saved;
    if (els.recordingWords.textContent !== recWords) els.recordingWords.textContent = recWords;
    els.recordingIndicator.hidden = recWords === '';
    els.recordingIndicator.classList.toggle('is-live', Boolean(rec));
    // The running time is not read out every second; "saved" is.
    els.recordingIndicator.setAttribute('aria-live', rec ? 'off' : 'polite');
    return Boolean(rec);
  }

  els.merge.addEventListener('click', () => { merge(); });

  /** The window closes: a running recording is saved first (as far as the page lives). */
  function close() {
    if (recording) stopRecording();
    release();
  }

  return {
    merge, split, holdIds, toggleRecord, toggleMute,
    /** The call is in a conference (its Mute is the mix's). */
    inConference: (id) => merged.includes(id),
    /** The conference's microphone is muted. */
    get micMuted() { return micMuted; }, update, renderCall, renderWindow, close,
    /** The stream the page should play: the conference's mix while merged, else null. */
    get playback() { return playback; },
    /** A remote stream or sender changed (a track arrived, a leg was rebuilt). */
    mediaChanged() { if (mixIds().size > 0) rewire(); },
  };
}
