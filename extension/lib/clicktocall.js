// The background's side of click-to-call: the messages the content script sends after a
// trusted click on a call link or on a number it marked, and the context-menu item
// "Call <selection>". Content scripts run in web pages, so each message is treated as
// untrusted input: the sender must be this extension's content script in a tab of an
// http(s) page, the message small and of a known shape, the feature switched on, the
// link's scheme and number checked (lib/calltarget.js), and dials are spaced out.
// Only then does the number go down the popup's dial path. A call link on a configured
// Dialer/PBX site is let through with the link switch off (lib/contentscripts.js
// registers the script there only where the site's permission is held). No browser API.

import { isPlainObject, jsonBytes } from './protocol.js';
import { targetFromUri, targetFromScan, targetFromSelection } from './calltarget.js';
import { errorWords } from './callview.js';
import { t } from './i18n.js';
import { systemClock } from './clock.js';
import { matchesPattern } from './matchpattern.js';

/**
 * Content script → background message types, {type, data}. content/clicktocall.js is a
 * classic script and keeps the same strings (a unit test holds them equal).
 */
export const CONTENT_MSG = Object.freeze({
  CALL_LINK: 'call_link', // data: {uri: "tel:+15550100200"}
  CALL_NUMBER: 'call_number', // data: {number: "+442079460958"} (E.164 from the scan)
});

/** A content message is a type and one short string: anything bigger is refused. */
export const MAX_CONTENT_MESSAGE_BYTES = 1024;
/** At most one dial from pages per this many ms (a double click dials once). */
export const MIN_DIAL_INTERVAL_MS = 1500;

export const MENU_ID = 'tabphone-call-selection';

/**
 * The context-menu item; created on install and at browser start. Its title is the
 * message clickToCallMenu, which keeps a literal "%s": both browsers put the selected
 * text there.
 */
export function menuItem() {
  return { id: MENU_ID, title: t('clickToCallMenu'), contexts: ['selection'] };
}

/**
 * True when a runtime.onMessage sender is this extension's content script in a tab
 * showing an http(s) page (not one of our own pages, not another extension).
 */
export function isContentScriptSender(sender, extensionId) {
  const tab = sender?.tab;
  return Boolean(sender) && typeof extensionId === 'string' && extensionId !== '' && sender.id === extensionId
    && isPlainObject(tab) && Number.isInteger(tab.id) && tab.id >= 0
    && typeof sender.url === 'string' && /^https?:\/\//i.test(sender.url);
}

/**
 * Checks one content-script message.
 * @returns {{ok: true, number: string, source: string} | {ok: false, error: string}}
 */
export function checkContentMessage(msg, sender, { extensionId, settings, dialerSites = [] }) {
  if (!isContentScriptSender(sender, extensionId)) return { ok: false, error: 'not from our content script in a web page' };
  if (!isPlainObject(msg) || typeof msg.type !== 'string') return { ok: false, error: 'not a message' };
  if (!Object.values(CONTENT_MSG).includes(msg.type)) return { ok: false, error: 'unknown message type' };
  if (!isPlainObject(msg.data)) return { ok: false, error: 'data must be an object' };
  let size;
  try {
    size = jsonBytes(msg);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  if (size > MAX_CONTENT_MESSAGE_BYTES) return { ok: false, error: 'the message is too large' };
  const keys = Object.keys(msg.data);
  if (msg.type === CONTENT_MSG.CALL_LINK) {
    const onDialerSite = Array.isArray(dialerSites) && dialerSites.some((m) => matchesPattern(m, sender.url));
    if (!settings?.links && !onDialerSite) return { ok: false, error: 'calling links is switched off' };
    if (keys.length !== 1 || keys[0] !== 'uri') return { ok: false, error: 'call_link takes only a uri' };
    const target = targetFromUri(msg.data.uri);
    return target.ok ? { ok: true, number: target.number, source: target.scheme } : target;
  }
  if (!settings?.detect) return { ok: false, error: 'number detection is switched off' };
  if (keys.length !== 1 || keys[0] !== 'number') return { ok: false, error: 'call_number takes only a number' };
  const target = targetFromScan(msg.data.number);
  return target.ok ? { ok: true, number: target.number, source: 'scan' } : target;
}

export class ClickToCall {
  /**
   * @param {object} o
   * @param {string} o.extensionId runtime.id
   * @param {() => Promise<{links: boolean, detect: boolean}>} o.readSettings
   * @param {(number: string) => Promise<{ok: boolean, error?: object}>} o.dial the dial path
   * @param {(message: string) => void} [o.notify] tells the user why nothing was dialled
   * @param {() => Promise<string[]>} [o.readDialerSites] the Dialer/PBX sites' match
   *   patterns, where call links work with the link switch off
   */
  constructor({
    extensionId, readSettings, dial, notify = () => {}, clock = systemClock, log = console, readDialerSites = async () => [],
  }) {
    this._extensionId = extensionId;
    this._readSettings = readSettings;
    this._readDialerSites = readDialerSites;
    this._dial = dial;
    this._notify = notify;
    this._clock = clock;
    this._log = log;
    this._lastDialAt = -Infinity;
    /** Counters for diagnostics and tests. */
    this.stats = { received: 0, refused: 0, dialed: 0 };
  }

  /**
   * runtime.onMessage from a content script. Resolves to {ok, number} or {ok:false, error};
   * the background does not answer the page (the page learns nothing about the phone).
   */
  async onContentMessage(msg, sender) {
    this.stats.received++;
    const [settings, dialerSites] = await Promise.all([this._readSettings(), this._readDialerSites().catch(() => [])]);
    const checked = checkContentMessage(msg, sender, { extensionId: this._extensionId, settings, dialerSites });
    if (!checked.ok) return this._refuse(checked.error, sender);
    const now = this._clock.now();
    if (now - this._lastDialAt < MIN_DIAL_INTERVAL_MS) return this._refuse('a call was just started', sender);
    this._lastDialAt = now;
    return this._start(checked.number);
  }

  /** contextMenus.onClicked: "Call <selection>" (the menu click is the user's gesture). */
  async onMenuClick(info) {
    if (info?.menuItemId !== MENU_ID) return { ok: false, error: 'not our menu item' };
    const target = targetFromSelection(info.selectionText);
    if (!target.ok) {
      const shown = String(info.selectionText ?? '').trim().slice(0, 40);
      this._notify(t('clickToCallNotANumber', shown));
      return target;
    }
    this._lastDialAt = this._clock.now();
    return this._start(target.number);
  }

  _refuse(error, sender) {
    this.stats.refused++;
    this._log.warn?.('tabphone: refused a click-to-call message:', error, String(sender?.url ?? '').slice(0, 80));
    return { ok: false, error };
  }

  async _start(number) {
    this.stats.dialed++;
    let reply;
    try {
      reply = await this._dial(number);
    } catch (e) {
      reply = { ok: false, error: { message: String(e?.message ?? e) } };
    }
    if (!reply?.ok) {
      this._notify(t('clickToCallFailed', number, errorWords(reply?.error)));
      return { ok: false, number, error: reply?.error };
    }
    return { ok: true, number };
  }
}
