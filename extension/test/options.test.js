// Runs options/options.js against its own markup in a fake DOM, with the test playing
// the background on the runtime port, the browser's permission prompt, the storage and
// the microphone. The scenarios run in order (one page per file: the module keeps its state).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseDocument } from './fakedom.js';
import { fakeI18n } from './fakei18n.js';
import {
  FakePort, FakeEvent, FakeStorage, flush,
} from './fakes.js';
import { FakeStream } from './fakertc.js';
import { FakeAudioContext } from './fakeaudio.js';

const html = readFileSync(new URL('../options/options.html', import.meta.url), 'utf8');
const ports = [];
const permissionRequests = [];
const gumCalls = [];
const pageListeners = new Map();
let permissionAnswer = true;
let gumFailure = null;
let doc;

const local = new FakeStorage({ showWelcome: true });
const devices = [
  { kind: 'audioinput', deviceId: 'default', label: 'Default - Headset' },
  { kind: 'audioinput', deviceId: 'mic-1', label: 'Headset microphone' },
  { kind: 'audioinput', deviceId: 'mic-2', label: 'Webcam microphone' },
  { kind: 'audiooutput', deviceId: 'spk-1', label: 'Headset earphones' },
];
let micAllowed = false;

const LOADED = {
  accounts: [{
    id: 'work', user: '1001', domain: '127.0.0.1:5060', transport: 'udp', srtp: 'off', codecs: ['pcmu', 'opus'],
    auto_answer: { enabled: true, seconds: 3 }, dnd_code: 480, region: 'US', expires: 120, password_set: true,
  }],
  default_account: 'work',
  status: 'available',
  sites: [],
  close_without_session: true,
};

const audioContexts = [];
const sources = [];

/** A WebAudio context with what the level meter needs. */
class MeterContext extends FakeAudioContext {
  constructor() {
    super();
    audioContexts.push(this);
  }

  createMediaStreamSource(stream) {
    const source = { stream, connect() {}, disconnect() { this.gone = true; } };
    sources.push(source);
    return source;
  }

  createAnalyser() {
    return { fftSize: 2048, getFloatTimeDomainData(buf) { buf.fill(0.1); } };
  }
}

before(async () => {
  doc = parseDocument(html);
  globalThis.document = doc;
  globalThis.window = {
    addEventListener(type, fn) {
      if (!pageListeners.has(type)) pageListeners.set(type, []);
      pageListeners.get(type).push(fn);
    },
  };
  globalThis.AudioContext = MeterContext;
  globalThis.HTMLMediaElement = { prototype: { setSinkId() {} } };
  Object.defineProperty(globalThis, 'navigator', {
    configurable: true,
    value: {
      mediaDevices: {
        async getUserMedia(c) {
          gumCalls.push(c);
          if (gumFailure) throw gumFailure;
          micAllowed = true;
          return new FakeStream();
        },
        async enumerateDevices() {
          // Before the microphone is allowed the browser hides the names and ids.
          return micAllowed ? devices : devices.map((d) => ({ kind: d.kind, deviceId: '', label: '' }));
        },
        addEventListener() {},
      },
      permissions: { async query() { return { state: micAllowed ? 'granted' : 'prompt' }; } },
    },
  });
  globalThis.chrome = {
    i18n: fakeI18n(),
    storage: { local, onChanged: new FakeEvent() },
    permissions: {
      request(p) {
        permissionRequests.push(structuredClone(p));
        return Promise.resolve(permissionAnswer);
      },
    },
    runtime: {
      getPlatformInfo: async () => ({ os: 'win', arch: 'x86-64' }),
      connect: ({ name }) => {
        const p = new FakePort({ name });
        ports.push(p);
        return p;
      },
    },
  };
  await import('../options/options.js');
  await flush();
});

after(() => {
  for (const fn of pageListeners.get('pagehide') ?? []) fn();
});

const $ = (id) => doc.getElementById(id);
const port = () => ports.at(-1);
const siteRows = () => $('sites').querySelectorAll('li.site');
const codecNames = () => $('codecs').querySelectorAll('li.codec').map((li) => li.dataset.codec);

