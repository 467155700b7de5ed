// The background's side of incoming calls: on `incoming` it brings the softphone window
// up (it rings there) and, when that window still does not have the focus, shows a
// system notification — with Answer and Decline buttons where the browser has them
// (Chrome; Firefox has none, and clicking its notification focuses the window). The
// notification goes when the call stops ringing. An unanswered call that ends leaves a
// "Missed call from …" notification (not for Do not disturb, which is meant to be quiet;
// the host's call history lists both). Notification ids carry the call id,
// so a worker woken by a click needs no memory of what it showed.
// No browser API here: notifications, the window and the host are injected.

import { MSG, CALL_STATE, isPlainObject, answer, decline } from './protocol.js';
import { isRingingIncoming, isMissed, isDndMissed } from './state.js';
import { callerWords, missedCallWords } from './callview.js';
import { t } from './i18n.js';

export const INCOMING_PREFIX = 'tabphone-incoming:';
export const MISSED_PREFIX = 'tabphone-missed:';

/** Buttons of the incoming-call notification (message keys), in order (onButtonClicked's index). */
export const INCOMING_BUTTON_KEYS = Object.freeze(['callAnswer', 'callDecline']);

export function incomingNotificationId(callId) {
  return `${INCOMING_PREFIX}${callId}`;
}

/** The call id of an incoming-call notification id, or null. */
export function callIdOfIncoming(notificationId) {
  if (typeof notificationId !== 'string' || !notificationId.startsWith(INCOMING_PREFIX)) return null;
  const id = notificationId.slice(INCOMING_PREFIX.length);
  return id === '' ? null : id;
}

/** The request a button of the incoming-call notification makes, or null. */
export function buttonRequest(notificationId, buttonIndex) {
  const callId = callIdOfIncoming(notificationId);
  if (callId === null) return null;
  if (buttonIndex === 0) return answer(callId);
  if (buttonIndex === 1) return decline(callId);
  return null;
}

/** The notifications.create options of an incoming call. */
export function incomingOptions(call, { iconUrl, buttons }) {
  const o = {
    type: 'basic',
    iconUrl,
    title: t('callIncoming'),
    message: callerWords(call),
  };
  if (buttons) {
    // Chrome only: Firefox rejects or ignores these.
    o.buttons = INCOMING_BUTTON_KEYS.map((key) => ({ title: t(key) }));
    o.requireInteraction = true; // stays until the call stops ringing
    o.silent = true; // the softphone window rings
    o.priority = 2;
  } else {
    o.message = t('callNotifyClickToOpen', o.message);
  }
  return o;
}

/** The notifications.create options of a missed call. */
export function missedOptions(call, { iconUrl }) {
  return { type: 'basic', iconUrl, title: t('extName'), message: missedCallWords(call) };
}

export class CallAlerts {
  /**
   * @param {object} o
   * @param {{create(id: string, o: object): Promise<string>, clear(id: string): Promise<boolean>,
   *   getAll?(): Promise<object>}|null} o.notifications browser.notifications (null: none)
   * @param {boolean} o.buttons the browser shows notification buttons (Chrome)
   * @param {string} o.iconUrl the icon of the notifications
   * @param {(type: string, data: object) => Promise<object>} o.request a request to the host
   * @param {{attention(): Promise<unknown>, isFocused(): Promise<boolean>}} o.softphone the window
   */
  constructor({
    notifications, buttons, iconUrl, request, softphone, log = console,
  }) {
    this._notifications = notifications ?? null;
    this._buttons = Boolean(buttons);
    this._iconUrl = iconUrl;
    this._request = request;
    this._softphone = softphone;
    this._log = log;
    this._ringing = new Set(); // ids of incoming calls that ring now
  }

  /** A host event (the background passes each one). Resolves when handled. */
  onHostEvent(msg) {
    if (!isPlainObject(msg) || !isPlainObject(msg.data)) return Promise.resolve();
    switch (msg.type) {
      case MSG.INCOMING:
        return this._incoming(msg.data.call);
      case MSG.CALL:
        return this._callChanged(msg.data.call);
      case MSG.STATE:
        return this._snapshot(msg.data);
      default:
        return Promise.resolve();
    }
  }

