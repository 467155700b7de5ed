// Runs popup/popup.js against its own markup in a fake DOM, with the test playing the
// background on the runtime port.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseDocument } from './fakedom.js';
import { fakeI18n } from './fakei18n.js';
import {
  FakePort, FakeEvent, FakeStorage, flush,
} from './fakes.js';

const html = readFileSync(new URL('../popup/popup.html', import.meta.url), 'utf8');
const account = { id: 'work', user: '1001', domain: '127.0.0.1:5060', registration: 'registered' };
const ports = [];
const created = [];
let doc;
let popupClosed = 0;
const NOW = Date.now();
// What the popup showed last (storage.session), and the list the extension kept itself
// before the host's history was the one source (storage.local): never shown.
const session = new FakeStorage({
  recentCalls: [
    { key: 'c8@1', number: '1002', name: 'Alice', direction: 'incoming', at: NOW - 60_000, kind: 'missed' },
    { key: 'c7@1', number: '600', direction: 'outgoing', at: NOW - 120_000, kind: 'outgoing' },
    { key: 'x@1', number: 'anonymous', direction: 'incoming', at: NOW - 180_000, kind: 'incoming' },
  ],
});
const local = new FakeStorage({
  recentCalls: [{ key: 'old@1', number: '999', direction: 'outgoing', at: NOW, missed: false }],
});
const storageChanged = new FakeEvent();

before(async () => {
  doc = parseDocument(html);
  globalThis.document = doc;
  globalThis.window = { close() { popupClosed++; } };
  globalThis.chrome = {
    i18n: fakeI18n(),
    tabs: { create: async (o) => { created.push(o); return { id: 9 }; } },
    storage: { local, session, onChanged: storageChanged },
    runtime: {
      getPlatformInfo: async () => ({ os: 'mac', arch: 'arm' }),
      getBrowserInfo: async () => ({ name: 'Firefox', version: '128.0' }),
      connect: ({ name }) => {
        const p = new FakePort({ name });
        ports.push(p);
        return p;
      },
    },
  };
  await import('../popup/popup.js');
});

const $ = (id) => doc.getElementById(id);
const port = () => ports.at(-1);
const key = (k) => doc.root.querySelectorAll('button[data-key]').find((b) => b.dataset.key === k);

/** Answers the last request of a type as the background would. */
function answer(type, result) {
  const req = port().last(type);
  assert.ok(req, `${type} was sent`);
  port().receive({ type: 'reply', id: req.id, ...result });
  return req;
}

test('connects as "popup" and renders the state it is given', () => {
  assert.equal(ports.length, 1);
  assert.equal(port().name, 'popup');
  assert.equal($('registration').textContent, 'Starting the phone…');
  port().receive({ type: 'host', data: { connected: true, version: '0.1.0' } });
  port().receive({ type: 'state', data: { accounts: [account], status: 'available', calls: [] } });
  assert.equal($('registration').textContent, '1001 · Registered');
  assert.equal($('registration').title, 'Registered as 1001 at 127.0.0.1:5060');
  assert.equal($('host-problem').hidden, true);
  assert.equal($('hangup').hidden, true);
});

test('dialpad clicks type into the field; Delete removes the last digit', () => {
  for (const k of ['6', '0', '0', '1']) key(k).dispatch('click', { detail: 1 });
  assert.equal($('number').value, '6001');
  assert.equal(doc.activeElement, $('number'), 'a mouse click gives the field the focus back');
  $('delete').dispatch('click', { detail: 1 });
  assert.equal($('number').value, '600');
});

