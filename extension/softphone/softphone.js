// The softphone window: shows each live call with its own buttons — Answer and Decline
// while an incoming call rings (Enter answers, Escape declines), End call otherwise —
// and holds the calls' audio (lib/callmedia.js). It is the only page that opens the
// microphone for calls (the one chosen on the options page; calls play on the chosen
// speaker where the browser has setSinkId), and it plays the tones (lib/tones.js): the
// ringtone of an incoming call, the ringback of an outgoing call that rings without early
// media, and the auto-answer beep. When the Dialer/PBX session ends it shows the host's close-soon warning with a
// countdown, and closes itself on the host's `close`.
//
// For tests, the page records what it plays: <html data-ringing="true|false"> and
// window.__tabphoneTones, one {kind, at, state} per tone start (docs/protocol.md).

import { browser } from '../lib/browser.js';
import {
  MSG, PAGE, CALL_STATE, hangup, webrtcOffer, answer, decline,
} from '../lib/protocol.js';
import { PageClient } from '../lib/pageclient.js';
import {
  initialState, applyEvent, liveCalls, mainAccount, isRingingIncoming, ringingCalls,
} from '../lib/state.js';
import {
  callStateWords, callPartyWords, callerName, callAnnouncement, autoAnswerWords, registrationWords,
  registrationIsProblem, errorWords, hostWords,
} from '../lib/callview.js';
import { CallMedia } from '../lib/callmedia.js';
import { ClosingWarning } from '../lib/closingwarning.js';
import {
  TonePlayer, TONE, RING_VOLUME_KEY, wantedTones,
} from '../lib/tones.js';
import { MIC_DEVICE_KEY, SPEAKER_DEVICE_KEY, normalizeDeviceId } from '../lib/localsettings.js';

const $ = (id) => document.getElementById(id);
const els = {
  hostProblem: $('host-problem'),
  registration: $('registration'),
  soundBlocked: $('sound-blocked'),
  noCalls: $('no-calls'),
  calls: $('calls'),
  lastCall: $('last-call'),
  callAnnounce: $('call-announce'),
  audio: $('remote-audio'),
  template: $('call-template'),
};

const closing = new ClosingWarning({
  box: $('closing-warning'),
  message: $('closing-message'),
  countdown: $('closing-countdown'),
});

let state = initialState();
let hostStatus = null;
let timer = null;
let timerMs = 0;
let remoteBlocked = false;
const problems = new Map(); // call id → words
const items = new Map(); // call id → <li>
const silenced = new Set(); // calls answered or declined here, or auto-answered: no more ringing
const pending = new Set(); // calls with an answer/decline on its way
let itemCount = 0;

/** Ticks: the call timer once a second; the auto-answer countdown more often. */
const TICK_MS = 1000;
const COUNTDOWN_TICK_MS = 250;

/** Sets text only when it changes, so live regions do not repeat themselves. */
function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

// What the page played, for end-to-end tests (docs/protocol.md, "Tones").
window.__tabphoneTones = Array.isArray(window.__tabphoneTones) ? window.__tabphoneTones : [];
document.documentElement.dataset.ringing = 'false';

const tones = new TonePlayer({
  createContext: () => (globalThis.AudioContext ? new globalThis.AudioContext() : null),
  onTone: (t) => { window.__tabphoneTones.push(t); },
  onBlocked: () => { showSoundBlocked(); },
});

// The microphone and speaker chosen on the options page (storage.local); the default
// devices when none was chosen.
let micDeviceId = '';
let speakerDeviceId = '';

/** Plays the calls on the chosen speaker where the browser can (setSinkId), else the default. */
function applySpeaker() {
  if (typeof els.audio.setSinkId !== 'function') return;
  const id = speakerDeviceId;
  Promise.resolve()
    .then(() => els.audio.setSinkId(id))
    .catch((e) => {
      console.warn('tabphone: the chosen speaker is not available; using the default', e?.name ?? e);
      if (id !== '') els.audio.setSinkId('').catch(() => {});
    });
}

browser.storage?.local?.get([RING_VOLUME_KEY, MIC_DEVICE_KEY, SPEAKER_DEVICE_KEY]).then(
  (got) => {
    if (got && RING_VOLUME_KEY in got) tones.ringVolume = got[RING_VOLUME_KEY];
    micDeviceId = normalizeDeviceId(got?.[MIC_DEVICE_KEY]);
    speakerDeviceId = normalizeDeviceId(got?.[SPEAKER_DEVICE_KEY]);
    if (speakerDeviceId !== '') applySpeaker();
  },
  () => {},
);
browser.storage?.onChanged?.addListener((changes, area) => {
  if (area !== 'local') return;
  if (changes[RING_VOLUME_KEY]) tones.ringVolume = changes[RING_VOLUME_KEY].newValue;
  if (changes[MIC_DEVICE_KEY]) micDeviceId = normalizeDeviceId(changes[MIC_DEVICE_KEY].newValue); // from the next call
  if (changes[SPEAKER_DEVICE_KEY]) {
    speakerDeviceId = normalizeDeviceId(changes[SPEAKER_DEVICE_KEY].newValue);
    applySpeaker();
  }
});

