// The options page: the SIP account and the Dialer/PBX sites, read from the host with
// config_get and saved with config_set through the background (the password only when
// a new one was typed; lib/optionsform.js checks the form first), the registration the
// host reports afterwards, and the settings the extension keeps itself in storage.local
// (open the softphone with the Dialer/PBX, ringtone volume, click-to-call, microphone and
// speaker). It is a normal tab, so it is where the user allows the microphone: Chromium
// shows no permission prompt in the toolbar popup.
// Each section of the page is its own module over one page state (pagestate.js):
// accountsection.js, sitessection.js, configsync.js (load, check, save), softphonesection.js,
// clicktocallsection.js, audiosection.js, and managedlock.js (what an administrator's
// policy sets, shown locked). This module wires them to the background.

import { browser } from '../lib/browser.js';
import { t, localizePage } from '../lib/i18n.js';
import { MSG, PAGE, REGISTRATION } from '../lib/protocol.js';
import { PageClient } from '../lib/pageclient.js';
import { applyEvent, mainAccount, needsSession } from '../lib/state.js';
import { registrationWords, registrationIsProblem, hostWords } from '../lib/callview.js';
import { mountHostSetup } from '../lib/hostsetup.js';
import { configToForm } from '../lib/optionsform.js';
import { readLocalSettings } from '../lib/localsettings.js';
import { readPolicy } from '../lib/managedpolicy.js';
import { createPageState } from './pagestate.js';
import { setText } from './formcontrols.js';
import { accountSection } from './accountsection.js';
import { sitesSection } from './sitessection.js';
import { configSync } from './configsync.js';
import { softphoneSection } from './softphonesection.js';
import { clickToCallSection } from './clicktocallsection.js';
import { recordingSection } from './recordingsection.js';
import { audioSection } from './audiosection.js';
import { managedLock } from './managedlock.js';

// The page's own words first (data-i18n*, templates included), before anything renders.
localizePage(document.documentElement);

const $ = (id) => document.getElementById(id);
const els = {
  welcome: $('welcome'),
  hostProblem: $('host-problem'),
  loadStatus: $('load-status'),
  managedNote: $('managed-note'),
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
  blf: $('blf'),
  pickupPrefix: $('pickup-prefix'),
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
  ctcAllow: $('ctc-allow'),
  recAllow: $('rec-allow'),
  recAllowManaged: $('rec-allow-managed'),
  recAnnounce: $('rec-announce'),
  recStatus: $('rec-status'),
};

const page = createPageState();

// Not installed: the steps for this OS and browser, and "Check again".
const setup = mountHostSetup({
  doc: document,
  runtime: browser.runtime,
  onCheck: () => { client.request(MSG.HOST_CHECK).catch(() => {}); },
  render: () => render(),
});

const client = new PageClient({
  connect: () => browser.runtime.connect({ name: PAGE.OPTIONS }),
  onMessage(msg) {
    if (msg.type === MSG.HOST) {
      page.hostStatus = msg.data;
      // The host came (back): read the settings if they could not be read before.
      if (msg.data?.connected && page.loaded === null) sync.load();
    }
    page.state = applyEvent(page.state, msg);
    render();
  },
});

/** The host line and the first account's registration, in words. */
function render() {
  const hostLine = hostWords(page.hostStatus, page.state.snapshot);
  setText(els.hostProblem, hostLine);
  els.hostProblem.hidden = hostLine === '';
  setup.update(page.hostStatus);

  let words = '';
  let problem = false;
  let ok = false;
  if (needsSession(page.state)) {
    words = t('optionsWaitingForSession');
  } else if (page.state.snapshot) {
    const account = mainAccount(page.state);
    words = registrationWords(account);
    problem = registrationIsProblem(account);
    ok = account?.registration === REGISTRATION.REGISTERED;
  }
  setText(els.registrationResult, words);
  els.registrationResult.classList.toggle('is-problem', problem);
  els.registrationResult.classList.toggle('is-ok', ok);
}

const account = accountSection({ els, page });
const sites = sitesSection({ els, page });
const lock = managedLock({
  els, page, account, sites,
});
const sync = configSync({
  els, page, request: (type, data) => client.request(type, data), account, sites, render, lock,
});

/** The settings the page writes to storage.local at once; a failure shows in the status line. */
function storeLocal(values) {
  browser.storage.local.set(values).catch((e) => {
    sync.setSaveStatus(t('optionsStoreFailed', e?.message ?? e), true);
  });
}

const softphone = softphoneSection({ els, page, storeLocal });
const clickToCall = clickToCallSection({ els, page, storeLocal });
const recording = recordingSection({ els, page, storeLocal });
const audio = audioSection({ els, page, storeLocal });

window.addEventListener('pagehide', () => {
  audio.close();
  softphone.close();
  client.close();
});

/** Reads the administrator's policy (storage.managed) and shows it locked. */
async function showPolicy() {
  page.policy = await readPolicy(browser.storage.managed);
  lock.apply();
  await clickToCall.show();
  await recording.show();
  lock.apply();
}

browser.storage.onChanged?.addListener((changes, area) => {
  if (area === 'managed') showPolicy();
});

async function start() {
  page.localSettings = await readLocalSettings(browser.storage.local);
  softphone.show(page.localSettings);
  sync.showWelcome();
  await showPolicy();
  const devices = await audio.refreshDevices();
  await audio.showMicPermission(devices);
}

sync.fillForm(configToForm({}));
client.start();
sync.load();
render();
start();
