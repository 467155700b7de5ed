// The softphone window: shows each live call with its own "End call" button and holds
// the calls' audio (lib/callmedia.js). It is the only page that opens the microphone.
// When the Dialer/PBX session ends it shows the host's close-soon warning with a
// countdown, and closes itself on the host's `close`.

import { browser } from '../lib/browser.js';
import { MSG, PAGE, CALL_STATE, hangup, webrtcOffer } from '../lib/protocol.js';
import { PageClient } from '../lib/pageclient.js';
import { initialState, applyEvent, liveCalls, mainAccount } from '../lib/state.js';
import {
  callStateWords, callPartyWords, callAnnouncement, registrationWords, registrationIsProblem, errorWords, hostWords,
} from '../lib/callview.js';
import { CallMedia } from '../lib/callmedia.js';
import { ClosingWarning } from '../lib/closingwarning.js';

const $ = (id) => document.getElementById(id);
const els = {
  hostProblem: $('host-problem'),
  registration: $('registration'),
  soundBlocked: $('sound-blocked'),
  enableSound: $('enable-sound'),
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
const problems = new Map(); // call id → words
const items = new Map(); // call id → <li>
let itemCount = 0;

/** Sets text only when it changes, so live regions do not repeat themselves. */
function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

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
  getUserMedia: (c) => navigator.mediaDevices.getUserMedia(c),
  RTCPeerConnection: globalThis.RTCPeerConnection,
  MediaStream: globalThis.MediaStream,
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

function playRemote(stream) {
  els.audio.srcObject = stream;
  if (!stream) return;
  els.audio.play().then(
    () => { els.soundBlocked.hidden = true; },
    (e) => { if (e?.name === 'NotAllowedError') els.soundBlocked.hidden = false; },
  );
}

els.enableSound.addEventListener('click', () => {
  els.audio.play().then(() => { els.soundBlocked.hidden = true; }, () => {});
});

function callItem(call) {
  let li = items.get(call.id);
  if (li) return li;
  li = els.template.content.firstElementChild.cloneNode(true);
  const numberId = `call-number-${++itemCount}`;
  li.dataset.callId = call.id;
  li.querySelector('.call-number').id = numberId;
  const button = li.querySelector('.hangup');
  button.setAttribute('aria-describedby', numberId);
  button.addEventListener('click', async () => {
    const req = hangup(call.id);
    const reply = await client.request(req.type, req.data);
    if (!reply.ok) {
      problems.set(call.id, errorWords(reply.error));
      render();
    }
  });
  items.set(call.id, li);
  els.calls.append(li);
  return li;
}

/** The host ended the phone (no Dialer/PBX session): the background removes the window too. */
function closeWindow() {
  closing.hide();
  media.closeAll();
  client.close();
  window.close();
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
  for (const call of calls) {
    const li = callItem(call);
    setText(li.querySelector('.call-number'), callPartyWords(call));
    setText(li.querySelector('.call-state'), callStateWords(call, now));
    setText(li.querySelector('.call-problem'), problems.get(call.id) ?? '');
    li.classList.toggle('is-connected', call.state === CALL_STATE.CONNECTED);
  }
  els.noCalls.hidden = calls.length > 0;
  const ended = calls.length === 0 ? state.lastEnded : null;
  setText(els.lastCall, ended ? `${callPartyWords(ended)} · ${callStateWords(ended, now)}` : '');
  setText(els.callAnnounce, callAnnouncement(calls.at(-1) ?? ended));

  const ticking = calls.some((c) => c.state === CALL_STATE.CONNECTED);
  if (ticking && timer === null) timer = setInterval(render, 1000);
  if (!ticking && timer !== null) {
    clearInterval(timer);
    timer = null;
  }
}

// Closing the window ends this page's media; the host notices the browser leg is gone.
window.addEventListener('pagehide', () => {
  media.closeAll();
  client.close();
});

client.start();
render();
