// What a click-to-call source may dial, checked in the background: the href of a tel:,
// callto:, sip: or sips: link, a selected text ("Call <selection>"), or a number the
// page scan found. Everything here is untrusted page input: it is capped, the scheme is
// checked, and only a plain number (digits, *, #, a leading +) or a SIP URI of safe
// characters comes out. The host normalizes the number for the account afterwards.
// No browser API.

/** Longest href a link may have; a tel: or sip: URI is far shorter. */
export const MAX_URI_CHARS = 512;
/** Longest selection the context menu turns into a number. */
export const MAX_SELECTION_CHARS = 64;
/** A dialable number has this many digits (3-digit extensions up to E.164's 15 + room). */
export const MIN_DIGITS = 2;
export const MAX_DIGITS = 32;
/** The host caps a dial string at 256 characters. */
export const MAX_DIAL_CHARS = 256;

/** Link schemes click-to-call takes (lower case, without the colon). */
export const CALL_SCHEMES = Object.freeze(['tel', 'callto', 'sip', 'sips']);

/** Visual separators people and RFC 3966 put between digits. */
const SEPARATORS = /[\s\u00a0\u2000-\u200b\u202f\u2010-\u2015.\-()/]/g;
const NUMBER = /^\+?[0-9*#]+$/;
// user@host[:port][;params]: the user part of unreserved / escaped characters
// (RFC 3261 25.1), a host name or IPv4 / [IPv6] address, an optional port.
const SIP_URI = /^(sips?):([A-Za-z0-9\-_.!~*'()&=+$,;?/%]+)@([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?(;[A-Za-z0-9\-_.!~*'()=%;]*)?$/;

function fail(error) {
  return { ok: false, error };
}

/**
 * A dial string from a phone number as people write it: separators dropped, at most one
 * leading +, digits * and # only, MIN_DIGITS…MAX_DIGITS digits.
 * @returns {{ok: true, number: string} | {ok: false, error: string}}
 */
export function numberFromText(text) {
  if (typeof text !== 'string') return fail('not a string');
  if (text.length === 0 || text.length > MAX_SELECTION_CHARS * 2) return fail('empty or too long');
  const compact = text.trim().replace(SEPARATORS, '');
  if (!NUMBER.test(compact)) return fail('not a phone number');
  const digits = compact.replace(/[^0-9]/g, '').length;
  if (digits < MIN_DIGITS || digits > MAX_DIGITS) return fail('not a phone number');
  return { ok: true, number: compact };
}

/**
 * A sip:/sips: URI passed through when it is user@host of safe characters (no spaces,
 * quotes, angle brackets or headers beyond ?…). Lower-cases the scheme only.
 */
export function sipUri(uri) {
  if (typeof uri !== 'string' || uri.length > MAX_DIAL_CHARS) return fail('too long');
  const m = SIP_URI.exec(uri.trim());
  if (!m) return fail('not a SIP address');
  return { ok: true, number: `${m[1].toLowerCase()}:${uri.trim().slice(m[1].length + 1)}` };
}

function decode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/**
 * The dial string of a click-to-call link's href.
 * - tel:+1-555-010-0200;ext=12 → +15550100200 (RFC 3966: parameters after ';' dropped,
 *   visual separators dropped, percent-escapes decoded);
 * - callto:+15550100200 and callto://+15550100200 → the number (callto: with a Skype
 *   name is not a phone number and is refused);
 * - sip:/sips: user@host → the URI.
 * @returns {{ok: true, number: string, scheme: string} | {ok: false, error: string}}
 */
export function targetFromUri(href) {
  if (typeof href !== 'string') return fail('the link is not a string');
  if (href.length === 0 || href.length > MAX_URI_CHARS) return fail('the link is empty or too long');
  const colon = href.indexOf(':');
  if (colon <= 0) return fail('the link has no scheme');
  const scheme = href.slice(0, colon).toLowerCase();
  if (!CALL_SCHEMES.includes(scheme)) return fail(`${JSON.stringify(scheme.slice(0, 16))} is not a call link`);
  let rest = href.slice(colon + 1);
  if (scheme === 'sip' || scheme === 'sips') {
    const r = sipUri(`${scheme}:${rest}`);
    return r.ok ? { ...r, scheme } : r;
  }
  if (scheme === 'callto') rest = rest.replace(/^\/\//, '');
  rest = rest.split(/[;?#]/, 1)[0];
  const decoded = decode(rest);
  if (decoded === null) return fail('the link has a bad %-escape');
  const r = numberFromText(decoded);
  return r.ok ? { ...r, scheme } : fail(`the ${scheme}: link holds no phone number`);
}

/** "Call <selection>": a number or a sip: URI in the selected text. */
export function targetFromSelection(text) {
  if (typeof text !== 'string') return fail('no selection');
  const t = text.trim();
  if (t.length === 0 || t.length > MAX_SELECTION_CHARS) return fail('the selection is empty or too long for a number');
  if (/^(tel|callto|sips?):/i.test(t)) return targetFromUri(t);
  return numberFromText(t);
}

/** A number the page scan found: E.164 as libphonenumber-js formats it (+ and 7–15 digits). */
export function targetFromScan(number) {
  if (typeof number !== 'string' || !/^\+[1-9][0-9]{6,14}$/.test(number)) return fail('not an E.164 number');
  return { ok: true, number };
}
