// The search and the "Missed only" filter of the popup's call history. The popup reads
// the host's last HISTORY_FETCH calls (history_get's cap) and filters them here, so a
// keystroke costs no round trip to the host; docs/protocol.md says why the host is not
// asked. A query matches the caller's name (case- and accent-blind) or the number; a
// query of digits (with spaces, dashes, dots, brackets or a leading +) matches the
// number's digits, so "555 0100" finds +1 555-0100. No browser API.

import { isMissedEntry } from './recentcalls.js';

/** The longest query kept; the search box has the same maxlength. */
export const MAX_QUERY_CHARS = 64;
/** Calls read from the host for the history view: history_get's limit cap. */
export const HISTORY_FETCH = 200;
/** Matching calls shown at most (the list scrolls). */
export const MAX_SHOWN = 50;

const NUMBER_QUERY_RE = /^\+?[\d\s\-.()/]+$/;

/** Lower case without accents, for comparing names. */
function fold(s) {
  return String(s).normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** The query as used: trimmed, capped, '' for none or not a string. */
export function normalizeQuery(q) {
  return typeof q === 'string' ? q.trim().slice(0, MAX_QUERY_CHARS) : '';
}

/** True when the entry's name or number matches the query ('' matches everything). */
export function entryMatches(entry, query) {
  const q = normalizeQuery(query);
  if (q === '') return true;
  const number = String(entry?.number ?? '');
  if (NUMBER_QUERY_RE.test(q)) {
    const digits = q.replace(/\D/g, '');
    if (digits !== '' && number.replace(/\D/g, '').includes(digits)) return true;
  }
  const f = fold(q);
  return fold(number).includes(f) || (typeof entry?.name === 'string' && fold(entry.name).includes(f));
}

/**
 * The entries the history view shows: those matching the query, only the missed ones
 * when missedOnly, in the list's order, at most max.
 */
export function filterHistory(list, { query = '', missedOnly = false } = {}, max = MAX_SHOWN) {
  if (!Array.isArray(list)) return [];
  const out = [];
  for (const e of list) {
    if (out.length >= max) break;
    if (missedOnly && !isMissedEntry(e)) continue;
    if (entryMatches(e, query)) out.push(e);
  }
  return out;
}
