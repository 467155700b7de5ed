// The extension's words: every user-visible string is a message in
// _locales/<lang>/messages.json, read through the browser's i18n API (lib/browser.js).
// Code asks with t('key', ...substitutions); pages mark their elements with data-i18n*
// attributes and call localizePage before their first render. A message with numbers or
// names in it has named placeholders whose content is $1…$9 (the form both Chromium and
// Firefox document), so a translation can put them where its grammar wants them.

import { browser } from './browser.js';

let api = null;

/** The i18n API in use: the browser's, unless a test gave its own (useI18n). */
function i18n() {
  return api ?? browser?.i18n ?? null;
}

/**
 * Replaces where messages come from ({getMessage(name, subs)}, the shape of
 * browser.i18n); null goes back to the browser's. For tests, which have no browser.
 */
export function useI18n(replacement) {
  api = replacement ?? null;
}

/**
 * The message `key` with its substitutions ($1…$9; at most 9, as Chromium allows), or
 * the key itself when there is no such message, so a missing one shows as its name
 * rather than as an empty label.
 */
export function t(key, ...substitutions) {
  const subs = substitutions.slice(0, 9).map((s) => String(s ?? ''));
  let message = '';
  try {
    message = i18n()?.getMessage(key, subs.length > 0 ? subs : undefined) ?? '';
  } catch {
    message = ''; // Firefox throws for a malformed name; show the key
  }
  return message === '' ? key : message;
}

/**
 * The message split around its first substitution: [before, after]. For a sentence with
 * an element inside ("Closing in <span>5</span> s"): the words go around the element,
 * and the translation decides on which side they stand.
 */
export function around(key) {
  const mark = '\u2063'; // INVISIBLE SEPARATOR: never in a message
  const text = t(key, mark);
  const at = text.indexOf(mark);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + mark.length)];
}

/** The attributes localizePage fills, and the element property or attribute each sets. */
const ATTRIBUTES = Object.freeze([
  ['data-i18n-aria-label', 'aria-label'],
  ['data-i18n-title', 'title'],
  ['data-i18n-placeholder', 'placeholder'],
]);

function each(root, attr, fn) {
  if (root?.getAttribute?.(attr) != null) fn(root);
  for (const el of root?.querySelectorAll?.(`[${attr}]`) ?? []) fn(el);
}

/**
 * Fills the words of a page (or part of one) from the messages:
 * data-i18n="key" sets the text, data-i18n-aria-label / -title / -placeholder set
 * those attributes, data-i18n-around="key" puts the message's words before and after
 * the element's one child element (around()). <template> contents are filled too, so
 * cloned items come out in the page's language. The root <html> gets the
 * translation's language (message langTag) for screen readers' pronunciation.
 */
export function localizePage(root) {
  if (!root) return;
  each(root, 'data-i18n', (el) => { el.textContent = t(el.getAttribute('data-i18n')); });
  for (const [attr, target] of ATTRIBUTES) {
    each(root, attr, (el) => { el.setAttribute(target, t(el.getAttribute(attr))); });
  }
  each(root, 'data-i18n-around', (el) => {
    const child = [...el.children].find((c) => c.nodeType === 1);
    const [before, after] = around(el.getAttribute('data-i18n-around'));
    if (child) el.replaceChildren(before, child, after);
    else el.textContent = `${before}${after}`;
  });
  for (const tpl of root.querySelectorAll?.('template') ?? []) localizePage(tpl.content);
  if (root.tagName === 'HTML') root.setAttribute('lang', t('langTag'));
}
