// Opens the softphone window once: the window id is kept in storage.session, so a
// restarted service worker focuses the open window instead of opening a second one.
// The windows and storage areas are injected (browser.windows, browser.storage.session).

export const SOFTPHONE_URL = 'softphone/softphone.html';
export const WINDOW_KEY = 'softphoneWindowId';
export const WINDOW_SIZE = Object.freeze({ width: 380, height: 600 });

export class SoftphoneWindow {
  /**
   * @param {object} o
   * @param {{create(o: object): Promise<{id: number}>, update(id: number, o: object): Promise<unknown>}} o.windows
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
    this._opening ??= this._open().finally(() => { this._opening = null; });
    return this._opening;
  }

  async _open() {
    const id = await this._storedId();
    if (id !== null) {
      try {
        await this._windows.update(id, { focused: true });
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
