// Ties the phone's life to the Dialer/PBX web session (docs/design.md, "Session
// binding"): which sites bind it (cached in storage.local, so a browser start knows
// before the host runs), when the host runs, what the host is told, and when the
// softphone window opens and closes.
//
// - Unbound (no site, or the switch off): the host starts with the browser, as a plain
//   softphone. After a `close` it starts again only when the user opens a page or dials.
// - Bound: the host starts when a Dialer/PBX session becomes active (SessionWatch), and
//   not before. After `close` the port is left for the host to close (it hangs up and
//   unregisters first) and nothing restarts it until a session is active again.
//   The one exception is the options page: reading or saving the settings needs the host,
//   so it starts without a session (it stays `waiting` and registers nothing) and is let
//   go again when the last options page closes, unless a session became active meanwhile.
// - Managed (lib/managedpolicy.js): sites the administrator set by policy bind the phone
//   from the worker's start, before any host ran, and every host that says hello first
//   has its config brought in line with the policy, then hears the session.
// No browser API here: the native port, the watch, the storage areas, the softphone
// window and the policy are injected.

import {
  ERR, MSG, SESSION_STATE, isPlainObject, sessionReport,
} from './protocol.js';
import { PHASE } from './nativeport.js';
import { t } from './i18n.js';
import { policySites } from './managedpolicy.js';

/** storage.local: the sites of the last host state ([] when unbound). */
export const SITES_KEY = 'sessionSites';
/** storage.local: "Open the softphone with the Dialer/PBX" (default on). */
export const OPEN_WITH_SESSION_KEY = 'openWithSession';
/** storage.session: the host closed for lack of a session (until a session or the user). */
export const HOST_CLOSED_KEY = 'hostClosed';

const SITE_FIELDS = ['url', 'match', 'login', 'session_cookie'];

/** The sites of a host session object, with only the known string fields. */
export function sitesOf(session) {
  if (!isPlainObject(session) || session.state === SESSION_STATE.UNBOUND || !Array.isArray(session.sites)) return [];
  const out = [];
  for (const s of session.sites) {
    if (!isPlainObject(s) || typeof s.match !== 'string' || s.match === '') continue;
    const site = {};
    for (const f of SITE_FIELDS) if (typeof s[f] === 'string' && s[f] !== '') site[f] = s[f];
    out.push(site);
  }
  return out;
}

/** The status pages see while the host is stopped for lack of a session. */
export function noSessionStatus(state, sites) {
  return {
    connected: false,
    stopped: true,
    code: ERR.NO_SESSION,
    message: t('sessionNeeded'),
    session: { state, sites },
  };
}

export class SessionBinding {
  /**
   * @param {object} o
   * @param {import('./nativeport.js').NativePort} o.native
   * @param {import('./sessionwatch.js').SessionWatch} o.watch
   * @param {{get(k: string): Promise<object>, set(o: object): Promise<void>}} o.local storage.local
   * @param {{get(k: string): Promise<object>, set(o: object): Promise<void>}} o.session storage.session
   * @param {{ensureOpen(): Promise<unknown>, close(): Promise<unknown>}} o.softphone
   * @param {{load(): Promise<object>, enforce(): Promise<boolean>}} [o.policy] managedpolicy.js's ManagedPolicy
   */
  constructor({
    native, watch, local, session, softphone, policy = null, log = console,
  }) {
    this._native = native;
    this._watch = watch;
    this._local = local;
    this._session = session;
    this._softphone = softphone;
    this._policy = policy;
    this._log = log;
    this._policySites = null; // the sites the policy binds to (null: the user's settings decide)
    this._sites = [];
    this._closed = false;
    this._ready = false;
    this._sessionState = null; // the host's last session state
    this._settingsWanted = false; // the options page asked for the host before init
    this._forSettings = false; // the host runs without a session, for the options page
  }

  /** True when Dialer/PBX sites bind the phone. */
  get bound() {
    return this._sites.length > 0;
  }

