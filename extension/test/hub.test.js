import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hub, isOwnPage, checkPageMessage } from '../lib/hub.js';
import { FakePort, flush } from './fakes.js';
import { useI18n } from '../lib/i18n.js';
import { fakeI18n } from './fakei18n.js';

useI18n(fakeI18n()); // the English of _locales/en

const EXT_ID = 'fofiikfolgbiahjjnmckkiaefainepgm';
const ORIGIN = `chrome-extension://${EXT_ID}/`;
const account = { id: 'work', user: '1001', domain: '127.0.0.1:5060', registration: 'registered' };
const call = (id, state) => ({ id, account: 'work', direction: 'outgoing', number: '600', state, started_at: 1 });

function pagePort(name, { id = EXT_ID, url = `${ORIGIN}${name}/${name}.html` } = {}) {
  return new FakePort({ name, sender: { id, url } });
}

class FakeNative {
  constructor() {
    this.requests = [];
    this.replies = [];
    this.reconnects = 0;
  }

  request(type, data) {
    this.requests.push({ type, data });
    return Promise.resolve(this.replies.shift() ?? { ok: true, data: {} });
  }

  reconnectNow() { this.reconnects++; }
}

function setup() {
  const native = new FakeNative();
  const opens = [];
  let finishOpen;
  const changes = [];
  const hub = new Hub({
    native,
    extensionId: EXT_ID,
    extensionOrigin: ORIGIN,
    openSoftphone: () => {
      opens.push(1);
      return new Promise((resolve) => { finishOpen = resolve; });
    },
    onChange: (h) => changes.push(h.state),
    log: { warn() {}, error() {} },
  });
  return { hub, native, opens, changes, finishOpen: () => finishOpen?.() };
}

function connected(t) {
  t.hub.onHostStatus({ connected: true, version: '0.1.0' });
  t.native.requests.length = 0; // the state_get made on connect
}

test('isOwnPage: only this extension\'s pages', () => {
  assert.equal(isOwnPage(pagePort('popup'), EXT_ID, ORIGIN), true);
  assert.equal(isOwnPage(pagePort('popup', { id: 'other' }), EXT_ID, ORIGIN), false);
  // A content script has this extension's id but the web page's URL.
  assert.equal(isOwnPage(pagePort('popup', { url: 'https://evil.example/' }), EXT_ID, ORIGIN), false);
  assert.equal(isOwnPage(pagePort('popup', { url: `chrome-extension://${EXT_ID}evil/x.html` }), EXT_ID, ORIGIN), false);
  assert.equal(isOwnPage(new FakePort({ name: 'popup' }), EXT_ID, ORIGIN), false);
  assert.equal(isOwnPage(pagePort('popup', { id: undefined }), undefined, ORIGIN), false);
  assert.equal(isOwnPage(pagePort('popup'), EXT_ID, `chrome-extension://${EXT_ID}`), false, 'origin must end with /');
});

test('foreign ports and unknown port names are refused and disconnected', () => {
  const t = setup();
  for (const port of [pagePort('popup', { url: 'https://evil.example/x' }), pagePort('popup', { id: 'x' }), pagePort('devtools')]) {
    assert.equal(t.hub.connectPage(port), false);
    assert.equal(port.disconnected, true);
    assert.equal(port.sent.length, 0);
  }
  assert.equal(t.hub.pageCount('popup'), 0);
});

test('a page gets the host status and the cached state when it connects', () => {
  const t = setup();
  connected(t);
  t.hub.onHostEvent({ type: 'state', data: { accounts: [account], status: 'available', calls: [] } });
  const p = pagePort('popup');
  assert.equal(t.hub.connectPage(p), true);
  assert.deepEqual(p.sent.map((m) => m.type), ['host', 'state']);
  assert.deepEqual(p.sent[0].data, { connected: true, version: '0.1.0' });
  assert.deepEqual(p.sent[1].data.accounts, [account]);
  assert.equal(t.native.reconnects, 0);
});

test('a page connecting while the host is down asks for a reconnect now', () => {
  const t = setup();
  t.hub.onHostStatus({ connected: false, message: 'not installed' });
  const p = pagePort('popup');
  t.hub.connectPage(p);
  assert.deepEqual(p.sent.map((m) => m.type), ['host']);
  assert.equal(p.sent[0].data.message, 'not installed');
  assert.equal(t.native.reconnects, 1);
});