test('Dial sends dial with the number; a call shows End call and its state', async () => {
  $('dial-form').dispatch('submit');
  const req = answer('dial', { ok: true, data: { call_id: 'c1' } });
  assert.deepEqual(req.data, { number: '600' });
  await flush();
  port().receive({ type: 'call', data: { call: { id: 'c1', number: '600', state: 'calling', direction: 'outgoing', started_at: Date.now() } } });
  assert.equal($('hangup').hidden, false);
  assert.equal($('call-state').textContent, '600 · Calling…');
  port().receive({ type: 'call', data: { call: { id: 'c1', number: '600', state: 'connected', direction: 'outgoing', started_at: Date.now(), answered_at: Date.now() } } });
  assert.equal($('call-state').textContent, '600 · Connected 00:00');
  assert.equal($('call-announce').textContent, '600: Connected');
});

test('Escape hangs up the current call; the ended call hides End call', async () => {
  doc.root.dispatch('keydown', { key: 'Escape' });
  const req = answer('hangup', { ok: true, data: {} });
  assert.deepEqual(req.data, { call_id: 'c1' });
  await flush();
  port().receive({ type: 'call', data: { call: { id: 'c1', number: '600', state: 'ended', direction: 'outgoing', started_at: 1 } } });
  assert.equal($('hangup').hidden, true);
  assert.equal($('call-state').textContent, '600 · Call ended');
});

test('paste normalizes the number', () => {
  $('number').value = '';
  const ev = $('number').dispatch('paste', { clipboardData: { getData: () => '+1 (555) 010-0200' } });
  assert.equal(ev.defaultPrevented, true);
  assert.equal($('number').value, '+15550100200');
});

test('typing digits outside the field goes to the number', () => {
  $('number').value = '';
  doc.root.dispatch('keydown', { key: '5' });
  doc.root.dispatch('keydown', { key: '#' });
  doc.root.dispatch('keydown', { key: 'x' });
  assert.equal($('number').value, '5#');
  doc.root.dispatch('keydown', { key: 'Backspace' });
  assert.equal($('number').value, '5');
});

test('a bad number is explained and not sent; a host error is shown in words', async () => {
  const sent = port().ofType('dial').length;
  $('number').value = 'hello';
  $('dial-form').dispatch('submit');
  assert.match($('dial-error').textContent, /only digits/);
  assert.equal(port().ofType('dial').length, sent);

  $('number').value = '600';
  $('dial-form').dispatch('submit');
  answer('dial', { ok: false, error: { code: 'not_registered', message: 'phone: not registered' } });
  await flush();
  assert.equal($('dial-error').textContent, 'The phone is not registered yet.');
});

test('host not installed: the steps for this OS and browser and Check again, no dialpad', async () => {
  await flush(); // the OS and browser are learned asynchronously
  port().receive({ type: 'host', data: { connected: false, message: 'The Tabphone host is not installed for this browser.', problem: 'not_installed' } });
  assert.equal($('host-setup').hidden, false);
  const steps = $('host-setup-steps').querySelectorAll('li').map((li) => li.textContent);
  assert.deepEqual(steps, [
    'Download tabphone-host-darwin-arm64 (Apple silicon) or tabphone-host-darwin-amd64 (Intel) from the Tabphone release.',
    'In Terminal, in the download folder: `chmod +x tabphone-host-darwin-* && ./tabphone-host-darwin-* install`. It sets up every browser it finds.',
    'To set up Firefox only, add `--browser firefox` to the install command.',
    'Then press Check again. If it still fails, `tabphone-host doctor` says what is wrong and how to fix it.',
  ]);
  for (const id of ['dial-form', 'status-row', 'recent-section', 'call-state']) assert.equal($(id).hidden, true, `${id} hidden: nothing to dial with`);
  assert.equal($('host-check').textContent, 'Check again');
  $('host-check').dispatch('click');
  assert.equal($('host-check').disabled, true, 'disabled until the background answers');
  assert.ok(port().last('host_check'), 'Check again asks the background');
  port().receive({ type: 'reply', id: port().last('host_check').id, ok: true, data: {} });
  // Installed now: the next status brings the phone back.
  port().receive({ type: 'host', data: { connected: true, version: '0.1.0' } });
  assert.equal($('host-setup').hidden, true);
  for (const id of ['dial-form', 'status-row', 'recent-section', 'call-state']) assert.equal($(id).hidden, false, `${id} back`);
});