const client = new PageClient({
  connect: () => browser.runtime.connect({ name: PAGE.SOFTPHONE }),
  onMessage(msg) {
    switch (msg.type) {
      case MSG.HOST:
        hostStatus = msg.data;
        break;
      case MSG.WEBRTC_ANSWER:
        media.answer(msg.data?.call_id, msg.data?.sdp);
        return;
      case MSG.ERROR:
        if (msg.data?.call_id) media.hostError(msg.data);
        return;
      case MSG.BEEP:
        // Auto-answer picked the call up: the ring stops, a short beep says so.
        if (typeof msg.data?.call_id === 'string') silenced.add(msg.data.call_id);
        updateTones();
        tones.beep();
        return;
      case MSG.CLOSE:
        closeWindow();
        return;
      default:
        break;
    }
    state = applyEvent(state, msg);
    media.update(liveCalls(state));
    render();
  },
});

const media = new CallMedia({
  getUserMedia: async (c) => {
    const stream = await navigator.mediaDevices.getUserMedia(c);
    tones.retry(); // a page that captures the microphone may play sound: a held-back ring starts now
    return stream;
  },
  RTCPeerConnection: globalThis.RTCPeerConnection,
  MediaStream: globalThis.MediaStream,
  micDeviceId: () => micDeviceId,
  sendOffer: (callId, sdp) => {
    const req = webrtcOffer(callId, sdp);
    return client.request(req.type, req.data);
  },
  onRemoteStream: playRemote,
  onProblem(callId, words) {
    if (words) problems.set(callId, words);
    else problems.delete(callId);
    render();
  },
});

function showSoundBlocked() {
  els.soundBlocked.hidden = !(remoteBlocked || tones.blocked);
}

function playRemote(stream) {
  els.audio.srcObject = stream;
  if (!stream) {
    remoteBlocked = false;
    showSoundBlocked();
    return;
  }
  els.audio.play().then(
    () => { remoteBlocked = false; showSoundBlocked(); },
    (e) => { remoteBlocked = e?.name === 'NotAllowedError'; showSoundBlocked(); },
  );
}

/** Any click is a user gesture the autoplay policy accepts: retry whatever was blocked. */
function retrySound() {
  if (tones.blocked) tones.resume();
  if (remoteBlocked && els.audio.srcObject) playRemote(els.audio.srcObject);
}
// Capture phase: the "Click to enable sound" button and any other click count.
document.addEventListener('click', retrySound, true);

async function send(call, build) {
  const req = build(call.id);
  const reply = await client.request(req.type, req.data);
  if (!reply.ok) {
    problems.set(call.id, errorWords(reply.error));
    render();
  }
  return reply;
}

/** Answer: the ring stops at once; the host connects the call (its audio is set up already). */
async function answerCall(call) {
  if (pending.has(call.id)) return;
  pending.add(call.id);
  silenced.add(call.id);
  render();
  const reply = await send(call, answer);
  pending.delete(call.id);
  if (!reply.ok) silenced.delete(call.id); // still ringing: ring again
  render();
}

/** Decline: the ring stops at once; the host answers the caller 486 Busy Here. */
async function declineCall(call) {
  if (pending.has(call.id)) return;
  pending.add(call.id);
  silenced.add(call.id);
  render();
  const reply = await send(call, decline);
  pending.delete(call.id);
  if (!reply.ok) silenced.delete(call.id);
  render();
}

function callItem(call) {
  let li = items.get(call.id);
  if (li) return li;
  li = els.template.content.firstElementChild.cloneNode(true);
  const n = ++itemCount;
  const numberId = `call-number-${n}`;
  li.dataset.callId = call.id;
  li.querySelector('.call-number').id = numberId;
  li.querySelector('.call-name').id = `call-name-${n}`;
  const described = `call-name-${n} ${numberId}`;
  const hangupButton = li.querySelector('.hangup');
  const answerButton = li.querySelector('.answer');
  const declineButton = li.querySelector('.decline');
  for (const b of [hangupButton, answerButton, declineButton]) b.setAttribute('aria-describedby', described);
  hangupButton.addEventListener('click', () => { send(call, hangup); });
  answerButton.addEventListener('click', () => { answerCall(call); });
  declineButton.addEventListener('click', () => { declineCall(call); });
  items.set(call.id, li);
  els.calls.append(li);
  return li;
}

/** The host ended the phone (no Dialer/PBX session): the background removes the window too. */
function closeWindow() {
  closing.hide();
  tones.close();
  media.closeAll();
  client.close();
  window.close();
}