test('page requests go to the host and the reply comes back under the page\'s id', async () => {
  const t = setup();
  connected(t);
  const p = pagePort('popup');
  t.hub.connectPage(p);
  t.native.replies.push({ ok: true, data: { call_id: 'c1' } });
  p.receive({ type: 'dial', id: 7, data: { number: '600', extra: 'dropped' } });
  await flush();
  assert.deepEqual(t.native.requests, [{ type: 'dial', data: { number: '600' } }]);
  assert.deepEqual(p.last('reply'), { type: 'reply', id: 7, ok: true, data: { call_id: 'c1' } });

  t.native.replies.push({ ok: false, error: { code: 'no_call', message: 'no such call' } });
  p.receive({ type: 'hangup', id: 8, data: { call_id: 'c9' } });
  await flush();
  assert.deepEqual(p.last('reply'), { type: 'reply', id: 8, ok: false, error: { code: 'no_call', message: 'no such call' } });
});

test('state_get is answered from the cache when there is one', async () => {
  const t = setup();
  connected(t);
  const p = pagePort('softphone');
  t.hub.connectPage(p);
  p.receive({ type: 'state_get', id: 1 });
  await flush();
  assert.deepEqual(t.native.requests.map((r) => r.type), ['state_get'], 'no cache yet: asks the host');
  t.hub.onHostEvent({ type: 'state', data: { accounts: [account], status: 'available', calls: [] } });
  t.native.requests.length = 0;
  p.receive({ type: 'state_get', id: 2 });
  await flush();
  assert.equal(t.native.requests.length, 0);
  assert.deepEqual(p.last('reply').data.accounts, [account]);
});

test('bad page messages get a bad_request reply and never reach the host', async () => {
  const t = setup();
  connected(t);
  const p = pagePort('popup');
  t.hub.connectPage(p);
  const cases = [
    { type: 'toString', id: 1 }, // Object.prototype names are not handlers
    { type: 'hasOwnProperty', id: 2 },
    { type: '__proto__', id: 3 },
    { type: 'hello', id: 4, data: { protocol: 1 } }, // only the background says hello
    { type: 'ping', id: 5 },
    { type: 'dial', id: 6, data: { number: '' } },
    { type: 'dial', id: 7, data: { number: 600 } },
    { type: 'dial', id: 8, data: { number: 'x'.repeat(257) } },
    { type: 'dial', id: 9, data: 'nope' },
    { type: 'hangup', id: 10, data: {} },
    { type: 'webrtc_offer', id: 11, data: { call_id: 'c1', sdp: 'v=0' } }, // popup may not offer
    { type: 'dial', id: 12, data: { number: '600', account: 'x'.repeat(70_000) } },
  ];
  for (const c of cases) p.receive(c);
  await flush();
  assert.equal(t.native.requests.length, 0);
  const replies = p.ofType('reply');
  assert.deepEqual(replies.map((r) => r.id), cases.map((c) => c.id));
  for (const r of replies) {
    assert.equal(r.ok, false);
    assert.equal(r.error.code, 'bad_request');
  }
});

test('a message without a usable id gets an error event', async () => {
  const t = setup();
  const p = pagePort('popup');
  t.hub.connectPage(p);
  for (const m of [null, 'dial', { type: 'dial', data: { number: '1' } }, { type: 'dial', id: -1 }, { type: 'dial', id: 1.5 }]) p.receive(m);
  await flush();
  assert.equal(p.ofType('error').length, 5);
  assert.equal(t.native.requests.length, 0);
});

test('the softphone page may send webrtc_offer; only call_id and sdp cross', async () => {
  const t = setup();
  connected(t);
  const p = pagePort('softphone');
  t.hub.connectPage(p);
  p.receive({ type: 'webrtc_offer', id: 3, data: { call_id: 'c1', sdp: 'v=0\r\n', x: 1 } });
  await flush();
  assert.deepEqual(t.native.requests, [{ type: 'webrtc_offer', data: { call_id: 'c1', sdp: 'v=0\r\n' } }]);
  assert.deepEqual(p.last('reply'), { type: 'reply', id: 3, ok: true, data: {} });
});