test('host problems are shown with the fix', () => {
  port().receive({ type: 'host', data: { connected: false, message: 'The Tabphone host is not installed. Run `tabphone-host install`' } });
  assert.equal($('host-problem').hidden, false);
  assert.match($('host-problem').textContent, /tabphone-host install/);
  assert.equal($('registration').textContent, '');
});


const recentButtons = () => $('recent').querySelectorAll('button.recent-call');
/** history_get's calls, as the host answers. */
const HISTORY = [
  { id: 'c3', account: 'work', direction: 'incoming', number: '602', name: 'Callback 602', result: 'missed', reason: 'Missed: Do not disturb', started_at: NOW - 1000, ended_at: NOW - 1000, seconds: 0 },
  { id: 'c1', account: 'work', direction: 'outgoing', number: '600', result: 'outgoing', started_at: 1, answered_at: 2, ended_at: 3, seconds: 0 },
];

test('recent calls: the list shown last (storage.session) at once, buttons named "Call <number>", missed ones marked', async () => {
  await flush();
  const items = $('recent').querySelectorAll('li.recent-item');
  // …and the call that ended above (c1), from its event, until the host lists it.
  assert.deepEqual(recentButtons().map((b) => b.getAttribute('aria-label')), ['Call 1002', 'Call 600', 'Call anonymous', 'Call 600']);
  assert.equal(items[0].querySelector('.recent-number').textContent, '1002');
  assert.equal(items[0].querySelector('.recent-name').textContent, 'Alice');
  assert.equal(items[0].querySelector('.recent-kind').textContent, 'Missed');
  assert.equal(items[0].classList.contains('is-missed'), true);
  assert.equal(items[1].querySelector('.recent-kind').textContent, 'Outgoing');
  assert.equal(items[1].classList.contains('is-missed'), false);
  assert.equal(recentButtons()[0].getAttribute('aria-describedby'), items[0].querySelector('.recent-details').id);
  assert.equal(recentButtons()[2].disabled, true, 'a number that cannot be dialed');
  assert.equal($('recent-empty').hidden, true);
});

test('recent calls: the host\'s history replaces them (history_get when the host is there) and is cached', async () => {
  // The host connected in the first test: the popup asked for the history then.
  const req = port().last('history_get');
  assert.deepEqual(req.data, { limit: 200 });
  port().receive({ type: 'reply', id: req.id, ok: true, data: { calls: HISTORY } });
  await flush();
  const items = $('recent').querySelectorAll('li.recent-item');
  assert.deepEqual(recentButtons().map((b) => b.getAttribute('aria-label')), ['Call 602', 'Call 600']);
  assert.equal(items[0].querySelector('.recent-kind').textContent, 'Missed (Do not disturb)');
  assert.equal(items[0].classList.contains('is-missed'), true);
  assert.equal(items[0].querySelector('.recent-name').textContent, 'Callback 602');
  assert.deepEqual(session.data.recentCalls.map((e) => e.number), ['602', '600'], 'what it shows is cached');
  assert.ok(!$('recent').textContent.includes('999'), 'the old storage.local list is not shown');
});

test('recent calls: a call that ends shows at once and the history is read again', async () => {
  // c1 ended while the first read was under way: one more read followed it.
  const more = port().last('history_get');
  port().receive({ type: 'reply', id: more.id, ok: true, data: { calls: HISTORY } });
  await flush();
  const asked = port().ofType('history_get').length;
  const call = { id: 'c11', account: 'work', direction: 'outgoing', number: '603', state: 'calling', started_at: NOW };
  port().receive({ type: 'call', data: { call } });
  assert.equal(port().ofType('history_get').length, asked, 'a call that goes on asks nothing');
  port().receive({ type: 'call', data: { call: { ...call, state: 'ended', end_reason: { sip_code: 486, message: 'Busy' } } } });
  assert.deepEqual(recentButtons().map((b) => b.getAttribute('aria-label')), ['Call 603', 'Call 602', 'Call 600']);
  assert.equal(port().ofType('history_get').length, asked + 1);
  const req = port().last('history_get');
  port().receive({
    type: 'reply',
    id: req.id,
    ok: true,
    data: { calls: [{ id: 'c11', account: 'work', direction: 'outgoing', number: '603', result: 'failed', reason: 'Busy', started_at: NOW, ended_at: NOW, seconds: 0 }] },
  });
  await flush();
  assert.deepEqual(recentButtons().map((b) => b.getAttribute('aria-label')), ['Call 603'], 'the host\'s list is the list');
});

