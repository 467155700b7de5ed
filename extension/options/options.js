// The options page: the SIP account and the Dialer/PBX sites, read from the host with
// config_get and saved with config_set through the background (the password only when
// a new one was typed; lib/optionsform.js checks the form first), the registration the
// host reports afterwards, and the settings the extension keeps itself in storage.local
// (open the softphone with the Dialer/PBX, ringtone volume, microphone and speaker).
// It is a normal tab, so it is where the user allows the microphone: Chromium shows no
// permission prompt in the toolbar popup.

import { browser } from '../lib/browser.js';
import { t, localizePage } from '../lib/i18n.js';
import {
  MSG, PAGE, REGISTRATION, configGet, configSet,
} from '../lib/protocol.js';
import { PageClient } from '../lib/pageclient.js';
import {
  initialState, applyEvent, mainAccount, needsSession, statusOf,
} from '../lib/state.js';
import {
  registrationWords, registrationIsProblem, errorWords, hostWords,
} from '../lib/callview.js';
import {
  CODECS, TRANSPORTS, SRTP_MODES, TLS_TRANSPORTS, WS_TRANSPORTS, DND_CODES, WORDS, configToForm, emptySiteForm, siteIsEmpty, moveCodec, matchFromUrl,
  formToConfig, errorSummary, permissionsFor, watchesCookies,
} from '../lib/optionsform.js';
import {
  OPEN_WITH_SESSION_KEY, RING_VOLUME_KEY, RINGTONE_KEY, MIC_DEVICE_KEY, SPEAKER_DEVICE_KEY, WELCOME_KEY,
  readLocalSettings, normalizeVolume,
} from '../lib/localsettings.js';
import {
  DEVICE_KIND, MicMeter, deviceChoices, micConstraints, micBlockedWords, micPermissionWords, micAllowedWords,
  micNamesShown,
} from '../lib/audiodevices.js';
import { TonePlayer, RINGTONES, normalizeRingtone } from '../lib/tones.js';
import {
  CLICK_TO_CALL_KEY, readClickToCallSettings, normalizeRegion, clickToCallPermissions, needsContentScript,
} from '../lib/clicktocallsettings.js';

// The page's own words first (data-i18n*, templates included), before anything renders.
localizePage(document.documentElement);

const $ = (id) => document.getElementById(id);
const els = {
  welcome: $('welcome'),
  hostProblem: $('host-problem'),
  loadStatus: $('load-status'),
  form: $('options-form'),
  displayName: $('display-name'),
  user: $('user'),
  authUser: $('auth-user'),
  password: $('password'),
  domain: $('domain'),
  registrar: $('registrar'),
  outboundProxy: $('outbound-proxy'),
  transport: $('transport'),
  srtp: $('srtp'),
  tlsCaFile: $('tls-ca-file'),
  tlsCaField: $('tls-ca-field'),
  wsPath: $('ws-path'),
  wsPathField: $('ws-path-field'),
  codecs: $('codecs'),
  codecTemplate: $('codec-template'),
  autoAnswer: $('auto-answer'),
  autoAnswerSeconds: $('auto-answer-seconds'),
  autoAnswerFromPbx: $('auto-answer-from-pbx'),
  mwi: $('mwi'),
  acceptRefer: $('accept-refer'),
  dndCode: $('dnd-code'),
  region: $('region'),
  sites: $('sites'),
  siteTemplate: $('site-template'),
  addSite: $('add-site'),
  closeWithoutSession: $('close-without-session'),
  save: $('save'),
  testRegistration: $('test-registration'),
  saveStatus: $('save-status'),
  registrationResult: $('registration-result'),
  allowMic: $('allow-mic'),
  micStatus: $('mic-status'),
  micDevice: $('mic-device'),
  micLevel: $('mic-level'),
  speakerDevice: $('speaker-device'),
  speakerNote: $('speaker-note'),
  openWithSession: $('open-with-session'),
  ringtone: $('ringtone'),
  ringVolume: $('ring-volume'),
  ringVolumeValue: $('ring-volume-value'),
  playRingtone: $('play-ringtone'),
  ctcLinks: $('ctc-links'),
  ctcDetect: $('ctc-detect'),
  ctcRegion: $('ctc-region'),
  ctcRegionError: $('ctc-region-error'),
  ctcStatus: $('ctc-status'),
};

