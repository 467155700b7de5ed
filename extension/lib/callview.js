// Words for what the host reports: call states, timers, registration, errors. The words
// are messages (lib/i18n.js, _locales/*/messages.json); sentences with numbers or names
// are whole messages with placeholders, never glued from pieces.

import {
  CALL_STATE, REGISTRATION, ERR, HOST_GONE_END,
} from './protocol.js';
import { t } from './i18n.js';

/** "00:42", "12:05", "1:02:03". */
export function formatDuration(ms) {
  const total = Math.max(0, Math.floor((Number(ms) || 0) / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

/** A connected call's state without its timer: held, transferring or plainly connected. */
function connectedWords(call) {
  if (call.transferring) return t('callTransferring');
  if (call.held) return t('callOnHold');
  if (call.remote_hold) return t('callRemoteHold');
  if (call.no_media) return t('callNoMedia');
  return t('callConnected');
}

/** The state of a call in words; `now` is Unix ms (for the timer). */
export function callStateWords(call, now) {
  if (!call) return '';
  switch (call.state) {
    case CALL_STATE.CALLING:
      return t('callCalling');
    case CALL_STATE.RINGING:
    case CALL_STATE.EARLY:
      return call.direction === 'incoming' ? t('callIncoming') : t('callRinging');
    case CALL_STATE.CONNECTED:
      return t('callStateTimer', connectedWords(call), formatDuration(now - (call.answered_at || call.started_at || now)));
    case CALL_STATE.ENDED: {
      if (call.end_reason?.code === HOST_GONE_END) return t('callEndedHostGone');
      // The host's reason is its own (English) sentence.
      const why = call.end_reason?.message;
      return why ? t('callEndedWhy', why) : t('callEnded');
    }
    default:
      return '';
  }
}

/** The state without the running timer, for screen-reader announcements. */
export function callAnnouncement(call) {
  if (!call) return '';
  // Not the words on screen ("Incoming call"), so a search for them finds one element.
  if (call.direction === 'incoming' && (call.state === CALL_STATE.RINGING || call.state === CALL_STATE.EARLY)) {
    return t('callIsCalling', callerWords(call));
  }
  const words = call.state === CALL_STATE.CONNECTED ? connectedWords(call) : callStateWords(call, 0);
  return t('callAnnounce', callerWords(call), words);
}

/** Who the call is with, for display: the number. */
export function callPartyWords(call) {
  return call?.number ? String(call.number) : t('callUnknownNumber');
}

/** At most this many characters of a caller's display name are shown or kept. */
export const MAX_NAME_CHARS = 64;

/** The caller's display name (trimmed, capped), or '' when there is none or it is the number. */
export function callerName(call) {
  if (typeof call?.name !== 'string') return '';
  const name = call.name.replace(/\s+/g, ' ').trim().slice(0, MAX_NAME_CHARS);
  return name === String(call.number ?? '') ? '' : name;
}

/** Name and number in one line: "Alice (1002)", or the number alone. */
export function callerWords(call) {
  const name = callerName(call);
  const number = callPartyWords(call);
  return name ? t('callNameNumber', name, number) : number;
}

/**
 * Whole seconds until auto-answer picks up a ringing call, or null when the call has no
 * auto-answer; `now` is Unix ms.
 */
export function autoAnswerSeconds(call, now) {
  const at = call?.auto_answer_at;
  if (!Number.isFinite(at) || at <= 0) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** "Auto-answer in 3 s" while it counts down, "Answering…" at the end, '' without auto-answer. */
export function autoAnswerWords(call, now) {
  const left = autoAnswerSeconds(call, now);
  if (left === null) return '';
  return left > 0 ? t('callAutoAnswerIn', left) : t('callAnswering');
}

/** The system notification text of a missed call. */
export function missedCallWords(call) {
  return t('callMissedFrom', callerWords(call));
}

export function isAuthFailure(err) {
  return err?.sip_code === 401 || err?.sip_code === 403 || err?.sip_code === 407;
}

/** The registration of one account in words. */
export function registrationWords(account) {
  if (!account) return t('errorNoAccount');
  switch (account.registration) {
    case REGISTRATION.REGISTERED:
      return t('registrationRegistered', account.user, account.domain);
    case REGISTRATION.REGISTERING:
      return t('registrationRegistering');
    case REGISTRATION.FAILED:
      if (isAuthFailure(account.error)) return t('registrationWrongPassword');
      return account.error?.message || t('registrationFailed');
    case REGISTRATION.UNREGISTERED:
    default:
      return t('registrationNone');
  }
}

/**
 * The account's voicemail in words ("2 new voicemails"), or '' when the PBX reported
 * none waiting (or nothing at all).
 */
export function voicemailWords(account) {
  const vm = account?.voicemail;
  if (!vm || vm.waiting !== true) return '';
  const n = Number.isSafeInteger(vm.new) && vm.new > 0 ? vm.new : 0;
  return n > 0 ? t('voicemailNew', String(n)) : t('voicemailWaiting');
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
      return t('errorTimeout');
    case ERR.HOST_UNAVAILABLE:
      return message || t('errorHostNotRunning');
    case ERR.DISCONNECTED:
      return t('errorDisconnected');
    case ERR.NOT_REGISTERED:
      return t('errorNotRegistered');
    case ERR.NO_ACCOUNT:
      return t('errorNoAccount');
    case ERR.NO_CALL:
      return t('errorNoCall');
    case ERR.TOO_LARGE:
      return t('errorTooLarge');
    case ERR.NO_SESSION:
      return t('sessionNeeded');
    default:
      return message || (code ? t('errorCode', code) : t('errorUnknown'));
  }
}

/** The host line: empty when the host is connected, else what is wrong and the fix. */
export function hostWords(status, snapshot) {
  if (status?.connecting) return ''; // the first connect: not a problem (yet)
  if (status?.stopped) return ''; // stopped on purpose (no Dialer/PBX session): the page says so
  if (status && !status.connected) return status.message || t('errorHostNotRunning');
  const ce = snapshot?.config_error;
  if (ce) return t('hostConfigError', ce.message || ce.code);
  return '';
}

/**
 * Where "Open the Dialer/PBX" goes: the first site's `url` (an http(s) URL), or null
 * when no site has one (then the popup says "Log in to your Dialer/PBX", message
 * popupLoginHint; nothing is made up from patterns).
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
