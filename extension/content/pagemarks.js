// Marks the phone numbers found in a page's text (opt-in number detection) and dials
// only on a trusted click or key press on a mark. A classic script: it adds PageMarks to
// the TabphoneContent namespace. Text is walked with a TreeWalker that skips form
// fields, editable regions, code, scripts, links and buttons, and our own marks; content
// added later is picked up by a MutationObserver, debounced, with a bounded number of
// text nodes per turn so a busy page is not blocked.
(function pageMarks() {
  'use strict';

  // A plain object of ours, never a page element that happens to have id="TabphoneContent"
  // (window's named properties reach content scripts too: DOM clobbering).
  const prev = globalThis.TabphoneContent;
  const ns = prev && Object.getPrototypeOf(prev) === Object.prototype ? prev : (globalThis.TabphoneContent = {});

  /**
   * The message `key` from _locales in the user's language (content scripts may call
   * i18n.getMessage themselves; this classic script cannot import lib/i18n.js), or the
   * key itself when there is none, so a mark never gets an empty name.
   */
  function t(key, ...subs) {
    let text = '';
    try {
      const api = globalThis.browser || globalThis.chrome;
      const i18n = api && api.i18n;
      if (i18n && typeof i18n.getMessage === 'function') text = i18n.getMessage(key, subs.map(String));
    } catch {
      text = ''; // the extension was reloaded (orphaned script) or the name is malformed
    }
    return typeof text === 'string' && text !== '' ? text : key;
  }

  const MARK_CLASS = 'tabphone-ctc-mark';
  const NUMBER_ATTR = 'data-tabphone-number';
  /** Elements whose text is never marked (nor anything inside them). */
  const SKIP_TAGS = new Set([
    'SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'TEXTAREA', 'INPUT', 'SELECT', 'OPTION', 'BUTTON',
    'CODE', 'PRE', 'KBD', 'SAMP', 'VAR', 'A', 'IFRAME', 'OBJECT', 'EMBED', 'SVG', 'MATH', 'CANVAS',
    'HEAD', 'TITLE', 'LABEL',
  ]);

  /** True when el or an ancestor is contenteditable (the nearest attribute decides). */
  function editable(el) {
    if (el.ownerDocument && el.ownerDocument.designMode === 'on') return true;
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const v = e.getAttribute('contenteditable');
      if (v !== null) return v.toLowerCase() !== 'false';
    }
    return false;
  }

  function skipsOwn(el) {
    return SKIP_TAGS.has(el.tagName.toUpperCase()) || el.classList.contains(MARK_CLASS)
      || el.getAttribute('role') === 'textbox';
  }

  /** True when nothing inside el may be marked (el itself or an ancestor says so). */
  function skipped(el) {
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      if (skipsOwn(e)) return true;
    }
    return editable(el);
  }

  class PageMarks {
    /**
     * @param {object} o
     * @param {Document} o.document
     * @param {(text: string) => {start: number, end: number, text: string, number: string}[]} o.scan
     * @param {(number: string) => void} o.onDial after a trusted click (or Enter/Space) on a mark
     * @param {number} [o.debounceMs] wait after a change before scanning
     * @param {number} [o.sliceNodes] text nodes scanned per turn
     * @param {number} [o.maxMarks] marks per page at most
     */
    constructor({
      document, scan, onDial, debounceMs = 200, sliceNodes = 300, maxMarks = 500,
      setTimeout: st = globalThis.setTimeout.bind(globalThis), clearTimeout: ct = globalThis.clearTimeout.bind(globalThis),
    }) {
      this._doc = document;
      this._scan = scan;
      this._onDial = onDial;
      this._debounceMs = debounceMs;
      this._sliceNodes = sliceNodes;
      this._maxMarks = maxMarks;
      this._setTimeout = st;
      this._clearTimeout = ct;
      this._roots = [];
      this._texts = [];
      this._timer = null;
      this._observer = null;
      this._running = false;
      this.marks = 0;
      // Our marks and the number each was made for. A page can make an element with our
      // class and attribute, or change a mark's attribute: only a mark we made dials, and
      // it dials the number we found, never what the attribute says now.
      this._own = new WeakMap();
      this._onClick = (ev) => this._clicked(ev);
      this._onKey = (ev) => this._key(ev);
    }

    start() {
      if (this._running) return;
      this._running = true;
      const win = this._doc.defaultView;
      const Observer = win && win.MutationObserver;
      if (Observer) {
        this._observer = new Observer((records) => this._mutated(records));
        this._observer.observe(this._doc.documentElement, { childList: true, subtree: true, characterData: true });
      }
      this._doc.addEventListener('click', this._onClick, true);
      this._doc.addEventListener('keydown', this._onKey, true);
      if (this._doc.body) this._queue(this._doc.body, 0);
    }

    /** Stops watching and puts the page's text back as it was. */
    stop() {
      if (!this._running) return;
      this._running = false;
      if (this._observer) this._observer.disconnect();
      this._observer = null;
      if (this._timer !== null) this._clearTimeout(this._timer);
      this._timer = null;
      this._roots = [];
      this._texts = [];
      this._doc.removeEventListener('click', this._onClick, true);
      this._doc.removeEventListener('keydown', this._onKey, true);
      for (const mark of [...this._doc.querySelectorAll(`.${MARK_CLASS}`)]) {
        if (!this._own.has(mark)) continue; // the page's own element, not ours to change
        const parent = mark.parentNode;
        parent.replaceChild(this._doc.createTextNode(mark.textContent), mark);
        parent.normalize();
      }
      this.marks = 0;
    }

    /** Scans everything queued now (tests; the timer does it otherwise). */
    flush() {
      while (this._roots.length || this._texts.length) this._work(Infinity);
    }

    _queue(node, delay) {
      this._roots.push(node);
      if (this._timer === null) this._timer = this._setTimeout(() => this._turn(), delay);
    }

    _mutated(records) {
      for (const r of records) {
        if (r.type === 'characterData') {
          if (r.target.nodeType === 3) this._queue(r.target, this._debounceMs);
          continue;
        }
        for (const n of r.addedNodes) {
          if (n.nodeType === 3 || (n.nodeType === 1 && !n.classList.contains(MARK_CLASS))) this._queue(n, this._debounceMs);
        }
      }
    }

    _turn() {
      this._timer = null;
      if (!this._running) return;
      this._work(this._sliceNodes);
      if (this._roots.length || this._texts.length) this._timer = this._setTimeout(() => this._turn(), 0);
    }

    /** Expands queued roots into text nodes and marks up to `budget` of them. */
    _work(budget) {
      while (this._texts.length < budget && this._roots.length) this._collect(this._roots.shift());
      const batch = this._texts.splice(0, budget);
      for (const t of batch) {
        if (this.marks >= this._maxMarks) break;
        if (t.isConnected && t.parentElement && !skipped(t.parentElement)) this._mark(t);
      }
      // Our own replacements are not new content: drop their records.
      if (this._observer) this._observer.takeRecords();
    }

    _collect(root) {
      if (!root || !root.isConnected) return;
      if (root.nodeType === 3) {
        this._texts.push(root);
        return;
      }
      if (root.nodeType !== 1 || skipped(root)) return;
      const win = this._doc.defaultView;
      const NF = win.NodeFilter;
      const walker = this._doc.createTreeWalker(root, NF.SHOW_ELEMENT | NF.SHOW_TEXT, {
        acceptNode: (n) => {
          if (n.nodeType === 3) return /[0-9]/.test(n.data) ? NF.FILTER_ACCEPT : NF.FILTER_SKIP;
          if (skipsOwn(n)) return NF.FILTER_REJECT;
          const v = n.getAttribute('contenteditable');
          if (v !== null && v.toLowerCase() !== 'false') return NF.FILTER_REJECT;
          return NF.FILTER_SKIP;
        },
      });
      for (let n = walker.nextNode(); n; n = walker.nextNode()) this._texts.push(n);
    }

    _mark(textNode) {
      const text = textNode.data;
      const found = this._scan(text);
      if (!found.length) return;
      const doc = this._doc;
      const frag = doc.createDocumentFragment();
      let at = 0;
      for (const f of found) {
        if (f.start < at || this.marks >= this._maxMarks) continue;
        if (f.start > at) frag.appendChild(doc.createTextNode(text.slice(at, f.start)));
        const mark = doc.createElement('span');
        mark.className = MARK_CLASS;
        mark.setAttribute(NUMBER_ATTR, f.number);
        mark.setAttribute('role', 'button');
        mark.setAttribute('tabindex', '0');
        const name = t('contentCallNumber', f.text.trim());
        mark.setAttribute('aria-label', name);
        mark.setAttribute('title', name);
        mark.textContent = text.slice(f.start, f.end);
        this._own.set(mark, f.number);
        frag.appendChild(mark);
        this.marks++;
        at = f.end;
      }
      if (at === 0) return;
      if (at < text.length) frag.appendChild(doc.createTextNode(text.slice(at)));
      textNode.parentNode.replaceChild(frag, textNode);
    }

    _markOf(ev) {
      const path = typeof ev.composedPath === 'function' ? ev.composedPath() : [ev.target];
      for (const n of path) {
        if (n && n.nodeType === 1 && this._own.has(n)) return n;
      }
      return null;
    }

    _dial(ev, mark) {
      // Only the user's own click or key: a page script's click() or dispatchEvent is not.
      if (!ev.isTrusted) return;
      ev.preventDefault();
      ev.stopPropagation();
      const number = this._own.get(mark);
      if (number) this._onDial(number);
    }

    _clicked(ev) {
      if (ev.button !== 0) return;
      const mark = this._markOf(ev);
      if (mark) this._dial(ev, mark);
    }

    _key(ev) {
      if (ev.key !== 'Enter' && ev.key !== ' ') return;
      const mark = this._markOf(ev);
      if (mark) this._dial(ev, mark);
    }
  }

  ns.t = t;
  ns.PageMarks = PageMarks;
  ns.MARK_CLASS = MARK_CLASS;
  ns.NUMBER_ATTR = NUMBER_ATTR;
}());
