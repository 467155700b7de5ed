// The popup's call history ("Recent calls"): the host's last calls (lib/recentcalls.js
// reads them), a search box for a name or number, a "Missed only" filter, and on each
// call a button that calls back and one that copies the number. The filtering is
// lib/historyfilter.js; this module only draws and wires the section's elements.

import { DIRECTION } from '../lib/protocol.js';
import { isMissedEntry, recentKindWords, recentTimeWords } from '../lib/recentcalls.js';
import { filterHistory, normalizeQuery, MAX_SHOWN } from '../lib/historyfilter.js';
import { validateNumber } from '../lib/dialpad.js';
import { t } from '../lib/i18n.js';

/** Sets text only when it changes, so live regions do not repeat themselves. */
function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

/** Writes text to the clipboard: the async API, else the copy command (older Firefox). */
export async function copyText(text, { clipboard = globalThis.navigator?.clipboard, doc = globalThis.document } = {}) {
  try {
    if (typeof clipboard?.writeText === 'function') {
      await clipboard.writeText(text);
      return true;
    }
  } catch { /* not allowed here: try the copy command */ }
  const area = doc.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'visually-hidden';
  doc.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = doc.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

export class HistoryView {
  /**
   * @param {object} o
   * @param {Document} o.doc
   * @param {() => object[]} o.list the calls as RecentCalls holds them, newest first
   * @param {(number: string) => void} o.onCall call back a number
   * @param {(text: string) => Promise<boolean>} [o.copy] puts text on the clipboard
   */
  constructor({ doc, list, onCall, copy = (text) => copyText(text) }) {
    this._doc = doc;
    this._list = list;
    this._onCall = onCall;
    this._copy = copy;
    const $ = (id) => doc.getElementById(id);
    this.els = {
      list: $('recent'),
      empty: $('recent-empty'),
      template: $('recent-template'),
      search: $('recent-search'),
      missed: $('recent-missed'),
      status: $('recent-status'),
    };
    this.query = '';
    this.missedOnly = false;
    this._wire();
  }

  _wire() {
    const { list, search, missed } = this.els;
    list.addEventListener('click', (ev) => {
      const copy = ev.target.closest?.('button.recent-copy');
      if (copy) {
        this._copyNumber(copy.dataset.number);
        return;
      }
      const button = ev.target.closest?.('button.recent-call');
      if (!button || button.disabled) return;
      this._onCall(button.dataset.number);
    });
    search.addEventListener('input', () => {
      this.query = normalizeQuery(search.value);
      setText(this.els.status, '');
      this.render();
    });
    // Escape in a non-empty search box clears it and stays in the popup (the popup's
    // own Escape handling, hang up or decline, is for the rest of the page).
    search.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && search.value !== '') {
        ev.preventDefault();
        ev.stopPropagation();
        search.value = '';
        this.query = '';
        this.render();
      }
    });
    missed.addEventListener('click', () => {
      this.missedOnly = !this.missedOnly;
      missed.setAttribute('aria-pressed', String(this.missedOnly));
      this.render();
    });
  }

  async _copyNumber(number) {
    if (typeof number !== 'string' || number === '') return;
    const ok = await this._copy(number);
    setText(this.els.status, ok ? t('popupRecentCopied', number) : t('popupRecentCopyFailed'));
  }

  /** One call: a button that calls back, the details, a button that copies. */
  _item(entry, n) {
    const li = this.els.template.content.firstElementChild.cloneNode(true);
    const button = li.querySelector('.recent-call');
    const details = li.querySelector('.recent-details');
    const copy = li.querySelector('.recent-copy');
    details.id = `recent-details-${n}`;
    button.setAttribute('aria-label', t('popupRecentCall', entry.number));
    button.setAttribute('aria-describedby', details.id);
    button.dataset.number = entry.number;
    button.disabled = !validateNumber(entry.number).ok;
    copy.setAttribute('aria-label', t('popupRecentCopy', entry.number));
    copy.title = t('popupRecentCopy', entry.number);
    copy.dataset.number = entry.number;
    setText(li.querySelector('.recent-direction'), entry.direction === DIRECTION.INCOMING ? '↙' : '↗');
    setText(li.querySelector('.recent-number'), entry.number);
    setText(li.querySelector('.recent-kind'), recentKindWords(entry));
    setText(li.querySelector('.recent-name'), entry.name ?? '');
    setText(li.querySelector('.recent-time'), recentTimeWords(entry.at, Date.now()));
    li.classList.toggle('is-missed', isMissedEntry(entry));
    return li;
  }

  /** Draws the calls that match the search and the filter; keeps the focused call's focus. */
  render() {
    const { list, empty } = this.els;
    const active = this._doc.activeElement;
    const focused = active?.closest?.('li.recent-item') ? [active.className, active.dataset.number] : null;
    const all = this._list();
    const shown = filterHistory(all, { query: this.query, missedOnly: this.missedOnly }, MAX_SHOWN);
    list.textContent = '';
    shown.forEach((entry, i) => { list.append(this._item(entry, i + 1)); });
    empty.hidden = shown.length > 0;
    const filtering = this.query !== '' || this.missedOnly;
    setText(empty, all.length > 0 && filtering ? t('popupRecentNoMatch') : t('popupRecentEmpty'));
    if (focused) {
      [...list.querySelectorAll('button')].find((b) => b.className === focused[0] && b.dataset.number === focused[1])?.focus();
    }
  }
}
