// The popup's recent calls: the host's history (history_get) as the one list, what the
// extension caches of it (storage.session), and the ended call the host has not listed yet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  RecentCalls, entryFromHistory, entryFromCall, entriesFromHistory, mergeRecent, normalizeRecent, isMissedEntry,
  recentKindWords, recentTimeWords, RECENT_CACHE_KEY, MAX_RECENT, RECENT_KIND,
} from '../lib/recentcalls.js';
import { FakeStorage, flush } from './fakes.js';
import { useI18n } from '../lib/i18n.js';
import { fakeI18n } from './fakei18n.js';

useI18n(fakeI18n()); // the English of _locales/en

/** One call of history_get's reply, as the host sends it. */
const hist = (extra = {}) => ({
  id: 'c1', account: 'work', direction: 'outgoing', number: '600', result: 'outgoing', started_at: 1000, answered_at: 1100,
  ended_at: 5000, seconds: 3, ...extra,
});
/** A `call` event's call that ended. */
const ended = (extra = {}) => ({
  id: 'c1', account: 'work', direction: 'outgoing', number: '600', state: 'ended', started_at: 1000, ...extra,
});

test('entryFromHistory: number, name, direction, time and how it went — nothing else', () => {
  assert.deepEqual(entryFromHistory(hist({ reason: 'Call ended' })), {
    key: 'c1@1000', number: '600', direction: 'outgoing', at: 1000, kind: 'outgoing',
  });
  assert.equal(entryFromHistory(hist({ result: 'failed', answered_at: undefined, seconds: 0, reason: 'Busy' })).kind, 'outgoing');
  const incoming = (extra) => entryFromHistory(hist({
    direction: 'incoming', number: '1002', name: '  Alice   Smith ', result: 'missed', answered_at: undefined, ...extra,
  }));
  assert.deepEqual(incoming({ reason: 'Missed call' }), {
    key: 'c1@1000', number: '1002', name: 'Alice Smith', direction: 'incoming', at: 1000, kind: 'missed',
  });
  assert.equal(incoming({ reason: 'Missed: Do not disturb' }).kind, 'dnd', 'a DND rejection is missed, and says why');
  assert.equal(incoming({ reason: 'Declined' }).kind, 'declined', 'the host files a declined call as missed; the user declined it');
  assert.equal(incoming({ result: 'answered', answered_at: 1500 }).kind, 'incoming');
  assert.equal(entryFromHistory(hist({ name: 'x'.repeat(500) })).name.length, 64, 'names are capped');
  assert.equal(entryFromHistory(hist({ name: '600' })).name, undefined, 'a name that is the number is no name');
  assert.equal(entryFromHistory(hist({ started_at: 0 })).at, 5000, 'no start: the end');
});

test('entryFromHistory: only calls with a usable number and a time', () => {
  assert.equal(entryFromHistory(hist({ number: '' })), null);
  assert.equal(entryFromHistory(hist({ number: 7 })), null);
  assert.equal(entryFromHistory(hist({ number: '1'.repeat(300) })), null);
  assert.equal(entryFromHistory(hist({ started_at: 0, ended_at: 0 })), null);
  assert.equal(entryFromHistory(null), null);
  assert.equal(entryFromHistory([]), null);
});

test('entryFromCall: an ended call gives the entry its history line will give, under the same key', () => {
  const pairs = [
    [ended({ answered_at: 1100, ended_at: 5000, codec: 'PCMU' }), hist()],
    [ended({ direction: 'incoming', number: '1002', name: 'Alice', end_reason: { message: 'Missed call' } }),
      hist({ direction: 'incoming', number: '1002', name: 'Alice', result: 'missed', answered_at: undefined, reason: 'Missed call' })],
    [ended({ direction: 'incoming', end_reason: { sip_code: 486, message: 'Missed: Do not disturb' } }),
      hist({ direction: 'incoming', result: 'missed', answered_at: undefined, reason: 'Missed: Do not disturb' })],
    [ended({ direction: 'incoming', end_reason: { sip_code: 486, message: 'Declined' } }),
      hist({ direction: 'incoming', result: 'missed', answered_at: undefined, reason: 'Declined' })],
    [ended({ direction: 'incoming', answered_at: 1500 }), hist({ direction: 'incoming', result: 'answered', answered_at: 1500 })],
  ];
  for (const [call, line] of pairs) assert.deepEqual(entryFromCall(call), entryFromHistory(line), JSON.stringify(call));
  assert.equal(entryFromCall(ended({ state: 'connected' })), null);
  assert.equal(entryFromCall(ended({ number: '' })), null);
  assert.equal(entryFromCall(null), null);
  assert.equal(entryFromCall(ended({ started_at: undefined }), 4242).at, 4242);
});

