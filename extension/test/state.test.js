import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  initialState, applyEvent, applySnapshot, applyCall, liveCalls, currentCall, mainAccount, accountById,
  normalizeSession, sessionOf, needsSession, closingDeadline, isRingingIncoming, ringingCalls, isMissed, isDndMissed,
  statusOf,
} from '../lib/state.js';
import { HOST_GONE_END } from '../lib/protocol.js';
import { callStateWords } from '../lib/callview.js';
import { useI18n } from '../lib/i18n.js';
import { fakeI18n } from './fakei18n.js';

useI18n(fakeI18n()); // the English of _locales/en

const account = { id: 'work', user: '1001', domain: '127.0.0.1:5060', registration: 'registered' };
const call = (id, state, extra = {}) => ({ id, account: 'work', direction: 'outgoing', number: '600', state, started_at: 1, ...extra });
const snapshot = (calls = []) => ({ type: 'state', data: { accounts: [account], status: 'available', calls } });

test('the state event replaces the snapshot', () => {
  let s = initialState();
  assert.equal(s.snapshot, null);
  s = applyEvent(s, snapshot([call('c1', 'calling')]));
  assert.deepEqual(s.snapshot.accounts, [account]);
  assert.equal(s.snapshot.calls.length, 1);
  s = applyEvent(s, snapshot([]));
  assert.deepEqual(s.snapshot.calls, []);
});

test('a call event updates the call with the same id', () => {
  let s = applyEvent(initialState(), snapshot([call('c1', 'calling'), call('c2', 'connected')]));
  s = applyEvent(s, { type: 'call', data: { call: call('c1', 'ringing') } });
  assert.deepEqual(s.snapshot.calls.map((c) => [c.id, c.state]), [['c1', 'ringing'], ['c2', 'connected']]);
});

test('a call event for a new id appends it', () => {
  let s = applyEvent(initialState(), snapshot([call('c1', 'connected')]));
  s = applyEvent(s, { type: 'call', data: { call: call('c2', 'calling') } });
  assert.deepEqual(s.snapshot.calls.map((c) => c.id), ['c1', 'c2']);
});

test('an ended call leaves calls and is kept as lastEnded', () => {
  let s = applyEvent(initialState(), snapshot([call('c1', 'connected')]));
  const ended = call('c1', 'ended', { end_reason: { message: 'Bye' } });
  s = applyEvent(s, { type: 'call', data: { call: ended } });
  assert.deepEqual(s.snapshot.calls, []);
  assert.deepEqual(s.lastEnded, ended);
  // A later snapshot keeps lastEnded.
  s = applyEvent(s, snapshot([]));
  assert.deepEqual(s.lastEnded, ended);
});

test('an ended call in a snapshot is not live', () => {
  const s = applySnapshot(initialState(), { accounts: [], calls: [call('c1', 'ended')] });
  assert.deepEqual(s.snapshot.calls, []);
  assert.equal(s.lastEnded.id, 'c1');
});

test('a call event before any snapshot still counts', () => {
  const s = applyCall(initialState(), call('c1', 'calling'));
  assert.equal(currentCall(s).id, 'c1');
  assert.deepEqual(s.snapshot.accounts, []);
});

test('the reducer is pure: inputs are not changed', () => {
  const s0 = applyEvent(initialState(), snapshot([call('c1', 'calling')]));
  const frozen = structuredClone(s0);
  applyEvent(s0, { type: 'call', data: { call: call('c1', 'ended') } });
  applyEvent(s0, { type: 'call', data: { call: call('c2', 'calling') } });
  assert.deepEqual(s0, frozen);
});

test('malformed events leave the state as it is', () => {
  const s0 = applyEvent(initialState(), snapshot([call('c1', 'calling')]));
  for (const bad of [null, 'x', { type: 'call' }, { type: 'call', data: { call: { state: 'calling' } } },
    { type: 'call', data: { call: { id: 'c9' } } }, { type: 'state', data: 'nope' }, { type: 'webrtc_answer', data: {} }]) {
    assert.equal(applyEvent(s0, bad), s0, JSON.stringify(bad));
  }
});

