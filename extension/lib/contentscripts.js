// The click-to-call content script is registered at run time (scripting API), not
// declared in the manifest: it runs only after the user turned click-to-call on and
// granted the optional host permission, and only the files the settings need are
// injected (the phone-number library only with number detection). ContentScriptSync
// brings the registration in line with the settings and the permission; every change
// goes through one queue so two triggers cannot race. The scripting API is injected.
//
// The configured Dialer/PBX sites are different: the user already chose them and granted
// their host permission (options page), so call links there work without the
// click-to-call switch. A second registration (SITE_SCRIPT_ID) matches only those sites
// whose permission the extension holds, and starts with content/dialersite.js, which
// tells clicktocall.js that it runs on a Dialer/PBX site. Other sites stay opt-in; an
// administrator's policy that turns call links off turns these off too (the background
// then gives no sites). It is not registered while the all-sites script runs.

import { CLICK_TO_CALL_ORIGINS, clickToCallPermissions, needsContentScript } from './clicktocallsettings.js';
import { parseMatchPattern } from './matchpattern.js';

export const CONTENT_SCRIPT_ID = 'tabphone-clicktocall';

/** Link interception alone: one small classic script. */
export const LINK_SCRIPTS = Object.freeze(['content/clicktocall.js']);
/** With number detection: libphonenumber-js (vendored UMD bundle) and the scanner first. */
export const DETECT_SCRIPTS = Object.freeze([
  'vendor/libphonenumber-min.js', 'content/numberscan.js', 'content/pagemarks.js', 'content/clicktocall.js',
]);
export const DETECT_CSS = Object.freeze(['content/clicktocall.css']);

export const SITE_SCRIPT_ID = 'tabphone-clicktocall-sites';
/** Marks the frame as a Dialer/PBX site's, before the click-to-call script. */
export const SITE_MARKER_SCRIPT = 'content/dialersite.js';
/** At most this many sites' patterns are registered (the options page caps the list too). */
export const MAX_SITE_MATCHES = 32;

/** The registration the settings want, or null when none should exist. */
export function contentScriptFor(settings, granted) {
  if (!granted || !needsContentScript(settings)) return null;
  const detect = Boolean(settings.detect);
  const script = {
    id: CONTENT_SCRIPT_ID,
    matches: [...CLICK_TO_CALL_ORIGINS],
    js: [...(detect ? DETECT_SCRIPTS : LINK_SCRIPTS)],
    runAt: 'document_idle',
    allFrames: true,
    persistAcrossSessions: true,
  };
  if (detect) script.css = [...DETECT_CSS]; // no empty list: leave the key out
  return script;
}

/**
 * The registration for the Dialer/PBX sites whose permission is held (siteMatches), or
 * null: none, or the all-sites script covers them already.
 */
export function siteScriptFor(settings, granted, siteMatches) {
  if (contentScriptFor(settings, granted)) return null;
  const matches = [...new Set((Array.isArray(siteMatches) ? siteMatches : [])
    .filter((m) => typeof m === 'string' && parseMatchPattern(m)))].slice(0, MAX_SITE_MATCHES);
  if (matches.length === 0) return null;
  const detect = Boolean(settings?.detect);
  const script = {
    id: SITE_SCRIPT_ID,
    matches,
    js: [SITE_MARKER_SCRIPT, ...(detect ? DETECT_SCRIPTS : LINK_SCRIPTS)],
    runAt: 'document_idle',
    allFrames: true,
    persistAcrossSessions: true,
  };
  if (detect) script.css = [...DETECT_CSS];
  return script;
}

function sameList(a, b) {
  const x = Array.isArray(a) ? a : [];
  const y = Array.isArray(b) ? b : [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** True when a registered script (as getRegisteredContentScripts lists it) is `want`. */
export function sameRegistration(have, want) {
  return Boolean(have) && sameList(have.js, want.js) && sameList(have.css, want.css)
    && sameList(have.matches, want.matches) && Boolean(have.allFrames) === want.allFrames;
}

export class ContentScriptSync {
  /**
   * @param {object} o
   * @param {object} o.scripting browser.scripting (may be missing: nothing is registered)
   * @param {object} o.permissions browser.permissions
   * @param {() => Promise<object>} o.readSettings the click-to-call settings
   * @param {() => Promise<string[]>} [o.readDialerSites] the configured Dialer/PBX
   *   sites' match patterns ([] when a policy turns call links off)
   */
  constructor({
    scripting, permissions, readSettings, readDialerSites = async () => [], log = console,
  }) {
    this._scripting = scripting;
    this._permissions = permissions;
    this._readSettings = readSettings;
    this._readDialerSites = readDialerSites;
    /** What the last sync did to the Dialer/PBX sites' registration. */
    this.sitesResult = 'kept';
    this._log = log;
    this._queue = Promise.resolve();
  }

  /** Queues a sync; resolves to what it did: "registered", "updated", "unregistered" or "kept". */
  sync() {
    const run = this._queue.then(() => this._sync());
    this._queue = run.catch(() => {});
    return run.catch((e) => {
      this._log.error?.('tabphone: could not register the click-to-call script', e);
      return 'failed';
    });
  }

  async _granted() {
    try {
      return Boolean(await this._permissions?.contains?.(clickToCallPermissions()));
    } catch {
      return false;
    }
  }

  /** The sites' patterns whose host permission the extension holds. */
  async _grantedSites() {
    let sites;
    try {
      sites = await this._readDialerSites();
    } catch {
      return [];
    }
    const out = [];
    for (const match of (Array.isArray(sites) ? sites : []).slice(0, MAX_SITE_MATCHES)) {
      if (typeof match !== 'string' || !parseMatchPattern(match)) continue;
      try {
        if (await this._permissions?.contains?.({ origins: [match] })) out.push(match);
      } catch { /* not a permission pattern: left out */ }
    }
    return out;
  }

  async _sync() {
    const s = this._scripting;
    if (typeof s?.registerContentScripts !== 'function') return 'kept';
    const settings = await this._readSettings();
    const granted = await this._granted();
    const result = await this._apply(CONTENT_SCRIPT_ID, contentScriptFor(settings, granted));
    this.sitesResult = await this._apply(SITE_SCRIPT_ID, siteScriptFor(settings, granted, await this._grantedSites()));
    return result;
  }

  /** Brings one registration in line with want (null: none). */
  async _apply(id, want) {
    const s = this._scripting;
    const list = await s.getRegisteredContentScripts({ ids: [id] });
    const have = (Array.isArray(list) ? list : []).find((r) => r?.id === id);
    if (!want) {
      if (!have) return 'kept';
      await s.unregisterContentScripts({ ids: [id] });
      return 'unregistered';
    }
    if (have && sameRegistration(have, want)) return 'kept';
    if (have) await s.unregisterContentScripts({ ids: [id] });
    await s.registerContentScripts([want]);
    return have ? 'updated' : 'registered';
  }
}
