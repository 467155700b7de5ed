import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NativePort, PHASE, backoffDelay, explainDisconnect, disconnectProblem, STABLE_MS, PING_INTERVAL_MS,
} from '../lib/nativeport.js';
import { FakeClock, FakePort, flush } from './fakes.js';
import { useI18n } from '../lib/i18n.js';
import { fakeI18n } from './fakei18n.js';

useI18n(fakeI18n()); // the English of _locales/en

/** A NativePort wired to fake ports; `ports` holds every port it opened. */
function setup(opts = {}) {
  const clock = new FakeClock();
  const ports = [];
  const events = [];
  const statuses = [];
  let lastError;
  const np = new NativePort({
    connect: opts.connect ?? (() => {
      const p = new FakePort();
      ports.push(p);
      return p;
    }),
    lastError: () => lastError,
    version: '0.1.0',
    onEvent: (m) => events.push(m),
    onStatus: (s) => statuses.push(s),
    clock,
  });
  return {
    np, clock, ports, events, statuses,
    setLastError(e) { lastError = e; },
    port: () => ports[ports.length - 1],
  };
}

/** Answers the hello on the current port. */
async function answerHello(t, data = { protocol: 1, version: '0.1.0' }) {
  const port = t.port();
  const h = port.sent.find((m) => m.type === 'hello');
  assert.ok(h, 'hello was sent');
  port.receive({ type: 'reply', id: h.id, ok: true, data });
  await flush();
}

test('hello goes first, with the protocol version and the extension version', () => {
  const t = setup();
  t.np.start();
  assert.equal(t.ports.length, 1);
  assert.equal(t.port().sent.length, 1);
  const h = t.port().sent[0];
  assert.equal(h.type, 'hello');
  assert.ok(Number.isInteger(h.id) && h.id > 0);
  assert.deepEqual(h.data, { protocol: 1, version: '0.1.0' });
  assert.equal(t.np.phase, PHASE.CONNECTING);
});

test('start is idempotent while a port is open', () => {
  const t = setup();
  t.np.start();
  t.np.start();
  assert.equal(t.ports.length, 1);
});

test('requests made before the hello reply wait for it, then go out', async () => {
  const t = setup();
  t.np.start();
  const p = t.np.request('dial', { number: '600' });
  assert.equal(t.port().sent.length, 1, 'only hello so far');
  await answerHello(t);
  assert.equal(t.np.phase, PHASE.READY);
  assert.deepEqual(t.statuses.at(-1), { connected: true, version: '0.1.0' });
  const dial = t.port().last('dial');
  assert.deepEqual(dial.data, { number: '600' });
  t.port().receive({ type: 'reply', id: dial.id, ok: true, data: { call_id: 'c1' } });
  assert.deepEqual(await p, { ok: true, data: { call_id: 'c1' } });
});

test('replies are matched to requests by id, in any order', async () => {
  const t = setup();
  t.np.start();
  await answerHello(t);
  const a = t.np.request('hangup', { call_id: 'a' });
  const b = t.np.request('hangup', { call_id: 'b' });
  const [ma, mb] = t.port().ofType('hangup');
  assert.notEqual(ma.id, mb.id);
  t.port().receive({ type: 'reply', id: mb.id, ok: false, error: { code: 'no_call', message: 'gone' } });
  t.port().receive({ type: 'reply', id: 9999, ok: true, data: {} }); // unknown id: ignored
  t.port().receive({ type: 'reply', id: ma.id, ok: true, data: {} });
  assert.deepEqual(await a, { ok: true, data: {} });
  assert.deepEqual(await b, { ok: false, error: { code: 'no_call', message: 'gone' } });
  assert.equal(t.events.length, 0, 'replies are not events');
});

test('events (messages without a reply) go to onEvent', async () => {
  const t = setup();
  t.np.start();
  await answerHello(t);
  const ev = { type: 'call', data: { call: { id: 'c1', state: 'calling' } } };
  t.port().receive(ev);
  t.port().receive('garbage');
  t.port().receive({ no: 'type' });
  assert.deepEqual(t.events, [ev]);
});

test('a request without a reply resolves to a timeout error after 10 s, and a late reply is ignored', async () => {
  const t = setup();
  t.np.start();
  await answerHello(t);
  let result;
  t.np.request('state_get').then((r) => { result = r; });
  t.clock.advance(9_999);
  await flush();
  assert.equal(result, undefined);
  t.clock.advance(1);
  await flush();
  assert.equal(result.ok, false);
  assert.equal(result.error.code, 'timeout');
  const sg = t.port().last('state_get');
  t.port().receive({ type: 'reply', id: sg.id, ok: true, data: {} });
  await flush();
  assert.equal(result.error.code, 'timeout');
});