/** Form fields of the account by their key in lib/optionsform.js. */
const ACCOUNT_FIELDS = {
  displayName: els.displayName,
  user: els.user,
  authUser: els.authUser,
  password: els.password,
  domain: els.domain,
  registrar: els.registrar,
  outboundProxy: els.outboundProxy,
  transport: els.transport,
  srtp: els.srtp,
  tlsCaFile: els.tlsCaFile,
  wsPath: els.wsPath,
  codecs: els.codecs,
  autoAnswerSeconds: els.autoAnswerSeconds,
  dndCode: els.dndCode,
  region: els.region,
};
/** Class names of a site row's inputs by their key. */
const SITE_FIELDS = { url: 'site-url', match: 'site-match', login: 'site-login', sessionCookie: 'site-cookie' };
const SITE_FIELD_ERROR_KEYS = Object.keys(SITE_FIELDS);

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

let state = initialState();
let hostStatus = null;
let loaded = null; // the config as config_get / config_set returned it
let accounts = []; // the form's accounts; the page edits the first one
let codecs = []; // the first account's codec list, in order
let dirty = false; // the user changed the form since it was filled
let loading = false;
let saving = false;
let localSettings = null;
let siteCount = 0;

const client = new PageClient({
  connect: () => browser.runtime.connect({ name: PAGE.OPTIONS }),
  onMessage(msg) {
    if (msg.type === MSG.HOST) {
      hostStatus = msg.data;
      // The host came (back): read the settings if they could not be read before.
      if (msg.data?.connected && loaded === null) load();
    }
    state = applyEvent(state, msg);
    render();
  },
});

// ---- The form ----

function option(value, label, { disabled = false } = {}) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = label;
  if (disabled) o.disabled = true;
  return o;
}

function fillSelect(select, choices, value) {
  select.textContent = '';
  for (const c of choices) select.append(option(c.value, c.label, c));
  select.value = value;
}

fillSelect(els.transport, TRANSPORTS.map((tr) => ({ value: tr.value, label: tr.label, disabled: !tr.available })), 'udp');
fillSelect(els.srtp, SRTP_MODES.map((m) => ({ value: m.value, label: m.label })), 'auto');
fillSelect(els.dndCode, DND_CODES.map((d) => ({ value: String(d.code), label: d.label })), '486');

function codecLabel(name) {
  return CODECS.find((c) => c.name === name)?.label ?? name;
}

/** Renders the codec list; `focus` puts the focus back on a moved codec's button. */
function renderCodecs(focus = null) {
  els.codecs.textContent = '';
  codecs.forEach((c, i) => {
    const li = els.codecTemplate.content.firstElementChild.cloneNode(true);
    const box = li.querySelector('.codec-enabled');
    const label = li.querySelector('.codec-label');
    const up = li.querySelector('.codec-up');
    const down = li.querySelector('.codec-down');
    const name = codecLabel(c.name);
    box.id = `codec-${c.name}`;
    box.checked = c.enabled;
    box.dataset.codec = c.name;
    label.setAttribute('for', box.id);
    label.textContent = name;
    up.setAttribute('aria-label', t('optionsCodecMoveUp', name));
    down.setAttribute('aria-label', t('optionsCodecMoveDown', name));
    up.dataset.codec = c.name;
    down.dataset.codec = c.name;
    up.disabled = i === 0;
    down.disabled = i === codecs.length - 1;
    li.dataset.codec = c.name;
    els.codecs.append(li);
    if (focus?.name === c.name) {
      const target = focus.up ? up : down;
      (target.disabled ? (focus.up ? down : up) : target).focus();
    }
  });
}

els.codecs.addEventListener('click', (ev) => {
  const button = ev.target.closest('button');
  if (!button || button.disabled) return;
  const up = button.classList.contains('codec-up');
  const i = codecs.findIndex((c) => c.name === button.dataset.codec);
  if (i < 0) return;
  codecs = moveCodec(codecs, i, up ? -1 : 1);
  dirty = true;
  renderCodecs({ name: button.dataset.codec, up });
});

els.codecs.addEventListener('change', (ev) => {
  const name = ev.target.dataset?.codec;
  const c = codecs.find((x) => x.name === name);
  if (c) c.enabled = Boolean(ev.target.checked);
});

/** The empty password field says whether a password is stored (it is never shown). */
function passwordPlaceholder(set) {
  return set ? t('optionsPasswordSet') : t('optionsPasswordNotSet');
}

