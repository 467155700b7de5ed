// The popup's "Recent calls". The host's call history (history.jsonl, read with
// history_get through the background) is the one list: every call the host saw end,
// missed calls and Do-not-disturb rejections included, kept across browser restarts.
// The extension keeps only what the popup shows — the number, the caller's display name
// (capped), the direction, the time and how the call went, never SIP details — in
// storage.session, so an opening popup shows the last list at once (and while the host
// is stopped for lack of a Dialer/PBX session). The list is read again from the host
// when the host is there (the popup opened, or the host came back) and when a call ends;
// an ended call the host's reply does not list yet (the reply overtook the host's write)
// is shown from its `call` event until the host lists it.
// No browser API here: the request and the storage area are injected.

import {
  MSG, CALL_STATE, DIRECTION, HISTORY_RESULT, DECLINED_MESSAGE, DND_MISSED_MESSAGE, isPlainObject, historyGet,
} from './protocol.js';
import { callerName, MAX_NAME_CHARS } from './callview.js';
import { t } from './i18n.js';

/** storage.session key of the list the popup showed last. */
export const RECENT_CACHE_KEY = 'recentCalls';
/**
 * storage.local key of the list the background kept before the host's history was the
 * one source; the background removes it on update (nothing is carried over).
 */
export const RETIRED_LOCAL_KEY = 'recentCalls';
export const MAX_RECENT = 20;
/** The longest number (or sip: URI) shown; calls with longer ones are left out. */
export const MAX_RECENT_NUMBER_CHARS = 256;
const MAX_KEY_CHARS = 160;
const MAX_ID_CHARS = 128;

/** How a call went, as the list says it. */
export const RECENT_KIND = Object.freeze({
  OUTGOING: 'outgoing',
  INCOMING: 'incoming', // answered
  MISSED: 'missed', // the caller gave up, or the INVITE timed out
  DND: 'dnd', // rejected by Do not disturb: missed, it never rang
  DECLINED: 'declined', // the user declined it
});
const KINDS = Object.freeze(Object.values(RECENT_KIND));

/** True for the kinds the list marks as missed (Do not disturb included). */
export function isMissedEntry(entry) {
  return entry?.kind === RECENT_KIND.MISSED || entry?.kind === RECENT_KIND.DND;
}

/** The kind of an incoming call from whether it was answered and why it ended. */
function incomingKind(answered, reason) {
  if (answered) return RECENT_KIND.INCOMING;
  if (reason === DECLINED_MESSAGE) return RECENT_KIND.DECLINED;
  if (reason === DND_MISSED_MESSAGE) return RECENT_KIND.DND;
  return RECENT_KIND.MISSED;
}

/** A number the list can show and redial, or '' for none. */
function usableNumber(v) {
  const number = typeof v === 'string' ? v.trim() : '';
  return number.length > MAX_RECENT_NUMBER_CHARS ? '' : number;
}

function positive(v) {
  return Number.isFinite(v) && v > 0 ? v : 0;
}

/** The entry's key: tells a call from the next host process's call with the same id. */
function entryKey(id, startedAt) {
  return `${String(id ?? '').slice(0, MAX_ID_CHARS)}@${startedAt}`;
}

function withName(entry, call) {
  const name = callerName(call);
  if (name) entry.name = name;
  return entry;
}

/**
 * The list entry of one call of history_get's reply, or null when there is nothing to
 * show (no number, no time).
 * @returns {{key: string, number: string, name?: string, direction: string, at: number, kind: string} | null}
 */
export function entryFromHistory(h) {
  if (!isPlainObject(h)) return null;
  const number = usableNumber(h.number);
  const at = positive(h.started_at) || positive(h.ended_at);
  if (number === '' || at === 0) return null;
  const incoming = h.direction === DIRECTION.INCOMING;
  const answered = h.result === HISTORY_RESULT.ANSWERED || positive(h.answered_at) > 0;
  return withName({
    key: entryKey(h.id, positive(h.started_at)),
    number,
    direction: incoming ? DIRECTION.INCOMING : DIRECTION.OUTGOING,
    at,
    kind: incoming ? incomingKind(answered, h.reason) : RECENT_KIND.OUTGOING,
  }, h);
}

/**
 * The list entry of a call that just ended (its `call` event), or null when it has not
 * ended or has no number. Its key is the one the host's history gives the same call.
 */
export function entryFromCall(call, now = Date.now()) {
  if (!isPlainObject(call) || call.state !== CALL_STATE.ENDED) return null;
  const number = usableNumber(call.number);
  if (number === '') return null;
  const startedAt = positive(call.started_at);
  const incoming = call.direction === DIRECTION.INCOMING;
  return withName({
    key: entryKey(call.id, startedAt),
    number,
    direction: incoming ? DIRECTION.INCOMING : DIRECTION.OUTGOING,
    at: startedAt || now,
    kind: incoming ? incomingKind(positive(call.answered_at) > 0, call.end_reason?.message) : RECENT_KIND.OUTGOING,
  }, call);
}

/** One cached entry checked and capped, or null (storage is not trusted to be well-formed). */
function checkEntry(e) {
  if (!isPlainObject(e)) return null;
  const number = usableNumber(e.number);
  if (number === '' || number !== e.number || !Number.isFinite(e.at)) return null;
  const out = {
    key: typeof e.key === 'string' ? e.key.slice(0, MAX_KEY_CHARS) : `@${e.at}`,
    number,
    direction: e.direction === DIRECTION.INCOMING ? DIRECTION.INCOMING : DIRECTION.OUTGOING,
    at: e.at,
    kind: KINDS.includes(e.kind) ? e.kind : RECENT_KIND.OUTGOING,
  };
  if (typeof e.name === 'string' && e.name !== '') out.name = e.name.slice(0, MAX_NAME_CHARS);
  return out;
}