test('checkPageMessage rejects an sdp over the cap', () => {
  const r = checkPageMessage({ type: 'webrtc_offer', id: 1, data: { call_id: 'c1', sdp: 'x'.repeat(60_001) } }, 'softphone');
  assert.equal(r.ok, false);
});

test('host events go to every page; a page that left gets nothing', () => {
  const t = setup();
  const a = pagePort('popup');
  const b = pagePort('softphone');
  t.hub.connectPage(a);
  t.hub.connectPage(b);
  const ev = { type: 'webrtc_answer', data: { call_id: 'c1', sdp: 'v=0' } };
  t.hub.onHostEvent(ev);
  assert.deepEqual(a.last('webrtc_answer'), ev);
  assert.deepEqual(b.last('webrtc_answer'), ev);
  a.drop();
  t.hub.onHostEvent({ type: 'error', data: { code: 'too_large', message: 'x' } });
  assert.equal(a.ofType('error').length, 0);
  assert.equal(b.ofType('error').length, 1);
  assert.equal(t.hub.pageCount('popup'), 0);
});

test('a page whose postMessage throws is dropped without breaking the others', () => {
  const t = setup();
  const a = pagePort('popup');
  const b = pagePort('popup');
  t.hub.connectPage(a);
  t.hub.connectPage(b);
  a.throwOnPost = new Error('Attempting to use a disconnected port object');
  t.hub.onHostEvent({ type: 'state', data: { accounts: [], calls: [] } });
  assert.equal(b.ofType('state').length, 1);
  assert.equal(t.hub.pageCount('popup'), 1);
});

test('a live call opens the softphone window once; not while a softphone page is there', async () => {
  const t = setup();
  connected(t);
  t.hub.onHostEvent({ type: 'state', data: { accounts: [account], status: 'available', calls: [] } });
  assert.equal(t.opens.length, 0, 'no call, no window');
  t.hub.onHostEvent({ type: 'call', data: { call: call('c1', 'calling') } });
  await flush();
  assert.equal(t.opens.length, 1);
  t.hub.onHostEvent({ type: 'call', data: { call: call('c1', 'ringing') } });
  await flush();
  assert.equal(t.opens.length, 1, 'an open is in flight');
  t.finishOpen();
  await flush();
  t.hub.connectPage(pagePort('softphone'));
  t.hub.onHostEvent({ type: 'call', data: { call: call('c1', 'connected') } });
  await flush();
  assert.equal(t.opens.length, 1, 'the softphone page is connected');
});

test('an ended call does not open the window; the open is retried after a failure', async () => {
  const t = setup();
  connected(t);
  t.hub.onHostEvent({ type: 'call', data: { call: call('c1', 'ended') } });
  await flush();
  assert.equal(t.opens.length, 0);

  const failing = new Hub({
    native: t.native, extensionId: EXT_ID, extensionOrigin: ORIGIN, log: { warn() {}, error() {} },
    openSoftphone: () => { t.opens.push(1); return Promise.reject(new Error('no windows')); },
  });
  failing.onHostEvent({ type: 'call', data: { call: call('c2', 'calling') } });
  await flush();
  failing.onHostEvent({ type: 'call', data: { call: call('c2', 'ringing') } });
  await flush();
  assert.equal(t.opens.length, 2);
});

test('host down: pages hear it, the cached state is dropped; host back: state is asked for', async () => {
  const t = setup();
  connected(t);
  t.hub.onHostEvent({ type: 'state', data: { accounts: [account], status: 'available', calls: [call('c1', 'connected')] } });
  const p = pagePort('popup');
  t.hub.connectPage(p);
  t.hub.onHostStatus({ connected: false, message: 'The Tabphone host stopped' });
  assert.deepEqual(p.last('host').data, { connected: false, message: 'The Tabphone host stopped' });
  assert.equal(t.hub.state.snapshot, null);

  t.native.replies.push({ ok: true, data: { accounts: [account], status: 'available', calls: [] } });
  t.hub.onHostStatus({ connected: true, version: '0.1.0' });
  await flush();
  assert.deepEqual(t.native.requests.map((r) => r.type), ['state_get']);
  assert.deepEqual(t.hub.state.snapshot.accounts, [account]);
  assert.deepEqual(p.last('state').data.accounts, [account]);
});

