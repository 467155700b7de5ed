// The words of the extension: lib/i18n.js (fallback, substitutions, localizePage), and
// the contract between the code, the markup and _locales/en/messages.json — every key
// the code (ES modules and the classic content scripts) or a page asks for exists, every
// message is used, and the pages carry no English of their own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  t, around, localizePage, useI18n,
} from '../lib/i18n.js';
import { INCOMING_BUTTON_KEYS } from '../lib/callalerts.js';
import { fakeI18n, englishMessages, formatMessage } from './fakei18n.js';
import { parseDocument } from './fakedom.js';

const ext = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (p) => readFileSync(join(ext, p), 'utf8');
/** A code file without its comments (doc comments quote t('key', …) as examples). */
const code = (p) => read(p).replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
const messages = englishMessages();

/** The extension's pages: all their words go through messages. */
const PAGES = ['popup/popup.html', 'softphone/softphone.html', 'options/options.html'];

/**
 * Every .js file of the extension (not the tests or tools, nor the vendored phone-number
 * library that make build puts in vendor/), relative to extension/: the lib modules, the
 * pages' scripts and the content scripts, whose tiny lookup is also called t('key', …).
 */
function codeFiles() {
  const out = [];
  const walk = (dir) => {
    for (const e of readdirSync(join(ext, dir), { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (!['test', 'tools', '_locales', 'icons', 'node_modules', 'vendor'].includes(e.name)) walk(p);
      } else if (e.name.endsWith('.js')) {
        out.push(relative('.', p));
      }
    }
  };
  walk('.');
  return out;
}

const DATA_ATTR_RE = /\sdata-i18n(?:-aria-label|-title|-placeholder|-around)?="([^"]*)"/g;

