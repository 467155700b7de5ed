// The popup: renders the state the background holds (delivered when the port connects,
// so it shows at once) and sends dial/hangup/answer/decline and the Do-not-disturb switch
// through the background. It never touches the microphone (Chromium cannot prompt for it
// in a popup): an answered call's audio is in the softphone window. Bound to a
// Dialer/PBX without a session, it says so, offers to open the Dialer/PBX and cannot
// dial; during the close-soon warning it shows the warning and its countdown too.
// The recent calls are the host's call history (lib/recentcalls.js), read through the
// background when the popup opens and when a call ends; storage.session keeps the list
// last shown, so it is there at once. The history section (search, "Missed only", call
// back, copy) is popup/historyview.js; the first line (name and registration in a few
// words) is lib/accountline.js.

import { browser } from '../lib/browser.js';
import {
  MSG, PAGE, STATUS, dial, hangup, answer, decline, setStatus,
} from '../lib/protocol.js';
import { PageClient } from '../lib/pageclient.js';
import {
  initialState, applyEvent, liveCalls, needsSession, isRingingIncoming, ringingCalls, statusOf, accountById,
} from '../lib/state.js';
import { RecentCalls } from '../lib/recentcalls.js';
import { HISTORY_FETCH } from '../lib/historyfilter.js';
import { accountLine } from '../lib/accountline.js';
import { HistoryView } from './historyview.js';
import {
  normalizeInput, validateNumber, appendKey, deleteLast, isDialChar, longPressKey, LONG_PRESS_MS,
} from '../lib/dialpad.js';
import {
  callStateWords, callerWords, callAnnouncement, registrationIsProblem, errorWords, hostWords,
  voicemailWords,
  dialerUrl,
} from '../lib/callview.js';
import { ClosingWarning } from '../lib/closingwarning.js';
import { mountHostSetup } from '../lib/hostsetup.js';
import { mountLamps } from '../lib/lamps.js';
import { t, localizePage } from '../lib/i18n.js';

// The page's own words first (data-i18n*), before anything renders or focuses.
localizePage(document.documentElement);