test('host gone: the snapshot is dropped (no calls, no registration), lastEnded stays', () => {
  let s = applyEvent(initialState(), snapshot([]));
  s = applyEvent(s, { type: 'call', data: { call: call('c0', 'ended') } });
  s = applyEvent(s, { type: 'host', data: { connected: false, message: 'gone' } });
  assert.equal(s.snapshot, null);
  assert.equal(s.lastEnded.id, 'c0');
  assert.equal(applyEvent(s, { type: 'host', data: { connected: true } }), s);
});

test('host gone during a call: the call is shown as ended, the phone stopped', () => {
  let s = applyEvent(initialState(), snapshot([call('c1', 'connected'), call('c2', 'early')]));
  s = applyEvent(s, { type: 'host', data: { connected: false, message: 'gone' } });
  assert.equal(s.snapshot, null);
  assert.deepEqual(liveCalls(s), []);
  assert.equal(s.lastEnded.id, 'c2');
  assert.equal(s.lastEnded.state, 'ended');
  assert.deepEqual(s.lastEnded.end_reason, { code: HOST_GONE_END });
  assert.equal(callStateWords(s.lastEnded, 0), 'Call ended: the phone stopped');
  // A second status without a host changes nothing more.
  assert.equal(applyEvent(s, { type: 'host', data: { connected: false, connecting: true } }).lastEnded, s.lastEnded);
});

test('selectors: liveCalls, currentCall (newest), mainAccount', () => {
  const s = applyEvent(initialState(), snapshot([call('c1', 'connected'), call('c2', 'early')]));
  assert.deepEqual(liveCalls(s).map((c) => c.id), ['c1', 'c2']);
  assert.equal(currentCall(s).id, 'c2');
  assert.deepEqual(mainAccount(s), account);
  assert.equal(currentCall(initialState()), null);
  assert.equal(mainAccount(initialState()), null);
});

test('mainAccount and accountById follow the host\'s default account, not the list order', () => {
  const first = { id: 'first', user: '1001' };
  const second = { id: 'second', user: '1002', default: true };
  const s = applyEvent(initialState(), { type: 'state', data: { accounts: [first, second], calls: [] } });
  assert.equal(mainAccount(s).id, 'second');
  assert.equal(accountById(s, 'first').id, 'first');
  assert.equal(accountById(s, 'gone').id, 'second');
});

const SITE = { url: 'http://127.0.0.1:8080/app/', match: 'http://127.0.0.1/*' };

test('session: from the snapshot, then closing_soon (deadline, message), cancelled, close', () => {
  let s = applyEvent(initialState(), { type: 'state', data: { accounts: [], calls: [], session: { state: 'active', sites: [SITE] } } });
  assert.deepEqual(sessionOf(s), { state: 'active', sites: [SITE] });
  assert.equal(closingDeadline(s), null);
  s = applyEvent(s, { type: 'closing_soon', data: { message: 'Window will be closed soon, since there is no active session', reason: 'logout', deadline: 1000, seconds: 5 } });
  assert.deepEqual(sessionOf(s), {
    state: 'closing_soon', sites: [SITE], reason: 'logout', deadline: 1000, message: 'Window will be closed soon, since there is no active session',
  });
  assert.equal(closingDeadline(s), 1000);
  assert.equal(needsSession(s), false);
  s = applyEvent(s, { type: 'state', data: { accounts: [], calls: [], session: { state: 'active', reason: 'tab_open', sites: [SITE] } } });
  assert.equal(closingDeadline(s), null, 'a session back cancels the warning');
  s = applyEvent(s, { type: 'close', data: { reason: 'tabs_closed' } });
  assert.deepEqual(sessionOf(s), { state: 'closed', sites: [SITE], reason: 'tabs_closed' });
  assert.equal(needsSession(s), true);
});