function fillAccount(a) {
  els.displayName.value = a.displayName;
  els.user.value = a.user;
  els.authUser.value = a.authUser;
  els.password.value = ''; // never prefilled
  els.password.setAttribute('placeholder', passwordPlaceholder(a.passwordSet));
  els.domain.value = a.domain;
  els.registrar.value = a.registrar;
  els.outboundProxy.value = a.outboundProxy;
  els.transport.value = a.transport;
  els.srtp.value = a.srtp;
  els.tlsCaFile.value = a.tlsCaFile;
  els.wsPath.value = a.wsPath;
  showTransportFields();
  codecs = a.codecs.map((c) => ({ ...c }));
  renderCodecs();
  els.autoAnswer.checked = a.autoAnswer;
  els.autoAnswerSeconds.value = a.autoAnswerSeconds;
  els.autoAnswerFromPbx.checked = a.autoAnswerFromPbx;
  els.mwi.checked = a.mwi;
  els.acceptRefer.checked = a.acceptRefer;
  els.dndCode.value = a.dndCode;
  els.region.value = a.region;
}

/**
 * Fields that matter for some transports only: the TLS CA file for TLS and WSS, the
 * WebSocket path for WS and WSS; shown for them (or when one is set).
 */
function showTransportFields() {
  const tr = els.transport.value;
  els.tlsCaField.hidden = !TLS_TRANSPORTS.includes(tr) && els.tlsCaFile.value.trim() === '';
  els.wsPathField.hidden = !WS_TRANSPORTS.includes(tr) && els.wsPath.value.trim() === '';
}
els.transport.addEventListener('change', showTransportFields);

function readAccount(base) {
  return {
    ...base,
    displayName: els.displayName.value,
    user: els.user.value,
    authUser: els.authUser.value,
    password: els.password.value,
    domain: els.domain.value,
    registrar: els.registrar.value,
    outboundProxy: els.outboundProxy.value,
    transport: els.transport.value,
    srtp: els.srtp.value,
    tlsCaFile: els.tlsCaFile.value,
    wsPath: els.wsPath.value,
    codecs: codecs.map((c) => ({ ...c })),
    autoAnswer: Boolean(els.autoAnswer.checked),
    autoAnswerSeconds: els.autoAnswerSeconds.value,
    autoAnswerFromPbx: Boolean(els.autoAnswerFromPbx.checked),
    mwi: Boolean(els.mwi.checked),
    acceptRefer: Boolean(els.acceptRefer.checked),
    dndCode: els.dndCode.value,
    region: els.region.value,
  };
}

function siteRows() {
  return [...els.sites.querySelectorAll('li.site')]; // a NodeList has no map/find/indexOf
}

function siteInput(li, key) {
  return li.querySelector(`.${SITE_FIELDS[key]}`);
}

function numberSites() {
  siteRows().forEach((li, i) => { setText(li.querySelector('.site-legend'), t('optionsSiteNumber', i + 1)); });
}

/** Adds a site row with these values; returns it. */
function addSiteRow(site) {
  const li = els.siteTemplate.content.firstElementChild.cloneNode(true);
  const n = ++siteCount;
  const legend = li.querySelector('.site-legend');
  legend.id = `site-legend-${n}`;
  for (const [key, cls] of Object.entries(SITE_FIELDS)) {
    const input = li.querySelector(`.${cls}`);
    const id = `${cls}-${n}`;
    input.id = id;
    li.querySelector(`.${cls}-label`).setAttribute('for', id);
    const hint = li.querySelector(`.${cls}-hint`);
    const error = li.querySelector(`.${cls}-error`);
    hint.id = `${id}-hint`;
    error.id = `${id}-error`;
    input.setAttribute('aria-describedby', `${hint.id} ${error.id}`);
    input.value = site[key] ?? '';
  }
  // A match pattern that is not the one the address suggests was written by hand: keep it.
  const match = site.match ?? '';
  li.dataset.matchEdited = String(match !== '' && match !== matchFromUrl(site.url ?? ''));
  li.querySelector('.site-remove').setAttribute('aria-describedby', legend.id);
  els.sites.append(li);
  numberSites();
  return li;
}

function fillSites(sites) {
  els.sites.textContent = '';
  for (const s of sites) addSiteRow(s);
  if (sites.length === 0) addSiteRow(emptySiteForm()); // always one row to fill in
}

function readSiteRow(li) {
  const s = {};
  for (const key of Object.keys(SITE_FIELDS)) s[key] = siteInput(li, key).value;
  return s;
}