  /** The binding sites as last known. */
  get sites() {
    return this._sites;
  }

  /**
   * Worker start: reads the cached sites and every tab, then starts the host unless
   * it is bound and no session is active (then the pages hear why nothing runs).
   */
  async init() {
    const [local, session] = await Promise.all([
      this._local.get(SITES_KEY).catch(() => ({})),
      this._session.get(HOST_CLOSED_KEY).catch(() => ({})),
      this._loadPolicy(),
    ]);
    this._sites = this._policySites ?? sitesOf({ state: SESSION_STATE.WAITING, sites: local?.[SITES_KEY] });
    this._closed = session?.[HOST_CLOSED_KEY] === true;
    this._watch.setSites(this._sites);
    await this._watch.sync(); // a live session reports tab_open, which starts the host
    this._ready = true;
    if (!this.bound) {
      if (!this._closed) this._native.start();
    } else if (!this._watch.active && this._native.phase === PHASE.IDLE) {
      if (this._settingsWanted) this._startForSettings();
      else this._native.stop({ status: this._idleStatus() });
    }
    this._settingsWanted = false;
  }

  /** runtime.onStartup: the browser started; tabs may be restored. */
  browserStarted() {
    return this._watch.sync();
  }

  /** The watch's report: tell the host, or start it when a session becomes active. */
  report(active, reason) {
    if (!this.bound) return;
    if (active) this._forSettings = false; // the session keeps the host now
    if (this._native.phase === PHASE.READY) {
      const req = sessionReport(active, reason);
      this._native.request(req.type, req.data).then((reply) => {
        if (!reply.ok) this._log.warn?.('tabphone: session report failed', reply.error);
      });
      return;
    }
    // Not connected: a new host hears the current value after its hello (hostReady).
    if (active) this._startHost();
  }

  /**
   * storage.managed changed: the policy's sites bind (or free) the phone at once, and a
   * running host's config follows the policy.
   */
  async policyChanged() {
    if (!this._policy) return;
    await this._loadPolicy();
    if (this._policySites !== null) this._setSites(this._policySites);
    if (this._native.phase === PHASE.READY) {
      await this._enforcePolicy();
      this._watch.hostReady();
    } else if (this._ready && !this.bound && this._native.phase === PHASE.IDLE && !this._closed) {
      this._startHost();
    }
  }

  /** The native port's status. */
  onHostStatus(status) {
    if (status?.connected) {
      // A managed host's config follows the policy before it hears the session, so it
      // is bound by the policy's sites when it does.
      if (this._policy) this._enforcePolicy().then(() => this._watch.hostReady());
      else this._watch.hostReady();
      return;
    }
    if (status?.stopped || status?.connecting) return;
    // The host went away by itself. Bound without a session, it is not needed: no
    // reconnect loop; it starts again with the next session.
    if (this._ready && this.bound && !this._watch.active) this._native.stop({ status: this._idleStatus() });
  }

  /** A host event (after the hub has passed it to the pages). */
  onHostEvent(msg) {
    if (!isPlainObject(msg)) return;
    if (msg.type === MSG.STATE && isPlainObject(msg.data)) this._onSession(msg.data.session);
    else if (msg.type === MSG.CLOSE) this._onClose();
  }

  /**
   * The user wants the phone while the host is not connected (a page opened, a dial):
   * skip a reconnect wait; start a stopped host only when unbound.
   */
  wantHost() {
    const { phase } = this._native;
    if (phase === PHASE.WAITING) this._native.reconnectNow();
    else if (phase === PHASE.IDLE && this._ready && !this.bound) this._startHost();
  }

  /**
   * The options page reads or writes the settings while the host is not connected: start
   * it, bound or not. Without a session the host stays `waiting` and registers nothing.
   */
  wantSettings() {
    const { phase } = this._native;
    if (phase === PHASE.WAITING) {
      this._native.reconnectNow();
    } else if (phase === PHASE.IDLE && !this._ready) {
      this._settingsWanted = true;
    } else if (phase === PHASE.IDLE || phase === PHASE.CLOSING) {
      // After `close` the old host ends its calls first; the new one starts once it is gone.
      if (this.bound && !this._watch.active) this._startForSettings();
      else this._startHost();
    }
  }

