import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  RecentCalls, recentEntry, addRecent, normalizeRecent, recentKindWords, recentTimeWords, RECENT_KEY, MAX_RECENT,
} from '../lib/recentcalls.js';
import { FakeStorage } from './fakes.js';
import { useI18n } from '../lib/i18n.js';
import { fakeI18n } from './fakei18n.js';

useI18n(fakeI18n()); // the English of _locales/en

const ended = (extra = {}) => ({
  id: 'c1', account: 'work', direction: 'outgoing', number: '600', state: 'ended', started_at: 1000, ...extra,
});

test('recentEntry: number, name, direction, time, missed — nothing else', () => {
  assert.deepEqual(recentEntry(ended({ answered_at: 1100, ended_at: 2000, codec: 'PCMU' })), {
    key: 'c1@1000', number: '600', direction: 'outgoing', at: 1000, missed: false,
  });
  assert.deepEqual(
    recentEntry(ended({ direction: 'incoming', number: '1002', name: '  Alice   Smith ', end_reason: { message: 'Missed call' } })),
    { key: 'c1@1000', number: '1002', name: 'Alice Smith', direction: 'incoming', at: 1000, missed: true },
  );
  assert.equal(recentEntry(ended({ direction: 'incoming', answered_at: 1500 })).missed, false, 'answered');
  assert.equal(recentEntry(ended({ direction: 'incoming', end_reason: { sip_code: 486, message: 'Declined' } })).missed, false);
  assert.deepEqual(
    recentEntry(ended({ direction: 'incoming', end_reason: { sip_code: 486, message: 'Missed: Do not disturb' } })),
    { key: 'c1@1000', number: '600', direction: 'incoming', at: 1000, missed: true, dnd: true },
  );
  assert.equal(recentEntry(ended({ name: 'x'.repeat(500) })).name.length, 64, 'names are capped');
  assert.equal(recentEntry(ended({ name: '600' })).name, undefined, 'a name that is the number is no name');
});

test('recentEntry: only ended calls with a usable number', () => {
  assert.equal(recentEntry(ended({ state: 'connected' })), null);
  assert.equal(recentEntry(ended({ number: '' })), null);
  assert.equal(recentEntry(ended({ number: 7 })), null);
  assert.equal(recentEntry(ended({ number: '1'.repeat(300) })), null);
  assert.equal(recentEntry(null), null);
  assert.equal(recentEntry(ended({ started_at: undefined }), 4242).at, 4242);
});

test('addRecent: newest first, the same call once, at most 20', () => {
  let list = [];
  for (let i = 0; i < 25; i++) list = addRecent(list, recentEntry(ended({ id: `c${i}`, number: `${600 + i}`, started_at: 1000 + i })));
  assert.equal(list.length, MAX_RECENT);
  assert.equal(list[0].number, '624');
  assert.equal(list.at(-1).number, '605');
  list = addRecent(list, recentEntry(ended({ id: 'c24', number: '624', started_at: 1024 })));
  assert.equal(list.length, 20);
  assert.equal(list.filter((e) => e.number === '624').length, 1);
});

test('normalizeRecent: storage is checked, sorted and capped', () => {
  const list = normalizeRecent([
    { number: '600', at: 1, direction: 'outgoing', missed: false, key: 'a' },
    'junk', null, { number: '', at: 2 }, { number: '601' }, { number: '602', at: 3, direction: 'sideways', missed: 'yes', name: 5 },
  ]);
  assert.deepEqual(list, [
    { key: '@3', number: '602', direction: 'outgoing', at: 3, missed: false },
    { key: 'a', number: '600', direction: 'outgoing', at: 1, missed: false },
  ]);
  assert.deepEqual(normalizeRecent(undefined), []);
  assert.deepEqual(normalizeRecent({}), []);
});

test('words: Missed / Incoming / Outgoing; the time today, the date before', () => {
  assert.equal(recentKindWords({ missed: true }), 'Missed');
  assert.equal(recentKindWords({ missed: true, dnd: true }), 'Missed (Do not disturb)');
  assert.equal(recentKindWords({ missed: false, direction: 'incoming' }), 'Incoming');
  assert.equal(recentKindWords({ missed: false, direction: 'outgoing' }), 'Outgoing');
  const now = new Date(2026, 0, 15, 14, 30).getTime();
  const today = recentTimeWords(new Date(2026, 0, 15, 9, 5).getTime(), now, 'en-GB');
  assert.equal(today, '09:05');
  const before = recentTimeWords(new Date(2026, 0, 14, 9, 5).getTime(), now, 'en-GB');
  assert.match(before, /14 Jan 09:05/);
});

test('RecentCalls: records ended calls in storage.local, one write at a time', async () => {
  const storage = new FakeStorage();
  const recent = new RecentCalls({ storage, now: () => 5 });
  await Promise.all([
    recent.record(ended({ id: 'a', number: '600', started_at: 1 })),
    recent.record(ended({ id: 'b', number: '601', started_at: 2 })),
    recent.record({ id: 'c', state: 'connected', number: '602' }),
    recent.record(ended({ id: 'd', direction: 'incoming', number: '1002', name: 'Bob', started_at: 3 })),
  ]);
  assert.deepEqual(storage.data[RECENT_KEY].map((e) => e.number), ['1002', '601', '600']);
  assert.deepEqual(storage.data[RECENT_KEY][0], { key: 'd@3', number: '1002', name: 'Bob', direction: 'incoming', at: 3, missed: true });
  assert.deepEqual((await recent.list()).map((e) => e.number), ['1002', '601', '600']);
});

test('RecentCalls: a storage failure is logged, never thrown, and the next record works', async () => {
  const storage = new FakeStorage();
  let fail = true;
  const set = storage.set.bind(storage);
  storage.set = async (o) => {
    if (fail) throw new Error('quota');
    return set(o);
  };
  const warnings = [];
  const recent = new RecentCalls({ storage, log: { warn: (...a) => warnings.push(a) } });
  await recent.record(ended());
  assert.equal(warnings.length, 1);
  fail = false;
  await recent.record(ended({ id: 'c2', started_at: 2000 }));
  assert.equal(storage.data[RECENT_KEY].length, 1);
});