function readSites() {
  return siteRows().map(readSiteRow);
}

els.sites.addEventListener('input', (ev) => {
  const li = ev.target.closest('li.site');
  if (!li) return;
  if (ev.target.classList.contains('site-url')) {
    // The match pattern follows the address until it is edited by hand.
    if (li.dataset.matchEdited !== 'true') siteInput(li, 'match').value = matchFromUrl(ev.target.value);
  } else if (ev.target.classList.contains('site-match')) {
    li.dataset.matchEdited = String(ev.target.value.trim() !== '');
  }
});

els.sites.addEventListener('click', (ev) => {
  const button = ev.target.closest('button.site-remove');
  if (!button) return;
  const li = button.closest('li.site');
  const rows = siteRows();
  const i = rows.indexOf(li);
  li.remove();
  dirty = true;
  if (siteRows().length === 0) addSiteRow(emptySiteForm());
  numberSites();
  const left = siteRows();
  (left[Math.min(i, left.length - 1)]?.querySelector('.site-remove') ?? els.addSite).focus();
});

els.addSite.addEventListener('click', () => {
  // An empty row is already there to fill in: go to it rather than add another.
  const empty = siteRows().find((li) => siteIsEmpty(readSiteRow(li)));
  const li = empty ?? addSiteRow(emptySiteForm());
  siteInput(li, 'url').focus();
});

function fillForm(form) {
  accounts = form.accounts.map((a) => ({ ...a }));
  fillAccount(accounts[0]);
  fillSites(form.sites);
  els.closeWithoutSession.checked = form.closeWithoutSession;
  clearErrors();
  dirty = false;
}

function readForm() {
  const [first, ...rest] = accounts.length > 0 ? accounts : configToForm({}).accounts;
  return {
    accounts: [readAccount(first), ...rest],
    sites: readSites(),
    closeWithoutSession: Boolean(els.closeWithoutSession.checked),
  };
}

els.form.addEventListener('input', () => { dirty = true; });
els.form.addEventListener('change', () => { dirty = true; });

// ---- Errors and status ----

function errorTarget(field) {
  const parts = String(field).split('.');
  if (parts[0] === 'accounts' && parts[1] === '0') {
    const el = ACCOUNT_FIELDS[parts[2]];
    return el ? { input: el, error: $(`${el.id}-error`) } : null;
  }
  if (parts[0] === 'sites' && SITE_FIELD_ERROR_KEYS.includes(parts[2])) {
    const li = siteRows()[Number(parts[1])];
    if (!li) return null;
    const input = siteInput(li, parts[2]);
    return { input, error: li.querySelector(`.${SITE_FIELDS[parts[2]]}-error`) };
  }
  return null;
}

function clearErrors() {
  for (const el of els.form.querySelectorAll('p.field-error')) {
    el.textContent = '';
    el.hidden = true;
  }
  for (const el of [...Object.values(ACCOUNT_FIELDS), ...els.sites.querySelectorAll('input')]) el.removeAttribute('aria-invalid');
}

function showErrors(errors) {
  let first = null;
  for (const e of errors) {
    const target = errorTarget(e.field);
    if (!target) continue;
    if (target.error) {
      const sentence = t('optionsProblem', e.message);
      target.error.textContent = target.error.textContent ? `${target.error.textContent} ${sentence}` : sentence;
      target.error.hidden = false;
    }
    target.input.setAttribute('aria-invalid', 'true');
    first ??= target.input;
  }
  if (first === els.codecs) first = els.codecs.querySelector('input') ?? els.codecs;
  first?.focus();
}

function setSaveStatus(words, problem = false) {
  setText(els.saveStatus, words);
  els.saveStatus.classList.toggle('is-problem', problem);
}

function setLoadStatus(words) {
  setText(els.loadStatus, words);
  els.loadStatus.hidden = words === '';
}

function showWelcome() {
  const noAccount = loaded !== null && (loaded.accounts ?? []).length === 0;
  els.welcome.hidden = !(localSettings?.showWelcome || noAccount);
}

