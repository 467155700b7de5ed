// Runs popup/popup.js against its own markup in a fake DOM, with the test playing the
// background on the runtime port.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseDocument } from './fakedom.js';
import { FakePort, flush } from './fakes.js';

const html = readFileSync(new URL('../popup/popup.html', import.meta.url), 'utf8');
const account = { id: 'work', user: '1001', domain: '127.0.0.1:5060', registration: 'registered' };
const ports = [];
const created = [];
let doc;
let popupClosed = 0;

before(async () => {
  doc = parseDocument(html);
  globalThis.document = doc;
  globalThis.window = { close() { popupClosed++; } };
  globalThis.chrome = {
    tabs: { create: async (o) => { created.push(o); return { id: 9 }; } },
    runtime: {
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
  assert.equal($('registration').textContent, 'Registered as 1001 at 127.0.0.1:5060');
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

test('host problems are shown with the fix', () => {
  port().receive({ type: 'host', data: { connected: false, message: 'The Tabphone host is not installed. Run `tabphone-host install`' } });
  assert.equal($('host-problem').hidden, false);
  assert.match($('host-problem').textContent, /tabphone-host install/);
  assert.equal($('registration').textContent, '');
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
