// Watches the browser's tabs (and, when allowed, the session cookie) for a live
// Dialer/PBX web session and tells the host when one starts or ends: report(true,
// "tab_open") when the first live-session tab appears, report(false, reason) when the
// last one goes — "tabs_closed", "logout" or "timeout". The host runs the 5 s close.
// No browser API here: the background feeds it tab snapshots and events, and injects
// tabs.query, the clock and report().
//
// A tab has a live session when its URL matches a site's `match` pattern and not the
// site's `login` pattern, and the site's session cookie (when one is configured and
// watched) has not been removed since.

import { parseMatchPattern, matchesPattern, cookieDomainMatches } from './matchpattern.js';
import { SESSION_REASON, isPlainObject } from './protocol.js';
import { systemClock } from './clock.js';

/** A logout URL seen this recently makes a landing on the login page a logout. */
export const LOGOUT_WINDOW_MS = 10_000;
/**
 * The last session tab navigating off the site while it still loads may be passing
 * through (a redirect out and back): it counts once it finished loading there, or
 * after this long.
 */
export const NAV_SETTLE_MS = 1_500;
/**
 * A removed session cookie usually comes just before the app lands on its login page,
 * which says better why the session ended; wait this long for it.
 */
export const COOKIE_SETTLE_MS = 500;

/** Path words of a logout URL: logout, log-out, signout, sign-out, logoff, log-off. */
const LOGOUT_PATH_RE = /log-?out|sign-?out|log-?off/i;

const KIND = Object.freeze({ LIVE: 'live', LOGIN: 'login', NONE: 'none' });

/**
 * The usable sites of `state.session.sites`, compiled: a site needs a valid `match`;
 * an invalid `login` is left out (then only closing its tabs ends the session).
 */
export function compileSites(sites) {
  if (!Array.isArray(sites)) return [];
  const out = [];
  for (const s of sites) {
    if (!isPlainObject(s)) continue;
    const match = parseMatchPattern(s.match);
    if (!match) continue;
    const login = typeof s.login === 'string' && s.login !== '' ? parseMatchPattern(s.login) : null;
    const cookie = typeof s.session_cookie === 'string' && s.session_cookie !== '' ? s.session_cookie : null;
    out.push({ key: JSON.stringify([s.match, s.login ?? '', cookie ?? '']), match, login, cookie });
  }
  return out;
}

/** True when the URL's path says "logout" (or log-out, signout, sign-out, logoff). */
export function isLogoutUrl(url) {
  if (typeof url !== 'string' || url === '') return false;
  try {
    return LOGOUT_PATH_RE.test(new URL(url).pathname);
  } catch {
    return false;
  }
}

/** What a URL is to the compiled sites: live (with the sites it is live for), login, or none. */
export function classifyUrl(sites, url) {
  const live = [];
  let login = false;
  for (const s of sites) {
    if (s.login && matchesPattern(s.login, url)) login = true;
    else if (matchesPattern(s.match, url)) live.push(s.key);
  }
  if (live.length > 0) return { kind: KIND.LIVE, live };
  return { kind: login ? KIND.LOGIN : KIND.NONE, live };
}

/** The login page's own word for why the session ended, then a recent logout URL. */
function loginReason(url, logoutRecently) {
  try {
    if (new URL(url).searchParams.get('reason')?.toLowerCase() === 'logout') return SESSION_REASON.LOGOUT;
  } catch { /* not a URL: no word */ }
  return logoutRecently ? SESSION_REASON.LOGOUT : SESSION_REASON.TIMEOUT;
}

export class SessionWatch {
  /**
   * @param {object} o
   * @param {(query: object) => Promise<object[]>} o.queryTabs tabs.query
   * @param {(active: boolean, reason: string) => void} o.report tells the host
   * @param {object} [o.clock]
   */
  constructor({
    queryTabs, report, clock = systemClock,
    navSettleMs = NAV_SETTLE_MS, cookieSettleMs = COOKIE_SETTLE_MS, logoutWindowMs = LOGOUT_WINDOW_MS,
  }) {
    this._queryTabs = queryTabs;
    this._report = report;
    this._clock = clock;
    this._navSettleMs = navSettleMs;
    this._cookieSettleMs = cookieSettleMs;
    this._logoutWindowMs = logoutWindowMs;

    this._sites = [];
    this._sitesKey = '[]';
    this._tabs = new Map(); // tab id → {id, windowId, url, status, kind, live: site keys}
    this._started = false; // the first tabs.query is in: absence of tabs means something
    this._syncs = new Set(); // tab ids touched by events while a tabs.query is out
    this._lastReported = null; // null: nothing said (to this host) yet
    this._lastReason = null;
    this._logoutAt = -Infinity;
    this._cookieGone = new Set(); // site keys whose session cookie was removed
    this._pending = null; // {timer, reason, tabId}: a loss waiting to settle
  }

