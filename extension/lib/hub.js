// The background's routing, without browser calls: pages (popup, softphone window,
// options) connect over runtime ports; their requests go to the one native port under
// fresh ids and the replies come back under the page's id; host events go to every page;
// the cached state goes to a page when it connects; and the softphone window is opened
// when a call needs audio and no softphone page is there to hold it.

import {
  MSG, ERR, PAGE, MAX_REQUEST_BYTES, jsonBytes, isPlainObject, failure, replyFrame,
  STATUS, stateGet, dial, hangup, webrtcOffer, answer, decline, setStatus, configGet, configSet,
  isDTMFDigits, dtmf, mute, hold, transfer, transferTo, historyGet, MAX_HISTORY_LIMIT,
} from './protocol.js';
import { initialState, applyEvent, liveCalls } from './state.js';
import { pickConfig } from './configshape.js';
import { t } from './i18n.js';

export const MAX_NUMBER_CHARS = 256;
export const MAX_CALL_ID_CHARS = 128;
export const MAX_ACCOUNT_CHARS = 128;
export const MAX_SDP_CHARS = 60_000;

const ALL_PAGES = Object.freeze(Object.values(PAGE));

function shortString(v, max) {
  return typeof v === 'string' && v.length > 0 && v.length <= max;
}

/**
 * Requests pages may send. Each entry says which pages may send it and turns the page's
 * data into the host request (only the known fields cross), or returns an error string.
 */
const PAGE_REQUESTS = {
  [MSG.STATE_GET]: {
    from: ALL_PAGES,
    build: () => stateGet(),
  },
  [MSG.DIAL]: {
    from: ALL_PAGES,
    build(d) {
      if (!shortString(d.number, MAX_NUMBER_CHARS)) return 'dial needs a number of at most 256 characters';
      if (d.account !== undefined && !shortString(d.account, MAX_ACCOUNT_CHARS)) return 'dial: bad account';
      return dial(d.number, d.account);
    },
  },
  [MSG.HANGUP]: {
    from: ALL_PAGES,
    build(d) {
      if (!shortString(d.call_id, MAX_CALL_ID_CHARS)) return 'hangup needs a call_id';
      return hangup(d.call_id);
    },
  },
  [MSG.ANSWER]: {
    from: ALL_PAGES,
    build(d) {
      if (!shortString(d.call_id, MAX_CALL_ID_CHARS)) return 'answer needs a call_id';
      return answer(d.call_id);
    },
  },
  [MSG.DECLINE]: {
    from: ALL_PAGES,
    build(d) {
      if (!shortString(d.call_id, MAX_CALL_ID_CHARS)) return 'decline needs a call_id';
      return decline(d.call_id);
    },
  },
  // In a call: the popup's dialpad and the softphone window's controls.
  [MSG.DTMF]: {
    from: ALL_PAGES,
    build(d) {
      if (!shortString(d.call_id, MAX_CALL_ID_CHARS)) return 'dtmf needs a call_id';
      if (!isDTMFDigits(d.digits)) return 'dtmf needs 1 to 32 keys of 0-9 * # A-D';
      return dtmf(d.call_id, d.digits);
    },
  },
  [MSG.MUTE]: {
    from: ALL_PAGES,
    build(d) {
      if (!shortString(d.call_id, MAX_CALL_ID_CHARS)) return 'mute needs a call_id';
      if (typeof d.muted !== 'boolean') return 'mute needs muted: true or false';
      return mute(d.call_id, d.muted);
    },
  },
  [MSG.HOLD]: {
    from: ALL_PAGES,
    build(d) {
      if (!shortString(d.call_id, MAX_CALL_ID_CHARS)) return 'hold needs a call_id';
      if (typeof d.hold !== 'boolean') return 'hold needs hold: true or false';
      return hold(d.call_id, d.hold);
    },
  },
  [MSG.TRANSFER]: {
    from: ALL_PAGES,
    build(d) {
      if (!shortString(d.call_id, MAX_CALL_ID_CHARS)) return 'transfer needs a call_id';
      if (d.to_call_id !== undefined) {
        // Attended: to the party of our other call.
        if (d.target !== undefined) return 'transfer takes a target or a to_call_id, not both';
        if (!shortString(d.to_call_id, MAX_CALL_ID_CHARS) || d.to_call_id === d.call_id) return 'transfer needs a to_call_id of another call';
        return transferTo(d.call_id, d.to_call_id);
      }
      if (!shortString(d.target, MAX_NUMBER_CHARS)) return 'transfer needs a target of at most 256 characters';
      return transfer(d.call_id, d.target);
    },
  },
  [MSG.SET_STATUS]: {
    from: ALL_PAGES,
    build(d) {
      if (!Object.values(STATUS).includes(d.status)) return 'set_status needs a status of "available" or "dnd"';
      return setStatus(d.status);
    },
  },
  [MSG.WEBRTC_OFFER]: {
    from: [PAGE.SOFTPHONE],
    build(d) {
      if (!shortString(d.call_id, MAX_CALL_ID_CHARS)) return 'webrtc_offer needs a call_id';
      if (!shortString(d.sdp, MAX_SDP_CHARS)) return `webrtc_offer needs an sdp of at most ${MAX_SDP_CHARS} characters`;
      return webrtcOffer(d.call_id, d.sdp);
    },
  },
  // The call history (the host's history.jsonl): the popup lists the recent calls.
  [MSG.HISTORY_GET]: {
    from: [PAGE.POPUP],
    build(d) {
      const limit = d.limit ?? MAX_HISTORY_LIMIT;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_HISTORY_LIMIT) {
        return `history_get needs a limit of 1 to ${MAX_HISTORY_LIMIT}`;
      }
      return historyGet(limit);
    },
  },
  // "Check again" after installing the host: handled here, never sent to the host.
  [MSG.HOST_CHECK]: {
    from: ALL_PAGES,
    build: () => ({ type: MSG.HOST_CHECK }),
  },
  // The settings: only the options page reads and writes them.
  [MSG.CONFIG_GET]: {
    from: [PAGE.OPTIONS],
    build: () => configGet(),
  },
  [MSG.CONFIG_SET]: {
    from: [PAGE.OPTIONS],
    build(d) {
      const config = pickConfig(d);
      return typeof config === 'string' ? `config_set: ${config}` : configSet(config);
    },
  },
};