test('session: the background\'s host status carries it while no host runs; calls keep it', () => {
  let s = applyEvent(initialState(), { type: 'host', data: { connected: false, stopped: true, session: { state: 'waiting', sites: [SITE] } } });
  assert.equal(needsSession(s), true);
  assert.equal(s.snapshot, null);
  s = applyEvent(s, { type: 'host', data: { connected: false, message: 'gone' } });
  assert.equal(sessionOf(s).state, 'waiting', 'a status without a session keeps it');
  s = applyEvent(s, { type: 'call', data: { call: call('c1', 'calling') } });
  assert.equal(sessionOf(s).state, 'waiting');
  s = applyEvent(s, { type: 'state', data: { accounts: [], calls: [] } });
  assert.equal(sessionOf(s).state, 'waiting', 'a snapshot without a session keeps it');
});

test('session: malformed session data is ignored', () => {
  const s0 = applyEvent(initialState(), { type: 'state', data: { accounts: [], calls: [], session: { state: 'active', sites: [SITE] } } });
  for (const bad of [{ type: 'closing_soon', data: {} }, { type: 'closing_soon', data: { deadline: 'soon' } }, { type: 'closing_soon' }]) {
    assert.equal(applyEvent(s0, bad), s0, JSON.stringify(bad));
  }
  assert.equal(normalizeSession({ state: '' }), null);
  assert.equal(normalizeSession([]), null);
  assert.deepEqual(normalizeSession({ state: 'waiting', sites: [SITE, 'x', null], deadline: -1, message: 3 }), { state: 'waiting', sites: [SITE] });
  assert.equal(needsSession(initialState()), false, 'unknown is not "no session"');
});

test('incoming: the event applies its call like a call event', () => {
  const c = call('c1', 'ringing', { direction: 'incoming' });
  const s = applyEvent(applyEvent(initialState(), snapshot()), { type: 'incoming', data: { call: c } });
  assert.deepEqual(s.snapshot.calls, [c]);
  assert.deepEqual(ringingCalls(s), [c]);
  assert.equal(applyEvent(s, { type: 'beep', data: { call_id: 'c1' } }), s, 'beep changes no state');
});

test('ringing, missed and DND-missed calls', () => {
  const inc = (state, extra) => call('c1', state, { direction: 'incoming', ...extra });
  assert.equal(isRingingIncoming(inc('ringing')), true);
  assert.equal(isRingingIncoming(inc('connected')), false);
  assert.equal(isRingingIncoming(call('c1', 'ringing')), false, 'outgoing');
  assert.equal(isRingingIncoming(null), false);
  assert.equal(isMissed(inc('ended', { end_reason: { message: 'Missed call' } })), true);
  assert.equal(isMissed(inc('ended', { end_reason: { sip_code: 486, message: 'Declined' } })), false);
  assert.equal(isMissed(inc('ended', { answered_at: 5, end_reason: { message: 'Call ended' } })), false);
  assert.equal(isMissed(call('c1', 'ended')), false, 'outgoing');
  assert.equal(isMissed(inc('ringing')), false, 'not over yet');
  const dnd = inc('ended', { end_reason: { sip_code: 486, message: 'Missed: Do not disturb' } });
  assert.equal(isMissed(dnd), true);
  assert.equal(isDndMissed(dnd), true);
  assert.equal(isDndMissed(inc('ended', { end_reason: { message: 'Missed call' } })), false);
  // A DND rejection arrives as one call event, already ended: it never rings.
  const s = applyEvent(applyEvent(initialState(), snapshot()), { type: 'call', data: { call: dnd } });
  assert.deepEqual(ringingCalls(s), []);
  assert.equal(s.lastEnded, dnd);
});

test('statusOf: available, dnd, or null before the host said', () => {
  assert.equal(statusOf(initialState()), null);
  assert.equal(statusOf(applySnapshot(initialState(), { accounts: [], status: 'dnd', calls: [] })), 'dnd');
  assert.equal(statusOf(applySnapshot(initialState(), { accounts: [], status: 'available', calls: [] })), 'available');
  assert.equal(statusOf(applySnapshot(initialState(), { accounts: [], status: 'weird', calls: [] })), null);
});