  /** True when some Dialer/PBX site is configured (and the binding is on). */
  get bound() {
    return this._sites.length > 0;
  }

  /** True when some tab has a live Dialer/PBX session now. */
  get active() {
    for (const t of this._tabs.values()) {
      if (t.live.some((k) => !this._cookieGone.has(k))) return true;
    }
    return false;
  }

  /** What was last reported (true/false), or null when nothing was. */
  get reported() {
    return this._lastReported;
  }

  /** The sites that bind the phone ([] when unbound: then nothing is reported). */
  setSites(sites) {
    const compiled = compileSites(sites);
    const key = JSON.stringify(compiled.map((s) => s.key));
    if (key === this._sitesKey) return;
    this._sites = compiled;
    this._sitesKey = key;
    const keys = new Set(compiled.map((s) => s.key));
    for (const k of [...this._cookieGone]) if (!keys.has(k)) this._cookieGone.delete(k);
    for (const [id, t] of this._tabs) this._tabs.set(id, this._record(t));
    if (!this.bound) {
      this._cancelPending();
      this._lastReported = null;
      this._lastReason = null;
      return;
    }
    this._evaluate({ kind: 'sites' });
  }

  /**
   * Reads every tab (worker start, browser start with restored tabs, a replaced tab).
   * Events that arrive while the query is out win over its older answer.
   */
  async sync() {
    const touched = new Map();
    this._syncs.add(touched);
    let tabs = null;
    try {
      tabs = await this._queryTabs({});
    } catch {
      tabs = null; // keep what the events said
    } finally {
      this._syncs.delete(touched);
    }
    if (Array.isArray(tabs)) {
      const next = new Map();
      for (const t of tabs) {
        if (isPlainObject(t) && Number.isInteger(t.id) && !touched.has(t.id)) next.set(t.id, this._record(t));
      }
      for (const [id, how] of touched) {
        if (how === 'updated' && this._tabs.has(id)) next.set(id, this._tabs.get(id));
      }
      this._tabs = next;
    }
    this._started = true;
    this._evaluate({ kind: 'sync' });
  }

  /** tabs.onCreated */
  tabCreated(tab) {
    if (!isPlainObject(tab) || !Number.isInteger(tab.id)) return;
    this._touch(tab.id, 'updated');
    this._noteLogout(tab.url, tab.pendingUrl);
    const rec = this._record(tab);
    this._tabs.set(tab.id, rec);
    this._evaluate(this._navCause(rec));
  }

  /** tabs.onUpdated(tabId, changeInfo, tab) */
  tabUpdated(tabId, changeInfo, tab) {
    if (!Number.isInteger(tabId)) return;
    const change = isPlainObject(changeInfo) ? changeInfo : {};
    const t = isPlainObject(tab) ? tab : {};
    const prev = this._tabs.get(tabId);
    const url = typeof t.url === 'string' ? t.url : (change.url ?? prev?.url);
    if (change.url !== undefined || url !== prev?.url) this._noteLogout(change.url, url);
    this._noteLogout(t.pendingUrl);
    this._touch(tabId, 'updated');
    const rec = this._record({
      id: tabId,
      windowId: t.windowId ?? prev?.windowId,
      url,
      status: change.status ?? t.status ?? prev?.status,
    });
    this._tabs.set(tabId, rec);
    this._evaluate(this._navCause(rec));
  }

  /** tabs.onRemoved */
  tabRemoved(tabId) {
    if (!Number.isInteger(tabId)) return;
    this._touch(tabId, 'removed');
    this._tabs.delete(tabId);
    this._evaluate({ kind: 'removed', tabId });
  }

  /** windows.onRemoved: every tab of the window is gone (tabs.onRemoved may follow). */
  windowRemoved(windowId) {
    let any = false;
    for (const [id, t] of [...this._tabs]) {
      if (t.windowId === windowId) {
        this._touch(id, 'removed');
        this._tabs.delete(id);
        any = true;
      }
    }
    if (any) this._evaluate({ kind: 'removed' });
  }