/** Answers the last request of a type as the background would. */
function answer(type, result) {
  const req = port().last(type);
  assert.ok(req, `${type} was sent`);
  port().receive({ type: 'reply', id: req.id, ...result });
  return req;
}

function type(el, value) {
  el.value = value;
  el.dispatch('input');
}

function save() {
  return $('options-form').dispatch('submit');
}

test('connects as "options", asks config_get and fills the form; the password is never filled in', async () => {
  assert.equal(port().name, 'options');
  port().receive({ type: 'host', data: { connected: true, version: '0.1.0' } });
  answer('config_get', { ok: true, data: LOADED });
  await flush();
  assert.equal($('user').value, '1001');
  assert.equal($('domain').value, '127.0.0.1:5060');
  assert.equal($('password').value, '');
  assert.equal($('password').getAttribute('placeholder'), 'set');
  assert.equal($('password').getAttribute('type'), 'password');
  assert.equal($('transport').value, 'udp');
  assert.deepEqual(codecNames(), ['pcmu', 'opus', 'g722', 'pcma']);
  assert.equal($('codec-pcmu').checked, true);
  assert.equal($('codec-g722').checked, false);
  assert.equal($('auto-answer').checked, true);
  assert.equal($('auto-answer-seconds').value, '3');
  assert.equal($('dnd-code').value, '480');
  assert.equal($('region').value, 'US');
  assert.equal($('close-without-session').checked, true);
  assert.equal(siteRows().length, 1, 'one empty site row to fill in');
  assert.equal(siteRows()[0].querySelector('.site-url').value, '');
  assert.equal($('load-status').hidden, true);
});

test('the transport offers UDP, TCP, TLS, WS and WSS; the TLS CA file and the WebSocket path only where they apply', () => {
  const opts = $('transport').querySelectorAll('option');
  assert.deepEqual(opts.map((o) => [o.value, o.textContent, Boolean(o.disabled)]), [
    ['udp', 'UDP', false], ['tcp', 'TCP', false], ['tls', 'TLS', false], ['ws', 'WS', false], ['wss', 'WSS', false],
  ]);
  const was = $('transport').value;
  $('transport').value = 'tls';
  $('transport').dispatch('change');
  assert.equal($('tls-ca-field').hidden, false);
  assert.equal($('ws-path-field').hidden, true);
  $('transport').value = 'wss';
  $('transport').dispatch('change');
  assert.deepEqual([$('tls-ca-field').hidden, $('ws-path-field').hidden], [false, false]);
  $('transport').value = 'udp';
  $('transport').dispatch('change');
  assert.equal($('tls-ca-field').hidden, true);
  assert.equal($('ws-path-field').hidden, true);
  $('transport').value = was;
  $('transport').dispatch('change');
  assert.deepEqual($('dnd-code').querySelectorAll('option').map((o) => o.textContent),
    ['486 Busy Here', '480 Temporarily Unavailable', '603 Decline']);
});

test('storage settings show their defaults; the welcome shows on the first run', () => {
  assert.equal($('open-with-session').checked, true);
  assert.equal($('ring-volume').value, '0.6');
  assert.equal($('ring-volume-value').textContent, '60 %');
  assert.equal($('welcome').hidden, false);
  assert.equal($('welcome').textContent, 'Welcome to Tabphone: allow the microphone, then add your SIP account and your Dialer/PBX.');
});

test('the registration result is the host state in words', () => {
  const acc = { id: 'work', user: '1001', domain: '127.0.0.1:5060' };
  port().receive({ type: 'state', data: { accounts: [{ ...acc, registration: 'failed', error: { code: 'sip', sip_code: 403, message: 'Forbidden' } }], status: 'dnd', calls: [] } });
  assert.equal($('registration-result').textContent, 'Wrong password');
  port().receive({ type: 'state', data: { accounts: [{ ...acc, registration: 'registered' }], status: 'dnd', calls: [] } });
  assert.equal($('registration-result').textContent, 'Registered as 1001 at 127.0.0.1:5060');
});

