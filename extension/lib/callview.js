// Words for what the host reports: call states, timers, registration, errors.
// Page strings live here so they can move to _locales later in one place.

import {
  CALL_STATE, REGISTRATION, ERR, NO_SESSION_MESSAGE,
} from './protocol.js';

/** "00:42", "12:05", "1:02:03". */
export function formatDuration(ms) {
  const total = Math.max(0, Math.floor((Number(ms) || 0) / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

/** The state of a call in words; `now` is Unix ms (for the timer). */
export function callStateWords(call, now) {
  if (!call) return '';
  switch (call.state) {
    case CALL_STATE.CALLING:
      return 'Calling…';
    case CALL_STATE.RINGING:
    case CALL_STATE.EARLY:
      return call.direction === 'incoming' ? 'Incoming call…' : 'Ringing…';
    case CALL_STATE.CONNECTED:
      return `Connected ${formatDuration(now - (call.answered_at || call.started_at || now))}`;
    case CALL_STATE.ENDED: {
      const why = call.end_reason?.message;
      return why ? `Call ended: ${why}` : 'Call ended';
    }
    default:
      return '';
  }
}

/** The state without the running timer, for screen-reader announcements. */
export function callAnnouncement(call) {
  if (!call) return '';
  const words = call.state === CALL_STATE.CONNECTED ? 'Connected' : callStateWords(call, 0);
  return `${callPartyWords(call)}: ${words}`;
}

/** Who the call is with, for display. */
export function callPartyWords(call) {
  return call?.number ? String(call.number) : 'Unknown number';
}

function isAuthFailure(err) {
  return err?.sip_code === 401 || err?.sip_code === 403 || err?.sip_code === 407;
}

/** The registration of one account in words. */
export function registrationWords(account) {
  if (!account) return 'No SIP account is set up.';
  switch (account.registration) {
    case REGISTRATION.REGISTERED:
      return `Registered as ${account.user} at ${account.domain}`;
    case REGISTRATION.REGISTERING:
      return 'Registering…';
    case REGISTRATION.FAILED:
      if (isAuthFailure(account.error)) return 'Wrong password';
      return account.error?.message || 'Registration failed';
    case REGISTRATION.UNREGISTERED:
    default:
      return 'Not registered';
  }
}

/** True when the registration line should look like a problem. */
export function registrationIsProblem(account) {
  return !account || account.registration === REGISTRATION.FAILED || account.registration === REGISTRATION.UNREGISTERED;
}

/** A failed reply's error in words for the user. */
export function errorWords(error) {
  const code = error?.code;
  const message = error?.message;
  switch (code) {
    case ERR.TIMEOUT:
      return 'The Tabphone host did not answer in time.';
    case ERR.HOST_UNAVAILABLE:
      return message || 'The Tabphone host is not running.';
    case ERR.DISCONNECTED:
      return 'Lost the connection to the background; try again.';
    case ERR.NOT_REGISTERED:
      return 'The phone is not registered yet.';
    case ERR.NO_ACCOUNT:
      return 'No SIP account is set up.';
    case ERR.NO_CALL:
      return 'That call has already ended.';
    case ERR.TOO_LARGE:
      return 'The message was too large for the host.';
    case ERR.NO_SESSION:
      return NO_SESSION_MESSAGE;
    default:
      return message || (code ? `Something went wrong (${code}).` : 'Something went wrong.');
  }
}

/** The host line: empty when the host is connected, else what is wrong and the fix. */
export function hostWords(status, snapshot) {
  if (status?.connecting) return ''; // the first connect: not a problem (yet)
  if (status?.stopped) return ''; // stopped on purpose (no Dialer/PBX session): the page says so
  if (status && !status.connected) return status.message || 'The Tabphone host is not running.';
  const ce = snapshot?.config_error;
  if (ce) return `The phone's settings could not be used: ${ce.message || ce.code}`;
  return '';
}

/** What the page says while the phone waits for a Dialer/PBX session. */
export const LOGIN_HINT = 'Log in to your Dialer/PBX';

/**
 * Where "Open the Dialer/PBX" goes: the first site's `url` (an http(s) URL), or null
 * when no site has one (then the page says LOGIN_HINT; nothing is made up from patterns).
 */
export function dialerUrl(session) {
  for (const site of session?.sites ?? []) {
    if (typeof site?.url !== 'string') continue;
    try {
      const u = new URL(site.url);
      if (u.protocol === 'http:' || u.protocol === 'https:') return u.href;
    } catch { /* not a URL */ }
  }
  return null;
}
