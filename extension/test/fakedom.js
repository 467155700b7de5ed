// Just enough DOM to run the popup and softphone scripts in node: our own simple markup
// parsed into elements with ids, classes, attributes, text, events that bubble, and
// <template>. Not a browser: the end-to-end tests cover real rendering.

const VOID = new Set(['meta', 'link', 'input', 'br', 'img', 'hr']);

class ClassList {
  constructor(el) { this._el = el; }

  _list() { return (this._el.getAttribute('class') ?? '').split(/\s+/).filter(Boolean); }

  contains(c) { return this._list().includes(c); }

  add(c) { if (!this.contains(c)) this._el.setAttribute('class', [...this._list(), c].join(' ')); }

  remove(c) { this._el.setAttribute('class', this._list().filter((x) => x !== c).join(' ')); }

  toggle(c, on = !this.contains(c)) {
    if (on) this.add(c); else this.remove(c);
    return on;
  }
}

export class FakeElement {
  constructor(doc, tag, attrs = {}) {
    this.ownerDocument = doc;
    this.tagName = tag.toUpperCase();
    this.attrs = { ...attrs };
    this.children = [];
    this.parent = null;
    this._text = '';
    this.listeners = new Map();
    this.classList = new ClassList(this);
    this.value = attrs.value ?? '';
    this.disabled = 'disabled' in attrs;
    this.srcObject = null;
    this.selectionStart = null;
    this.selectionEnd = null;
    if (this.tagName === 'TEMPLATE') this.content = new FakeElement(doc, '#document-fragment');
  }

  /** 3 for a text node, 1 for an element (as in the DOM). */
  get nodeType() { return this.tagName === '#TEXT' ? 3 : 1; }

  get firstElementChild() { return this.children.find((c) => c.nodeType === 1) ?? null; }

  /** Replaces the children; strings become text nodes (as in the DOM). */
  replaceChildren(...nodes) {
    for (const c of this.children) c.parent = null;
    this.children = [];
    this._text = '';
    for (const n of nodes) {
      if (typeof n === 'string') {
        if (n === '') continue;
        const t = new FakeElement(this.ownerDocument, '#text');
        t._text = n;
        this.append(t);
      } else {
        this.append(n);
      }
    }
  }

  get id() { return this.attrs.id ?? ''; }

  set id(v) { this.attrs.id = v; }

  get hidden() { return 'hidden' in this.attrs; }

  set hidden(v) { if (v) this.attrs.hidden = ''; else delete this.attrs.hidden; }

  get dataset() {
    const d = {};
    for (const [k, v] of Object.entries(this.attrs)) {
      if (k.startsWith('data-')) d[k.slice(5).replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = v;
    }
    return new Proxy(d, { set: (o, k, v) => { this.attrs[`data-${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`] = String(v); return true; } });
  }

  getAttribute(n) { return n in this.attrs ? this.attrs[n] : null; }

  setAttribute(n, v) { this.attrs[n] = String(v); }

  removeAttribute(n) { delete this.attrs[n]; }

  get textContent() { return this._text + this.children.map((c) => c.textContent).join(''); }

  set textContent(v) {
    this.children = [];
    this._text = String(v);
  }

  append(child) {
    child.remove();
    child.parent = this;
    this.children.push(child);
  }

  remove() {
    if (!this.parent) return;
    this.parent.children = this.parent.children.filter((c) => c !== this);
    this.parent = null;
  }

  cloneNode() {
    const c = new FakeElement(this.ownerDocument, this.tagName.toLowerCase(), this.attrs);
    c._text = this._text;
    for (const k of this.children) c.append(k.cloneNode());
    return c;
  }

  matches(sel) {
    // Supports "tag", ".class", "#id", "tag[attr]" and "tag.class".
    const m = sel.match(/^([a-z]*)(?:\.([\w-]+))?(?:#([\w-]+))?(?:\[([\w-]+)\])?$/i);
    if (!m) throw new Error(`fakedom: unsupported selector ${sel}`);
    const [, tag, cls, id, attr] = m;
    return (!tag || this.tagName === tag.toUpperCase()) && (!cls || this.classList.contains(cls))
      && (!id || this.id === id) && (!attr || attr in this.attrs);
  }

  closest(sel) {
    for (let e = this; e; e = e.parent) if (e.matches?.(sel)) return e;
    return null;
  }

  querySelectorAll(sel) {
    const out = [];
    const walk = (e) => { for (const c of e.children) { if (c.matches(sel)) out.push(c); walk(c); } };
    walk(this);
    return out;
  }

  querySelector(sel) { return this.querySelectorAll(sel)[0] ?? null; }

  addEventListener(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, []);
    this.listeners.get(type).push(fn);
  }

  /** Fires an event that bubbles up to the document; returns the event. */
  dispatch(type, init = {}) {
    const ev = { type, target: this, defaultPrevented: false, preventDefault() { this.defaultPrevented = true; }, ...init };
    for (let e = this; e; e = e.parent) for (const fn of e.listeners.get(type) ?? []) fn(ev);
    for (const fn of this.ownerDocument.listeners.get(type) ?? []) fn(ev);
    return ev;
  }

  focus() { this.ownerDocument.activeElement = this; }

  play() { return this.ownerDocument.playResult(this); }
}

/** Parses our pages' markup into a fake document. */
export function parseDocument(html) {
  const doc = {
    listeners: new Map(),
    activeElement: null,
    playResult: () => Promise.resolve(),
    addEventListener(type, fn) {
      if (!this.listeners.has(type)) this.listeners.set(type, []);
      this.listeners.get(type).push(fn);
    },
    getElementById(id) { return this.root.querySelectorAll(`#${id}`)[0] ?? null; },
    createElement(tag) { return new FakeElement(this, tag); },
    /** The <html> element (data-* attributes the pages set for tests live there). */
    get documentElement() { return this.root.querySelector('html') ?? this.root; },
    get body() { return this.root.querySelector('body'); },
  };
  doc.root = new FakeElement(doc, 'html-root');
  const stack = [doc.root];
  const re = /<!--[\s\S]*?-->|<!doctype[^>]*>|<\/([a-z0-9]+)\s*>|<([a-z0-9]+)((?:\s+[\w:-]+(?:="[^"]*")?)*)\s*\/?>|([^<]+)/gi;
  for (const m of html.matchAll(re)) {
    const [, close, open, attrText, text] = m;
    const top = stack[stack.length - 1];
    if (close) {
      if (close.toLowerCase() !== top.tagName.toLowerCase()) throw new Error(`fakedom: </${close}> closes <${top.tagName}>`);
      stack.pop();
      if (top.tagName === 'TEMPLATE') {
        for (const c of [...top.children]) top.content.append(c);
      }
    } else if (open) {
      const attrs = {};
      for (const a of (attrText ?? '').matchAll(/([\w:-]+)(?:="([^"]*)")?/g)) attrs[a[1]] = a[2] ?? '';
      const el = new FakeElement(doc, open, attrs);
      top.append(el);
      if (!VOID.has(open.toLowerCase()) && !m[0].endsWith('/>')) stack.push(el);
    } else if (text && text.trim()) {
      const t = new FakeElement(doc, '#text');
      t._text = text.replace(/\s+/g, ' ');
      top.append(t);
    }
  }
  if (stack.length !== 1) throw new Error(`fakedom: unclosed <${stack[stack.length - 1].tagName}>`);
  return doc;
}