test('codec up/down reorders the list and keeps the focus on the moved codec', () => {
  const opus = $('codecs').querySelectorAll('li.codec')[1];
  opus.querySelector('.codec-up').dispatch('click');
  assert.deepEqual(codecNames(), ['opus', 'pcmu', 'g722', 'pcma']);
  const first = $('codecs').querySelectorAll('li.codec')[0];
  assert.equal(first.querySelector('.codec-up').disabled, true);
  assert.equal(first.querySelector('.codec-up').getAttribute('aria-label'), 'Move Opus up');
  assert.equal(doc.activeElement, first.querySelector('.codec-down'), 'at the top, the focus goes to its other button');
});

test('Save without a typed password: config_set without password, unknown fields kept, DND kept; permissions asked in the click', async () => {
  const before = permissionRequests.length;
  save();
  assert.equal(permissionRequests.length, before, 'no site, nothing to ask');
  const req = answer('config_set', { ok: true, data: { ...LOADED, accounts: [{ ...LOADED.accounts[0], codecs: ['opus', 'pcmu'] }] } });
  const a = req.data.accounts[0];
  assert.equal('password' in a, false);
  assert.equal('password_set' in a, false);
  assert.equal(a.expires, 120);
  assert.equal(a.srtp, 'off');
  assert.deepEqual(a.codecs, ['opus', 'pcmu']);
  assert.equal(req.data.status, 'dnd', 'the live status, so saving does not undo Do not disturb');
  assert.equal(req.data.default_account, 'work');
  await flush();
  assert.equal($('save-status').textContent, 'Saved');
  assert.equal($('welcome').hidden, true, 'the welcome goes after the first save');
  assert.equal(local.data.showWelcome, false);
});

test('a typed password is sent once; afterwards the field is empty and says "set"', async () => {
  type($('password'), 'n3w');
  save();
  const req = answer('config_set', { ok: true, data: LOADED });
  assert.equal(req.data.accounts[0].password, 'n3w');
  await flush();
  assert.equal($('password').value, '');
  assert.equal($('password').getAttribute('placeholder'), 'set');
});

test('problems are shown by the fields and in the status line; nothing is sent', () => {
  const sent = port().ofType('config_set').length;
  type($('user'), '');
  type($('domain'), 'pbx example.com');
  type($('region'), 'USA');
  save();
  assert.equal(port().ofType('config_set').length, sent);
  assert.match($('save-status').textContent, /User is required\./);
  assert.match($('save-status').textContent, /Domain must be host, host:port or sip:host:port\./);
  assert.match($('save-status').textContent, /Default region must be two letters, like US\./);
  assert.equal($('user-error').textContent, 'User is required.');
  assert.equal($('user-error').hidden, false);
  assert.equal($('user').getAttribute('aria-invalid'), 'true');
  assert.equal(doc.activeElement, $('user'), 'the first problem gets the focus');
  type($('user'), '1001');
  type($('domain'), '127.0.0.1:5060');
  type($('region'), 'us');
});

test('the host\'s error is shown in words', async () => {
  save();
  assert.equal($('user-error').hidden, true, 'old problems are cleared');
  answer('config_set', { ok: false, error: { code: 'config', message: 'invalid config: account "work": server address "x" is bad' } });
  await flush();
  assert.equal($('save-status').textContent, 'invalid config: account "work": server address "x" is bad');
  answer('config_set', { ok: false, error: { code: 'config', message: 'x' } }); // a stray reply changes nothing
  save();
  answer('config_set', { ok: false, error: { code: 'host_unavailable', message: 'The Tabphone host is not installed for this browser.' } });
  await flush();
  assert.equal($('save-status').textContent, 'The Tabphone host is not installed for this browser.');
});

test('a site: the match pattern follows the address without the port; a port in a pattern is refused with why', () => {
  const row = siteRows()[0];
  type(row.querySelector('.site-url'), 'https://pbx.example.com:8443/app/');
  assert.equal(row.querySelector('.site-match').value, 'https://pbx.example.com/*');
  type(row.querySelector('.site-login'), 'https://pbx.example.com:8443/login*');
  const sent = port().ofType('config_set').length;
  save();
  assert.equal(port().ofType('config_set').length, sent);
  assert.equal(row.querySelector('.site-login-error').textContent, 'Leave the port out: patterns match every port.');
  assert.equal(doc.activeElement, row.querySelector('.site-login'));
  type(row.querySelector('.site-login'), 'https://pbx.example.com/login*');
  // A hand-edited match pattern stays when the address changes.
  type(row.querySelector('.site-match'), 'https://*.example.com/*');
  type(row.querySelector('.site-url'), 'https://pbx.example.com/app/');
  assert.equal(row.querySelector('.site-match').value, 'https://*.example.com/*');
});