test('onChange runs when the state or the host status changes', () => {
  const t = setup();
  t.hub.onHostStatus({ connected: false, message: 'x' });
  const n = t.changes.length;
  t.hub.onHostEvent({ type: 'webrtc_answer', data: {} });
  assert.equal(t.changes.length, n, 'no state change');
  t.hub.onHostEvent({ type: 'state', data: { accounts: [], calls: [] } });
  assert.equal(t.changes.length, n + 1);
});

test('replies from the host are not broadcast as events', () => {
  const t = setup();
  const p = pagePort('popup');
  t.hub.connectPage(p);
  t.hub.onHostEvent({ type: 'reply', id: 3, ok: true });
  assert.equal(p.ofType('reply').length, 0);
});

test('wantHost: called when a page connects or dials while the host is down, not while it is up', async () => {
  const native = new FakeNative();
  let wants = 0;
  const hub = new Hub({
    native, extensionId: EXT_ID, extensionOrigin: ORIGIN, openSoftphone: async () => {}, log: { warn() {}, error() {} },
    wantHost: () => { wants++; },
  });
  hub.onHostStatus({ connected: false, stopped: true, code: 'no_session', message: 'Open the Dialer/PBX to use the phone' });
  const p = pagePort('popup');
  hub.connectPage(p);
  assert.equal(wants, 1);
  assert.equal(native.reconnects, 0, 'the background decides, not the hub');
  native.replies.push({ ok: false, error: { code: 'no_session', message: 'Open the Dialer/PBX to use the phone' } });
  p.receive({ type: 'dial', id: 1, data: { number: '600' } });
  await flush();
  assert.equal(wants, 2);
  assert.deepEqual(p.last('reply').error, { code: 'no_session', message: 'Open the Dialer/PBX to use the phone' });
  hub.onHostStatus({ connected: true, version: '0.1.0' });
  hub.connectPage(pagePort('popup'));
  p.receive({ type: 'dial', id: 2, data: { number: '600' } });
  await flush();
  assert.equal(wants, 2);
});

test('session events reach the pages; the session state is kept for pages that connect later', () => {
  const t = setup();
  connected(t);
  const a = pagePort('popup');
  t.hub.connectPage(a);
  t.hub.onHostEvent({ type: 'state', data: { accounts: [account], calls: [], session: { state: 'active', sites: [] } } });
  const ev = { type: 'closing_soon', data: { message: 'Window will be closed soon, since there is no active session', reason: 'logout', deadline: 1_700_000_005_000, seconds: 5 } };
  t.hub.onHostEvent(ev);
  assert.deepEqual(a.last('closing_soon'), ev);
  assert.equal(t.hub.state.session.state, 'closing_soon');
  t.hub.onHostEvent({ type: 'close', data: { reason: 'logout' } });
  assert.deepEqual(a.last('close'), { type: 'close', data: { reason: 'logout' } });
  assert.equal(t.hub.state.session.state, 'closed');
  t.hub.onHostStatus({ connected: false, stopped: true, message: 'x', session: { state: 'closed', sites: [{ match: 'http://127.0.0.1/*' }] } });
  const late = pagePort('popup');
  t.hub.connectPage(late);
  assert.deepEqual(late.sent.map((m) => m.type), ['host']);
  assert.equal(late.sent[0].data.session.state, 'closed');
});

test('answer, decline and set_status: from any page, only the known fields cross', async () => {
  const t = setup();
  connected(t);
  const p = pagePort('popup');
  t.hub.connectPage(p);
  p.receive({ type: 'answer', id: 1, data: { call_id: 'c1', extra: 1 } });
  p.receive({ type: 'decline', id: 2, data: { call_id: 'c2' } });
  p.receive({ type: 'set_status', id: 3, data: { status: 'dnd', account: 'x' } });
  p.receive({ type: 'set_status', id: 4, data: { status: 'available' } });
  await flush();
  assert.deepEqual(t.native.requests, [
    { type: 'answer', data: { call_id: 'c1' } },
    { type: 'decline', data: { call_id: 'c2' } },
    { type: 'set_status', data: { status: 'dnd' } },
    { type: 'set_status', data: { status: 'available' } },
  ]);
  assert.deepEqual(p.ofType('reply').map((r) => [r.id, r.ok]), [[1, true], [2, true], [3, true], [4, true]]);
});

