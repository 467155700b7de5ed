// The message set of docs/protocol.md, defined once for the extension. The Go side keeps
// the same strings in nativehost/protocol.

/** Version of the message set; the host answers hello with its own. */
export const PROTOCOL_VERSION = 1;

/** Name of the native-messaging host (its manifest is com.tabphone.host.json). */
export const HOST_NAME = 'com.tabphone.host';

/** Message types. Requests go browser → host, events host → browser. */
export const MSG = Object.freeze({
  // Requests (browser → host).
  HELLO: 'hello',
  PING: 'ping',
  STATE_GET: 'state_get',
  DIAL: 'dial',
  HANGUP: 'hangup',
  WEBRTC_OFFER: 'webrtc_offer',
  SESSION: 'session',
  ANSWER: 'answer',
  DECLINE: 'decline',
  SET_STATUS: 'set_status',
  CONFIG_GET: 'config_get',
  CONFIG_SET: 'config_set',
  DTMF: 'dtmf',
  MUTE: 'mute',
  HOLD: 'hold',
  TRANSFER: 'transfer',
  HISTORY_GET: 'history_get',
  // Replies and events (host → browser).
  REPLY: 'reply',
  STATE: 'state',
  CALL: 'call',
  WEBRTC_ANSWER: 'webrtc_answer',
  WEBRTC_RESTART: 'webrtc_restart',
  ERROR: 'error',
  CLOSING_SOON: 'closing_soon',
  CLOSE: 'close',
  INCOMING: 'incoming',
  BEEP: 'beep',
  // Background → pages only: whether the host is reachable.
  HOST: 'host',
  // Pages → background only: try the host again now ("Check again").
  HOST_CHECK: 'host_check',
});

/**
 * Why the host is not reachable (`problem` of a `host` status): the browser found no
 * manifest, the manifest does not allow this extension, or the browser could not start
 * the program. Each means the host must be installed (again); the pages show the steps.
 */
export const HOST_PROBLEM = Object.freeze({
  NOT_INSTALLED: 'not_installed',
  NOT_ALLOWED: 'not_allowed',
  START_FAILED: 'start_failed',
});

export const REQUEST_TYPES = Object.freeze([
  MSG.HELLO, MSG.PING, MSG.STATE_GET, MSG.DIAL, MSG.HANGUP, MSG.WEBRTC_OFFER, MSG.SESSION,
  MSG.ANSWER, MSG.DECLINE, MSG.SET_STATUS, MSG.CONFIG_GET, MSG.CONFIG_SET,
  MSG.DTMF, MSG.MUTE, MSG.HOLD, MSG.TRANSFER, MSG.HISTORY_GET,
]);

export const EVENT_TYPES = Object.freeze([
  MSG.STATE, MSG.CALL, MSG.WEBRTC_ANSWER, MSG.WEBRTC_RESTART, MSG.ERROR, MSG.CLOSING_SOON, MSG.CLOSE, MSG.INCOMING, MSG.BEEP,
]);

/** Error codes in replies and error events; the last group is made by the extension. */
export const ERR = Object.freeze({
  BAD_REQUEST: 'bad_request',
  TOO_LARGE: 'too_large',
  PROTOCOL: 'protocol',
  BAD_NUMBER: 'bad_number',
  NO_ACCOUNT: 'no_account',
  NOT_REGISTERED: 'not_registered',
  NO_CALL: 'no_call',
  MEDIA: 'media',
  SIP: 'sip',
  INTERNAL: 'internal',
  NO_SESSION: 'no_session',
  CONFIG: 'config', // config_set: the config is invalid or could not be saved; nothing changed
  // Made by the extension, never sent by the host.
  TIMEOUT: 'timeout',
  HOST_UNAVAILABLE: 'host_unavailable',
  DISCONNECTED: 'disconnected',
});

export const CALL_STATE = Object.freeze({
  CALLING: 'calling',
  RINGING: 'ringing',
  EARLY: 'early',
  CONNECTED: 'connected',
  ENDED: 'ended',
});

/** Call states in which the call needs audio (and so the softphone window). */
export const LIVE_CALL_STATES = Object.freeze([
  CALL_STATE.CALLING, CALL_STATE.RINGING, CALL_STATE.EARLY, CALL_STATE.CONNECTED,
]);

export const DIRECTION = Object.freeze({
  INCOMING: 'incoming',
  OUTGOING: 'outgoing',
});

/** `state.status` and the data of set_status. */
export const STATUS = Object.freeze({
  AVAILABLE: 'available',
  DND: 'dnd', // Do not disturb: the host rejects incoming calls and reports them missed
});

/** `end_reason.message` of an incoming call the user declined (the others are missed). */
export const DECLINED_MESSAGE = 'Declined';
/** `end_reason.message` of an incoming call rejected because of Do not disturb. */
export const DND_MISSED_MESSAGE = 'Missed: Do not disturb';
/**
 * `end_reason.code` the extension gives a call that was up when the host went away
 * (crashed, killed): the host can no longer say how it ended. Never sent by the host.
 */
export const HOST_GONE_END = 'host_gone';

export const REGISTRATION = Object.freeze({
  REGISTERED: 'registered',
  REGISTERING: 'registering',
  UNREGISTERED: 'unregistered',
  FAILED: 'failed',
});