function render() {
  const hostLine = hostWords(hostStatus, state.snapshot);
  setText(els.hostProblem, hostLine);
  els.hostProblem.hidden = hostLine === '';

  let words = '';
  let problem = false;
  let ok = false;
  if (needsSession(state)) {
    words = t('optionsWaitingForSession');
  } else if (state.snapshot) {
    const account = mainAccount(state);
    words = registrationWords(account);
    problem = registrationIsProblem(account);
    ok = account?.registration === REGISTRATION.REGISTERED;
  }
  setText(els.registrationResult, words);
  els.registrationResult.classList.toggle('is-problem', problem);
  els.registrationResult.classList.toggle('is-ok', ok);
}

// ---- Load and save ----

async function load() {
  if (loading || saving) return;
  loading = true;
  const req = configGet();
  const reply = await client.request(req.type);
  loading = false;
  if (!reply.ok) {
    setLoadStatus(t('optionsReadFailed', errorWords(reply.error)));
    return;
  }
  setLoadStatus('');
  loaded = reply.data;
  const form = configToForm(loaded);
  if (!dirty) {
    fillForm(form);
  } else {
    // The user typed before the settings arrived: keep the typing, but take the accounts'
    // ids (the host keeps a password by account id) and whether a password is stored.
    accounts = form.accounts.map((a) => ({ ...a }));
    els.password.setAttribute('placeholder', passwordPlaceholder(accounts[0].passwordSet));
  }
  showWelcome();
}

/**
 * Asks for the sites' host permissions (and "cookies" for a session cookie). It must run
 * in the click handler itself, before any await: the browser allows the prompt only
 * while it handles the user's click. Resolves to whether it was granted.
 */
function requestPermissions(config) {
  const wanted = permissionsFor(config);
  if (wanted.origins.length === 0 && wanted.permissions.length === 0) return Promise.resolve(true);
  if (typeof browser.permissions?.request !== 'function') return Promise.resolve(false);
  try {
    return Promise.resolve(browser.permissions.request(wanted)).then(Boolean, () => false);
  } catch {
    return Promise.resolve(false);
  }
}

/** Save and Test registration: checks the form, asks for the permissions, sends config_set. */
function save() {
  if (saving) return;
  if (loaded === null) {
    setSaveStatus(t('optionsNotReadYet'), true);
    load();
    return;
  }
  clearErrors();
  const checked = formToConfig(readForm(), loaded, { status: statusOf(state) ?? undefined });
  if (!checked.ok) {
    setSaveStatus(errorSummary(checked.errors), true);
    showErrors(checked.errors);
    return;
  }
  const granted = requestPermissions(checked.config); // synchronously, in the click
  saving = true;
  els.save.setAttribute('aria-busy', 'true');
  setSaveStatus(t('optionsSaving'));
  finishSave(checked.config, granted);
}

async function finishSave(config, granted) {
  const req = configSet(config);
  const [reply, allowed] = await Promise.all([client.request(req.type, req.data), granted]);
  saving = false;
  els.save.setAttribute('aria-busy', 'false');
  if (!reply.ok) {
    setSaveStatus(errorWords(reply.error), true);
    return;
  }
  loaded = reply.data;
  fillForm(configToForm(loaded));
  setSaveStatus(watchesCookies(config) && !allowed ? t('optionsSavedBut', WORDS.COOKIE_WATCH_OFF) : t('optionsSaved'));
  if ((loaded.accounts ?? []).length > 0) {
    if (localSettings) localSettings.showWelcome = false;
    browser.storage.local.set({ [WELCOME_KEY]: false }).catch(() => {});
  }
  showWelcome();
  render();
}

// The click itself (Enter in a field clicks the default button too), so the permission
// prompt runs while the browser still counts the user's action; submit covers the rest.
els.save.addEventListener('click', (ev) => {
  ev.preventDefault();
  save();
});
els.form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  save();
});
els.testRegistration.addEventListener('click', () => { save(); });

// ---- Settings kept in storage.local ----

function storeLocal(values) {
  browser.storage.local.set(values).catch((e) => {
    setSaveStatus(t('optionsStoreFailed', e?.message ?? e), true);
  });
}

function showVolume(v) {
  const pct = t('optionsPercent', Math.round(v * 100));
  setText(els.ringVolumeValue, pct);
  els.ringVolume.setAttribute('aria-valuetext', pct);
}

els.openWithSession.addEventListener('change', () => {
  storeLocal({ [OPEN_WITH_SESSION_KEY]: Boolean(els.openWithSession.checked) });
});

els.ringVolume.addEventListener('input', () => {
  const v = normalizeVolume(Number(els.ringVolume.value));
  showVolume(v);
  if (tones) tones.ringVolume = v;
  storeLocal({ [RING_VOLUME_KEY]: v });
});