test('the timeout can be set per request', async () => {
  const t = setup();
  t.np.start();
  await answerHello(t);
  let result;
  t.np.request('state_get', undefined, { timeoutMs: 100 }).then((r) => { result = r; });
  t.clock.advance(100);
  await flush();
  assert.equal(result?.error?.code, 'timeout');
});

test('a ping goes out every 20 s once the hello is answered', async () => {
  const t2 = setup();
  t2.np.start();
  await answerHello(t2);
  assert.equal(t2.port().ofType('ping').length, 0);
  t2.clock.advance(19_999);
  assert.equal(t2.port().ofType('ping').length, 0);
  t2.clock.advance(1);
  assert.equal(t2.port().ofType('ping').length, 1);
  // Pings are answered; no timeouts pile up.
  for (const p of t2.port().ofType('ping')) t2.port().receive({ type: 'reply', id: p.id, ok: true, data: {} });
  t2.clock.advance(40_000);
  assert.equal(t2.port().ofType('ping').length, 3);
});

test('host not found: the status says how to fix it, pending requests fail, reconnect with backoff', async () => {
  const t = setup();
  t.np.start();
  const pending = t.np.request('state_get');
  t.setLastError({ message: 'Specified native messaging host not found.' });
  t.port().drop();
  const r = await pending;
  assert.equal(r.ok, false);
  assert.equal(r.error.code, 'host_unavailable');
  const s = t.statuses.at(-1);
  assert.equal(s.connected, false);
  assert.match(s.message, /tabphone-host install/);
  assert.match(s.message, /tabphone-host doctor/);
  assert.equal(s.problem, 'not_installed', 'the pages show the install steps for it');
  assert.equal(t.np.phase, PHASE.WAITING);

  // While waiting, requests fail at once with the same words.
  const now = await t.np.request('dial', { number: '1' });
  assert.equal(now.error.code, 'host_unavailable');
  assert.match(now.error.message, /tabphone-host install/);

  // Backoff: 0.5 s, 1 s, 2 s, 4 s, … capped at 30 s.
  const expected = [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000];
  for (const delay of expected) {
    const before = t.ports.length;
    t.clock.advance(delay - 1);
    assert.equal(t.ports.length, before, `no reconnect before ${delay} ms`);
    t.clock.advance(1);
    assert.equal(t.ports.length, before + 1, `reconnect after ${delay} ms`);
    t.port().drop('Specified native messaging host not found.');
  }
});

test('the backoff starts over only after a host stayed up for a minute', async () => {
  const t = setup();
  t.np.start();
  t.port().drop('Native host has exited.');
  t.clock.advance(500);
  t.port().drop('Native host has exited.');
  t.clock.advance(1000);
  assert.equal(t.ports.length, 3);
  await answerHello(t);
  t.clock.advance(STABLE_MS);
  t.port().drop('Native host has exited.');
  assert.deepEqual(t.clock.delays().filter((d) => d > 0 && d !== PING_INTERVAL_MS), [500]);
  assert.match(t.statuses.at(-1).message, /stopped/);
});