/** Keys the code asks for with a literal: t('key', …), and the notification's buttons. */
function keysInCode() {
  const keys = new Map(); // key → where
  for (const f of codeFiles()) {
    for (const m of code(f).matchAll(/\bt\(\s*'([^']*)'/g)) keys.set(m[1], f);
  }
  for (const k of INCOMING_BUTTON_KEYS) keys.set(k, 'lib/callalerts.js INCOMING_BUTTON_KEYS');
  return keys;
}

/** Keys the pages (all of them) name in data-i18n* attributes. */
function keysInMarkup() {
  const keys = new Map();
  for (const f of PAGES) for (const m of read(f).matchAll(DATA_ATTR_RE)) keys.set(m[1], f);
  return keys;
}

test('t: the message with its substitutions, in the order the translation puts them', () => {
  useI18n(fakeI18n());
  assert.equal(t('registrationRegistered', '1001', 'pbx.example.com'), 'Registered as 1001 at pbx.example.com');
  assert.equal(t('callStateTimer', 'Connected', '00:42'), 'Connected 00:42');
  assert.equal(t('callIsCalling', 'Alice (1002)'), 'Alice (1002) is calling');
  assert.equal(t('callAutoAnswerIn', 3), 'Auto-answer in 3 s', 'numbers become strings');
  // A translation that names the second substitution first.
  useI18n(fakeI18n({
    swapped: { message: '$DOMAIN$: $USER$ ($$)', placeholders: { user: { content: '$1' }, domain: { content: '$2' } } },
    direct: { message: 'at $1 and $2' },
  }));
  assert.equal(t('swapped', '1001', 'pbx'), 'pbx: 1001 ($)');
  assert.equal(t('direct', 'a', 'b'), 'at a and b');
  useI18n(null);
});

test('t: a missing message shows its key, never an empty label', () => {
  useI18n(fakeI18n());
  assert.equal(t('noSuchMessage'), 'noSuchMessage');
  assert.equal(t('noSuchMessage', 'x'), 'noSuchMessage');
  useI18n({ getMessage() { throw new Error('Invalid message name'); } });
  assert.equal(t('bad name'), 'bad name', 'a throwing API shows the key too');
  useI18n(null); // no browser in this process: the keys show
  assert.equal(t('popupDial'), 'popupDial');
});

test('around: the words before and after an element, wherever the translation puts it', () => {
  useI18n(fakeI18n());
  assert.deepEqual(around('closingCountdown'), ['Closing in ', ' s']);
  useI18n(fakeI18n({ countdown: { message: '$S$ s left', placeholders: { s: { content: '$1' } } } }));
  assert.deepEqual(around('countdown'), ['', ' s left']);
  assert.deepEqual(around('missing'), ['missing', '']);
  useI18n(null);
});

test('localizePage fills text, attributes, words around an element, templates and the language', () => {
  useI18n(fakeI18n({
    ...messages,
    langTag: { message: 'de' },
  }));
  const doc = parseDocument(`<html lang="en"><head><title data-i18n="extName"></title></head><body>
    <button id="b" data-i18n="popupDial" data-i18n-title="popupDelete"></button>
    <input id="i" data-i18n-placeholder="popupNumber" data-i18n-aria-label="softphoneTransferTo">
    <p id="c" data-i18n-around="closingCountdown"><span id="n">5</span></p>
    <p id="m" data-i18n="gone"></p>
    <template id="tpl"><li><button class="x" data-i18n="callEnd"></button></li></template>
  </body></html>`);
  const html = doc.documentElement;
  localizePage(html);
  const $ = (id) => doc.getElementById(id);
  assert.equal(html.querySelector('title').textContent, 'Tabphone');
  assert.equal($('b').textContent, 'Dial');
  assert.equal($('b').getAttribute('title'), 'Delete');
  assert.equal($('i').getAttribute('placeholder'), 'Number');
  assert.equal($('i').getAttribute('aria-label'), 'Transfer to');
  assert.equal($('c').textContent, 'Closing in 5 s');
  assert.equal($('n').textContent, '5', 'the element inside keeps its own text');
  assert.equal($('c').firstElementChild, $('n'));
  assert.equal($('m').textContent, 'gone', 'a missing message shows its key');
  assert.equal($('tpl').content.firstElementChild.querySelector('.x').textContent, 'End call');
  assert.equal(html.getAttribute('lang'), 'de');
  useI18n(null);
});

test('every key the code or the markup asks for is in _locales/en/messages.json', () => {
  const missing = [];
  for (const [key, where] of [...keysInCode(), ...keysInMarkup()]) if (!messages[key]) missing.push(`${key} (${where})`);
  assert.deepEqual(missing, []);
  for (const m of read('manifest.json').matchAll(/__MSG_(\w+)__/g)) assert.ok(messages[m[1]], `manifest's ${m[1]}`);
});

test('every message in messages.json is used (by code, markup or the manifest)', () => {
  const manifest = new Set([...read('manifest.json').matchAll(/__MSG_(\w+)__/g)].map((m) => m[1]));
  const used = new Set([...keysInCode().keys(), ...keysInMarkup().keys(), ...manifest]);
  const unused = Object.keys(messages).filter((k) => !used.has(k));
  assert.deepEqual(unused, []);
});

test('messages.json: camelCase keys, a description each, placeholders that match the message', () => {
  for (const [key, entry] of Object.entries(messages)) {
    assert.match(key, /^[a-z][A-Za-z0-9]*$/, key);
    assert.equal(typeof entry.message, 'string', key);
    assert.ok(entry.message.trim() !== '', `${key}: not empty`);
    assert.ok(typeof entry.description === 'string' && entry.description.length > 3, `${key}: a description`);
    const named = [...entry.message.matchAll(/\$([A-Za-z0-9_@]+)\$/g)].map((m) => m[1].toLowerCase());
    const defined = Object.keys(entry.placeholders ?? {});
    assert.deepEqual([...new Set(named)].sort(), [...defined].sort(), `${key}: every $NAME$ defined, every placeholder used`);
    const contents = Object.values(entry.placeholders ?? {}).map((p) => p.content).sort();
    assert.deepEqual(contents, contents.map((_, i) => `$${i + 1}`), `${key}: placeholders are $1…$n`);
    for (const p of Object.values(entry.placeholders ?? {})) assert.ok(p.example, `${key}: an example for translators`);
  }
});

test('t calls pass as many substitutions as their message has placeholders', () => {
  const counts = (key) => Object.keys(messages[key]?.placeholders ?? {}).length;
  for (const f of codeFiles()) {
    const src = code(f);
    for (const m of src.matchAll(/\bt\(\s*'([^']*)'/g)) {
      // Count top-level commas up to the matching parenthesis.
      let depth = 0;
      let args = 1;
      let i = m.index + m[0].length;
      for (; i < src.length; i++) {
        const c = src[i];
        if ('([{'.includes(c)) depth++;
        else if (')]}'.includes(c)) {
          if (depth === 0) break;
          depth--;
        } else if (c === ',' && depth === 0) args++;
        else if (c === "'" || c === '`') {
          const end = src.indexOf(c, i + 1);
          i = end;
        }
      }
      assert.equal(args - 1, counts(m[1]), `${f}: t('${m[1]}', …)`);
    }
  }
});

/** The text nodes of a parsed page, templates included, each with its ancestors. */
function textNodes(el, ancestors = [], out = []) {
  for (const c of el.children) {
    if (c.tagName === '#TEXT') out.push({ text: c.textContent, ancestors: [el, ...ancestors] });
    else textNodes(c, [el, ...ancestors], out);
  }
  if (el.tagName === 'TEMPLATE') textNodes(el.content, [el, ...ancestors], out);
  return out;
}

test('the popup, the softphone window and the options page hold no English of their own: words come from messages', () => {
  for (const page of PAGES) {
    const doc = parseDocument(read(page));
    const stray = [];
    for (const { text, ancestors } of textNodes(doc.root)) {
      if (!/\p{L}/u.test(text)) continue; // digits, *, #, symbols: not words
      const marked = ancestors.some((a) => typeof a.getAttribute?.('data-i18n') === 'string')
        || ancestors.some((a) => a.getAttribute?.('translate') === 'no'); // the dialpad's ABC letters
      if (!marked) stray.push(text.trim());
    }
    assert.deepEqual(stray, [], `${page}: text outside data-i18n`);
    const html = read(page);
    for (const attr of ['aria-label', 'title', 'placeholder', 'alt']) {
      const literal = [...html.matchAll(new RegExp(`\\s${attr}="([^"]*)"`, 'g'))].map((m) => m[1]).filter((v) => /\p{L}/u.test(v));
      assert.deepEqual(literal, [], `${page}: ${attr} must be data-i18n-${attr}`);
    }
  }
});

test('the fake i18n formats like the browsers: named placeholders, then $1…$9, $$ is a dollar', () => {
  const entry = { message: 'Call $NUMBER$ for $$5 ($1)', placeholders: { number: { content: '$1' } } };
  assert.equal(formatMessage(entry, ['1002']), 'Call 1002 for $5 (1002)');
  assert.equal(formatMessage({ message: 'plain' }, []), 'plain');
});

test('the content scripts are in the key checks: their t(\'key\', …) calls are found', () => {
  const content = codeFiles().filter((f) => f.startsWith('content/'));
  assert.deepEqual(content.sort(), ['content/clicktocall.js', 'content/dialersite.js', 'content/numberscan.js', 'content/pagemarks.js']);
  const fromContent = [...keysInCode()].filter(([, where]) => where.startsWith('content/')).map(([k]) => k);
  assert.deepEqual(fromContent, ['contentCallNumber']);
  for (const f of content) {
    // A mark's accessible name or tooltip is never a literal: it comes from t().
    const literal = [...code(f).matchAll(/setAttribute\(\s*'(?:aria-label|title)',\s*([`'"])/g)];
    assert.deepEqual(literal, [], `${f}: aria-label/title from messages`);
  }
});

test('content scripts: the lookup reads the browser\'s i18n at call time and shows the key when there is none', async () => {
  const saved = { browser: globalThis.browser, chrome: globalThis.chrome };
  await import('../content/pagemarks.js');
  const { t: lookup } = globalThis.TabphoneContent;
  try {
    delete globalThis.browser;
    delete globalThis.chrome;
    assert.equal(lookup('contentCallNumber', '600'), 'contentCallNumber', 'no browser: the key');
    globalThis.chrome = { i18n: fakeI18n() };
    assert.equal(lookup('contentCallNumber', '+44 20 7946 0958'), 'Call +44 20 7946 0958 with Tabphone');
    assert.equal(lookup('noSuchMessage'), 'noSuchMessage');
    globalThis.browser = { i18n: fakeI18n({ contentCallNumber: { message: '$N$ anrufen', placeholders: { n: { content: '$1' } } } }) };
    assert.equal(lookup('contentCallNumber', '600'), '600 anrufen', 'Firefox\'s browser.i18n first');
    globalThis.browser = { i18n: { getMessage() { throw new Error('Extension context invalidated.'); } } };
    assert.equal(lookup('contentCallNumber', '600'), 'contentCallNumber', 'an orphaned script shows the key');
  } finally {
    if (saved.browser === undefined) delete globalThis.browser; else globalThis.browser = saved.browser;
    if (saved.chrome === undefined) delete globalThis.chrome; else globalThis.chrome = saved.chrome;
  }
});
