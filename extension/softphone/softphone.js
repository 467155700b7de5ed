// The softphone window: shows each live call with its own buttons — Answer and Decline
// while an incoming call rings (Enter answers, Escape declines), End call otherwise, and
// Mute, Hold, Keypad (DTMF with a local key tone; typed digits too) and Transfer (blind)
// while it is connected —
// and holds the calls' audio (lib/callmedia.js). It is the only page that opens the
// microphone for calls (the one chosen on the options page; calls play on the chosen
// speaker where the browser has setSinkId), and it plays the tones (lib/tones.js): the
// ringtone of an incoming call, the ringback of an outgoing call that rings without early
// media, the busy tone when a call we placed was refused as busy, and the auto-answer beep. When the Dialer/PBX session ends it shows the host's close-soon warning with a
// countdown, and closes itself on the host's `close`. Merge (three-way conference),
// Split and Record live in mixcontrols.js.
//
// For tests, the page records what it plays: <html data-ringing="true|false"> and
// window.__tabphoneTones, one {kind, at, state} per tone start (docs/protocol.md).

import { browser } from '../lib/browser.js';
import {
  MSG, PAGE, CALL_STATE, hangup, webrtcOffer, answer, decline, dtmf, mute, hold, transfer, transferTo,
} from '../lib/protocol.js';
import { callControls, keypadKeyOf, attendedPartner } from '../lib/incall.js';
import { validateNumber } from '../lib/dialpad.js';
import { PageClient } from '../lib/pageclient.js';
import {
  initialState, applyEvent, liveCalls, mainAccount, isRingingIncoming, ringingCalls,
} from '../lib/state.js';
import {
  callStateWords, callPartyWords, callerName, callAnnouncement, autoAnswerWords, registrationWords,
  registrationIsProblem, errorWords, hostWords, callerWords,
} from '../lib/callview.js';
import { CallMedia } from '../lib/callmedia.js';
import { ClosingWarning } from '../lib/closingwarning.js';
import {
  TonePlayer, TONE, RING_VOLUME_KEY, RINGTONE_KEY, wantedTones, isBusyEnd,
} from '../lib/tones.js';
import { MIC_DEVICE_KEY, SPEAKER_DEVICE_KEY, normalizeDeviceId } from '../lib/localsettings.js';
import { t, localizePage } from '../lib/i18n.js';
import { mixControls } from './mixcontrols.js';

// The page's own words first (data-i18n*, the call template too), before anything renders.
localizePage(document.documentElement);

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
  recordingIndicator: $('recording-indicator'),
  recordingWords: $('recording-words'),
  conferenceBar: $('conference-bar'),
  conferenceWords: $('conference-words'),
  merge: $('merge-calls'),
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
const busy = new Map(); // call id → {hold, mute, transfer}: in-call requests on their way
const sentKeys = new Map(); // call id → the DTMF keys sent in this window
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

browser.storage?.local?.get([RING_VOLUME_KEY, RINGTONE_KEY, MIC_DEVICE_KEY, SPEAKER_DEVICE_KEY]).then(
  (got) => {
    if (got && RING_VOLUME_KEY in got) tones.ringVolume = got[RING_VOLUME_KEY];
    if (got && RINGTONE_KEY in got) tones.ringtone = got[RINGTONE_KEY];
    micDeviceId = normalizeDeviceId(got?.[MIC_DEVICE_KEY]);
    speakerDeviceId = normalizeDeviceId(got?.[SPEAKER_DEVICE_KEY]);
    if (speakerDeviceId !== '') applySpeaker();
  },
  () => {},
);
browser.storage?.onChanged?.addListener((changes, area) => {
  if (area !== 'local') return;
  if (changes[RING_VOLUME_KEY]) tones.ringVolume = changes[RING_VOLUME_KEY].newValue;
  if (changes[RINGTONE_KEY]) tones.ringtone = changes[RINGTONE_KEY].newValue;
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
      case MSG.WEBRTC_RESTART:
        media.restart(msg.data?.call_id);
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
    const wasLive = liveCalls(state);
    state = applyEvent(state, msg);
    media.update(liveCalls(state));
    extras.update();
    // An outgoing call refused as busy: the busy tone, once, as a phone plays it.
    const ended = msg.type === MSG.CALL ? msg.data?.call : null;
    if (isBusyEnd(ended) && wasLive.some((c) => c.id === ended.id)) tones.busy();
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
  onRemoteStream: (stream) => {
    // While calls are merged the page plays the conference's mix, not one call.
    playRemote(extras?.playback ?? stream);
    extras?.mediaChanged();
  },
  onProblem(callId, words) {
    if (words) problems.set(callId, words);
    else problems.delete(callId);
    render();
  },
});

