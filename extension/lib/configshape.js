// The shape of the config that config_get returns and config_set takes
// (docs/protocol.md, docs/config.md): the fields the extension may send, checked for
// type and size. The background passes only these fields to the host; the host still
// decides what is valid. No browser API.

import { isPlainObject } from './protocol.js';

export const MAX_ACCOUNTS = 16;
export const MAX_SITES = 32;
export const MAX_FIELD_CHARS = 2048;
const MAX_CODECS = 8;
const MAX_BLF = 50; // the host's cap too (docs/config.md blf)

const ACCOUNT_STRINGS = [
  'id', 'display_name', 'user', 'auth_user', 'password', 'domain', 'registrar', 'outbound_proxy',
  'transport', 'srtp', 'region', 'tls_ca_file', 'ws_path', 'pickup_prefix',
];
const ACCOUNT_INTEGERS = ['dnd_code', 'expires', 'keepalive', 'rtp_timeout'];
const ACCOUNT_BOOLEANS = ['register', 'mwi', 'accept_refer', 'rtp_timeout_hangup'];
const SITE_STRINGS = ['url', 'match', 'login', 'session_cookie'];

function pickString(out, from, key, where) {
  const v = from[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') return `${where}.${key} must be a string`;
  if (v.length > MAX_FIELD_CHARS) return `${where}.${key} is too long`;
  out[key] = v;
  return null;
}

function pickAccount(a, where) {
  if (!isPlainObject(a)) return `${where} must be an object`;
  const out = {};
  for (const k of ACCOUNT_STRINGS) {
    const err = pickString(out, a, k, where);
    if (err) return err;
  }
  for (const k of ACCOUNT_INTEGERS) {
    if (a[k] === undefined || a[k] === null) continue;
    if (!Number.isSafeInteger(a[k])) return `${where}.${k} must be a whole number`;
    out[k] = a[k];
  }
  for (const k of ACCOUNT_BOOLEANS) {
    if (a[k] === undefined || a[k] === null) continue;
    if (typeof a[k] !== 'boolean') return `${where}.${k} must be true or false`;
    out[k] = a[k];
  }
  if (a.codecs !== undefined && a.codecs !== null) {
    if (!Array.isArray(a.codecs) || a.codecs.length > MAX_CODECS || !a.codecs.every((c) => typeof c === 'string' && c.length <= 16)) {
      return `${where}.codecs must be a list of codec names`;
    }
    out.codecs = [...a.codecs];
  }
  if (a.blf !== undefined && a.blf !== null) {
    if (!Array.isArray(a.blf) || a.blf.length > MAX_BLF || !a.blf.every((e) => typeof e === 'string' && e.length <= 64)) {
      return `${where}.blf must be a list of at most ${MAX_BLF} extensions`;
    }
    out.blf = [...a.blf];
  }
  if (a.auto_answer !== undefined && a.auto_answer !== null) {
    const aa = a.auto_answer;
    if (!isPlainObject(aa) || typeof (aa.enabled ?? false) !== 'boolean' || !Number.isSafeInteger(aa.seconds ?? 0)
      || typeof (aa.from_pbx ?? false) !== 'boolean') {
      return `${where}.auto_answer must be {enabled, seconds, from_pbx?}`;
    }
    out.auto_answer = { enabled: aa.enabled ?? false, seconds: aa.seconds ?? 0 };
    if (aa.from_pbx !== undefined) out.auto_answer.from_pbx = aa.from_pbx;
  }
  return out;
}

function pickSite(s, where) {
  if (!isPlainObject(s)) return `${where} must be an object`;
  const out = {};
  for (const k of SITE_STRINGS) {
    const err = pickString(out, s, k, where);
    if (err) return err;
  }
  return out;
}

/**
 * The config_set data with only the known fields, or an error string.
 * Accounts keep `password` only when it is a non-empty string (empty keeps the stored one).
 */
export function pickConfig(d) {
  if (!isPlainObject(d)) return 'config_set needs the config';
  const out = {};
  const accounts = d.accounts ?? [];
  if (!Array.isArray(accounts) || accounts.length > MAX_ACCOUNTS) return `accounts must be a list of at most ${MAX_ACCOUNTS}`;
  out.accounts = [];
  for (const [i, a] of accounts.entries()) {
    const picked = pickAccount(a, `accounts[${i}]`);
    if (typeof picked === 'string') return picked;
    if (picked.password === '') delete picked.password;
    out.accounts.push(picked);
  }
  const sites = d.sites ?? [];
  if (!Array.isArray(sites) || sites.length > MAX_SITES) return `sites must be a list of at most ${MAX_SITES}`;
  out.sites = [];
  for (const [i, s] of sites.entries()) {
    const picked = pickSite(s, `sites[${i}]`);
    if (typeof picked === 'string') return picked;
    out.sites.push(picked);
  }
  for (const k of ['default_account', 'status']) {
    const err = pickString(out, d, k, 'config');
    if (err) return err;
  }
  if (d.close_without_session !== undefined && d.close_without_session !== null) {
    if (typeof d.close_without_session !== 'boolean') return 'close_without_session must be true or false';
    out.close_without_session = d.close_without_session;
  }
  return out;
}
