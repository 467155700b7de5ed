// The popup: renders the state the background holds (delivered when the port connects,
// so it shows at once) and sends dial/hangup through the background. It never touches
// the microphone (Chromium cannot prompt for it in a popup). Bound to a Dialer/PBX
// without a session, it says so, offers to open the Dialer/PBX and cannot dial; during
// the close-soon warning it shows the warning and its countdown too.

import { browser } from '../lib/browser.js';
import { MSG, PAGE, dial, hangup } from '../lib/protocol.js';
import { PageClient } from '../lib/pageclient.js';
import {
  initialState, applyEvent, currentCall, mainAccount, needsSession,
} from '../lib/state.js';
import {
  normalizeInput, validateNumber, appendKey, deleteLast, isDialChar,
} from '../lib/dialpad.js';
import {
  callStateWords, callPartyWords, callAnnouncement, registrationWords, registrationIsProblem, errorWords, hostWords,
  dialerUrl,
} from '../lib/callview.js';
import { ClosingWarning } from '../lib/closingwarning.js';

const $ = (id) => document.getElementById(id);
const els = {
  hostProblem: $('host-problem'),
  registration: $('registration'),
  form: $('dial-form'),
  number: $('number'),
  del: $('delete'),
  dialError: $('dial-error'),
  dialpad: $('dialpad'),
  dial: $('dial'),
  hangup: $('hangup'),
  callState: $('call-state'),
  callAnnounce: $('call-announce'),
  noSession: $('no-session'),
  openDialer: $('open-dialer'),
  noSessionLogin: $('no-session-login'),
};

const closing = new ClosingWarning({
  box: $('closing-warning'),
  message: $('closing-message'),
  countdown: $('closing-countdown'),
});

/** Sets text only when it changes, so live regions do not repeat themselves. */
function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

let state = initialState();
let hostStatus = null;
let dialing = false;
let timer = null;

const client = new PageClient({
  connect: () => browser.runtime.connect({ name: PAGE.POPUP }),
  onMessage(msg) {
    if (msg.type === MSG.HOST) hostStatus = msg.data;
    if (msg.type === MSG.ERROR && !msg.data?.call_id) showDialError(errorWords(msg.data));
    state = applyEvent(state, msg);
    render();
  },
});

function render() {
  const hostLine = hostWords(hostStatus, state.snapshot);
  setText(els.hostProblem, hostLine);
  els.hostProblem.hidden = hostLine === '';

  closing.update(state);
  const noSession = needsSession(state);
  const url = noSession ? dialerUrl(state.session) : null;
  els.noSession.hidden = !noSession;
  els.openDialer.hidden = url === null;
  els.noSessionLogin.hidden = url !== null;

  if (noSession) {
    setText(els.registration, ''); // nothing registers without a session: no problem to show
    els.registration.classList.remove('is-problem');
  } else if (state.snapshot) {
    const account = mainAccount(state);
    setText(els.registration, registrationWords(account));
    els.registration.classList.toggle('is-problem', registrationIsProblem(account));
  } else {
    setText(els.registration, !hostStatus || hostStatus.connecting ? 'Starting the phone…' : '');
    els.registration.classList.remove('is-problem');
  }

  const call = currentCall(state);
  const now = Date.now();
  const shown = call ?? state.lastEnded;
  setText(els.callState, shown ? `${callPartyWords(shown)} · ${callStateWords(shown, now)}` : '');
  setText(els.callAnnounce, callAnnouncement(shown));
  const hadFocus = document.activeElement === els.hangup;
  els.hangup.hidden = !call;
  if (hadFocus && !call) els.number.focus();
  els.dial.disabled = dialing || noSession;

  // Tick the call timer only while a call is connected.
  const ticking = call?.state === 'connected';
  if (ticking && timer === null) timer = setInterval(render, 1000);
  if (!ticking && timer !== null) {
    clearInterval(timer);
    timer = null;
  }
}

function showDialError(words) {
  setText(els.dialError, words);
}

function setNumber(value) {
  els.number.value = value;
  showDialError('');
}

async function dialNow() {
  if (dialing || needsSession(state)) return;
  const checked = validateNumber(els.number.value);
  if (!checked.ok) {
    showDialError(checked.error);
    els.number.focus();
    return;
  }
  showDialError('');
  dialing = true;
  render();
  const req = dial(checked.number);
  const reply = await client.request(req.type, req.data);
  dialing = false;
  if (!reply.ok) showDialError(errorWords(reply.error));
  render();
}

async function hangupNow() {
  const call = currentCall(state);
  if (!call) return;
  const req = hangup(call.id);
  const reply = await client.request(req.type, req.data);
  if (!reply.ok) showDialError(errorWords(reply.error));
}

els.form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  dialNow();
});

els.hangup.addEventListener('click', () => { hangupNow(); });

els.openDialer.addEventListener('click', async () => {
  const url = dialerUrl(state.session);
  if (!url) return;
  try {
    await browser.tabs.create({ url });
    window.close();
  } catch (e) {
    showDialError(`The Dialer/PBX could not be opened: ${e?.message ?? e}`);
  }
});

els.del.addEventListener('click', () => {
  setNumber(deleteLast(els.number.value));
  els.number.focus();
});

els.dialpad.addEventListener('click', (ev) => {
  const key = ev.target.closest('button[data-key]')?.dataset.key;
  if (!key) return;
  setNumber(appendKey(els.number.value, key));
  // After a mouse click, give the field the focus back so Enter dials; a keyboard user
  // (detail 0) stays on the key.
  if (ev.detail > 0) els.number.focus();
});

els.number.addEventListener('input', () => {
  const n = normalizeInput(els.number.value);
  if (n !== els.number.value) els.number.value = n;
  showDialError('');
});

els.number.addEventListener('paste', (ev) => {
  const text = ev.clipboardData?.getData('text/plain');
  if (typeof text !== 'string') return;
  ev.preventDefault();
  const { value, selectionStart, selectionEnd } = els.number;
  const start = selectionStart ?? value.length;
  const end = selectionEnd ?? value.length;
  setNumber(normalizeInput(value.slice(0, start) + text + value.slice(end)));
});

document.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape') {
    if (currentCall(state)) {
      ev.preventDefault();
      hangupNow();
    }
    return;
  }
  if (ev.target === els.number || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  // Typing anywhere in the popup goes to the number.
  if (ev.key.length === 1 && isDialChar(ev.key)) {
    ev.preventDefault();
    setNumber(appendKey(els.number.value, ev.key));
  } else if (ev.key === 'Backspace') {
    ev.preventDefault();
    setNumber(deleteLast(els.number.value));
  }
});

client.start();
render();