test('answer, decline and set_status are checked', () => {
  assert.equal(checkPageMessage({ type: 'answer', id: 1, data: {} }, 'popup').error, 'answer needs a call_id');
  assert.equal(checkPageMessage({ type: 'decline', id: 1, data: { call_id: 5 } }, 'softphone').error, 'decline needs a call_id');
  for (const status of [undefined, 'busy', 'DND', '', 1]) {
    const r = checkPageMessage({ type: 'set_status', id: 1, data: { status } }, 'popup');
    assert.equal(r.ok, false, String(status));
    assert.match(r.error, /available.*dnd/);
  }
  assert.equal(checkPageMessage({ type: 'answer', id: 1, data: { call_id: 'c1' } }, 'options').ok, true);
});

test('in-call requests (dtmf, mute, hold, transfer): only the known fields cross', async () => {
  const t = setup();
  connected(t);
  const p = pagePort('softphone');
  t.hub.connectPage(p);
  p.receive({ type: 'dtmf', id: 1, data: { call_id: 'c1', digits: '12*#', duration: 9000 } });
  p.receive({ type: 'mute', id: 2, data: { call_id: 'c1', muted: true } });
  p.receive({ type: 'hold', id: 3, data: { call_id: 'c1', hold: false } });
  p.receive({ type: 'transfer', id: 4, data: { call_id: 'c1', target: '700', via: 'x' } });
  p.receive({ type: 'transfer', id: 5, data: { call_id: 'c1', to_call_id: 'c2' } });
  await flush();
  assert.deepEqual(t.native.requests, [
    { type: 'dtmf', data: { call_id: 'c1', digits: '12*#' } },
    { type: 'mute', data: { call_id: 'c1', muted: true } },
    { type: 'hold', data: { call_id: 'c1', hold: false } },
    { type: 'transfer', data: { call_id: 'c1', target: '700' } },
    { type: 'transfer', data: { call_id: 'c1', to_call_id: 'c2' } },
  ]);
  assert.deepEqual(p.ofType('reply').map((r) => [r.id, r.ok]), [[1, true], [2, true], [3, true], [4, true], [5, true]]);
});

test('in-call requests are checked before they reach the host', () => {
  const bad = [
    [{ type: 'dtmf', data: { call_id: 'c1', digits: '12x' } }, /1 to 32 keys/],
    [{ type: 'dtmf', data: { call_id: 'c1', digits: '1'.repeat(33) } }, /1 to 32 keys/],
    [{ type: 'dtmf', data: { digits: '1' } }, /call_id/],
    [{ type: 'mute', data: { call_id: 'c1', muted: 'yes' } }, /true or false/],
    [{ type: 'hold', data: { call_id: 'c1' } }, /true or false/],
    [{ type: 'transfer', data: { call_id: 'c1', target: '' } }, /target/],
    [{ type: 'transfer', data: { call_id: 'c1', target: '1'.repeat(257) } }, /target/],
    [{ type: 'transfer', data: { call_id: 'c1', target: '700', to_call_id: 'c2' } }, /not both/],
    [{ type: 'transfer', data: { call_id: 'c1', to_call_id: 'c1' } }, /another call/],
    [{ type: 'transfer', data: { call_id: 'c1', to_call_id: 7 } }, /another call/],
  ];
  for (const [msg, want] of bad) {
    const r = checkPageMessage({ ...msg, id: 1 }, 'softphone');
    assert.equal(r.ok, false, JSON.stringify(msg));
    assert.match(r.error, want);
  }
  assert.equal(checkPageMessage({ type: 'dtmf', id: 1, data: { call_id: 'c1', digits: '5' } }, 'popup').ok, true);
});