const $ = (id) => document.getElementById(id);
const els = {
  hostProblem: $('host-problem'),
  registration: $('registration'),
  accountName: $('account-name'),
  accountSep: $('account-sep'),
  accountState: $('account-state'),
  voicemail: $('voicemail'),
  accountRow: $('account-row'),
  account: $('account'),
  form: $('dial-form'),
  number: $('number'),
  del: $('delete'),
  dialError: $('dial-error'),
  dialpad: $('dialpad'),
  dial: $('dial'),
  hangup: $('hangup'),
  answer: $('answer'),
  decline: $('decline'),
  dnd: $('dnd'),
  callState: $('call-state'),
  callAnnounce: $('call-announce'),
  noSession: $('no-session'),
  openDialer: $('open-dialer'),
  noSessionLogin: $('no-session-login'),
  statusRow: $('status-row'),
  recentSection: $('recent-section'),
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
let dndAsked = null; // the status a set_status on its way asks for
const pending = new Set(); // calls with an answer/decline on its way

/** The incoming call that rings (the newest), or null. */
function ringingCall() {
  return ringingCalls(state).at(-1) ?? null;
}

/** The call End call ends: the newest live call that is not ringing in. */
function activeCall() {
  return liveCalls(state).filter((c) => !isRingingIncoming(c)).at(-1) ?? null;
}

const client = new PageClient({
  connect: () => browser.runtime.connect({ name: PAGE.POPUP }),
  onMessage(msg) {
    if (msg.type === MSG.HOST) hostStatus = msg.data;
    if (msg.type === MSG.ERROR && !msg.data?.call_id) showDialError(errorWords(msg.data));
    state = applyEvent(state, msg);
    render();
    recent.onMessage(msg);
  },
});

// Not installed: the steps for this OS and browser instead of a dialpad that cannot dial.
const setup = mountHostSetup({
  doc: document,
  runtime: browser.runtime,
  onCheck: () => { client.request(MSG.HOST_CHECK).catch(() => {}); },
  render: () => render(),
});

// Busy lamps: a click dials the colleague, or the pickup code for a ringing one.
const lamps = mountLamps({
  doc: document,
  section: $('lamps-section'),
  list: $('lamps'),
  onDial: (number) => {
    setNumber(number);
    dialNow();
  },
});

const recent = new RecentCalls({
  request: (type, data) => client.request(type, data),
  cache: browser.storage?.session ?? null,
  max: HISTORY_FETCH,
  onChange: () => { historyView.render(); },
});

const historyView = new HistoryView({
  doc: document,
  list: () => recent.list,
  onCall: (number) => {
    setNumber(number);
    dialNow();
  },
});

/** The first line: the account's name and its registration in a few words. */
function showRegistration(name, status, full) {
  setText(els.accountName, name);
  setText(els.accountSep, name !== '' && status !== '' ? ' · ' : '');
  setText(els.accountState, status);
  els.registration.classList.toggle('has-name', name !== '');
  els.registration.hidden = name === '' && status === '';
  if (full) els.registration.title = full;
  else els.registration.removeAttribute('title');
}

function render() {
  const hostLine = hostWords(hostStatus, state.snapshot);
  setText(els.hostProblem, hostLine);
  els.hostProblem.hidden = hostLine === '';
  const installing = setup.update(hostStatus);
  for (const el of [els.statusRow, els.form, els.callState, els.recentSection]) el.hidden = installing;

  closing.update(state);
  const noSession = needsSession(state);
  const url = noSession ? dialerUrl(state.session) : null;
  els.noSession.hidden = !noSession;
  els.openDialer.hidden = url === null;
  els.noSessionLogin.hidden = url !== null;

  renderAccounts();
  let vm = '';
  if (noSession) {
    showRegistration('', '', ''); // nothing registers without a session: no problem to show
    els.registration.classList.remove('is-problem');
  } else if (state.snapshot) {
    const account = accountById(state, els.account.value);
    const line = accountLine(account);
    showRegistration(line.name, line.status, line.full);
    els.registration.classList.toggle('is-problem', registrationIsProblem(account));
    vm = voicemailWords(account);
  } else {
    showRegistration('', !hostStatus || hostStatus.connecting ? t('popupStarting') : '', '');
    els.registration.classList.remove('is-problem');
  }
  setText(els.voicemail, vm);
  els.voicemail.hidden = vm === '';
  lamps.update(installing || noSession ? null : accountById(state, els.account.value), !dialing);

  const ringing = ringingCall();
  const call = activeCall();
  const now = Date.now();
  const shown = ringing ?? call ?? state.lastEnded;
  setText(els.callState, shown ? t('callLine', callerWords(shown), callStateWords(shown, now)) : '');
  setText(els.callAnnounce, callAnnouncement(shown));
  const hadFocus = [els.hangup, els.answer, els.decline].includes(document.activeElement);
  els.hangup.hidden = !call;
  els.answer.hidden = !ringing;
  els.decline.hidden = !ringing;
  els.answer.disabled = Boolean(ringing && pending.has(ringing.id));
  els.decline.disabled = els.answer.disabled;
  els.dial.hidden = Boolean(ringing);
  if (hadFocus && document.activeElement.hidden) (call ? els.hangup : els.number).focus();
  els.dial.disabled = dialing || noSession;

  const status = dndAsked ?? statusOf(state);
  els.dnd.setAttribute('aria-checked', String(status === STATUS.DND));
  // Not disabled while a change is on its way (that would drop the keyboard focus);
  // toggleDnd ignores clicks until the host answered.
  els.dnd.disabled = statusOf(state) === null;
  els.dnd.setAttribute('aria-busy', String(dndAsked !== null));

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

/** The account picker, shown with several accounts; the choice stays while they do. */
function renderAccounts() {
  const accounts = state.snapshot?.accounts ?? [];
  els.accountRow.hidden = accounts.length < 2;
  const ids = accounts.map((a) => a.id);
  const shown = [...els.account.querySelectorAll('option')].map((o) => o.value);
  if (ids.join('\n') === shown.join('\n')) return;
  const keep = els.account.value;
  els.account.replaceChildren(...accounts.map((a) => {
    const o = document.createElement('option');
    o.value = a.id;
    o.textContent = `${a.user}@${a.domain}`;
    return o;
  }));
  els.account.value = ids.includes(keep) ? keep : (ids[0] ?? '');
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
  const accounts = state.snapshot?.accounts ?? [];
  const from = accounts.length > 1 ? els.account.value : '';
  const req = dial(checked.number, from || undefined);
  const reply = await client.request(req.type, req.data);
  dialing = false;
  if (!reply.ok) showDialError(errorWords(reply.error));
  render();
}

async function hangupNow() {
  const call = activeCall();
  if (!call) return;
  const req = hangup(call.id);
  const reply = await client.request(req.type, req.data);
  if (!reply.ok) showDialError(errorWords(reply.error));
}

/** Answer or Decline the ringing call (build: answer or decline). */
async function pickUp(build) {
  const call = ringingCall();
  if (!call || pending.has(call.id)) return;
  pending.add(call.id);
  render();
  const req = build(call.id);
  const reply = await client.request(req.type, req.data);
  pending.delete(call.id);
  if (!reply.ok) showDialError(errorWords(reply.error));
  render();
}

/** The Do not disturb switch: asks the host; the host's state is what the switch shows. */
async function toggleDnd() {
  const current = statusOf(state);
  if (current === null || dndAsked !== null) return;
  const next = current === STATUS.DND ? STATUS.AVAILABLE : STATUS.DND;
  dndAsked = next;
  render();
  const req = setStatus(next);
  const reply = await client.request(req.type, req.data);
  dndAsked = null;
  if (!reply.ok) {
    showDialError(errorWords(reply.error));
  } else if (state.snapshot && statusOf(state) !== next) {
    // The host sends its state before the reply; this covers a state that got lost.
    state = { ...state, snapshot: { ...state.snapshot, status: next } };
  }
  render();
}

els.form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  // While a call rings, Enter with nothing typed answers it (Dial is hidden then).
  if (ringingCall() && els.number.value.trim() === '') {
    pickUp(answer);
    return;
  }
  dialNow();
});

