// The click-to-call content script is registered at run time (scripting API), not
// declared in the manifest: it runs only after the user turned click-to-call on and
// granted the optional host permission, and only the files the settings need are
// injected (the phone-number library only with number detection). ContentScriptSync
// brings the registration in line with the settings and the permission; every change
// goes through one queue so two triggers cannot race. The scripting API is injected.

import { CLICK_TO_CALL_ORIGINS, clickToCallPermissions, needsContentScript } from './clicktocallsettings.js';

export const CONTENT_SCRIPT_ID = 'tabphone-clicktocall';

/** Link interception alone: one small classic script. */
export const LINK_SCRIPTS = Object.freeze(['content/clicktocall.js']);
/** With number detection: libphonenumber-js (vendored UMD bundle) and the scanner first. */
export const DETECT_SCRIPTS = Object.freeze([
  'vendor/libphonenumber-min.js', 'content/numberscan.js', 'content/pagemarks.js', 'content/clicktocall.js',
]);
export const DETECT_CSS = Object.freeze(['content/clicktocall.css']);

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
   */
  constructor({ scripting, permissions, readSettings, log = console }) {
    this._scripting = scripting;
    this._permissions = permissions;
    this._readSettings = readSettings;
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

  async _sync() {
    const s = this._scripting;
    if (typeof s?.registerContentScripts !== 'function') return 'kept';
    const want = contentScriptFor(await this._readSettings(), await this._granted());
    const list = await s.getRegisteredContentScripts({ ids: [CONTENT_SCRIPT_ID] });
    const have = (Array.isArray(list) ? list : []).find((r) => r?.id === CONTENT_SCRIPT_ID);
    if (!want) {
      if (!have) return 'kept';
      await s.unregisterContentScripts({ ids: [CONTENT_SCRIPT_ID] });
      return 'unregistered';
    }
    if (have && sameRegistration(have, want)) return 'kept';
    if (have) await s.unregisterContentScripts({ ids: [CONTENT_SCRIPT_ID] });
    await s.registerContentScripts([want]);
    return have ? 'updated' : 'registered';
  }
}
