// What the UI knows: the host's last `state` snapshot with the `call` events applied
// since. Pure functions; the background and every page run the same reducer.

import { MSG, CALL_STATE, LIVE_CALL_STATES, isPlainObject } from './protocol.js';

/** @returns {{snapshot: object|null, lastEnded: object|null}} */
export function initialState() {
  return { snapshot: null, lastEnded: null };
}

function emptySnapshot() {
  return { accounts: [], status: 'available', calls: [] };
}

function isCall(c) {
  return isPlainObject(c) && typeof c.id === 'string' && c.id !== '' && typeof c.state === 'string';
}

/** Applies a host event; other messages leave the state as it is (same object). */
export function applyEvent(state, msg) {
  if (!isPlainObject(msg)) return state;
  switch (msg.type) {
    case MSG.STATE:
      return applySnapshot(state, msg.data);
    case MSG.CALL:
      return isPlainObject(msg.data) ? applyCall(state, msg.data.call) : state;
    case MSG.HOST:
      // Without the host there are no calls or registrations; the next state rebuilds.
      return isPlainObject(msg.data) && msg.data.connected === false && state.snapshot !== null
        ? { snapshot: null, lastEnded: state.lastEnded }
        : state;
    default:
      return state;
  }
}

/** Replaces the snapshot. Ended calls in it (the host does not send them) move to lastEnded. */
export function applySnapshot(state, data) {
  if (!isPlainObject(data)) return state;
  const calls = Array.isArray(data.calls) ? data.calls.filter(isCall) : [];
  let { lastEnded } = state;
  for (const c of calls) if (c.state === CALL_STATE.ENDED) lastEnded = c;
  return {
    snapshot: {
      ...data,
      accounts: Array.isArray(data.accounts) ? data.accounts.filter(isPlainObject) : [],
      status: typeof data.status === 'string' ? data.status : 'available',
      calls: calls.filter((c) => c.state !== CALL_STATE.ENDED),
    },
    lastEnded,
  };
}

/** Updates or inserts one call by id; an ended call leaves `calls` and becomes lastEnded. */
export function applyCall(state, call) {
  if (!isCall(call)) return state;
  const snap = state.snapshot ?? emptySnapshot();
  const others = snap.calls.filter((c) => c.id !== call.id);
  if (call.state === CALL_STATE.ENDED) {
    return { snapshot: { ...snap, calls: others }, lastEnded: call };
  }
  const i = snap.calls.findIndex((c) => c.id === call.id);
  const calls = i < 0 ? [...snap.calls, call] : snap.calls.map((c) => (c.id === call.id ? call : c));
  return { snapshot: { ...snap, calls }, lastEnded: state.lastEnded };
}

/** Calls that are up or being set up, oldest first. */
export function liveCalls(state) {
  return (state.snapshot?.calls ?? []).filter((c) => LIVE_CALL_STATES.includes(c.state));
}

/** The call the popup shows and hangs up: the newest live call, or null. */
export function currentCall(state) {
  const calls = liveCalls(state);
  return calls.length ? calls[calls.length - 1] : null;
}

/** The account the popup shows: the first one (the host lists the default first). */
export function mainAccount(state) {
  return state.snapshot?.accounts?.[0] ?? null;
}