els.hangup.addEventListener('click', () => { hangupNow(); });
els.answer.addEventListener('click', () => { pickUp(answer); });
els.decline.addEventListener('click', () => { pickUp(decline); });
els.dnd.addEventListener('click', () => { toggleDnd(); });

els.openDialer.addEventListener('click', async () => {
  const url = dialerUrl(state.session);
  if (!url) return;
  try {
    await browser.tabs.create({ url });
    window.close();
  } catch (e) {
    showDialError(t('popupOpenDialerFailed', e?.message ?? e));
  }
});

els.account.addEventListener('change', () => { render(); });

els.del.addEventListener('click', () => {
  setNumber(deleteLast(els.number.value));
  els.number.focus();
});

// Holding 0 types "+"; the click that ends the press then types nothing.
let longPress = null; // {timer, fired}
els.dialpad.addEventListener('pointerdown', (ev) => {
  const alt = longPressKey(ev.target.closest?.('button[data-key]')?.dataset.key);
  if (!alt) return;
  const press = { fired: false, timer: null };
  press.timer = setTimeout(() => {
    press.fired = true;
    setNumber(appendKey(els.number.value, alt));
  }, LONG_PRESS_MS);
  longPress = press;
});
for (const type of ['pointerup', 'pointerleave', 'pointercancel']) {
  els.dialpad.addEventListener(type, () => {
    if (longPress && !longPress.fired) {
      clearTimeout(longPress.timer);
      longPress = null;
    }
  });
}

els.dialpad.addEventListener('click', (ev) => {
  if (longPress?.fired) {
    longPress = null;
    return;
  }
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
    if (ringingCall()) {
      ev.preventDefault();
      pickUp(decline);
    } else if (activeCall()) {
      ev.preventDefault();
      hangupNow();
    }
    return;
  }
  // The number and the history's search box take their own typing.
  if (ev.target === els.number || ['INPUT', 'SELECT', 'TEXTAREA'].includes(ev.target?.tagName) || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  // Typing anywhere in the popup goes to the number.
  if (ev.key.length === 1 && isDialChar(ev.key)) {
    ev.preventDefault();
    setNumber(appendKey(els.number.value, ev.key));
  } else if (ev.key === 'Backspace') {
    ev.preventDefault();
    setNumber(deleteLast(els.number.value));
  }
});

recent.load();
client.start();
render();
historyView.render();
