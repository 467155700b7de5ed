import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PageClient } from '../lib/pageclient.js';
import { FakeClock, FakePort, flush } from './fakes.js';

function setup() {
  const clock = new FakeClock();
  const ports = [];
  const got = [];
  let drops = 0;
  const client = new PageClient({
    connect: () => {
      const p = new FakePort({ name: 'popup' });
      ports.push(p);
      return p;
    },
    onMessage: (m) => got.push(m),
    onDisconnect: () => { drops++; },
    clock,
  });
  return { client, clock, ports, got, port: () => ports.at(-1), drops: () => drops };
}

test('requests carry increasing ids and resolve with the matching reply', async () => {
  const t = setup();
  t.client.start();
  const a = t.client.request('dial', { number: '600' });
  const b = t.client.request('state_get');
  const [ma, mb] = t.port().sent;
  assert.deepEqual(ma, { type: 'dial', id: 1, data: { number: '600' } });
  assert.deepEqual(mb, { type: 'state_get', id: 2 });
  t.port().receive({ type: 'reply', id: 2, ok: true, data: { calls: [] } });
  t.port().receive({ type: 'reply', id: 1, ok: false, error: { code: 'bad_number', message: 'no' } });
  assert.deepEqual(await a, { ok: false, error: { code: 'bad_number', message: 'no' } });
  assert.deepEqual(await b, { ok: true, data: { calls: [] } });
  assert.equal(t.got.length, 0);
});

test('events go to onMessage', () => {
  const t = setup();
  t.client.start();
  t.port().receive({ type: 'state', data: {} });
  t.port().receive(42);
  assert.deepEqual(t.got, [{ type: 'state', data: {} }]);
});

test('a request without a reply times out', async () => {
  const t = setup();
  t.client.start();
  let r;
  t.client.request('state_get').then((x) => { r = x; });
  t.clock.advance(15_000);
  await flush();
  assert.equal(r.error.code, 'timeout');
});

test('a dropped port fails pending requests and reconnects (the worker restarted)', async () => {
  const t = setup();
  t.client.start();
  const p = t.client.request('state_get');
  t.port().drop();
  assert.equal((await p).error.code, 'disconnected');
  assert.equal(t.drops(), 1);
  assert.equal((await t.client.request('state_get')).error.code, 'disconnected');
  t.clock.advance(199);
  assert.equal(t.ports.length, 1);
  t.clock.advance(1);
  assert.equal(t.ports.length, 2);
  // Backoff grows while the new port drops at once, and resets once a message arrives.
  t.port().drop();
  t.clock.advance(400);
  assert.equal(t.ports.length, 3);
  t.port().receive({ type: 'host', data: { connected: true } });
  t.port().drop();
  t.clock.advance(200);
  assert.equal(t.ports.length, 4);
});

test('close stops reconnecting', () => {
  const t = setup();
  t.client.start();
  t.client.close();
  assert.equal(t.port().disconnected, true);
  t.clock.advance(60_000);
  assert.equal(t.ports.length, 1);
});