/** A list as the popup may use it: valid entries only, newest first, capped. */
export function normalizeRecent(list, max = MAX_RECENT) {
  if (!Array.isArray(list)) return [];
  return list.map(checkEntry).filter(Boolean).sort((a, b) => b.at - a.at).slice(0, max);
}

/** history_get's calls as list entries, newest first, capped. */
export function entriesFromHistory(calls, max = MAX_RECENT) {
  if (!Array.isArray(calls)) return [];
  return calls.map(entryFromHistory).filter(Boolean).sort((a, b) => b.at - a.at).slice(0, max);
}

/** The host's entries with the just-ended ones it does not list yet, newest first, capped. */
export function mergeRecent(fromHost, justEnded, max = MAX_RECENT) {
  const keys = new Set(fromHost.map((e) => e.key));
  return [...fromHost, ...justEnded.filter((e) => !keys.has(e.key))]
    .sort((a, b) => b.at - a.at).slice(0, max);
}

/** What the list says about an entry besides the number: "Missed", "Incoming", … */
export function recentKindWords(entry) {
  switch (entry?.kind) {
    case RECENT_KIND.MISSED: return t('recentMissed');
    case RECENT_KIND.DND: return t('recentMissedDnd');
    case RECENT_KIND.DECLINED: return t('recentDeclined');
    case RECENT_KIND.INCOMING: return t('recentIncoming');
    default: return t('recentOutgoing');
  }
}

/** When: the time for today's calls, else the date and time (in the user's locale). */
export function recentTimeWords(at, now = Date.now(), locale = undefined) {
  const d = new Date(at);
  const today = new Date(now);
  const sameDay = d.getFullYear() === today.getFullYear() && d.getMonth() === today.getMonth()
    && d.getDate() === today.getDate();
  const time = d.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
  if (sameDay) return time;
  return t('recentDateTime', d.toLocaleDateString(locale, { day: 'numeric', month: 'short' }), time);
}

/** The list a page shows, read from the host's history and cached in storage.session. */
export class RecentCalls {
  /**
   * @param {object} o
   * @param {(type: string, data: object) => Promise<object>} o.request a request to the
   *   host through the background (PageClient.request: never rejects)
   * @param {{get(k: string): Promise<object>, set(o: object): Promise<void>}|null} [o.cache]
   *   storage.session (null: no cache)
   * @param {(list: object[]) => void} [o.onChange] the list changed
   */
  constructor({
    request, cache = null, onChange = () => {}, max = MAX_RECENT, now = () => Date.now(), log = console,
  }) {
    this._request = request;
    this._cache = cache;
    this._onChange = onChange;
    this._max = max;
    this._now = now;
    this._log = log;
    /** What the page shows: newest first. */
    this.list = [];
    this._fromHost = false; // the host's list came: the cached one no longer counts
    this._justEnded = new Map(); // key → entry: ended calls the host has not listed yet
    this._refreshing = null; // the refresh under way
    this._again = false; // something ended meanwhile: read once more after it
  }

  /** Shows the cached list, unless the host's came first. Never rejects. */
  async load() {
    if (!this._cache) return;
    let got;
    try {
      got = await this._cache.get(RECENT_CACHE_KEY);
    } catch {
      return;
    }
    if (this._fromHost) return;
    this._show(normalizeRecent(got?.[RECENT_CACHE_KEY], this._max));
  }

  /**
   * Every message from the background: the host is there (the page opened, or the host
   * came back) or a call ended → the host's list is read again.
   */
  onMessage(msg) {
    if (!isPlainObject(msg)) return;
    if (msg.type === MSG.HOST && msg.data?.connected === true) {
      this.refresh();
    } else if (msg.type === MSG.CALL) {
      const entry = entryFromCall(msg.data?.call, this._now());
      if (!entry) return;
      this._justEnded.set(entry.key, entry);
      this._show(mergeRecent(this.list, [entry], this._max));
      this.refresh();
    }
  }

  /** Reads the host's history (one read at a time; one more if asked meanwhile). */
  refresh() {
    if (this._refreshing) {
      this._again = true;
      return this._refreshing;
    }
    this._refreshing = (async () => {
      do {
        this._again = false;
        if (!(await this._readHost())) break;
      } while (this._again);
    })().finally(() => { this._refreshing = null; });
    return this._refreshing;
  }

  /** One history_get; false when the host did not answer with a list. */
  async _readHost() {
    const req = historyGet(this._max);
    const reply = await this._request(req.type, req.data);
    if (!reply?.ok || !isPlainObject(reply.data)) {
      this._log.warn?.('tabphone: the call history could not be read', reply?.error);
      return false;
    }
    const fromHost = entriesFromHistory(reply.data.calls, this._max);
    for (const e of fromHost) this._justEnded.delete(e.key);
    this._fromHost = true;
    const list = mergeRecent(fromHost, [...this._justEnded.values()], this._max);
    this._show(list);
    if (this._cache) {
      try {
        await this._cache.set({ [RECENT_CACHE_KEY]: list });
      } catch (e) {
        this._log.warn?.('tabphone: the recent calls were not cached', e);
      }
    }
    return true;
  }

  _show(list) {
    this.list = list;
    this._onChange(list);
  }
}
