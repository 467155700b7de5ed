import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MissedCalls, MISSED_KEY, MAX_MISSED_KEYS, missedKeyOf, missedBadgeText,
} from '../lib/missedcalls.js';
import { badgeFor, BADGE_COLORS } from '../lib/badge.js';
import { initialState, applySnapshot } from '../lib/state.js';
import { useI18n } from '../lib/i18n.js';
import { fakeI18n } from './fakei18n.js';
import { FakeStorage } from './fakes.js';

useI18n(fakeI18n());

let seq = 0;
/** A host `call` event of an incoming call that ended. */
function ended({ answered = false, reason = 'Missed call', id = `c${++seq}`, direction = 'incoming' } = {}) {
  const call = {
    id, account: 'work', direction, number: '1002', state: 'ended', started_at: 1_000 + seq,
    ended_at: 2_000 + seq, end_reason: { message: reason },
  };
  if (answered) call.answered_at = 1_500 + seq;
  return { type: 'call', data: { call } };
}

test('missed calls: what counts — unanswered incoming (given up, timed out, Do not disturb)', () => {
  assert.ok(missedKeyOf(ended()));
  assert.ok(missedKeyOf(ended({ reason: 'Missed: Do not disturb' })));
  assert.equal(missedKeyOf(ended({ answered: true })), null, 'answered');
  assert.equal(missedKeyOf(ended({ reason: 'Declined' })), null, 'the user declined it: seen');
  assert.equal(missedKeyOf(ended({ direction: 'outgoing' })), null, 'outgoing');
  const ringing = ended();
  ringing.data.call.state = 'ringing';
  assert.equal(missedKeyOf(ringing), null, 'still ringing');
  assert.equal(missedKeyOf({ type: 'state', data: {} }), null);
  assert.equal(missedKeyOf(null), null);
});

test('missed calls: counted once each, stored, cleared when seen', async () => {
  const storage = new FakeStorage();
  const changes = [];
  const m = new MissedCalls({ storage, onChange: (n) => changes.push(n) });
  await m.load();
  const a = ended();
  assert.equal(await m.onHostEvent(a), true);
  assert.equal(await m.onHostEvent(a), false, 'the same call again');
  await m.onHostEvent(ended({ reason: 'Missed: Do not disturb' }));
  await m.onHostEvent(ended({ answered: true }));
  await m.onHostEvent(ended({ reason: 'Declined' }));
  assert.equal(m.count, 2);
  assert.equal(storage.data[MISSED_KEY].count, 2);
  assert.deepEqual(changes, [0, 1, 2]);
  await m.seen();
  assert.equal(m.count, 0);
  assert.equal(storage.data[MISSED_KEY].count, 0);
  assert.equal(await m.onHostEvent(a), false, 'a call counted before is not counted again after seen');
  assert.equal(await m.seen(), false, 'nothing to clear');
});

test('missed calls: a new worker reads the count back; damaged storage counts as none', async () => {
  const storage = new FakeStorage();
  const first = new MissedCalls({ storage });
  await first.onHostEvent(ended());
  await first.onHostEvent(ended());
  const next = new MissedCalls({ storage });
  await next.load();
  assert.equal(next.count, 2);
  for (const bad of [null, 'x', { count: -3, keys: 'no' }, { count: 1.5 }]) {
    const m = new MissedCalls({ storage: new FakeStorage({ [MISSED_KEY]: bad }) });
    await m.load();
    assert.equal(m.count, 0, JSON.stringify(bad));
  }
  const failing = new MissedCalls({ storage: { get: async () => { throw new Error('gone'); }, set: async () => { throw new Error('gone'); } }, log: {} });
  assert.equal(await failing.onHostEvent(ended()), true, 'counts in memory when storage fails');
  assert.equal(failing.count, 1);
});

test('missed calls: a call missed while a popup is open is not counted (the user is looking)', async () => {
  let looking = true;
  const m = new MissedCalls({ storage: new FakeStorage(), looking: () => looking });
  const a = ended();
  await m.onHostEvent(a);
  assert.equal(m.count, 0);
  looking = false;
  assert.equal(await m.onHostEvent(a), false, 'the same call later is not counted either');
  await m.onHostEvent(ended());
  assert.equal(m.count, 1);
});

test('missed calls: the remembered keys are capped', async () => {
  const storage = new FakeStorage();
  const m = new MissedCalls({ storage });
  for (let i = 0; i < MAX_MISSED_KEYS + 10; i++) await m.onHostEvent(ended());
  assert.equal(m.count, MAX_MISSED_KEYS + 10);
  assert.equal(storage.data[MISSED_KEY].keys.length, MAX_MISSED_KEYS);
});

test('badge: the missed count when idle, "99+" past 99; a ringing call, a call or a problem say more', () => {
  const acc = { id: 'work', user: '1001', domain: 'x', registration: 'registered' };
  const st = (status, calls = [], accounts = [acc]) => applySnapshot(initialState(), { accounts, status, calls });
  const up = { connected: true };
  assert.deepEqual(badgeFor(st('available'), up, 3), { text: '3', color: BADGE_COLORS.missed });
  assert.equal(badgeFor(st('dnd'), up, 2).text, '2', 'missed over DND');
  assert.equal(badgeFor(st('dnd'), up, 0).text, 'DND');
  assert.equal(badgeFor(st('available'), up, 0).text, '');
  assert.equal(badgeFor(st('available'), up, 150).text, '99+');
  assert.equal(badgeFor(st('available', [{ id: 'c1', state: 'ringing', direction: 'incoming' }]), up, 3).text, '☎');
  assert.equal(badgeFor(st('available', [{ id: 'c1', state: 'connected', direction: 'outgoing' }]), up, 3).text, '●');
  assert.equal(badgeFor(st('available'), { connected: false }, 3).text, '!');
  assert.equal(missedBadgeText(NaN), '');
  assert.equal(missedBadgeText(-1), '');
});