test('entriesFromHistory and mergeRecent: newest first, capped; the host\'s entry wins over the event\'s', () => {
  const calls = Array.from({ length: 25 }, (_, i) => hist({ id: `c${i}`, number: `${600 + i}`, started_at: 1000 + i }));
  calls.push('junk', hist({ number: '' }));
  const fromHost = entriesFromHistory(calls.reverse());
  assert.equal(fromHost.length, MAX_RECENT);
  assert.equal(fromHost[0].number, '624');
  assert.equal(fromHost.at(-1).number, '605');
  assert.deepEqual(entriesFromHistory(undefined), []);

  const justEnded = [entryFromCall(ended({ id: 'c24', number: '624', started_at: 1024 })), entryFromCall(ended({ id: 'c9', number: '700', started_at: 2000 }))];
  const merged = mergeRecent(fromHost, justEnded);
  assert.equal(merged.length, MAX_RECENT);
  assert.deepEqual(merged.slice(0, 3).map((e) => e.number), ['700', '624', '623']);
  assert.equal(merged.filter((e) => e.key === 'c24@1024').length, 1);
});

test('normalizeRecent: the cached list is checked, sorted and capped', () => {
  const list = normalizeRecent([
    { number: '600', at: 1, direction: 'outgoing', kind: 'outgoing', key: 'a' },
    'junk', null, { number: '', at: 2 }, { number: '601' }, { number: ' 603', at: 4 },
    { number: '602', at: 3, direction: 'sideways', kind: 'weird', name: 5 },
  ]);
  assert.deepEqual(list, [
    { key: '@3', number: '602', direction: 'outgoing', at: 3, kind: 'outgoing' },
    { key: 'a', number: '600', direction: 'outgoing', at: 1, kind: 'outgoing' },
  ]);
  assert.deepEqual(normalizeRecent(undefined), []);
  assert.deepEqual(normalizeRecent({}), []);
});

test('words: Missed / Missed (Do not disturb) / Declined / Incoming / Outgoing; the time today, the date before', () => {
  assert.equal(recentKindWords({ kind: 'missed' }), 'Missed');
  assert.equal(recentKindWords({ kind: 'dnd' }), 'Missed (Do not disturb)');
  assert.equal(recentKindWords({ kind: 'declined' }), 'Declined');
  assert.equal(recentKindWords({ kind: 'incoming' }), 'Incoming');
  assert.equal(recentKindWords({ kind: 'outgoing' }), 'Outgoing');
  assert.deepEqual(Object.values(RECENT_KIND).filter((kind) => isMissedEntry({ kind })), ['missed', 'dnd']);
  const now = new Date(2026, 0, 15, 14, 30).getTime();
  assert.equal(recentTimeWords(new Date(2026, 0, 15, 9, 5).getTime(), now, 'en-GB'), '09:05');
  assert.match(recentTimeWords(new Date(2026, 0, 14, 9, 5).getTime(), now, 'en-GB'), /14 Jan 09:05/);
});

/** A RecentCalls whose requests the test answers (or that answer by themselves). */
function setup({ cache = new FakeStorage(), answer = null } = {}) {
  const requests = [];
  const shown = [];
  const warnings = [];
  const recent = new RecentCalls({
    request: (type, data) => new Promise((resolve) => {
      requests.push({ type, data, resolve });
      if (answer) resolve(answer());
    }),
    cache,
    onChange: (list) => shown.push(list.map((e) => e.number)),
    now: () => 9999,
    log: { warn: (...a) => warnings.push(a) },
  });
  return { recent, requests, shown, warnings, cache };
}

const HOST_UP = { type: 'host', data: { connected: true, version: '0.1.0' } };

test('RecentCalls: the cached list at once; the host\'s list when the host is there, cached in its place', async () => {
  const t = setup({ cache: new FakeStorage({ [RECENT_CACHE_KEY]: [{ key: 'old@1', number: '601', direction: 'outgoing', at: 1, kind: 'outgoing' }] }) });
  await t.recent.load();
  assert.deepEqual(t.shown, [['601']]);
  assert.equal(t.requests.length, 0, 'nothing asked before the host is there');
  t.recent.onMessage({ type: 'host', data: { connected: false, stopped: true, code: 'no_session' } });
  t.recent.onMessage({ type: 'state', data: { accounts: [], calls: [] } });
  assert.equal(t.requests.length, 0);
  t.recent.onMessage(HOST_UP);
  assert.deepEqual(t.requests.map((r) => [r.type, r.data]), [['history_get', { limit: MAX_RECENT }]]);
  t.requests[0].resolve({ ok: true, data: { calls: [hist({ id: 'c2', number: '602', started_at: 2000 }), hist()] } });
  await flush();
  assert.deepEqual(t.recent.list.map((e) => e.number), ['602', '600']);
  assert.deepEqual(t.cache.data[RECENT_CACHE_KEY].map((e) => e.key), ['c2@2000', 'c1@1000']);
  assert.deepEqual(t.cache.data[RECENT_CACHE_KEY][0], { key: 'c2@2000', number: '602', direction: 'outgoing', at: 2000, kind: 'outgoing' });
});