test('incoming and beep events reach every page; incoming applies the call', () => {
  const t = setup();
  connected(t);
  const p = pagePort('popup');
  t.hub.connectPage(p);
  const c = { id: 'c5', direction: 'incoming', number: '1002', state: 'ringing', started_at: 1 };
  t.hub.onHostEvent({ type: 'incoming', data: { call: c } });
  t.hub.onHostEvent({ type: 'beep', data: { call_id: 'c5' } });
  assert.deepEqual(p.sent.map((m) => m.type).slice(-2), ['incoming', 'beep']);
  assert.deepEqual(t.hub.state.snapshot.calls, [c]);
});

test('history_get: from the popup only, with a limit of 1 to 200 (200 when none); the reply goes back', async () => {
  const t = setup();
  connected(t);
  const popup = pagePort('popup');
  const softphone = pagePort('softphone');
  const options = pagePort('options');
  for (const p of [popup, softphone, options]) t.hub.connectPage(p);
  softphone.receive({ type: 'history_get', id: 1, data: { limit: 20 } });
  options.receive({ type: 'history_get', id: 2, data: { limit: 20 } });
  for (const [id, limit] of [[3, 0], [4, 201], [5, 2.5], [6, '20']]) popup.receive({ type: 'history_get', id, data: { limit } });
  await flush();
  assert.equal(t.native.requests.length, 0, 'nothing reached the host');
  assert.match(softphone.last('reply').error.message, /not allowed from softphone/);
  assert.match(options.last('reply').error.message, /not allowed from options/);
  assert.deepEqual(popup.ofType('reply').map((r) => [r.id, r.error.code]), [[3, 'bad_request'], [4, 'bad_request'], [5, 'bad_request'], [6, 'bad_request']]);

  const calls = [{ id: 'c1', direction: 'outgoing', number: '600', result: 'outgoing', started_at: 1 }];
  t.native.replies.push({ ok: true, data: { calls } });
  popup.receive({ type: 'history_get', id: 7, data: { limit: 20, evil: 1 } });
  popup.receive({ type: 'history_get', id: 8 });
  await flush();
  assert.deepEqual(t.native.requests, [{ type: 'history_get', data: { limit: 20 } }, { type: 'history_get', data: { limit: 200 } }]);
  assert.deepEqual(popup.ofType('reply').find((r) => r.id === 7), { type: 'reply', id: 7, ok: true, data: { calls } });
});

test('config_get and config_set: from the options page only; only the known config fields cross', async () => {
  const t = setup();
  connected(t);
  const popup = pagePort('popup');
  const options = pagePort('options');
  t.hub.connectPage(popup);
  t.hub.connectPage(options);
  popup.receive({ type: 'config_get', id: 1 });
  popup.receive({ type: 'config_set', id: 2, data: { accounts: [] } });
  await flush();
  assert.equal(t.native.requests.length, 0);
  assert.match(popup.sent.find((m) => m.id === 1).error.message, /not allowed from popup/);
  assert.equal(popup.sent.find((m) => m.id === 2).error.code, 'bad_request');

  t.native.replies.push({ ok: true, data: { accounts: [{ id: 'work', password_set: true }], sites: [] } });
  options.receive({ type: 'config_get', id: 3 });
  await flush();
  assert.deepEqual(t.native.requests.at(-1), { type: 'config_get', data: undefined });
  assert.deepEqual(options.last('reply'), { type: 'reply', id: 3, ok: true, data: { accounts: [{ id: 'work', password_set: true }], sites: [] } });

  options.receive({
    type: 'config_set',
    id: 4,
    data: {
      accounts: [{
        id: 'work', user: '1001', domain: 'pbx.example.com', password: '', password_set: true, evil: 1,
        codecs: ['pcmu'], auto_answer: { enabled: true, seconds: 3, from_pbx: true, x: 1 }, dnd_code: 480, expires: 120,
        transport: 'tls', tls_ca_file: '/etc/pbx-ca.pem', mwi: true, accept_refer: false,
      }],
      sites: [{ url: 'https://pbx.example.com/', match: 'https://pbx.example.com/*', other: 'x' }],
      close_without_session: false,
      status: 'dnd',
      default_account: 'work',
      extra: true,
    },
  });
  await flush();
  assert.deepEqual(t.native.requests.at(-1), {
    type: 'config_set',
    data: {
      accounts: [{
        id: 'work', user: '1001', domain: 'pbx.example.com', transport: 'tls', tls_ca_file: '/etc/pbx-ca.pem', codecs: ['pcmu'],
        auto_answer: { enabled: true, seconds: 3, from_pbx: true }, dnd_code: 480, expires: 120, mwi: true, accept_refer: false,
      }],
      sites: [{ url: 'https://pbx.example.com/', match: 'https://pbx.example.com/*' }],
      default_account: 'work',
      status: 'dnd',
      close_without_session: false,
    },
  }, 'an empty password is left out (the host keeps the stored one); unknown fields stay behind');
  assert.equal(options.last('reply').id, 4);
});