/** Requests that need the host even while it is stopped for lack of a Dialer/PBX session. */
const SETTINGS_REQUESTS = Object.freeze([MSG.CONFIG_GET, MSG.CONFIG_SET]);

/**
 * True when a runtime port comes from one of this extension's own pages: the sender is
 * this extension and the page is served from the extension's origin (content scripts
 * run in web pages and have the web page's URL).
 */
export function isOwnPage(port, extensionId, extensionOrigin) {
  const s = port?.sender;
  return Boolean(s)
    && typeof extensionId === 'string' && extensionId !== '' && s.id === extensionId
    && typeof extensionOrigin === 'string' && extensionOrigin.endsWith('/')
    && typeof s.url === 'string' && s.url.startsWith(extensionOrigin);
}

/**
 * Checks one page message and builds the host request.
 * @returns {{ok: true, id: number, request: object} | {ok: false, id: number|null, error: string}}
 */
export function checkPageMessage(msg, pageName) {
  if (!isPlainObject(msg)) return { ok: false, id: null, error: 'a message must be an object' };
  const id = Number.isSafeInteger(msg.id) && msg.id > 0 ? msg.id : null;
  if (id === null) return { ok: false, id, error: 'a request needs a positive integer id' };
  if (typeof msg.type !== 'string' || !Object.hasOwn(PAGE_REQUESTS, msg.type)) {
    return { ok: false, id, error: `unknown request type ${JSON.stringify(String(msg.type)).slice(0, 40)}` };
  }
  const spec = PAGE_REQUESTS[msg.type];
  if (!spec.from.includes(pageName)) return { ok: false, id, error: `${msg.type} is not allowed from ${pageName}` };
  if (msg.data !== undefined && !isPlainObject(msg.data)) return { ok: false, id, error: 'data must be an object' };
  if (jsonBytes(msg) > MAX_REQUEST_BYTES) return { ok: false, id, error: 'the message is too large' };
  const request = spec.build(msg.data ?? {});
  if (typeof request === 'string') return { ok: false, id, error: request };
  return { ok: true, id, request };
}

export class Hub {
  /**
   * @param {object} o
   * @param {{request(type: string, data?: object): Promise<object>, reconnectNow?(): void}} o.native
   * @param {string} o.extensionId runtime.id
   * @param {string} o.extensionOrigin runtime.getURL("") (ends with "/")
   * @param {() => Promise<unknown>} o.openSoftphone opens or focuses the softphone window
   * @param {(hub: Hub) => void} [o.onChange] after the state or the host status changed
   * @param {() => void} [o.wantHost] the user wants the phone (a page opened, or a dial)
   *   while the host is not connected; default: skip the rest of the reconnect wait.
   *   The background decides instead whether a stopped host may start (session binding).
   * @param {() => void} [o.wantSettings] the options page reads or writes the settings while
   *   the host is not connected: the host is needed even without a Dialer/PBX session
   *   (it registers nothing then); default: as wantHost.
   * @param {(name: string) => void} [o.onPageGone] a page's port closed
   */
  constructor({
    native, extensionId, extensionOrigin, openSoftphone, onChange = () => {}, wantHost = null, wantSettings = null,
    onPageGone = () => {}, log = console,
  }) {
    this.native = native;
    this._wantHost = wantHost ?? (() => this.native.reconnectNow?.());
    this._wantSettings = wantSettings ?? (() => this._wantHost());
    this._onPageGone = onPageGone;
    this._extensionId = extensionId;
    this._extensionOrigin = extensionOrigin;
    this._openSoftphone = openSoftphone;
    this._onChange = onChange;
    this._log = log;
    this.state = initialState();
    this.hostStatus = { connected: false, connecting: true, message: t('hostConnecting') };
    this._pages = new Set(); // {port, name}
    this._openInFlight = false;
  }