test('RecentCalls: a cache that answers after the host does not replace the host\'s list', async () => {
  const cache = new FakeStorage({ [RECENT_CACHE_KEY]: [{ key: 'old@1', number: '601', direction: 'outgoing', at: 1, kind: 'outgoing' }] });
  let release;
  const get = cache.get.bind(cache);
  cache.get = (k) => new Promise((resolve) => { release = () => resolve(get(k)); });
  const t = setup({ cache, answer: () => ({ ok: true, data: { calls: [hist()] } }) });
  const loading = t.recent.load();
  t.recent.onMessage(HOST_UP);
  await flush();
  release();
  await loading;
  assert.deepEqual(t.recent.list.map((e) => e.number), ['600']);
});

test('RecentCalls: an ended call shows at once, is read again from the host, and stays until the host lists it', async () => {
  const t = setup();
  t.recent.onMessage(HOST_UP);
  t.requests[0].resolve({ ok: true, data: { calls: [hist()] } });
  await flush();
  t.recent.onMessage({ type: 'call', data: { call: ended({ id: 'c2', number: '602', started_at: 2000, state: 'connected' }) } });
  assert.equal(t.requests.length, 1, 'a call that goes on changes nothing');
  const dnd = ended({
    id: 'c2', direction: 'incoming', number: '602', name: 'Callback 602', started_at: 2000, end_reason: { sip_code: 486, message: 'Missed: Do not disturb' },
  });
  t.recent.onMessage({ type: 'call', data: { call: dnd } });
  assert.deepEqual(t.recent.list.map((e) => [e.number, e.kind]), [['602', 'dnd'], ['600', 'outgoing']], 'shown at once');
  assert.equal(t.requests.length, 2);
  // The reply overtook the host's write: the call is not in it yet.
  t.requests[1].resolve({ ok: true, data: { calls: [hist()] } });
  await flush();
  assert.deepEqual(t.recent.list.map((e) => e.number), ['602', '600'], 'kept from the event');
  // The next read has it from the host: listed once.
  t.recent.onMessage(HOST_UP);
  const line = hist({
    id: 'c2', direction: 'incoming', number: '602', name: 'Callback 602', result: 'missed', answered_at: undefined, started_at: 2000, reason: 'Missed: Do not disturb',
  });
  t.requests[2].resolve({ ok: true, data: { calls: [line, hist()] } });
  await flush();
  assert.deepEqual(t.recent.list.map((e) => [e.number, e.kind, e.name]), [['602', 'dnd', 'Callback 602'], ['600', 'outgoing', undefined]]);
  // From now on the host alone decides: a later list without the call (a trimmed file)
  // does not bring the event's copy back.
  t.recent.onMessage(HOST_UP);
  t.requests[3].resolve({ ok: true, data: { calls: [hist()] } });
  await flush();
  assert.deepEqual(t.recent.list.map((e) => e.number), ['600']);
});

test('RecentCalls: one read at a time; calls that end meanwhile get one more read after it', async () => {
  const t = setup();
  t.recent.onMessage(HOST_UP);
  for (const id of ['c2', 'c3', 'c4']) t.recent.onMessage({ type: 'call', data: { call: ended({ id, started_at: 2000 + Number(id[1]) }) } });
  assert.equal(t.requests.length, 1);
  t.requests[0].resolve({ ok: true, data: { calls: [] } });
  await flush();
  assert.equal(t.requests.length, 2, 'one more read for the three');
  t.requests[1].resolve({ ok: true, data: { calls: [] } });
  await flush();
  assert.equal(t.requests.length, 2);
  assert.deepEqual(t.recent.list.map((e) => e.key), ['c4@2004', 'c3@2003', 'c2@2002']);
});

test('RecentCalls: a host that cannot answer leaves the list as it was; nothing is cached, nothing thrown', async () => {
  const cached = [{ key: 'old@1', number: '601', direction: 'outgoing', at: 1, kind: 'outgoing' }];
  const t = setup({ cache: new FakeStorage({ [RECENT_CACHE_KEY]: cached }), answer: () => ({ ok: false, error: { code: 'no_session' } }) });
  await t.recent.load();
  t.recent.onMessage(HOST_UP);
  await flush();
  assert.deepEqual(t.recent.list.map((e) => e.number), ['601']);
  assert.deepEqual(t.cache.data[RECENT_CACHE_KEY], cached);
  assert.equal(t.warnings.length, 1);
  // A cache that fails is only a warning too; without a cache the list still works.
  const failing = new FakeStorage();
  failing.get = async () => { throw new Error('no session storage'); };
  failing.set = async () => { throw new Error('quota'); };
  const u = setup({ cache: failing, answer: () => ({ ok: true, data: { calls: [hist()] } }) });
  await u.recent.load();
  u.recent.onMessage(HOST_UP);
  await flush();
  assert.deepEqual(u.recent.list.map((e) => e.number), ['600']);
  const v = setup({ cache: null, answer: () => ({ ok: true, data: { calls: [hist()] } }) });
  await v.recent.load();
  v.recent.onMessage(HOST_UP);
  await flush();
  assert.deepEqual(v.recent.list.map((e) => e.number), ['600']);
});