  /** The host went away: no call rings any more. */
  hostGone() {
    const ids = [...this._ringing];
    this._ringing.clear();
    return Promise.all(ids.map((id) => this._clear(incomingNotificationId(id))));
  }

  /** notifications.onButtonClicked (Chrome). */
  async buttonClicked(notificationId, buttonIndex) {
    const req = buttonRequest(notificationId, buttonIndex);
    if (!req) return;
    await this._clear(notificationId);
    const reply = await this._request(req.type, req.data);
    if (!reply?.ok) this._log.warn?.(`tabphone: ${req.type} from the notification failed`, reply?.error);
    if (req.type === MSG.ANSWER) await this._attention();
  }

  /** notifications.onClicked: an incoming or missed call's notification brings the window up. */
  async clicked(notificationId) {
    if (typeof notificationId !== 'string') return;
    if (notificationId.startsWith(INCOMING_PREFIX)) {
      await this._attention();
      await this._clear(notificationId);
    } else if (notificationId.startsWith(MISSED_PREFIX)) {
      await this._clear(notificationId);
    }
  }

  async _incoming(call) {
    if (!isRingingIncoming(call)) return;
    this._ringing.add(call.id);
    // Whether the user was looking at the phone before the call: the window's focus
    // after our attention request says little (the browser may report it focused while
    // the desktop kept it behind, or the user may be in another application).
    let focused = false;
    try {
      focused = await this._softphone.isFocused();
    } catch { /* unknown: notify */ }
    await this._attention();
    if (focused || !this._ringing.has(call.id) || !this._notifications) return;
    const id = incomingNotificationId(call.id);
    try {
      await this._notifications.create(id, incomingOptions(call, { iconUrl: this._iconUrl, buttons: this._buttons }));
    } catch (e) {
      this._log.warn?.('tabphone: the incoming-call notification failed', e);
      return;
    }
    // The call may have stopped ringing while the notification was being made.
    if (!this._ringing.has(call.id)) await this._clear(id);
  }

  async _callChanged(call) {
    if (!isPlainObject(call) || typeof call.id !== 'string') return;
    if (isRingingIncoming(call)) {
      this._ringing.add(call.id);
      return;
    }
    if (call.direction === 'incoming') {
      this._ringing.delete(call.id);
      await this._clear(incomingNotificationId(call.id));
    }
    if (call.state !== CALL_STATE.ENDED) return;
    if (isMissed(call) && !isDndMissed(call) && this._notifications) {
      const id = `${MISSED_PREFIX}${call.id}@${call.started_at ?? ''}`;
      try {
        await this._notifications.create(id, missedOptions(call, { iconUrl: this._iconUrl }));
      } catch (e) {
        this._log.warn?.('tabphone: the missed-call notification failed', e);
      }
    }
  }

  /** A snapshot lists the calls that ring; any other incoming notification is stale. */
  async _snapshot(data) {
    const calls = Array.isArray(data.calls) ? data.calls : [];
    const ringing = new Set(calls.filter(isRingingIncoming).map((c) => c.id));
    for (const id of [...this._ringing]) if (!ringing.has(id)) this._ringing.delete(id);
    for (const id of ringing) this._ringing.add(id);
    if (!this._notifications?.getAll) return;
    let all = {};
    try {
      all = (await this._notifications.getAll()) ?? {};
    } catch {
      return;
    }
    for (const nid of Object.keys(all)) {
      const callId = callIdOfIncoming(nid);
      if (callId !== null && !ringing.has(callId)) await this._clear(nid);
    }
  }

  async _attention() {
    try {
      await this._softphone.attention();
    } catch (e) {
      this._log.error?.('tabphone: could not bring up the softphone window', e);
    }
  }

  async _clear(id) {
    if (!this._notifications) return;
    try {
      await this._notifications.clear(id);
    } catch { /* gone */ }
  }
}
