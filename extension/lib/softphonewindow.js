// Opens the softphone window once: the window id is kept in storage.session, so a
// restarted service worker focuses the open window instead of opening a second one.
// Closes it when the host says `close` (no Dialer/PBX session). An incoming call brings it
// to the front and asks the window manager for attention.
// The windows and storage areas are injected (browser.windows, browser.storage.session).

export const SOFTPHONE_URL = 'softphone/softphone.html';
export const WINDOW_KEY = 'softphoneWindowId';
export const WINDOW_SIZE = Object.freeze({ width: 380, height: 600 });

export class SoftphoneWindow {
  /**
   * @param {object} o
   * @param {{create(o: object): Promise<{id: number}>, update(id: number, o: object): Promise<unknown>,
   *   remove(id: number): Promise<void>, get?(id: number): Promise<{focused: boolean}>}} o.windows
   * @param {{get(k: string): Promise<object>, set(o: object): Promise<void>, remove(k: string): Promise<void>}} o.storage
   */
  constructor({ windows, storage, url = SOFTPHONE_URL }) {
    this._windows = windows;
    this._storage = storage;
    this._url = url;
    this._opening = null;
  }

  /** Focuses the softphone window, or opens it. Concurrent calls share one open. */
  open() {
    this._opening ??= this._open(true).finally(() => { this._opening = null; });
    return this._opening;
  }

  /** Opens the softphone window unless it is open; an open window keeps its place. */
  ensureOpen() {
    this._opening ??= this._open(false).finally(() => { this._opening = null; });
    return this._opening;
  }

  /**
   * An incoming call: opens the window if it is not open, else focuses it and draws the
   * user's attention to it (windows.update focused + drawAttention). Resolves to its id,
   * or null when there is no window of ours and `create` is false (a softphone page is
   * open elsewhere, e.g. in a tab: a second one would take the call's audio twice).
   */
  async attention({ create = true } = {}) {
    if (this._opening) await this._opening.catch(() => {});
    const id = await this._storedId();
    if (id !== null) {
      try {
        await this._windows.update(id, { focused: true, drawAttention: true });
        return id;
      } catch {
        await this._storage.remove(WINDOW_KEY); // closed while the worker slept
      }
    }
    return create ? (await this.open()).id : null;
  }

  /** True when the softphone window is open and has the focus (false when unknown). */
  async isFocused() {
    const id = await this._storedId();
    if (id === null || typeof this._windows.get !== 'function') return false;
    try {
      return Boolean((await this._windows.get(id))?.focused);
    } catch {
      return false;
    }
  }

  /** Closes the softphone window if it is open; true when there was one. */
  async close() {
    if (this._opening) await this._opening.catch(() => {});
    const id = await this._storedId();
    if (id === null) return false;
    await this._storage.remove(WINDOW_KEY);
    try {
      await this._windows.remove(id);
      return true;
    } catch {
      return false; // already closed (the page closes itself on `close` too)
    }
  }

  async _open(focus) {
    const id = await this._storedId();
    if (id !== null) {
      try {
        // update({}) still fails for a window that is gone.
        await this._windows.update(id, focus ? { focused: true } : {});
        return { id, created: false };
      } catch {
        // The window is gone (closed while the worker slept).
        await this._storage.remove(WINDOW_KEY);
      }
    }
    const w = await this._windows.create({ url: this._url, type: 'popup', ...WINDOW_SIZE });
    await this._storage.set({ [WINDOW_KEY]: w.id });
    return { id: w.id, created: true };
  }

  /** windows.onRemoved: forget the id when our window closes. */
  async windowRemoved(windowId) {
    if ((await this._storedId()) === windowId) await this._storage.remove(WINDOW_KEY);
  }

  async _storedId() {
    const got = await this._storage.get(WINDOW_KEY);
    const id = got?.[WINDOW_KEY];
    return Number.isInteger(id) ? id : null;
  }
}