test('labels: every site input is labelled by its own id', () => {
  const row = siteRows()[0];
  for (const [cls, name] of [['site-url', 'Dialer/PBX address'], ['site-match', 'Match pattern'], ['site-login', 'Login page pattern'], ['site-cookie', 'Session cookie']]) {
    const input = row.querySelector(`.${cls}`);
    const label = row.querySelector(`.${cls}-label`);
    assert.equal(label.getAttribute('for'), input.id);
    assert.equal(label.textContent, name);
  }
  assert.equal(row.querySelector('.site-legend').textContent, 'Site 1');
});

test('Save with a session cookie asks, in the click, for the site origins and "cookies"; refused, it still saves and says the cookie watch is off', async () => {
  const row = siteRows()[0];
  type(row.querySelector('.site-cookie'), 'PHPSESSID');
  permissionAnswer = false;
  const before = permissionRequests.length;
  save();
  assert.equal(permissionRequests.length, before + 1, 'asked synchronously, before any await');
  assert.deepEqual(permissionRequests.at(-1), { origins: ['https://*.example.com/*', 'https://pbx.example.com/*'], permissions: ['cookies'] });
  const req = answer('config_set', { ok: true, data: { ...LOADED, sites: [{ url: 'https://pbx.example.com/app/', match: 'https://*.example.com/*', login: 'https://pbx.example.com/login*', session_cookie: 'PHPSESSID' }] } });
  assert.deepEqual(req.data.sites, [{ url: 'https://pbx.example.com/app/', match: 'https://*.example.com/*', login: 'https://pbx.example.com/login*', session_cookie: 'PHPSESSID' }]);
  assert.equal(req.data.close_without_session, true);
  await flush();
  assert.match($('save-status').textContent, /^Saved\. The session cookie is not watched/);
  assert.equal(siteRows()[0].querySelector('.site-cookie').value, 'PHPSESSID', 'the saved site is shown');
  permissionAnswer = true;
});

test('the Save button\'s click saves (Enter in a field clicks it too), asking for the permissions in the click', async () => {
  const before = permissionRequests.length;
  const ev = $('save').dispatch('click');
  assert.equal(ev.defaultPrevented, true, 'no form submission on top');
  assert.equal(permissionRequests.length, before + 1);
  const req = port().last('config_set');
  port().receive({ type: 'reply', id: req.id, ok: true, data: req.data }); // the host echoes what it saved
  await flush();
  assert.equal($('save-status').textContent, 'Saved', 'granted this time');
  assert.equal(siteRows()[0].querySelector('.site-cookie').value, 'PHPSESSID');
});

test('Test registration saves again and asks for the same permissions; granted, it says "Saved"', async () => {
  const before = permissionRequests.length;
  $('test-registration').dispatch('click');
  assert.equal(permissionRequests.length, before + 1);
  answer('config_set', { ok: true, data: LOADED });
  await flush();
  assert.equal($('save-status').textContent, 'Saved');
});

test('Add site goes to the empty row when there is one, else adds a row; Remove removes it', () => {
  assert.equal(siteRows().length, 1);
  $('add-site').dispatch('click');
  assert.equal(siteRows().length, 1, 'the empty row is used');
  assert.equal(doc.activeElement, siteRows()[0].querySelector('.site-url'));
  type(siteRows()[0].querySelector('.site-url'), 'https://a.example.com/');
  $('add-site').dispatch('click');
  assert.equal(siteRows().length, 2);
  assert.equal(siteRows()[1].querySelector('.site-legend').textContent, 'Site 2');
  siteRows()[0].querySelector('.site-remove').dispatch('click');
  assert.equal(siteRows().length, 1);
  assert.equal(siteRows()[0].querySelector('.site-legend').textContent, 'Site 1');
  assert.equal(siteRows()[0].querySelector('.site-url').value, '');
});