test('recent calls: an empty history says so; a click redials', async () => {
  port().receive({ type: 'host', data: { connected: true, version: '0.1.0' } });
  port().receive({ type: 'state', data: { accounts: [account], status: 'available', calls: [] } });
  const req = port().last('history_get');
  port().receive({ type: 'reply', id: req.id, ok: true, data: { calls: [] } });
  await flush();
  assert.equal(recentButtons().length, 0);
  assert.equal($('recent-empty').hidden, false);
  port().receive({ type: 'host', data: { connected: true, version: '0.1.0' } }); // the host came back
  const again = port().last('history_get');
  assert.notEqual(again.id, req.id);
  port().receive({
    type: 'reply',
    id: again.id,
    ok: true,
    data: { calls: [{ id: 'c2', account: 'work', direction: 'outgoing', number: '600', result: 'outgoing', started_at: NOW, ended_at: NOW, seconds: 0 }] },
  });
  await flush();
  recentButtons()[0].dispatch('click', { detail: 1 });
  const dialReq = answer('dial', { ok: true, data: { call_id: 'c10' } });
  assert.deepEqual(dialReq.data, { number: '600' });
  assert.equal($('number').value, '600');
  await flush();
});

test('Do not disturb: a switch that shows state.status and sends set_status', async () => {
  const sw = $('dnd');
  assert.equal(sw.getAttribute('role'), 'switch');
  assert.equal(sw.textContent.trim(), 'Do not disturb');
  assert.equal(sw.getAttribute('aria-checked'), 'false');
  assert.equal(sw.disabled, false);
  sw.dispatch('click', { detail: 1 });
  const req = port().last('set_status');
  assert.deepEqual(req.data, { status: 'dnd' });
  assert.equal(sw.getAttribute('aria-checked'), 'true', 'shows what was asked for');
  sw.dispatch('click', { detail: 1 });
  assert.equal(port().ofType('set_status').length, 1, 'one change at a time');
  assert.equal(sw.getAttribute('aria-busy'), 'true');
  assert.equal(sw.disabled, false, 'it keeps the keyboard focus');
  port().receive({ type: 'state', data: { accounts: [account], status: 'dnd', calls: [] } });
  port().receive({ type: 'reply', id: req.id, ok: true, data: {} });
  await flush();
  assert.equal(sw.getAttribute('aria-checked'), 'true');
  assert.equal(sw.getAttribute('aria-busy'), 'false');
  // Back to available; the host refuses: the switch shows the host's status again.
  sw.dispatch('click', { detail: 1 });
  const back = port().last('set_status');
  assert.deepEqual(back.data, { status: 'available' });
  port().receive({ type: 'reply', id: back.id, ok: false, error: { code: 'timeout' } });
  await flush();
  assert.equal(sw.getAttribute('aria-checked'), 'true');
  assert.equal($('dial-error').textContent, 'The Tabphone host did not answer in time.');
  // Another page switched it: the state says so.
  port().receive({ type: 'state', data: { accounts: [account], status: 'available', calls: [] } });
  assert.equal(sw.getAttribute('aria-checked'), 'false');
});