// Merge, Split, Hold of a conference, Record (mixcontrols.js).
const extras = mixControls({
  media,
  request: (type, data) => client.request(type, data),
  tones,
  play: playRemote,
  liveCalls: () => liveCalls(state),
  problem(id, words) {
    if (words) problems.set(id, words);
    else problems.delete(id);
    render();
  },
  render: () => render(),
  els,
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

/** The call as the host last reported it (the item's listeners outlive their call object). */
function callById(id) {
  return liveCalls(state).find((c) => c.id === id) ?? null;
}

/** Runs one in-call request with its button disabled until the host replies. */
async function inCall(id, what, build) {
  const b = busy.get(id) ?? {};
  if (b[what]) return null;
  busy.set(id, { ...b, [what]: true });
  render();
  const req = build();
  const reply = await client.request(req.type, req.data);
  const after = busy.get(id);
  if (after) busy.set(id, { ...after, [what]: false });
  if (reply.ok) problems.delete(id);
  else problems.set(id, errorWords(reply.error));
  render();
  return reply;
}

function toggleMute(id) {
  const call = callById(id);
  if (!call) return;
  if (extras.inConference(id)) extras.toggleMute();
  else inCall(id, 'mute', () => mute(id, call.muted !== true));
}

function toggleHold(id) {
  const call = callById(id);
  if (!call) return;
  // Hold on a merged call holds the whole conference (and Resume resumes it).
  const on = call.held !== true;
  for (const target of extras.holdIds(id)) inCall(target, 'hold', () => hold(target, on));
}

/** A keypad key: its tone here at once, the key to the PBX through the host (in order). */
function sendKey(id, key) {
  tones.keyTone(key);
  const keys = `${sentKeys.get(id) ?? ''}${key}`.slice(-24);
  sentKeys.set(id, keys);
  render();
  const req = dtmf(id, key);
  client.request(req.type, req.data).then((reply) => {
    if (!reply.ok) {
      problems.set(id, errorWords(reply.error));
      render();
    }
  });
}

async function submitTransfer(id, li) {
  const input = li.querySelector('.transfer-target');
  const checked = validateNumber(input.value);
  if (!checked.ok) {
    problems.set(id, checked.error);
    render();
    input.focus();
    return;
  }
  await inCall(id, 'transfer', () => transfer(id, checked.number));
}

/** Shows or hides one of a call's panels (keypad, transfer) behind its toggle button. */
function togglePanel(li, panelClass, buttonClass, focusClass) {
  const panel = li.querySelector(panelClass);
  const button = li.querySelector(buttonClass);
  panel.hidden = !panel.hidden;
  button.setAttribute('aria-expanded', String(!panel.hidden));
  if (!panel.hidden) li.querySelector(focusClass)?.focus();
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
  const controls = ['.mute', '.hold', '.keypad-toggle', '.transfer-toggle', '.record', '.split'].map((c) => li.querySelector(c));
  for (const b of [hangupButton, answerButton, declineButton, ...controls]) b.setAttribute('aria-describedby', described);
  hangupButton.addEventListener('click', () => { send(call, hangup); });
  answerButton.addEventListener('click', () => { answerCall(call); });
  declineButton.addEventListener('click', () => { declineCall(call); });
  li.querySelector('.mute').addEventListener('click', () => { toggleMute(call.id); });
  li.querySelector('.hold').addEventListener('click', () => { toggleHold(call.id); });
  li.querySelector('.record').addEventListener('click', () => { extras.toggleRecord(call.id); });
  li.querySelector('.split').addEventListener('click', () => { extras.split(call.id); });
  li.querySelector('.keypad-toggle').addEventListener('click', () => { togglePanel(li, '.keypad', '.keypad-toggle', '.key'); });
  li.querySelector('.transfer-toggle').addEventListener('click', () => {
    togglePanel(li, '.transfer-form', '.transfer-toggle', '.transfer-target');
  });
  for (const key of li.querySelectorAll('.key')) {
    key.addEventListener('click', () => { sendKey(call.id, key.dataset.key); });
  }
  li.querySelector('.transfer-other').addEventListener('click', () => {
    const partner = attendedPartner(callById(call.id), liveCalls(state));
    if (partner) inCall(call.id, 'transfer', () => transferTo(call.id, partner.id));
  });
  li.querySelector('.transfer-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    submitTransfer(call.id, li);
  });
  items.set(call.id, li);
  els.calls.append(li);
  return li;
}

/** The host ended the phone (no Dialer/PBX session): the background removes the window too. */
function closeWindow() {
  closing.hide();
  extras.close();
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
  const title = want.ring ? t('softphoneTitleRinging') : t('extName');
  if (document.title !== title) document.title = title;
}

function isTextField(el) {
  return ['INPUT', 'TEXTAREA', 'SELECT'].includes(el?.tagName) || el?.isContentEditable === true;
}

function isControl(el) {
  return ['BUTTON', 'INPUT', 'TEXTAREA', 'SELECT', 'A'].includes(el?.tagName) || el?.isContentEditable === true;
}

/** True when the focus is nowhere in particular (a key press then belongs to the window). */
function focusIsFree() {
  const a = document.activeElement;
  return !a || a === document.body || a === document.documentElement;
}

/** Mute, Hold, Keypad and Transfer of a connected call. */
function renderControls(li, call) {
  // In a conference, Mute is the mix's microphone for every party.
  const shown = extras.inConference(call.id) ? { ...call, muted: extras.micMuted } : call;
  const c = callControls(shown, busy.get(call.id));
  li.querySelector('.call-controls').hidden = !c.show;
  const muteButton = li.querySelector('.mute');
  setText(muteButton, c.muteLabel);
  muteButton.setAttribute('aria-pressed', String(c.muted));
  muteButton.disabled = c.muteDisabled;
  const holdButton = li.querySelector('.hold');
  setText(holdButton, c.holdLabel);
  holdButton.setAttribute('aria-pressed', String(c.held));
  holdButton.disabled = c.holdDisabled;
  li.querySelector('.transfer-toggle').disabled = c.transferDisabled;
  li.querySelector('.transfer-go').disabled = c.transferDisabled;
  // Attended: with another call connected, join the two parties.
  const partner = attendedPartner(call, liveCalls(state));
  const other = li.querySelector('.transfer-other');
  other.hidden = partner === null;
  other.disabled = c.transferDisabled;
  setText(other, partner ? t('softphoneTransferToCall', callerWords(partner)) : '');
  const note = li.querySelector('.call-note');
  const noteText = call.transferred_by ? t('callTransferredBy', String(call.transferred_by)) : '';
  setText(note, noteText);
  note.hidden = noteText === '';
  if (!c.show) {
    for (const [panel, toggle] of [['.keypad', '.keypad-toggle'], ['.transfer-form', '.transfer-toggle']]) {
      li.querySelector(panel).hidden = true;
      li.querySelector(toggle).setAttribute('aria-expanded', 'false');
    }
  }
  const keys = sentKeys.get(call.id) ?? '';
  setText(li.querySelector('.keypad-sent'), keys ? t('softphoneKeysSent', keys) : '');
  extras.renderCall(li, call);
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
      busy.delete(id);
      sentKeys.delete(id);
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
    renderControls(li, call);
    if (!ringing && hadFocus) hangupButton.focus();
  }
  els.noCalls.hidden = calls.length > 0;
  const ended = calls.length === 0 ? state.lastEnded : null;
  setText(els.lastCall, ended ? t('callLine', callPartyWords(ended), callStateWords(ended, now)) : '');
  setText(els.callAnnounce, callAnnouncement(calls.at(-1) ?? ended));
  const recordingNow = extras.renderWindow(now);

  updateTones();

  const ticking = countdown || recordingNow || calls.some((c) => c.state === CALL_STATE.CONNECTED);
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
// Digits, * and # typed outside a text field are DTMF keys for the connected call.
document.addEventListener('keydown', (ev) => {
  if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.defaultPrevented) return;
  const key = keypadKeyOf(ev.key);
  if (key && !isTextField(ev.target)) {
    // Typed keys go to the newest connected call that is not on hold, as DTMF.
    const talking = liveCalls(state).filter((c) => c.state === CALL_STATE.CONNECTED && !c.held).at(-1);
    if (talking) {
      ev.preventDefault();
      sendKey(talking.id, key);
    }
    return;
  }
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
  extras.close();
  tones.close();
  media.closeAll();
  client.close();
});

client.start();
render();
