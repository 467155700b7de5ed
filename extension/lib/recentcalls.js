// The "Recent calls" list of the popup: the background records each ended call (missed
// ones too, Do not disturb included) in storage.local, newest first, at most 20, and the
// popup shows them for one-click redial. An entry keeps only what the list shows — the
// number, the caller's display name (capped), the direction, the time, and whether the
// call was missed — never SIP details. No browser API here: the storage area is injected.

import { CALL_STATE, DIRECTION, isPlainObject } from './protocol.js';
import { callerName, MAX_NAME_CHARS } from './callview.js';
import { isMissed, isDndMissed } from './state.js';
import { t } from './i18n.js';

/** storage.local key of the list. */
export const RECENT_KEY = 'recentCalls';
export const MAX_RECENT = 20;
/** The longest number (or sip: URI) kept; longer ones are not recorded. */
export const MAX_RECENT_NUMBER_CHARS = 256;
const MAX_KEY_CHARS = 160;

/**
 * The list entry for an ended call, or null when there is nothing to keep (not ended,
 * no number). `key` tells a call from the next host's call with the same id.
 * @returns {{key: string, number: string, name?: string, direction: string, at: number,
 *   missed: boolean, dnd?: true} | null}
 */
export function recentEntry(call, now = Date.now()) {
  if (!isPlainObject(call) || call.state !== CALL_STATE.ENDED) return null;
  const number = typeof call.number === 'string' ? call.number.trim() : '';
  if (number === '' || number.length > MAX_RECENT_NUMBER_CHARS) return null;
  const at = Number.isFinite(call.started_at) && call.started_at > 0 ? call.started_at : now;
  const entry = {
    key: `${String(call.id ?? '').slice(0, 128)}@${at}`,
    number,
    direction: call.direction === DIRECTION.INCOMING ? DIRECTION.INCOMING : DIRECTION.OUTGOING,
    at,
    missed: isMissed(call),
  };
  const name = callerName(call);
  if (name) entry.name = name;
  if (isDndMissed(call)) entry.dnd = true;
  return entry;
}

/** One stored entry checked and capped, or null (storage is not trusted to be well-formed). */
function checkEntry(e) {
  if (!isPlainObject(e)) return null;
  if (typeof e.number !== 'string' || e.number === '' || e.number.length > MAX_RECENT_NUMBER_CHARS) return null;
  if (!Number.isFinite(e.at)) return null;
  const out = {
    key: typeof e.key === 'string' ? e.key.slice(0, MAX_KEY_CHARS) : `@${e.at}`,
    number: e.number,
    direction: e.direction === DIRECTION.INCOMING ? DIRECTION.INCOMING : DIRECTION.OUTGOING,
    at: e.at,
    missed: e.missed === true,
  };
  if (typeof e.name === 'string' && e.name !== '') out.name = e.name.slice(0, MAX_NAME_CHARS);
  if (e.dnd === true) out.dnd = true;
  return out;
}

/** The stored list as the popup may use it: valid entries only, newest first, capped. */
export function normalizeRecent(list, max = MAX_RECENT) {
  if (!Array.isArray(list)) return [];
  return list.map(checkEntry).filter(Boolean).sort((a, b) => b.at - a.at).slice(0, max);
}

/** The list with an entry added in front (replacing one with the same key), capped. */
export function addRecent(list, entry, max = MAX_RECENT) {
  return [entry, ...normalizeRecent(list, max).filter((e) => e.key !== entry.key)].slice(0, max);
}

/** What the list says about an entry besides the number: "Missed", "Incoming", "Outgoing". */
export function recentKindWords(entry) {
  if (entry.missed) return entry.dnd ? t('recentMissedDnd') : t('recentMissed');
  return entry.direction === DIRECTION.INCOMING ? t('recentIncoming') : t('recentOutgoing');
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

export class RecentCalls {
  /**
   * @param {object} o
   * @param {{get(k: string): Promise<object>, set(o: object): Promise<void>}} o.storage storage.local
   */
  constructor({ storage, max = MAX_RECENT, now = () => Date.now(), log = console }) {
    this._storage = storage;
    this._max = max;
    this._now = now;
    this._log = log;
    this._queue = Promise.resolve(); // one read-modify-write at a time
  }

  /** Records an ended call; resolves when stored (never rejects). */
  record(call) {
    const entry = recentEntry(call, this._now());
    if (!entry) return this._queue;
    this._queue = this._queue.then(async () => {
      const got = await this._storage.get(RECENT_KEY);
      await this._storage.set({ [RECENT_KEY]: addRecent(got?.[RECENT_KEY], entry, this._max) });
    }).catch((e) => { this._log.warn?.('tabphone: could not keep the recent call', e); });
    return this._queue;
  }

  /** The stored list, newest first. */
  async list() {
    const got = await this._storage.get(RECENT_KEY);
    return normalizeRecent(got?.[RECENT_KEY], this._max);
  }
}