test('voicemail: the new count under the registration; hidden when none waits', () => {
  port().receive({ type: 'state', data: { accounts: [{ ...account, voicemail: { waiting: true, new: 3, old: 1 } }], status: 'available', calls: [] } });
  assert.equal($('voicemail').hidden, false);
  assert.equal($('voicemail').textContent, 'Voicemail: 3 new');
  port().receive({ type: 'state', data: { accounts: [{ ...account, voicemail: { waiting: false, new: 0, old: 4 } }], status: 'available', calls: [] } });
  assert.equal($('voicemail').hidden, true);
});

test('several accounts: a picker; a call goes out from the chosen one, whose registration shows', async () => {
  const second = { id: 'home', user: '2001', domain: 'pbx.example.org', registration: 'registering' };
  port().receive({ type: 'state', data: { accounts: [account], status: 'available', calls: [] } });
  assert.equal($('account-row').hidden, true, 'one account: no picker');
  port().receive({ type: 'state', data: { accounts: [account, second], status: 'available', calls: [] } });
  assert.equal($('account-row').hidden, false);
  assert.deepEqual($('account').querySelectorAll('option').map((o) => o.textContent), ['1001@127.0.0.1:5060', '2001@pbx.example.org']);
  assert.equal($('account').value, 'work', 'the default first');
  $('account').value = 'home';
  $('account').dispatch('change');
  assert.equal($('registration').textContent, '2001 · Registering…');
  $('number').value = '700';
  $('dial-form').dispatch('submit');
  const req = answer('dial', { ok: false, error: { code: 'not_registered' } });
  assert.deepEqual(req.data, { number: '700', account: 'home' });
  await flush();
  port().receive({ type: 'state', data: { accounts: [account, { ...second, registration: 'registered' }], status: 'available', calls: [] } });
  assert.equal($('account').value, 'home', 'the choice stays');
  port().receive({ type: 'state', data: { accounts: [account], status: 'available', calls: [] } });
  assert.equal($('account-row').hidden, true);
  $('number').value = '';
});

test('Do not disturb: disabled while the host has not said its status', () => {
  port().receive({ type: 'host', data: { connected: false, message: 'The Tabphone host stopped' } });
  assert.equal($('dnd').disabled, true);
  port().receive({ type: 'host', data: { connected: true, version: '0.1.0' } });
  port().receive({ type: 'state', data: { accounts: [account], status: 'available', calls: [] } });
  assert.equal($('dnd').disabled, false);
});

test('a ringing incoming call: Answer and Decline (not End call, not Dial); Answer sends answer', async () => {
  const call = { id: 'c11', direction: 'incoming', number: '1002', name: 'Alice', state: 'ringing', started_at: Date.now() };
  port().receive({ type: 'call', data: { call } });
  port().receive({ type: 'incoming', data: { call } });
  assert.equal($('answer').hidden, false);
  assert.equal($('decline').hidden, false);
  assert.equal($('answer').textContent, 'Answer');
  assert.equal($('decline').textContent, 'Decline');
  assert.equal($('hangup').hidden, true);
  assert.equal($('dial').hidden, true);
  assert.equal($('call-state').textContent, 'Alice (1002) · Incoming call');
  $('number').value = '';
  $('dial-form').dispatch('submit'); // Enter with nothing typed answers
  const req = answer('answer', { ok: true, data: {} });
  $('answer').dispatch('click', { detail: 1 });
  assert.equal(port().ofType('answer').length, 1, 'one answer at a time');
  assert.deepEqual(req.data, { call_id: 'c11' });
  await flush();
  port().receive({ type: 'call', data: { call: { ...call, state: 'connected', answered_at: Date.now() } } });
  assert.equal($('answer').hidden, true);
  assert.equal($('hangup').hidden, false);
  assert.equal($('dial').hidden, false);
  // A second call rings while this one is up: Answer/Decline for it, End call for the first.
  const second = { ...call, id: 'c12', number: '1003', name: undefined };
  port().receive({ type: 'call', data: { call: second } });
  assert.equal($('answer').hidden, false);
  assert.equal($('hangup').hidden, false);
  // Escape declines the ringing call (not the call in progress).
  doc.root.dispatch('keydown', { key: 'Escape' });
  const dec = answer('decline', { ok: true, data: {} });
  assert.deepEqual(dec.data, { call_id: 'c12' });
  await flush();
  port().receive({ type: 'call', data: { call: { ...second, state: 'ended', end_reason: { sip_code: 486, message: 'Declined' } } } });
  $('decline').dispatch('click', { detail: 1 });
  assert.equal(port().ofType('decline').length, 1, 'nothing rings: Decline is hidden and does nothing');
  port().receive({ type: 'call', data: { call: { ...call, state: 'ended' } } });
  assert.equal($('hangup').hidden, true);
  assert.equal($('answer').hidden, true);
});