  /** Number of connected pages with this name. */
  pageCount(name) {
    let n = 0;
    for (const p of this._pages) if (p.name === name) n++;
    return n;
  }

  /** runtime.onConnect: accepts this extension's own pages, drops anything else. */
  connectPage(port) {
    if (!ALL_PAGES.includes(port?.name) || !isOwnPage(port, this._extensionId, this._extensionOrigin)) {
      this._log.warn?.('tabphone: refused a port', port?.name, port?.sender?.url);
      try { port?.disconnect?.(); } catch { /* gone */ }
      return false;
    }
    const page = { port, name: port.name };
    this._pages.add(page);
    port.onDisconnect.addListener(() => {
      if (this._pages.delete(page)) this._onPageGone(page.name);
    });
    port.onMessage.addListener((msg) => { this._onPageMessage(page, msg); });
    this._post(page, { type: MSG.HOST, data: this.hostStatus });
    if (this.state.snapshot) this._post(page, { type: MSG.STATE, data: this.state.snapshot });
    if (!this.hostStatus.connected) this._wantHost();
    return true;
  }

  /** A host event (a native message that is not a reply). */
  onHostEvent(msg) {
    if (!isPlainObject(msg) || typeof msg.type !== 'string' || msg.type === MSG.REPLY) return;
    this._apply(msg);
    this._broadcast(msg);
  }

  /** The native port's status: {connected:true, version} or {connected:false, message, code?}. */
  onHostStatus(status) {
    this.hostStatus = status;
    const msg = { type: MSG.HOST, data: status };
    this._apply(msg);
    this._broadcast(msg);
    if (status.connected) {
      // The host sends its state after hello; ask too, so a lost event cannot leave us blank.
      const req = stateGet();
      this.native.request(req.type).then((reply) => {
        if (reply.ok && isPlainObject(reply.data)) this.onHostEvent({ type: MSG.STATE, data: reply.data });
      });
    }
  }

  _apply(msg) {
    const next = applyEvent(this.state, msg);
    const changed = next !== this.state;
    this.state = next;
    if (changed || msg.type === MSG.HOST) this._onChange(this);
    if (changed) this._maybeOpenSoftphone();
  }

  /** A call needs audio: make sure a softphone page exists to hold it. */
  _maybeOpenSoftphone() {
    if (this._openInFlight || this.pageCount(PAGE.SOFTPHONE) > 0) return;
    if (liveCalls(this.state).length === 0) return;
    this._openInFlight = true;
    Promise.resolve()
      .then(() => this._openSoftphone())
      .catch((e) => this._log.error?.('tabphone: could not open the softphone window', e))
      .finally(() => { this._openInFlight = false; });
  }

  async _onPageMessage(page, msg) {
    const checked = checkPageMessage(msg, page.name);
    if (!checked.ok) {
      if (checked.id === null) {
        this._post(page, { type: MSG.ERROR, data: { code: ERR.BAD_REQUEST, message: checked.error } });
      } else {
        this._post(page, replyFrame(checked.id, failure(ERR.BAD_REQUEST, checked.error)));
      }
      return;
    }
    const { request } = checked;
    // A dial may start a stopped host; the port holds the request until the hello.
    if (request.type === MSG.DIAL && !this.hostStatus.connected) this._wantHost();
    if (SETTINGS_REQUESTS.includes(request.type) && !this.hostStatus.connected) this._wantSettings();
    let reply;
    if (request.type === MSG.HOST_CHECK) {
      // The user installed the host: skip the rest of the reconnect wait; the outcome
      // comes as the next `host` message.
      this._wantHost();
      reply = { ok: true, data: {} };
    } else if (request.type === MSG.STATE_GET && this.state.snapshot) {
      reply = { ok: true, data: this.state.snapshot };
    } else {
      reply = await this.native.request(request.type, request.data);
    }
    this._post(page, replyFrame(checked.id, reply));
  }

  _broadcast(msg) {
    for (const page of [...this._pages]) this._post(page, msg);
  }

  _post(page, msg) {
    try {
      page.port.postMessage(msg);
    } catch {
      // The page went away between its disconnect and our message.
      if (this._pages.delete(page)) this._onPageGone(page.name);
    }
  }
}