test('the close switch goes out as close_without_session', async () => {
  $('close-without-session').checked = false;
  $('close-without-session').dispatch('change');
  save();
  const req = answer('config_set', { ok: true, data: { ...LOADED, close_without_session: false } });
  assert.equal(req.data.close_without_session, false);
  await flush();
  assert.equal($('close-without-session').checked, false);
});

test('while bound without a session the result says the phone registers with the Dialer/PBX', () => {
  port().receive({ type: 'state', data: { accounts: [], status: 'available', calls: [], session: { state: 'waiting', sites: [] } } });
  assert.match($('registration-result').textContent, /registers while you are logged in to the Dialer\/PBX/);
});

test('softphone settings are stored at once: open with the Dialer/PBX, ringtone volume; Play rings once', () => {
  $('open-with-session').checked = false;
  $('open-with-session').dispatch('change');
  $('ring-volume').value = '0.25';
  $('ring-volume').dispatch('input');
  return flush().then(() => {
    assert.equal(local.data.openWithSession, false);
    assert.equal(local.data.ringVolume, 0.25);
    assert.equal($('ring-volume-value').textContent, '25 %');
    $('play-ringtone').dispatch('click');
    const rang = audioContexts.flatMap((c) => c.oscillators);
    assert.equal(rang.filter((o) => Math.abs(o.hz - 659.25) < 0.01).length, 2, 'one ring cycle: E5 twice');
  });
});

test('Allow microphone: getUserMedia in this tab, "Microphone allowed", the devices by name, the meter runs', async () => {
  assert.equal($('mic-status').textContent, '', 'nothing said before the user asks');
  assert.deepEqual($('mic-device').querySelectorAll('option').map((o) => o.textContent), ['System default']);
  $('allow-mic').dispatch('click');
  await flush();
  await flush();
  assert.equal(gumCalls.length, 1);
  assert.equal(gumCalls[0].audio.deviceId, undefined, 'the default microphone');
  assert.equal($('mic-status').textContent, 'Microphone allowed');
  assert.deepEqual($('mic-device').querySelectorAll('option').map((o) => [o.value, o.textContent]), [
    ['', 'System default'], ['mic-1', 'Headset microphone'], ['mic-2', 'Webcam microphone'],
  ]);
  assert.deepEqual($('speaker-device').querySelectorAll('option').map((o) => o.value), ['', 'spk-1']);
  assert.equal($('speaker-device').disabled, false);
  assert.equal(sources.length, 1, 'the level meter listens to the stream');
  assert.equal(sources[0].gone, undefined);
});

test('choosing a microphone and a speaker stores them; the meter reopens on the chosen microphone', async () => {
  $('mic-device').value = 'mic-2';
  $('mic-device').dispatch('change');
  $('speaker-device').value = 'spk-1';
  $('speaker-device').dispatch('change');
  await flush();
  await flush();
  assert.equal(local.data.micDeviceId, 'mic-2');
  assert.equal(local.data.speakerDeviceId, 'spk-1');
  assert.deepEqual(gumCalls.at(-1).audio.deviceId, { exact: 'mic-2' });
  assert.equal($('mic-device').value, 'mic-2');
});

test('a blocked microphone says "Microphone blocked: …"', async () => {
  gumFailure = Object.assign(new Error('Permission denied'), { name: 'NotAllowedError' });
  $('allow-mic').dispatch('click');
  await flush();
  await flush();
  assert.match($('mic-status').textContent, /^Microphone blocked: /);
  assert.equal($('mic-level').value, 0);
  assert.ok(sources.every((src) => src.gone), 'the meter stopped');
  gumFailure = null;
});

test('click-to-call: off by default; a switch turned on asks for the host permission in the click and is stored', async () => {
  assert.equal($('ctc-links').checked, false);
  assert.equal($('ctc-detect').checked, false);
  assert.equal($('ctc-region').value, '');
  const asked = permissionRequests.length;
  permissionAnswer = true;
  $('ctc-links').checked = true;
  $('ctc-links').dispatch('click');
  assert.equal(permissionRequests.length, asked + 1, 'asked synchronously, in the click');
  assert.deepEqual(permissionRequests.at(-1), { origins: ['http://*/*', 'https://*/*'] });
  await flush();
  await flush();
  assert.deepEqual(local.data.clickToCall, { links: true, detect: false, region: '' });
});