for (const [name, { label }] of Object.entries(RINGTONES)) {
  const option = document.createElement('option');
  option.value = name;
  option.textContent = label;
  els.ringtone.append(option);
}

let tones = null;

els.ringtone.addEventListener('change', () => {
  const name = normalizeRingtone(els.ringtone.value);
  if (tones) tones.ringtone = name;
  storeLocal({ [RINGTONE_KEY]: name });
});

els.playRingtone.addEventListener('click', () => {
  // The ring sounds where the softphone window rings: the default output (a headset
  // chosen for calls may not be worn while the phone rings).
  tones ??= new TonePlayer({
    createContext: () => (globalThis.AudioContext ? new globalThis.AudioContext() : null),
  });
  tones.ringVolume = normalizeVolume(Number(els.ringVolume.value));
  tones.ringtone = normalizeRingtone(els.ringtone.value);
  tones.resume();
  tones.ringOnce();
});

// ---- Click-to-call (storage.local; the background registers the content script) ----

let ctcStored = { links: false, detect: false, region: '' };

function setCtcStatus(words, problem = false) {
  setText(els.ctcStatus, words);
  els.ctcStatus.classList.toggle('is-problem', problem);
}

function storeClickToCall() {
  ctcStored = {
    links: Boolean(els.ctcLinks.checked),
    detect: Boolean(els.ctcDetect.checked),
    region: ctcStored.region,
  };
  storeLocal({ [CLICK_TO_CALL_KEY]: { ...ctcStored } });
}

/**
 * A switch changed. Turning one on asks for the host permission in this very click
 * (the browser shows its prompt only while it handles the user's action); refused, the
 * switch goes back off.
 */
function clickToCallSwitched(el) {
  if (!el.checked) {
    setCtcStatus('');
    storeClickToCall();
    return;
  }
  let asked;
  try {
    asked = typeof browser.permissions?.request === 'function'
      ? Promise.resolve(browser.permissions.request(clickToCallPermissions()))
      : Promise.resolve(false);
  } catch {
    asked = Promise.resolve(false);
  }
  asked.then(Boolean, () => false).then((granted) => {
    if (!granted) {
      el.checked = false;
      setCtcStatus(t('optionsCtcNoPermission'), true);
    } else {
      setCtcStatus('');
    }
    storeClickToCall();
  });
}

els.ctcLinks.addEventListener('click', () => { clickToCallSwitched(els.ctcLinks); });
els.ctcDetect.addEventListener('click', () => { clickToCallSwitched(els.ctcDetect); });
els.ctcRegion.addEventListener('change', () => {
  const raw = String(els.ctcRegion.value ?? '').trim();
  const region = normalizeRegion(raw);
  const bad = raw !== '' && region === '';
  els.ctcRegionError.hidden = !bad;
  setText(els.ctcRegionError, bad ? t('optionsCtcRegionError') : '');
  els.ctcRegion.setAttribute('aria-invalid', bad ? 'true' : 'false');
  if (bad) return;
  els.ctcRegion.value = region;
  ctcStored = { ...ctcStored, region };
  storeLocal({ [CLICK_TO_CALL_KEY]: { ...ctcStored } });
});

async function showClickToCall() {
  ctcStored = await readClickToCallSettings(browser.storage.local);
  els.ctcLinks.checked = ctcStored.links;
  els.ctcDetect.checked = ctcStored.detect;
  els.ctcRegion.value = ctcStored.region;
  if (!needsContentScript(ctcStored)) return;
  let granted = true;
  try {
    if (typeof browser.permissions?.contains === 'function') granted = await browser.permissions.contains(clickToCallPermissions());
  } catch {
    granted = false;
  }
  if (!granted) setCtcStatus(t('optionsCtcNoPermission'), true);
}

// ---- Microphone and speaker ----

let micStream = null;
const meter = new MicMeter({
  createContext: () => (globalThis.AudioContext ? new globalThis.AudioContext() : null),
  onLevel: (v) => { els.micLevel.value = v; },
});

/** The microphone line: its words, and how it looks by the state ('ok', 'problem' or ''). */
function setMicStatus(words, look = '') {
  setText(els.micStatus, words);
  els.micStatus.classList.toggle('is-problem', look === 'problem');
  els.micStatus.classList.toggle('is-ok', look === 'ok');
}