  /**
   * The last options page closed: a host that runs only for it (bound, no session, the
   * host still `waiting`) is stopped again. A host with a session, or one that is closing
   * (it hangs up and unregisters first), is left alone.
   */
  settingsDone() {
    if (!this._forSettings) return;
    this._forSettings = false;
    if (!this.bound || this._watch.active) return;
    const { phase } = this._native;
    if (phase !== PHASE.READY && phase !== PHASE.CONNECTING) return;
    if (this._sessionState !== null && this._sessionState !== SESSION_STATE.WAITING) return;
    this._native.stop({ status: this._idleStatus() });
  }

  /**
   * The sites the host's session says bind the phone, unless the policy names them: then
   * the policy's, except when the host is unbound with sites of its own (the user turned
   * the binding off and the policy does not force it on). A host that has not had its
   * config brought in line yet (unbound, no sites) does not unbind a managed phone.
   */
  _sitesOfHost(session) {
    if (this._policySites === null) return sitesOf(session);
    const hostSites = Array.isArray(session.sites) ? session.sites : [];
    if (session.state === SESSION_STATE.UNBOUND && hostSites.length > 0) return [];
    return this._policySites;
  }

  _setSites(sites) {
    if (JSON.stringify(sites) === JSON.stringify(this._sites)) return;
    this._sites = sites;
    this._local.set({ [SITES_KEY]: sites }).catch((e) => this._log.warn?.('tabphone: could not cache the sites', e));
    this._watch.setSites(sites);
  }

  async _loadPolicy() {
    if (!this._policy) return;
    try {
      this._policySites = policySites(await this._policy.load());
    } catch (e) {
      this._log.warn?.('tabphone: could not read the policy', e);
    }
  }

  async _enforcePolicy() {
    try {
      await this._policy.enforce();
    } catch (e) {
      this._log.warn?.('tabphone: the host config does not follow the policy', e);
    }
  }

  _startForSettings() {
    this._forSettings = true;
    this._sessionState = null; // the new host says its own
    this._startHost();
  }

  _onSession(session) {
    if (!isPlainObject(session) || typeof session.state !== 'string') return;
    this._setSites(this._sitesOfHost(session));
    const prev = this._sessionState;
    this._sessionState = session.state;
    if (session.state === SESSION_STATE.ACTIVE && prev !== SESSION_STATE.ACTIVE && prev !== SESSION_STATE.CLOSING_SOON) {
      this._openWithSession();
    }
  }

  async _openWithSession() {
    try {
      const got = await this._local.get(OPEN_WITH_SESSION_KEY);
      if (got?.[OPEN_WITH_SESSION_KEY] === false) return;
      await this._softphone.ensureOpen();
    } catch (e) {
      this._log.error?.('tabphone: could not open the softphone window', e);
    }
  }

  _onClose() {
    this._sessionState = SESSION_STATE.CLOSED;
    this._setClosed(true);
    // The host hangs up and unregisters, then exits: leave the port for it to close.
    this._native.stop({ status: noSessionStatus(SESSION_STATE.CLOSED, this._sites), waitForHost: true });
    this._softphone.close().catch((e) => this._log.warn?.('tabphone: could not close the softphone window', e));
    // A session that came back as the host closed starts a new host once the old is gone.
    if (this.bound && this._watch.active) this._startHost();
  }

  _startHost() {
    this._setClosed(false);
    this._native.start();
  }

  _setClosed(closed) {
    if (this._closed === closed) return;
    this._closed = closed;
    this._session.set({ [HOST_CLOSED_KEY]: closed }).catch(() => {});
  }

  _idleStatus() {
    return noSessionStatus(this._closed ? SESSION_STATE.CLOSED : SESSION_STATE.WAITING, this._sites);
  }
}