test('click-to-call: a refused permission turns the switch back off and says why', async () => {
  permissionAnswer = false;
  $('ctc-detect').checked = true;
  $('ctc-detect').dispatch('click');
  await flush();
  await flush();
  assert.equal($('ctc-detect').checked, false);
  assert.match($('ctc-status').textContent, /needs the permission to run on web pages/);
  assert.deepEqual(local.data.clickToCall, { links: true, detect: false, region: '' });
  // Turning one off asks nothing.
  const asked = permissionRequests.length;
  $('ctc-links').checked = false;
  $('ctc-links').dispatch('click');
  await flush();
  assert.equal(permissionRequests.length, asked);
  assert.deepEqual(local.data.clickToCall, { links: false, detect: false, region: '' });
  permissionAnswer = true;
});

test('call recording: off by default; turning it on asks for the downloads permission in the click; refused, it stays off', async () => {
  assert.equal($('rec-allow').checked, false);
  assert.equal($('rec-announce').disabled, true, 'the beep needs recording on');
  permissionAnswer = false;
  let asked = permissionRequests.length;
  $('rec-allow').checked = true;
  $('rec-allow').dispatch('click');
  assert.equal(permissionRequests.length, asked + 1, 'asked synchronously, in the click');
  assert.deepEqual(permissionRequests.at(-1), { permissions: ['downloads'] });
  await flush();
  await flush();
  assert.equal($('rec-allow').checked, false);
  assert.match($('rec-status').textContent, /did not allow saving files/);
  assert.equal(local.data.callRecordingAllowed, false);
  permissionAnswer = true;
  asked = permissionRequests.length;
  $('rec-allow').checked = true;
  $('rec-allow').dispatch('click');
  assert.equal(permissionRequests.length, asked + 1);
  await flush();
  await flush();
  assert.equal(local.data.callRecordingAllowed, true);
  assert.equal($('rec-status').textContent, '');
  assert.equal($('rec-announce').disabled, false);
  $('rec-announce').checked = true;
  $('rec-announce').dispatch('change');
  await flush();
  assert.equal(local.data.callRecordingAnnounce, true);
  // Turning it off asks nothing.
  asked = permissionRequests.length;
  $('rec-allow').checked = false;
  $('rec-allow').dispatch('click');
  await flush();
  assert.equal(permissionRequests.length, asked);
  assert.equal(local.data.callRecordingAllowed, false);
});

test('click-to-call: the region is two letters (stored upper-case) or empty', async () => {
  $('ctc-region').value = 'gb';
  $('ctc-region').dispatch('change');
  await flush();
  assert.equal(local.data.clickToCall.region, 'GB');
  assert.equal($('ctc-region').value, 'GB');
  $('ctc-region').value = 'GBR';
  $('ctc-region').dispatch('change');
  await flush();
  assert.equal($('ctc-region-error').hidden, false);
  assert.equal(local.data.clickToCall.region, 'GB', 'a bad region is not stored');
  $('ctc-region').value = '';
  $('ctc-region').dispatch('change');
  await flush();
  assert.equal($('ctc-region-error').hidden, true);
  assert.equal(local.data.clickToCall.region, '');
});

test('host not installed: the options page shows the Windows steps and Check again', async () => {
  port().receive({ type: 'host', data: { connected: false, message: 'The Tabphone host does not allow this extension.', problem: 'not_allowed' } });
  assert.equal($('host-setup').hidden, false);
  const steps = $('host-setup-steps').querySelectorAll('li').map((li) => li.textContent);
  assert.equal(steps[0], 'Download tabphone-host-windows-amd64.exe (or -arm64.exe) from the Tabphone release.');
  assert.equal(steps[1], 'In a Command Prompt, in the download folder: `tabphone-host-windows-amd64.exe install`. It sets up every browser it finds.');
  $('host-check').dispatch('click');
  assert.ok(port().last('host_check'));
  port().receive({ type: 'host', data: { connected: false, message: 'Lost the connection', code: 'host_unavailable' } });
  assert.equal($('host-setup').hidden, true, 'a host that ran needs no install steps');
  port().receive({ type: 'host', data: { connected: true, version: '0.1.0' } });
});
