// What the UI knows: the host's last `state` snapshot with the `call` events applied
// since, and the Dialer/PBX session binding (from the snapshot, the closing_soon and
// close events, or the background's own word while no host runs). Pure functions; the
// background and every page run the same reducer.

import {
  MSG, CALL_STATE, LIVE_CALL_STATES, SESSION_STATE, DIRECTION, STATUS, DECLINED_MESSAGE, DND_MISSED_MESSAGE,
  HOST_GONE_END, isPlainObject,
} from './protocol.js';

/** @returns {{snapshot: object|null, lastEnded: object|null, session: object|null}} */
export function initialState() {
  return { snapshot: null, lastEnded: null, session: null };
}

/**
 * A session object as the pages use it: {state, reason?, deadline?, message?, sites}.
 * null when it is not one.
 */
export function normalizeSession(s) {
  if (!isPlainObject(s) || typeof s.state !== 'string' || s.state === '') return null;
  const out = { state: s.state, sites: Array.isArray(s.sites) ? s.sites.filter(isPlainObject) : [] };
  if (typeof s.reason === 'string' && s.reason !== '') out.reason = s.reason;
  if (Number.isFinite(s.deadline) && s.deadline > 0) out.deadline = s.deadline;
  if (typeof s.message === 'string' && s.message !== '') out.message = s.message;
  return out;
}

function withSession(state, session) {
  return session === null ? state : { ...state, session };
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
    case MSG.INCOMING: // the call event before it carries the same call; applying it twice is harmless
      return isPlainObject(msg.data) ? applyCall(state, msg.data.call) : state;
    case MSG.CLOSING_SOON: {
      const d = msg.data;
      if (!isPlainObject(d) || !Number.isFinite(d.deadline)) return state;
      return withSession(state, normalizeSession({
        sites: state.session?.sites ?? [], state: SESSION_STATE.CLOSING_SOON, reason: d.reason, deadline: d.deadline, message: d.message,
      }));
    }
    case MSG.CLOSE:
      return withSession(state, normalizeSession({
        sites: state.session?.sites ?? [], state: SESSION_STATE.CLOSED, reason: msg.data?.reason,
      }));
    case MSG.HOST: {
      if (!isPlainObject(msg.data)) return state;
      // The background says how the session stands while no host runs.
      let next = withSession(state, normalizeSession(msg.data.session));
      // Without the host there are no calls or registrations; the next state rebuilds.
      // A call that was up when the host went away is shown as ended, with that reason:
      // a host that was killed cannot say so itself.
      if (msg.data.connected === false && next.snapshot !== null) {
        const cut = liveCalls(next).at(-1);
        next = { ...next, snapshot: null };
        if (cut) next.lastEnded = { ...cut, state: CALL_STATE.ENDED, end_reason: { code: HOST_GONE_END } };
      }
      return next;
    }
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
    session: normalizeSession(data.session) ?? state.session ?? null,
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
    return { ...state, snapshot: { ...snap, calls: others }, lastEnded: call };
  }
  const i = snap.calls.findIndex((c) => c.id === call.id);
  const calls = i < 0 ? [...snap.calls, call] : snap.calls.map((c) => (c.id === call.id ? call : c));
  return { ...state, snapshot: { ...snap, calls } };
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

/** The account the popup shows: the one the host marks `default` (config's default_account), else the first. */
export function mainAccount(state) {
  const accounts = state.snapshot?.accounts ?? [];
  return accounts.find((a) => a?.default === true) ?? accounts[0] ?? null;
}

/** The account a call goes out from: the one with that id, else the default one. */
export function accountById(state, id) {
  const accounts = state.snapshot?.accounts ?? [];
  return accounts.find((a) => a.id === id) ?? mainAccount(state);
}

/** The session binding, or null before anything said it. */
export function sessionOf(state) {
  return state.session ?? null;
}

/**
 * True when the phone is bound and waits for a Dialer/PBX session (waiting, or closed
 * until a session comes back): the popup says so and cannot dial.
 */
export function needsSession(state) {
  const st = state.session?.state;
  return st === SESSION_STATE.WAITING || st === SESSION_STATE.CLOSED;
}

/** The closing deadline (Unix ms) while the close-soon warning runs, else null. */
export function closingDeadline(state) {
  const s = state.session;
  return s?.state === SESSION_STATE.CLOSING_SOON && Number.isFinite(s.deadline) ? s.deadline : null;
}

/** True for an incoming call that rings (not answered, declined or ended yet). */
export function isRingingIncoming(call) {
  return isPlainObject(call) && call.direction === DIRECTION.INCOMING
    && (call.state === CALL_STATE.RINGING || call.state === CALL_STATE.EARLY);
}

/** The incoming calls that ring now, oldest first. */
export function ringingCalls(state) {
  return liveCalls(state).filter(isRingingIncoming);
}

/** An ended incoming call that was never answered nor declined (Do not disturb included). */
export function isMissed(call) {
  return isPlainObject(call) && call.direction === DIRECTION.INCOMING && call.state === CALL_STATE.ENDED
    && !call.answered_at && call.end_reason?.message !== DECLINED_MESSAGE;
}

/** A call Do not disturb rejected (it never rang). */
export function isDndMissed(call) {
  return isMissed(call) && call.end_reason?.message === DND_MISSED_MESSAGE;
}

/** The phone's status ("available" or "dnd"), or null before the host said it. */
export function statusOf(state) {
  const s = state.snapshot?.status;
  return s === STATUS.DND || s === STATUS.AVAILABLE ? s : null;
}
