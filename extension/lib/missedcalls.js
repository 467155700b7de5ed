// The missed-call count on the toolbar badge: incoming calls that ended unanswered (the
// caller gave up, the call timed out, or Do not disturb rejected it) since the user last
// looked. Opening the popup is looking (it shows the call history at once, the missed
// calls marked), so the background calls seen() when a popup connects. A call the user
// declined is not counted: they saw it, and neither is one missed while a popup is open
// (the user is looking at the list it lands in). The count lives in storage.session, so it
// survives the worker's eviction and ends with the browser session (the host, and so
// incoming calls, end with it too). No browser API: the storage area is injected.

import { MSG, isPlainObject } from './protocol.js';
import { entryFromCall, isMissedEntry } from './recentcalls.js';

/** storage.session key: {count: number, keys: string[]}. */
export const MISSED_KEY = 'missedCalls';
/** Keys of counted calls remembered, so a repeated `call` event is counted once. */
export const MAX_MISSED_KEYS = 50;
/** The badge shows at most this; more is "99+". */
export const MAX_BADGE_COUNT = 99;

/** The key of a missed call from a host event, or null when the event is not one. */
export function missedKeyOf(msg) {
  if (!isPlainObject(msg) || msg.type !== MSG.CALL) return null;
  const entry = entryFromCall(msg.data?.call);
  return entry && isMissedEntry(entry) ? entry.key : null;
}

/** The badge's words for a count: '' for none, "99+" past MAX_BADGE_COUNT. */
export function missedBadgeText(count) {
  if (!Number.isSafeInteger(count) || count <= 0) return '';
  return count > MAX_BADGE_COUNT ? `${MAX_BADGE_COUNT}+` : String(count);
}

/** A stored value checked: storage is not trusted to be well-formed. */
function checkStored(v) {
  const count = Number.isSafeInteger(v?.count) && v.count > 0 ? v.count : 0;
  const keys = Array.isArray(v?.keys) ? v.keys.filter((k) => typeof k === 'string').slice(-MAX_MISSED_KEYS) : [];
  return { count, keys };
}

export class MissedCalls {
  /**
   * @param {object} o
   * @param {{get(k: string): Promise<object>, set(o: object): Promise<void>}|null} o.storage storage.session
   * @param {(count: number) => void} [o.onChange] the count changed
   * @param {() => boolean} [o.looking] true while the user looks at the history (a popup is open)
   */
  constructor({
    storage, onChange = () => {}, looking = () => false, log = console,
  }) {
    this._storage = storage;
    this._onChange = onChange;
    this._looking = looking;
    this._log = log;
    this._state = { count: 0, keys: [] };
    this._loaded = null;
    this._queue = Promise.resolve();
  }

  /** The missed calls not looked at yet. */
  get count() {
    return this._state.count;
  }

  /** Reads the stored count once (the worker may have been evicted); never rejects. */
  load() {
    this._loaded ??= (async () => {
      try {
        const got = await this._storage?.get(MISSED_KEY);
        this._state = checkStored(got?.[MISSED_KEY]);
      } catch (e) {
        this._log.warn?.('tabphone: the missed-call count could not be read', e);
      }
      this._onChange(this._state.count);
    })();
    return this._loaded;
  }

  /** A host event: a missed call that ended adds one. Resolves when stored. */
  onHostEvent(msg) {
    const key = missedKeyOf(msg);
    if (key === null) return Promise.resolve(false);
    const seen = this._looking();
    return this._change((s) => {
      if (s.keys.includes(key)) return null;
      return { count: s.count + (seen ? 0 : 1), keys: [...s.keys, key].slice(-MAX_MISSED_KEYS) };
    });
  }

  /** The user looked (the popup opened): the count goes back to none. */
  seen() {
    return this._change((s) => (s.count === 0 ? null : { count: 0, keys: s.keys }));
  }

  /** One change at a time, after the stored count was read. */
  _change(fn) {
    const run = this._queue.then(async () => {
      await this.load();
      const next = fn(this._state);
      if (!next) return false;
      this._state = next;
      this._onChange(next.count);
      try {
        await this._storage?.set({ [MISSED_KEY]: next });
      } catch (e) {
        this._log.warn?.('tabphone: the missed-call count was not stored', e);
      }
      return true;
    });
    this._queue = run.catch(() => {});
    return run;
  }
}
