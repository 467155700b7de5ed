// Rules for the number field: what typing and pasting turn into, and whether the result
// can be dialed. The host normalizes again (with its own number library); this keeps the
// field clean and gives the user words before anything is sent.

import { t } from './i18n.js';

export const MAX_NUMBER_LENGTH = 64;
export const MAX_URI_LENGTH = 256;

/** The dialpad keys in reading order (3 × 4) with the letters printed under them. */
export const DIAL_KEYS = Object.freeze([
  { key: '1', letters: '' }, { key: '2', letters: 'ABC' }, { key: '3', letters: 'DEF' },
  { key: '4', letters: 'GHI' }, { key: '5', letters: 'JKL' }, { key: '6', letters: 'MNO' },
  { key: '7', letters: 'PQRS' }, { key: '8', letters: 'TUV' }, { key: '9', letters: 'WXYZ' },
  { key: '*', letters: '' }, { key: '0', letters: '+' }, { key: '#', letters: '' },
]);

const URI_RE = /^sips?:/i;
const TEL_RE = /^(?:tel|callto):/i;
// Separators people write in numbers; they carry no meaning for dialing.
const SEPARATORS_RE = /[\s\u00a0\u2000-\u200b\u2010-\u2015\u2212().\-/]/g;
const DIAL_CHAR_RE = /^[0-9*#]$/;

/** True for a sip: or sips: address. */
export function isSipUri(s) {
  return URI_RE.test(String(s).trim());
}

/** True for one character the dialpad can produce by typing (a digit, *, #, +). */
export function isDialChar(ch) {
  return DIAL_CHAR_RE.test(ch) || ch === '+';
}

/**
 * What the number field shows for typed or pasted text:
 * "+1 (555) 010-0200" → "+15550100200"; "tel:+1-555" → "+1555"; sip:/sips: URIs are only
 * trimmed. Separators go, "+" stays only in front, numbers are capped at 64 characters
 * and URIs at 256. Other characters stay, so validateNumber can say what is wrong.
 */
export function normalizeInput(raw) {
  let s = String(raw ?? '').trim();
  if (URI_RE.test(s)) return s.slice(0, MAX_URI_LENGTH);
  if (TEL_RE.test(s)) s = s.replace(TEL_RE, '').split(';')[0];
  s = s.replace(SEPARATORS_RE, '');
  const leadingPlus = s.startsWith('+');
  s = s.replace(/\+/g, '');
  if (leadingPlus) s = `+${s}`;
  return s.slice(0, MAX_NUMBER_LENGTH);
}

/**
 * Decides whether the field's value can be dialed.
 * @returns {{ok: true, number: string} | {ok: false, error: string}}
 */
export function validateNumber(value) {
  const s = String(value ?? '').trim();
  if (s === '') return { ok: false, error: t('dialTypeNumber') };
  if (URI_RE.test(s)) {
    if (s.length > MAX_URI_LENGTH) return { ok: false, error: t('dialAddressTooLong', MAX_URI_LENGTH) };
    if (!/^sips?:[^\s\p{Cc}<>"]+$/iu.test(s)) return { ok: false, error: t('dialBadAddress') };
    return { ok: true, number: s };
  }
  const n = normalizeInput(s);
  if (!/^\+?[0-9*#]*$/.test(n)) {
    return { ok: false, error: t('dialBadChars') };
  }
  if (!/[0-9*#]/.test(n)) return { ok: false, error: t('dialNumberAfterPlus') };
  if (s.replace(SEPARATORS_RE, '').length > MAX_NUMBER_LENGTH) {
    return { ok: false, error: t('dialNumberTooLong', MAX_NUMBER_LENGTH) };
  }
  return { ok: true, number: n };
}

/** Holding a key this long (ms) types its second character, as on a phone's keypad. */
export const LONG_PRESS_MS = 500;

/** What a long press of a dialpad key types: "+" for 0, nothing for the others. */
export function longPressKey(key) {
  return key === '0' ? '+' : null;
}

/** The field after pressing a dialpad key (capped like typing). */
export function appendKey(value, key) {
  if (!isDialChar(key)) return value;
  if (isSipUri(value)) return `${value}${key}`.slice(0, MAX_URI_LENGTH);
  return normalizeInput(`${value}${key}`);
}

/** The field after Backspace with nothing selected. */
export function deleteLast(value) {
  return Array.from(String(value ?? '')).slice(0, -1).join('');
}