test('a host that dies soon after its hello, again and again, is restarted with growing waits, never in a hot loop', async () => {
  const t = setup();
  t.np.start();
  const waits = [];
  for (let i = 0; i < 9; i++) {
    await answerHello(t);
    t.clock.advance(1000); // up for a second, then killed
    t.port().drop('Native host has exited.');
    const wait = t.clock.delays().filter((d) => d > 0)[0];
    waits.push(wait);
    t.clock.advance(wait);
  }
  assert.deepEqual(waits, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  assert.equal(t.ports.length, 10);
});

test('Firefox: the reason is read from port.error', () => {
  const t = setup();
  t.np.start();
  t.port().drop('No such native application com.tabphone.host');
  assert.match(t.statuses.at(-1).message, /not installed/);
});

test('a connect() that throws is a failed attempt, retried with backoff', () => {
  let n = 0;
  const t = setup({
    connect: () => {
      n++;
      throw new Error('Invalid native messaging host name specified.');
    },
  });
  t.np.start();
  assert.equal(n, 1);
  assert.equal(t.np.phase, PHASE.WAITING);
  assert.match(t.statuses.at(-1).message, /could not be started/);
  t.clock.advance(500);
  assert.equal(n, 2);
});

test('reconnectNow skips the rest of the wait', () => {
  const t = setup();
  t.np.start();
  t.port().drop('Native host has exited.');
  t.np.reconnectNow();
  assert.equal(t.ports.length, 2);
  assert.equal(t.np.phase, PHASE.CONNECTING);
  t.np.reconnectNow(); // not waiting any more: no second port
  assert.equal(t.ports.length, 2);
});

test('a hello without an answer closes the port and tries again', async () => {
  const t = setup();
  t.np.start();
  const first = t.port();
  t.clock.advance(10_000);
  await flush();
  assert.equal(first.disconnected, true);
  assert.equal(t.np.phase, PHASE.WAITING);
  t.clock.advance(500);
  assert.equal(t.ports.length, 2);
});

test('a protocol mismatch is shown and does not restart the host in a loop', async () => {
  const t = setup();
  t.np.start();
  const h = t.port().last('hello');
  t.port().receive({ type: 'reply', id: h.id, ok: false, error: { code: 'protocol', message: 'update both' } });
  await flush();
  assert.equal(t.np.phase, PHASE.MISMATCH);
  assert.deepEqual(t.statuses.at(-1), { connected: false, code: 'protocol', message: 'update both' });
  t.clock.advance(120_000);
  assert.equal(t.ports.length, 1, 'no reconnect');
  const r = await t.np.request('dial', { number: '600' });
  assert.equal(r.error.code, 'protocol');
});

test('a postMessage that throws counts as a disconnect', async () => {
  const t = setup();
  t.np.start();
  await answerHello(t);
  t.port().throwOnPost = new Error('Attempting to use a disconnected port object');
  const r = await t.np.request('state_get');
  assert.equal(r.error.code, 'host_unavailable');
  assert.equal(t.np.phase, PHASE.WAITING);
});

test('messages from an old port are ignored after a reconnect', async () => {
  const t = setup();
  t.np.start();
  const old = t.port();
  old.drop('Native host has exited.');
  t.clock.advance(500);
  await answerHello(t);
  old.receive({ type: 'state', data: {} });
  old.onDisconnect.emit(old);
  assert.equal(t.events.length, 0);
  assert.equal(t.np.phase, PHASE.READY);
});

test('a request over 64 KiB is refused without being sent', async () => {
  const t = setup();
  t.np.start();
  await answerHello(t);
  const r = await t.np.request('webrtc_offer', { call_id: 'c1', sdp: 'x'.repeat(70_000) });
  assert.equal(r.error.code, 'too_large');
  assert.equal(t.port().ofType('webrtc_offer').length, 0);
});

test('stop closes the port and fails what waits; no reconnect', async () => {
  const t = setup();
  t.np.start();
  await answerHello(t);
  const p = t.np.request('state_get');
  t.np.stop();
  assert.equal((await p).error.code, 'host_unavailable');
  assert.equal(t.port().disconnected, true);
  t.clock.advance(60_000);
  assert.equal(t.ports.length, 1);
  assert.equal(t.np.phase, PHASE.IDLE);
});

const noSession = { connected: false, stopped: true, code: 'no_session', message: 'Open the Dialer/PBX to use the phone' };

test('stop with a status: the pages hear it, requests fail with its code, the ping and backoff end', async () => {
  const t = setup();
  t.np.start();
  await answerHello(t);
  t.np.stop({ status: noSession });
  assert.deepEqual(t.statuses.at(-1), noSession);
  assert.equal(t.clock.pending, 0, 'no ping, no retry');
  const r = await t.np.request('dial', { number: '600' });
  assert.deepEqual(r, { ok: false, error: { code: 'no_session', message: 'Open the Dialer/PBX to use the phone' } });
  assert.equal(t.port().sent.filter((m) => m.type === 'dial').length, 0);
});

test('stop during the backoff wait cancels the reconnect; stop when idle only sets the status', () => {
  const t = setup();
  t.np.start();
  t.port().drop('Native host has exited.');
  assert.equal(t.np.phase, PHASE.WAITING);
  t.np.stop({ status: noSession });
  t.clock.advance(60_000);
  assert.equal(t.ports.length, 1);
  const idle = setup();
  idle.np.stop({ status: noSession });
  assert.equal(idle.ports.length, 0);
  assert.equal(idle.np.phase, PHASE.IDLE);
  assert.deepEqual(idle.statuses, [noSession]);
});

test('stop waiting for the host: the port stays open until the host closes it, which is no failure', async () => {
  const t = setup();
  t.np.start();
  await answerHello(t);
  const closed = { ...noSession, session: { state: 'closed', sites: [] } };
  t.np.stop({ status: closed, waitForHost: true });
  assert.equal(t.np.phase, PHASE.CLOSING);
  assert.equal(t.port().disconnected, false, 'the browser would kill a host whose port is closed');
  t.port().receive({ type: 'state', data: {} });
  assert.equal(t.events.length, 0, 'a closing host is not listened to');
  t.port().drop('Native host has exited.');
  assert.equal(t.np.phase, PHASE.IDLE);
  assert.deepEqual(t.statuses.at(-1), closed, 'the exit is not shown as a problem');
  t.clock.advance(60_000);
  assert.equal(t.ports.length, 1, 'no reconnect');
});

test('a closing host that does not exit within 5 s gets its port closed', async () => {
  const t = setup();
  t.np.start();
  await answerHello(t);
  t.np.stop({ status: noSession, waitForHost: true });
  t.clock.advance(4_999);
  assert.equal(t.port().disconnected, false);
  t.clock.advance(1);
  assert.equal(t.port().disconnected, true);
  assert.equal(t.np.phase, PHASE.IDLE);
  assert.equal(t.ports.length, 1);
});

test('start while the old host is closing waits for it to be gone, then opens a new port', async () => {
  const t = setup();
  t.np.start();
  await answerHello(t);
  t.np.stop({ status: noSession, waitForHost: true });
  t.np.start();
  assert.equal(t.ports.length, 1, 'not two hosts at once');
  t.port().drop();
  assert.equal(t.ports.length, 2);
  assert.equal(t.np.phase, PHASE.CONNECTING);
  await answerHello(t);
  assert.equal(t.statuses.at(-1).connected, true);
});

test('a plain stop while closing closes the old port at once and forgets a pending start', async () => {
  const t = setup();
  t.np.start();
  await answerHello(t);
  t.np.stop({ status: noSession, waitForHost: true });
  t.np.start();
  t.np.stop({ status: noSession });
  assert.equal(t.port().disconnected, true);
  assert.equal(t.np.phase, PHASE.IDLE);
  t.clock.advance(60_000);
  assert.equal(t.ports.length, 1);
});

test('a stop() made by the status listener on a disconnect cancels the reconnect', () => {
  const clock = new FakeClock();
  const ports = [];
  const np = new NativePort({
    connect: () => { const p = new FakePort(); ports.push(p); return p; },
    version: '0.1.0',
    clock,
    onStatus: (s) => { if (!s.connected && !s.stopped) np.stop({ status: noSession }); },
  });
  np.start();
  ports[0].drop('Native host has exited.');
  clock.advance(60_000);
  assert.equal(ports.length, 1);
  assert.equal(np.phase, PHASE.IDLE);
});

test('backoffDelay doubles from 0.5 s and stops at 30 s', () => {
  assert.deepEqual([0, 1, 2, 5, 6, 7, 100].map((n) => backoffDelay(n)), [500, 1000, 2000, 16000, 30000, 30000, 30000]);
});

test('explainDisconnect words the common failures with their fix', () => {
  assert.match(explainDisconnect('Specified native messaging host not found.'), /not installed.*tabphone-host install.*tabphone-host doctor/s);
  assert.match(explainDisconnect('Access to the specified native messaging host is forbidden.'), /does not allow this extension/);
  assert.match(explainDisconnect('Native host has exited.'), /stopped/);
  assert.match(explainDisconnect('Error when communicating with the native messaging host.'), /could not be started/);
  assert.match(explainDisconnect(undefined), /Lost the connection/);
});

test('disconnectProblem: which failures need the host installed (again)', () => {
  assert.equal(disconnectProblem('Specified native messaging host not found.'), 'not_installed');
  assert.equal(disconnectProblem('No such native application com.tabphone.host'), 'not_installed');
  assert.equal(disconnectProblem('Access to the specified native messaging host is forbidden.'), 'not_allowed');
  assert.equal(disconnectProblem('Failed to start native messaging host.'), 'start_failed');
  assert.equal(disconnectProblem('Native host has exited.'), undefined, 'it ran: reconnecting is the fix');
  assert.equal(disconnectProblem(undefined), undefined);
});