/** `state.session.state`: the phone's binding to the Dialer/PBX web session. */
export const SESSION_STATE = Object.freeze({
  UNBOUND: 'unbound', // no site configured (or the switch off): a plain softphone
  WAITING: 'waiting', // bound, no session reported yet: nothing registers
  ACTIVE: 'active',
  CLOSING_SOON: 'closing_soon', // the 5 s warning runs (deadline in Unix ms)
  CLOSED: 'closed', // final for this host process
});

/** Why the background says a session is (not) active, in the `session` request. */
export const SESSION_REASON = Object.freeze({
  TABS_CLOSED: 'tabs_closed',
  LOGOUT: 'logout',
  TIMEOUT: 'timeout',
  TAB_OPEN: 'tab_open',
});

/** The warning the host sends with closing_soon; pages fall back to it. */
export const CLOSING_MESSAGE = 'Window will be closed soon, since there is no active session';

/** What the phone says while it waits for a Dialer/PBX session (the host's no_session). */
export const NO_SESSION_MESSAGE = 'Open the Dialer/PBX to use the phone';

/** Names of the runtime ports pages open to the background. */
export const PAGE = Object.freeze({
  POPUP: 'popup',
  SOFTPHONE: 'softphone',
  OPTIONS: 'options',
});

/** Browser → host frames are capped at 64 KiB by the host. */
export const MAX_REQUEST_BYTES = 64 * 1024;

const encoder = new TextEncoder();

/** Size in bytes of a message as the port will frame it (UTF-8 JSON). */
export function jsonBytes(msg) {
  return encoder.encode(JSON.stringify(msg)).length;
}

/** True for a plain object (not null, not an array). */
export function isPlainObject(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A failed reply's error part. */
export function failure(code, message) {
  return message === undefined ? { ok: false, error: { code } } : { ok: false, error: { code, message } };
}

// Request builders: {type, data}; the sender adds the id.

export function hello(version) {
  return { type: MSG.HELLO, data: { protocol: PROTOCOL_VERSION, version: String(version) } };
}

export function ping() {
  return { type: MSG.PING };
}

export function stateGet() {
  return { type: MSG.STATE_GET };
}

export function dial(number, account) {
  const data = { number };
  if (account) data.account = account;
  return { type: MSG.DIAL, data };
}

export function hangup(callId) {
  return { type: MSG.HANGUP, data: { call_id: callId } };
}

export function webrtcOffer(callId, sdp) {
  return { type: MSG.WEBRTC_OFFER, data: { call_id: callId, sdp } };
}

export function answer(callId) {
  return { type: MSG.ANSWER, data: { call_id: callId } };
}

export function decline(callId) {
  return { type: MSG.DECLINE, data: { call_id: callId } };
}

/** DTMF keys the host sends (RFC 4733 events 0–15). */
export const DTMF_KEYS = Object.freeze(['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#', 'A', 'B', 'C', 'D']);
/** At most this many keys in one dtmf request. */
export const MAX_DTMF_KEYS = 32;

/** True for 1–32 DTMF keys (0-9 * # A-D). */
export function isDTMFDigits(s) {
  return typeof s === 'string' && s.length > 0 && s.length <= MAX_DTMF_KEYS && [...s].every((k) => DTMF_KEYS.includes(k));
}

export function dtmf(callId, digits) {
  return { type: MSG.DTMF, data: { call_id: callId, digits } };
}

export function mute(callId, muted) {
  return { type: MSG.MUTE, data: { call_id: callId, muted } };
}

export function hold(callId, on) {
  return { type: MSG.HOLD, data: { call_id: callId, hold: on } };
}

/** Blind transfer to a number or SIP URI. */
export function transfer(callId, target) {
  return { type: MSG.TRANSFER, data: { call_id: callId, target } };
}

/** Attended transfer: the party of callId to the party of our other call toCallId. */
export function transferTo(callId, toCallId) {
  return { type: MSG.TRANSFER, data: { call_id: callId, to_call_id: toCallId } };
}

export function setStatus(status) {
  return { type: MSG.SET_STATUS, data: { status } };
}

export function configGet() {
  return { type: MSG.CONFIG_GET };
}

/** config_set: the whole config as config_get returns it; `password` only where a new one was typed. */
export function configSet(config) {
  return { type: MSG.CONFIG_SET, data: config };
}

/** history_get's most calls in one reply (the host caps it there too). */
export const MAX_HISTORY_LIMIT = 200;

/** The host's call history (history.jsonl), newest first: at most `limit` calls. */
export function historyGet(limit) {
  return { type: MSG.HISTORY_GET, data: { limit } };
}

/** `result` of a call in history_get's reply. */
export const HISTORY_RESULT = Object.freeze({
  ANSWERED: 'answered', // incoming, answered
  MISSED: 'missed', // incoming, not answered (the caller gave up, Do not disturb, declined)
  OUTGOING: 'outgoing', // outgoing, connected
  FAILED: 'failed', // outgoing, never connected
});

export function sessionReport(active, reason) {
  return { type: MSG.SESSION, data: { active: Boolean(active), reason } };
}

/** The reply to a request with the given id, in the wire shape. */
export function replyFrame(id, result) {
  return result.ok
    ? { type: MSG.REPLY, id, ok: true, data: result.data ?? {} }
    : { type: MSG.REPLY, id, ok: false, error: result.error };
}
