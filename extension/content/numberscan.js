// Phone numbers in a page's text, for the opt-in number detection. A classic script (a
// content script cannot be an ES module), injected after the vendored libphonenumber-js
// bundle; it adds findCallableNumbers and regionFor to the TabphoneContent namespace of
// the content script's isolated world. libphonenumber-js finds the candidates (valid
// numbers only); the filters here drop what it accepts but a reader would not call:
// parts of IP addresses, dates and times, order/invoice/reference numbers, bare digit
// runs without a phone word before them, and digits glued to letters or other digits.
(function numberScan() {
  'use strict';

  // A plain object of ours, never a page element that happens to have id="TabphoneContent"
  // (window's named properties reach content scripts too: DOM clobbering).
  const prev = globalThis.TabphoneContent;
  const ns = prev && Object.getPrototypeOf(prev) === Object.prototype ? prev : (globalThis.TabphoneContent = {});

  /** Text longer than this is scanned only up to here (one text node). */
  const MAX_SCAN_CHARS = 20000;
  /** How far before a match the phone / order words are looked for. */
  const CONTEXT_CHARS = 28;

  const PHONE_WORD = /(?:\b(?:phone|telephone|tel|mobile|mob|cell|fax|call|dial|hotline|contact|whatsapp|telefon|telefono|teléfono|téléphone|tél|handy)\b|☎|📞|📱)/iu;
  const ORDER_WORD = /(?:\b(?:order|invoice|inv|ref|reference|ticket|case|tracking|shipment|parcel|sku|item|article|art|serial|account|acct|customer|booking|confirmation|transaction|txn|receipt|po|isbn|ean|upc|gtin|batch|lot|part|model|id|no|nr|num|number)\b|[#№])[\s.:#=-]*$/iu;
  const IPV4 = /(?:^|[^0-9])\d{1,3}(?:\.\d{1,3}){3}(?![0-9])/;
  const IPV6 = /[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}/;
  const DATES = [
    /(?:19|20)\d{2}[-./](?:0?[1-9]|1[0-2])[-./](?:0?[1-9]|[12]\d|3[01])(?![0-9])/, // 2024-03-15
    /(?:^|[^0-9])(?:0?[1-9]|[12]\d|3[01])[-./](?:0?[1-9]|1[0-2])[-./](?:19|20)?\d{2}(?![0-9])/, // 15.03.2024
    /(?:^|[^0-9])(?:0?[1-9]|1[0-2])[-./](?:0?[1-9]|[12]\d|3[01])[-./](?:19|20)?\d{2}(?![0-9])/, // 03/15/24
    /(?:^|[^0-9])(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?![0-9])/, // 10:30(:45)
  ];
  const GLUED_BEFORE = /[\p{L}\p{N}_@#&=/\\%$€£¥]/u;
  const GLUED_AFTER = /[\p{L}\p{N}_@/\\%]/u;
  const JOINERS = '.-:/,';
  const DIGIT = /[0-9]/;
  const RUN_CHAR = /[0-9A-Fa-f.:]/;
  const DATE_RUN_CHAR = /[0-9./:-]/;

  /** The match and the characters of class re around it (how far an IP or date reaches). */
  function runAround(text, start, end, re) {
    let l = start;
    let r = end;
    while (l > 0 && re.test(text[l - 1])) l--;
    while (r < text.length && re.test(text[r])) r++;
    return text.slice(l, r);
  }

  function glued(text, start, end) {
    const prev = text[start - 1];
    const next = text[end];
    if (prev !== undefined) {
      if (GLUED_BEFORE.test(prev)) return true;
      if (JOINERS.includes(prev) && DIGIT.test(text[start - 2] ?? '')) return true;
    }
    if (next !== undefined) {
      if (GLUED_AFTER.test(next)) return true;
      if (JOINERS.includes(next) && DIGIT.test(text[end + 1] ?? '')) return true;
    }
    return false;
  }

  function looksLikeIp(text, start, end) {
    const run = runAround(text, start, end, RUN_CHAR);
    return IPV4.test(run) || IPV6.test(run);
  }

  function looksLikeDate(text, start, end) {
    const run = runAround(text, start, end, DATE_RUN_CHAR);
    const raw = text.slice(start, end);
    return DATES.some((re) => re.test(run) || re.test(raw));
  }

  /**
   * Why a candidate libphonenumber-js found is not a number to offer, or "" when it is.
   * Exposed for the tests.
   */
  function rejectReason(text, start, end) {
    const raw = text.slice(start, end);
    const before = text.slice(Math.max(0, start - CONTEXT_CHARS), start);
    const phoneWord = PHONE_WORD.test(before);
    if (glued(text, start, end)) return 'glued';
    if (looksLikeIp(text, start, end)) return 'ip';
    if (looksLikeDate(text, start, end)) return 'date';
    if (!phoneWord && ORDER_WORD.test(before)) return 'order';
    if (!phoneWord && /^\d+$/.test(raw)) return 'bare digits';
    return '';
  }

  /**
   * Phone numbers in text that a click may dial.
   * @param {string} text one text node's data
   * @param {object} o
   * @param {string} o.region default region ("US"); "" finds only numbers written with +
   * @param {object} o.lib the libphonenumber-js bundle (findNumbers)
   * @param {number} [o.max] at most this many
   * @returns {{start: number, end: number, text: string, number: string}[]} number is E.164
   */
  function findCallableNumbers(text, { region = '', lib, max = 50 } = {}) {
    if (typeof text !== 'string' || !lib || typeof lib.findNumbers !== 'function') return [];
    const t = text.length > MAX_SCAN_CHARS ? text.slice(0, MAX_SCAN_CHARS) : text;
    // Fewer than 7 digits cannot be a number worth marking: skip the library.
    if ((t.match(/[0-9]/g) || []).length < 7) return [];
    let found;
    try {
      found = lib.findNumbers(t, region ? { defaultCountry: region, v2: true } : { v2: true });
    } catch {
      return [];
    }
    const out = [];
    for (const m of found) {
      if (out.length >= max) break;
      const start = m.startsAt;
      const end = m.endsAt;
      const number = m.number && m.number.number;
      if (!Number.isInteger(start) || !Number.isInteger(end) || end <= start || typeof number !== 'string') continue;
      if (!/^\+[1-9][0-9]{6,14}$/.test(number)) continue;
      if (rejectReason(t, start, end)) continue;
      out.push({ start, end, text: t.slice(start, end), number });
    }
    return out;
  }

  /**
   * The region detection uses: the setting, else the region of the browser's first
   * language that has one ("en-GB" → "GB"), else "".
   */
  function regionFor(setting, languages) {
    if (typeof setting === 'string' && /^[A-Za-z]{2}$/.test(setting)) return setting.toUpperCase();
    for (const lang of Array.isArray(languages) ? languages : []) {
      const m = /^[a-z]{2,3}(?:-[A-Za-z]{4})?-([A-Za-z]{2})(?:$|-)/.exec(String(lang));
      if (m) return m[1].toUpperCase();
    }
    return '';
  }

  ns.findCallableNumbers = findCallableNumbers;
  ns.rejectReason = rejectReason;
  ns.regionFor = regionFor;
}());