const WARNING = 'Window will be closed soon, since there is no active session';
const SITE = { url: 'http://127.0.0.1:8080/app/', match: 'http://127.0.0.1/*', login: 'http://127.0.0.1/login*' };
const withSession = (state, extra = {}) => ({
  type: 'state', data: { accounts: [{ ...account, registration: 'unregistered' }], status: 'available', calls: [], session: { state, sites: [SITE], ...extra } },
});

test('no session (waiting): "Open the Dialer/PBX to use the phone", a button that opens it, Dial disabled', async () => {
  port().receive({ type: 'host', data: { connected: true, version: '0.1.0' } });
  port().receive(withSession('waiting'));
  assert.equal($('no-session').hidden, false);
  assert.equal($('no-session-message').textContent, 'Open the Dialer/PBX to use the phone');
  assert.equal($('open-dialer').hidden, false);
  assert.equal($('open-dialer').textContent, 'Open the Dialer/PBX');
  assert.equal($('no-session-login').hidden, true);
  assert.equal($('dial').disabled, true);
  assert.equal($('registration').textContent, '', '"Not registered" is no problem here');
  const sent = port().ofType('dial').length;
  $('number').value = '600';
  $('dial-form').dispatch('submit');
  assert.equal(port().ofType('dial').length, sent, 'Enter does not dial either');
  $('open-dialer').dispatch('click', { detail: 1 });
  await flush();
  assert.deepEqual(created, [{ url: 'http://127.0.0.1:8080/app/' }]);
  assert.equal(popupClosed, 1);
});

test('no session and no start URL: "Log in to your Dialer/PBX", no button', () => {
  port().receive({ type: 'host', data: { connected: false, stopped: true, code: 'no_session', message: 'Open the Dialer/PBX to use the phone', session: { state: 'closed', sites: [{ match: SITE.match }] } } });
  assert.equal($('no-session').hidden, false);
  assert.equal($('open-dialer').hidden, true);
  assert.equal($('no-session-login').hidden, false);
  assert.equal($('no-session-login').textContent, 'Log in to your Dialer/PBX');
  assert.equal($('host-problem').hidden, true, 'a phone stopped on purpose is no host problem');
});

test('the session active: the notice goes, Dial works; closing_soon shows the warning and countdown', () => {
  port().receive({ type: 'host', data: { connected: true, version: '0.1.0' } });
  port().receive({ ...withSession('active'), data: { ...withSession('active').data, accounts: [account] } });
  assert.equal($('no-session').hidden, true);
  assert.equal($('dial').disabled, false);
  assert.equal($('closing-warning').hidden, true);
  port().receive({ type: 'closing_soon', data: { message: WARNING, reason: 'logout', deadline: Date.now() + 5000, seconds: 5 } });
  assert.equal($('closing-warning').hidden, false);
  assert.equal($('closing-message').textContent, WARNING);
  assert.equal($('closing-countdown').textContent, '5');
  port().receive({ type: 'close', data: { reason: 'logout' } });
  assert.equal($('closing-warning').hidden, true);
  assert.equal($('no-session').hidden, false, 'closed: the notice again');
});