/** Starts and stops the ringtone and the ringback to match the calls. */
function updateTones() {
  const live = liveCalls(state);
  const ids = new Set(live.map((c) => c.id));
  for (const id of silenced) if (!ids.has(id)) silenced.delete(id);
  const want = wantedTones(live, silenced);
  tones.setRinging(want.ring);
  tones.setRingback(want.ringback);
  const ringing = String(tones.isOn(TONE.RING));
  if (document.documentElement.dataset.ringing !== ringing) document.documentElement.dataset.ringing = ringing;
  // The title shows in the taskbar and the window switcher.
  const title = want.ring ? 'Incoming call – Tabphone' : 'Tabphone';
  if (document.title !== title) document.title = title;
}

function isControl(el) {
  return ['BUTTON', 'INPUT', 'TEXTAREA', 'SELECT', 'A'].includes(el?.tagName) || el?.isContentEditable === true;
}

/** True when the focus is nowhere in particular (a key press then belongs to the window). */
function focusIsFree() {
  const a = document.activeElement;
  return !a || a === document.body || a === document.documentElement;
}

function render() {
  closing.update(state);

  const hostLine = hostWords(hostStatus, state.snapshot);
  setText(els.hostProblem, hostLine);
  els.hostProblem.hidden = hostLine === '';

  const account = mainAccount(state);
  setText(els.registration, state.snapshot ? registrationWords(account) : '');
  els.registration.classList.toggle('is-problem', Boolean(state.snapshot) && registrationIsProblem(account));

  const now = Date.now();
  const calls = liveCalls(state);
  const ids = new Set(calls.map((c) => c.id));
  for (const [id, li] of items) {
    if (!ids.has(id)) {
      li.remove();
      items.delete(id);
    }
  }
  let countdown = false;
  for (const call of calls) {
    const isNew = !items.has(call.id);
    const li = callItem(call);
    const ringing = isRingingIncoming(call);
    const name = callerName(call);
    const nameEl = li.querySelector('.call-name');
    setText(nameEl, name);
    nameEl.hidden = name === '';
    setText(li.querySelector('.call-number'), callPartyWords(call));
    setText(li.querySelector('.call-state'), callStateWords(call, now));
    const autoEl = li.querySelector('.call-auto-answer');
    const auto = ringing ? autoAnswerWords(call, now) : '';
    setText(autoEl, auto);
    autoEl.hidden = auto === '';
    if (auto) countdown = true;
    setText(li.querySelector('.call-problem'), problems.get(call.id) ?? '');
    li.classList.toggle('is-connected', call.state === CALL_STATE.CONNECTED);
    li.classList.toggle('is-incoming', ringing);
    const answerButton = li.querySelector('.answer');
    const declineButton = li.querySelector('.decline');
    const hangupButton = li.querySelector('.hangup');
    const hadFocus = [answerButton, declineButton].includes(document.activeElement);
    answerButton.hidden = !ringing;
    declineButton.hidden = !ringing;
    hangupButton.hidden = ringing;
    answerButton.disabled = pending.has(call.id);
    declineButton.disabled = pending.has(call.id);
    if (ringing && isNew && focusIsFree()) answerButton.focus();
    if (!ringing && hadFocus) hangupButton.focus();
  }
  els.noCalls.hidden = calls.length > 0;
  const ended = calls.length === 0 ? state.lastEnded : null;
  setText(els.lastCall, ended ? `${callPartyWords(ended)} · ${callStateWords(ended, now)}` : '');
  setText(els.callAnnounce, callAnnouncement(calls.at(-1) ?? ended));

  updateTones();

  const ticking = countdown || calls.some((c) => c.state === CALL_STATE.CONNECTED);
  const wantMs = countdown ? COUNTDOWN_TICK_MS : TICK_MS;
  if (timer !== null && (!ticking || timerMs !== wantMs)) {
    clearInterval(timer);
    timer = null;
  }
  if (ticking && timer === null) {
    timerMs = wantMs;
    timer = setInterval(render, wantMs);
  }
}

// Enter answers and Escape declines the newest ringing call while the window has the
// focus; Enter on a button keeps its own meaning (Decline focused + Enter declines).
document.addEventListener('keydown', (ev) => {
  if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.defaultPrevented) return;
  if (ev.key !== 'Enter' && ev.key !== 'Escape') return;
  const call = ringingCalls(state).filter((c) => !silenced.has(c.id)).at(-1);
  if (!call) return;
  if (ev.key === 'Escape') {
    ev.preventDefault();
    declineCall(call);
  } else if (!isControl(ev.target)) {
    ev.preventDefault();
    answerCall(call);
  }
});

// Closing the window ends this page's media; the host notices the browser leg is gone.
window.addEventListener('pagehide', () => {
  tones.close();
  media.closeAll();
  client.close();
});

client.start();
render();