/** How a microphone permission state looks on the microphone line. */
function permissionLook(state) {
  if (state === 'granted') return 'ok';
  return state === 'denied' ? 'problem' : '';
}

function closeMic() {
  meter.stop();
  for (const track of micStream?.getTracks?.() ?? []) track.stop();
  micStream = null;
}

function speakersSupported() {
  return typeof globalThis.HTMLMediaElement?.prototype?.setSinkId === 'function';
}

async function refreshDevices() {
  const md = navigator.mediaDevices;
  if (typeof md?.enumerateDevices !== 'function') return [];
  let devices = [];
  try {
    devices = await md.enumerateDevices();
  } catch {
    devices = [];
  }
  const mic = localSettings?.micDeviceId ?? '';
  const speaker = localSettings?.speakerDeviceId ?? '';
  fillSelect(els.micDevice, deviceChoices(devices, DEVICE_KIND.MIC, mic), mic);
  const sinks = speakersSupported();
  fillSelect(els.speakerDevice, deviceChoices(sinks ? devices : [], DEVICE_KIND.SPEAKER, sinks ? speaker : ''), sinks ? speaker : '');
  els.speakerDevice.disabled = !sinks;
  els.speakerNote.hidden = sinks;
  return devices;
}

/** Opens the chosen microphone (the default when it is gone) and shows its level. */
async function openMic() {
  const md = navigator.mediaDevices;
  if (typeof md?.getUserMedia !== 'function') {
    setMicStatus(micBlockedWords({ message: t('audioNoMicForPages') }), 'problem');
    return;
  }
  const chosen = els.micDevice.value || '';
  let stream;
  try {
    try {
      stream = await md.getUserMedia(micConstraints(chosen));
    } catch (e) {
      if (!chosen || (e?.name !== 'OverconstrainedError' && e?.name !== 'NotFoundError')) throw e;
      stream = await md.getUserMedia(micConstraints(''));
    }
  } catch (e) {
    closeMic();
    setMicStatus(micBlockedWords(e), 'problem');
    await refreshDevices();
    return;
  }
  closeMic();
  micStream = stream;
  setMicStatus(micAllowedWords(), 'ok');
  try {
    meter.start(stream);
  } catch (e) {
    console.warn('tabphone: no level meter', e);
  }
  await refreshDevices(); // the names show once the microphone is allowed
}

els.allowMic.addEventListener('click', () => {
  setMicStatus(t('optionsAskingMic'));
  openMic();
});

els.micDevice.addEventListener('change', () => {
  const id = els.micDevice.value || '';
  if (localSettings) localSettings.micDeviceId = id;
  storeLocal({ [MIC_DEVICE_KEY]: id });
  if (micStream) openMic(); // the meter follows the chosen microphone
});

els.speakerDevice.addEventListener('change', () => {
  const id = els.speakerDevice.value || '';
  if (localSettings) localSettings.speakerDeviceId = id;
  storeLocal({ [SPEAKER_DEVICE_KEY]: id });
});

/** What the page can say about the microphone before the user clicks (no prompt). */
async function showMicPermission(devices) {
  let permission = micNamesShown(devices) ? 'granted' : 'prompt';
  try {
    const status = await navigator.permissions?.query?.({ name: 'microphone' });
    if (status) {
      if (status.state === 'granted' || status.state === 'denied') permission = status.state;
      status.onchange = () => {
        if (!micStream) setMicStatus(micPermissionWords(status.state), permissionLook(status.state));
        refreshDevices();
      };
    }
  } catch {
    // Firefox may not know the "microphone" permission name: the device names tell.
  }
  if (!micStream && els.micStatus.textContent === '') setMicStatus(micPermissionWords(permission), permissionLook(permission));
}

navigator.mediaDevices?.addEventListener?.('devicechange', () => { refreshDevices(); });

window.addEventListener('pagehide', () => {
  closeMic();
  meter.close();
  tones?.close();
  client.close();
});

// ---- Start ----

async function start() {
  localSettings = await readLocalSettings(browser.storage.local);
  els.openWithSession.checked = localSettings.openWithSession;
  els.ringtone.value = localSettings.ringtone;
  els.ringVolume.value = String(localSettings.ringVolume);
  showVolume(localSettings.ringVolume);
  showWelcome();
  await showClickToCall();
  const devices = await refreshDevices();
  await showMicPermission(devices);
}

fillForm(configToForm({}));
client.start();
load();
render();
start();