  /**
   * cookies.onChanged({removed, cookie, cause}) — only arrives where the cookies
   * permission and the site's host permission are granted. Removing a site's session
   * cookie ends its session ("explicit": logout; expired, expired_overwrite, evicted:
   * timeout); "overwrite" is a new value, not an end; setting it again revives the site.
   */
  cookieChanged(info) {
    if (!isPlainObject(info) || !isPlainObject(info.cookie)) return;
    const { cookie } = info;
    const keys = this._sites
      .filter((s) => s.cookie !== null && s.cookie === cookie.name && cookieDomainMatches(s.match, cookie.domain))
      .map((s) => s.key);
    if (keys.length === 0) return;
    if (info.removed) {
      if (info.cause === 'overwrite') return;
      for (const k of keys) this._cookieGone.add(k);
      const reason = info.cause === 'explicit' ? SESSION_REASON.LOGOUT : SESSION_REASON.TIMEOUT;
      this._evaluate({ kind: 'cookie', reason });
    } else {
      for (const k of keys) this._cookieGone.delete(k);
      this._evaluate({ kind: 'cookie' });
    }
  }

  /** A (new) host said hello: tell it the current value again, whatever was said before. */
  hostReady() {
    if (!this._started || !this.bound) return;
    if (this._lastReported === null) {
      this._evaluate({ kind: 'host' });
      return;
    }
    const active = this._lastReported;
    this._send(active, active ? SESSION_REASON.TAB_OPEN : (this._lastReason ?? SESSION_REASON.TABS_CLOSED));
  }

  /** Stops the settle timer (the worker is going away, or tests). */
  dispose() {
    this._cancelPending();
  }

  _record(tab) {
    const url = typeof tab.url === 'string' ? tab.url : '';
    const { kind, live } = classifyUrl(this._sites, url);
    return { id: tab.id, windowId: tab.windowId, url, status: tab.status, kind, live };
  }

  _navCause(rec) {
    return { kind: rec.kind, tabId: rec.id, url: rec.url, loading: rec.status === 'loading' };
  }

  _touch(id, how) {
    for (const m of this._syncs) m.set(id, how);
  }

  _noteLogout(...urls) {
    if (urls.some(isLogoutUrl)) this._logoutAt = this._clock.now();
  }

  _logoutRecently() {
    return this._clock.now() - this._logoutAt <= this._logoutWindowMs;
  }

  _evaluate(cause) {
    if (!this._started || !this.bound) return;
    if (this.active) {
      this._cancelPending();
      if (this._lastReported !== true) this._send(true, SESSION_REASON.TAB_OPEN);
      return;
    }
    if (this._lastReported === false) {
      this._cancelPending();
      return;
    }
    // No live session left, and the host has not heard so: decide why, or wait.
    switch (cause.kind) {
      case 'login':
        this._lose(loginReason(cause.url, this._logoutRecently()));
        return;
      case 'removed':
        this._lose(SESSION_REASON.TABS_CLOSED);
        return;
      case KIND.NONE: // navigated off the site
        if (this._pending) {
          if (this._pending.tabId === cause.tabId && !cause.loading) this._lose(this._pending.reason);
          return;
        }
        if (cause.loading) this._wait(SESSION_REASON.TABS_CLOSED, this._navSettleMs, cause.tabId);
        else this._lose(SESSION_REASON.TABS_CLOSED);
        return;
      case 'cookie':
        if (this._pending) return;
        if (this._logoutRecently()) this._lose(SESSION_REASON.LOGOUT);
        else this._wait(cause.reason ?? SESSION_REASON.TABS_CLOSED, this._cookieSettleMs, null);
        return;
      default: // sync, sites, host, a live-URL tab of a site whose cookie is gone
        if (this._pending) return;
        this._lose(SESSION_REASON.TABS_CLOSED);
    }
  }

  _lose(reason) {
    this._cancelPending();
    this._send(false, reason);
  }

  _wait(reason, ms, tabId) {
    const timer = this._clock.setTimeout(() => {
      if (this._pending?.timer !== timer) return;
      this._pending = null;
      if (!this.active && this._lastReported !== false) this._send(false, reason);
    }, ms);
    this._pending = { timer, reason, tabId };
  }

  _cancelPending() {
    if (this._pending) {
      this._clock.clearTimeout(this._pending.timer);
      this._pending = null;
    }
  }

  _send(active, reason) {
    this._lastReported = active;
    this._lastReason = reason;
    try {
      this._report(active, reason);
    } catch {
      // The reporter's trouble is its own; the next change or hello reports again.
    }
  }
}