test('config_set is checked: types of the known fields, list sizes', () => {
  const bad = [
    { accounts: 'x' },
    { accounts: [{ user: 5 }] },
    { accounts: [{ user: '1', codecs: 'opus' }] },
    { accounts: [{ user: '1', auto_answer: { enabled: 'yes' } }] },
    { accounts: [{ user: '1', auto_answer: { enabled: true, from_pbx: 1 } }] },
    { accounts: [{ user: '1', mwi: 'yes' }] },
    { accounts: [{ user: '1', tls_ca_file: 5 }] },
    { accounts: [{ user: '1', dnd_code: 4.5 }] },
    { accounts: [], sites: [{ match: ['x'] }] },
    { accounts: [], close_without_session: 'no' },
    { accounts: Array.from({ length: 17 }, () => ({})) },
    { accounts: [{ user: '1', blf: '2000' }] },
    { accounts: [{ user: '1', blf: [2000] }] },
    { accounts: [{ user: '1', blf: Array.from({ length: 51 }, (_, i) => String(i)) }] },
    { accounts: [{ user: '1', pickup_prefix: 8 }] },
  ];
  for (const data of bad) {
    const r = checkPageMessage({ type: 'config_set', id: 1, data }, 'options');
    assert.equal(r.ok, false, JSON.stringify(data));
    assert.match(r.error, /^config_set: /);
  }
  const ok = checkPageMessage({ type: 'config_set', id: 1, data: { accounts: [{ user: '1', password: 'pw' }] } }, 'options');
  assert.deepEqual(ok.request, { type: 'config_set', data: { accounts: [{ user: '1', password: 'pw' }], sites: [] } });
  const lamps = checkPageMessage({ type: 'config_set', id: 1, data: { accounts: [{ user: '1', blf: ['2000', '2001'], pickup_prefix: '*8' }] } }, 'options');
  assert.deepEqual(lamps.request.data.accounts, [{ user: '1', pickup_prefix: '*8', blf: ['2000', '2001'] }], 'the busy lamps cross');
});

test('a config request while the host is not connected asks for it even when the background keeps it stopped', async () => {
  const native = new FakeNative();
  let settings = 0;
  let wants = 0;
  const gone = [];
  const hub = new Hub({
    native, extensionId: EXT_ID, extensionOrigin: ORIGIN, openSoftphone: async () => {}, log: { warn() {}, error() {} },
    wantHost: () => { wants++; },
    wantSettings: () => { settings++; },
    onPageGone: (name) => gone.push(name),
  });
  hub.onHostStatus({ connected: false, stopped: true, code: 'no_session', message: 'Open the Dialer/PBX to use the phone' });
  const p = pagePort('options');
  hub.connectPage(p);
  assert.equal(wants, 1);
  assert.equal(settings, 0, 'opening the page alone does not start the host');
  p.receive({ type: 'config_get', id: 1 });
  await flush();
  assert.equal(settings, 1);
  p.drop();
  assert.deepEqual(gone, ['options']);
  assert.equal(hub.pageCount('options'), 0);
});

test('host_check ("Check again"): skips the reconnect wait, never reaches the host', async () => {
  const t = setup();
  t.hub.onHostStatus({ connected: false, message: 'not installed', problem: 'not_installed' });
  const p = pagePort('popup');
  t.hub.connectPage(p);
  const before = t.native.reconnects;
  p.receive({ type: 'host_check', id: 4 });
  await flush();
  assert.equal(t.native.reconnects, before + 1);
  assert.deepEqual(p.sent.at(-1), { type: 'reply', id: 4, ok: true, data: {} });
  assert.equal(t.native.requests.filter((r) => r.type === 'host_check').length, 0);
});
