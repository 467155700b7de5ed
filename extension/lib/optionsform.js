// The options page's form and the host's config (docs/config.md): the config as form
// values, the form values checked and turned back into the config that config_set
// takes, with the problems in words next to the field they are about, and the
// permissions the Dialer/PBX sites need. No browser API: the page reads and writes the
// elements, this module decides.

import { parseMatchPattern, matchesPattern } from './matchpattern.js';
import { isPlainObject } from './protocol.js';
import { t } from './i18n.js';

/**
 * The codecs the host knows, in its default order. Labels are read when shown (the
 * user's language); Opus and G.722 are names, not words.
 */
export const CODECS = Object.freeze([
  Object.freeze({ name: 'opus', label: 'Opus' }),
  Object.freeze({ name: 'g722', label: 'G.722' }),
  Object.freeze({ name: 'pcmu', get label() { return t('optionsCodecPcmu'); } }),
  Object.freeze({ name: 'pcma', get label() { return t('optionsCodecPcma'); } }),
]);

/** SIP transports the host speaks. */
export const TRANSPORTS = Object.freeze([
  Object.freeze({ value: 'udp', label: 'UDP', available: true }),
  Object.freeze({ value: 'tcp', label: 'TCP', available: true }),
  Object.freeze({ value: 'tls', label: 'TLS', available: true }),
  Object.freeze({ value: 'ws', label: 'WS', available: true }),
  Object.freeze({ value: 'wss', label: 'WSS', available: true }),
]);

/**
 * The media the PBX leg speaks (the account's `srtp`, docs/config.md), in words: "auto"
 * first, since it follows the transport and suits most PBXs.
 */
export const SRTP_MODES = Object.freeze([
  Object.freeze({ value: 'auto', get label() { return t('optionsSrtpAuto'); } }),
  Object.freeze({ value: 'off', get label() { return t('optionsSrtpOff'); } }),
  Object.freeze({ value: 'sdes-optional', get label() { return t('optionsSrtpSdesOptional'); } }),
  Object.freeze({ value: 'sdes', get label() { return t('optionsSrtpSdes'); } }),
  Object.freeze({ value: 'dtls', get label() { return t('optionsSrtpDtls'); } }),
]);

/** Transports whose server certificate the host checks (against tls_ca_file too). */
export const TLS_TRANSPORTS = Object.freeze(['tls', 'wss']);
/** Transports that reach the PBX over a WebSocket (at ws_path). */
export const WS_TRANSPORTS = Object.freeze(['ws', 'wss']);

/** What Do not disturb answers an incoming call (the reason phrase in the user's language). */
export const DND_CODES = Object.freeze([
  Object.freeze({ code: 486, get label() { return t('optionsDnd486'); } }),
  Object.freeze({ code: 480, get label() { return t('optionsDnd480'); } }),
  Object.freeze({ code: 603, get label() { return t('optionsDnd603'); } }),
]);

export const DEFAULT_DND_CODE = 486;
export const AUTO_ANSWER_MAX_S = 60;
export const DEFAULT_AUTO_ANSWER_S = 5;
const MAX_NAME_CHARS = 128;
const MAX_USER_CHARS = 128;
const MAX_PASSWORD_CHARS = 256;
const MAX_COOKIE_CHARS = 256;
const MAX_URL_CHARS = 2048;

/** The words of each check, so tests and the page agree on them (read when shown: the user's language). */
export const WORDS = Object.freeze({
  get USER_REQUIRED() { return t('optionsErrorUserRequired'); },
  get USER_FORMAT() { return t('optionsErrorUserFormat'); },
  get AUTH_USER_FORMAT() { return t('optionsErrorAuthUserFormat'); },
  get NAME_TOO_LONG() { return t('optionsErrorNameTooLong', MAX_NAME_CHARS); },
  get PASSWORD_TOO_LONG() { return t('optionsErrorPasswordTooLong', MAX_PASSWORD_CHARS); },
  get DOMAIN_REQUIRED() { return t('optionsErrorDomainRequired'); },
  get DOMAIN_FORMAT() { return t('optionsErrorDomainFormat'); },
  get REGISTRAR_FORMAT() { return t('optionsErrorRegistrarFormat'); },
  get PROXY_FORMAT() { return t('optionsErrorProxyFormat'); },
  get TRANSPORT() { return t('optionsErrorTransport'); },
  get SRTP() { return t('optionsErrorSrtp'); },
  get TLS_CA_FORMAT() { return t('optionsTlsCaFormat'); },
  get WS_PATH_FORMAT() { return t('optionsWsPathFormat'); },
  get CODECS() { return t('optionsErrorCodecs'); },
  get SECONDS() { return t('optionsErrorSeconds', AUTO_ANSWER_MAX_S); },
  get DND_CODE() { return t('optionsErrorDndCode'); },
  get REGION() { return t('optionsErrorRegion'); },
  get BLF_TOO_MANY() { return t('optionsBlfTooMany'); },
  get PICKUP_FORMAT() { return t('optionsPickupInvalid'); },
  get URL_FORMAT() { return t('optionsErrorUrlFormat'); },
  get MATCH_REQUIRED() { return t('optionsErrorMatchRequired'); },
  get MATCH_FORMAT() { return t('optionsErrorMatchFormat'); },
  get LOGIN_FORMAT() { return t('optionsErrorLoginFormat'); },
  get PORT() { return t('optionsErrorPort'); },
  get WILDCARD() { return t('optionsErrorWildcard'); },
  get URL_OUTSIDE() { return t('optionsErrorUrlOutside'); },
  get COOKIE_FORMAT() { return t('optionsErrorCookieFormat'); },
  get COOKIE_WATCH_OFF() { return t('optionsCookieWatchOff'); },
});

/** The words for a watch list line that is no extension. */
export function blfInvalidWords(value) {
  return t('optionsBlfInvalid', value);
}

const str = (v) => (typeof v === 'string' ? v : '');

/** The codec list of the form: the account's codecs in its order (checked), then the rest (unchecked). */
export function codecsToForm(codecs) {
  const known = CODECS.map((c) => c.name);
  const chosen = [];
  for (const c of Array.isArray(codecs) ? codecs : []) {
    const name = str(c).toLowerCase();
    if (known.includes(name) && !chosen.includes(name)) chosen.push(name);
  }
  if (chosen.length === 0) chosen.push(...known); // the host's default: all four
  return [
    ...chosen.map((name) => ({ name, enabled: true })),
    ...known.filter((n) => !chosen.includes(n)).map((name) => ({ name, enabled: false })),
  ];
}

/** Moves the codec at index by delta (-1 up, +1 down); the same list when it cannot move. */
export function moveCodec(codecs, index, delta) {
  const to = index + delta;
  if (!Array.isArray(codecs) || index < 0 || index >= codecs.length || to < 0 || to >= codecs.length) return codecs;
  const out = [...codecs];
  [out[index], out[to]] = [out[to], out[index]];
  return out;
}

/** An account's form values; the password is never filled in, only whether one is stored. */
export function accountToForm(account) {
  const a = isPlainObject(account) ? account : {};
  const seconds = Number.isSafeInteger(a.auto_answer?.seconds) ? a.auto_answer.seconds : DEFAULT_AUTO_ANSWER_S;
  return {
    id: str(a.id),
    displayName: str(a.display_name),
    user: str(a.user),
    authUser: str(a.auth_user),
    password: '',
    passwordSet: a.password_set === true,
    domain: str(a.domain),
    registrar: str(a.registrar),
    outboundProxy: str(a.outbound_proxy),
    tlsCaFile: str(a.tls_ca_file),
    wsPath: str(a.ws_path),
    transport: str(a.transport) || 'udp',
    srtp: SRTP_MODES.some((m) => m.value === a.srtp) ? a.srtp : 'auto',
    codecs: codecsToForm(a.codecs),
    autoAnswer: a.auto_answer?.enabled === true,
    autoAnswerSeconds: String(seconds),
    autoAnswerFromPbx: a.auto_answer?.from_pbx === true,
    mwi: a.mwi === true,
    acceptRefer: a.accept_refer === true,
    dndCode: String(Number.isSafeInteger(a.dnd_code) && a.dnd_code > 0 ? a.dnd_code : DEFAULT_DND_CODE),
    region: str(a.region),
    blf: (Array.isArray(a.blf) ? a.blf : []).filter((x) => typeof x === 'string').join('\n'),
    pickupPrefix: str(a.pickup_prefix) === DEFAULT_PICKUP_PREFIX ? '' : str(a.pickup_prefix),
  };
}

/** The busy lamps' watch list and pickup code (docs/config.md blf, pickup_prefix). */
export const MAX_BLF = 50;
const MAX_BLF_CHARS = 32;
const DEFAULT_PICKUP_PREFIX = '**';
const EXTENSION = /^[A-Za-z0-9\-_.!~*()&=+$,/\u0027]+$/; // the host's user-name characters (\u0027: an apostrophe)

/** The extensions of the watch list's text: one per line (commas and spaces work too), each once. */
export function blfFromText(text) {
  const out = [];
  for (const e of str(text).split(/[\s,;]+/)) {
    if (e !== '' && !out.includes(e)) out.push(e);
  }
  return out;
}

/** A site's form values. */
export function siteToForm(site) {
  const s = isPlainObject(site) ? site : {};
  return { url: str(s.url), match: str(s.match), login: str(s.login), sessionCookie: str(s.session_cookie) };
}

export function emptySiteForm() {
  return siteToForm({});
}

/** True when a site row has nothing typed in it (it is left out on save). */
export function siteIsEmpty(site) {
  return ['url', 'match', 'login', 'sessionCookie'].every((k) => str(site?.[k]).trim() === '');
}

/**
 * The form of a config from config_get: every account (the page shows the first; a
 * config without one gets an empty account to fill in), the sites, and the switch
 * "Close the softphone when no Dialer/PBX session is active" (on unless it is false).
 */
export function configToForm(config) {
  const c = isPlainObject(config) ? config : {};
  const accounts = (Array.isArray(c.accounts) ? c.accounts : []).filter(isPlainObject).map(accountToForm);
  if (accounts.length === 0) accounts.push(accountToForm({}));
  const sites = (Array.isArray(c.sites) ? c.sites : []).filter(isPlainObject).map(siteToForm);
  return { accounts, sites, closeWithoutSession: c.close_without_session !== false };
}

/**
 * True for a SIP server address as the host takes it: "host", "host:port" or a SIP URI
 * "sip:[user@]host[:port][;params]" (docs/config.md).
 */
export function isServerAddress(value) {
  let rest = str(value).trim();
  if (rest === '') return false;
  if (/^sip:/i.test(rest)) {
    rest = rest.slice(4);
    const semi = rest.indexOf(';');
    if (semi >= 0) rest = rest.slice(0, semi);
    const at = rest.lastIndexOf('@');
    if (at >= 0) rest = rest.slice(at + 1);
  }
  if (rest === '' || /[\s/?#@]/.test(rest)) return false;
  let host;
  let port = null;
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end < 0) return false;
    host = rest.slice(1, end);
    const after = rest.slice(end + 1);
    if (after !== '') {
      if (!after.startsWith(':')) return false;
      port = after.slice(1);
    }
    if (!/^[0-9a-f:.]+$/i.test(host) || !host.includes(':')) return false;
  } else {
    const parts = rest.split(':');
    if (parts.length > 2) return false;
    [host] = parts;
    if (parts.length === 2) [, port] = parts;
    if (!/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/i.test(host)) return false;
  }
  if (port !== null && (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)) return false;
  return true;
}

const PATTERN_SHAPE = /^([^:/]*):\/\/([^/]*)(\/.*)?$/;

/**
 * What is wrong with a WebExtension match pattern for the Dialer/PBX (a web page, no
 * port: "https://pbx.example.com/*" matches every port, as Firefox has it), or null.
 * @param {string} formatWords the words for a pattern of the wrong shape
 */
export function patternProblem(pattern, formatWords) {
  const p = str(pattern).trim();
  const m = PATTERN_SHAPE.exec(p);
  if (!m || !['http', 'https', '*'].includes(m[1]) || m[2] === '' || m[3] === undefined) return formatWords;
  const host = m[2];
  if (/:(\d*|\*)$/.test(host) && !host.endsWith(']')) return WORDS.PORT;
  if (host !== '*' && host.slice(host.startsWith('*.') ? 2 : 0).includes('*')) return WORDS.WILDCARD;
  if (parseMatchPattern(p) === null) return formatWords;
  return null;
}

/** The match pattern a Dialer/PBX address suggests: "scheme://host/*", without the port; '' when it is no web address. */
export function matchFromUrl(url) {
  try {
    const u = new URL(str(url).trim());
    if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.hostname === '') return '';
    return `${u.protocol}//${u.hostname}/*`;
  } catch {
    return '';
  }
}

function isWebUrl(url) {
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && url.length <= MAX_URL_CHARS;
  } catch {
    return false;
  }
}

const COOKIE_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function accountFromForm(f, base, i, problem) {
  const at = (field) => `accounts.${i}.${field}`;
  const displayName = str(f.displayName).trim();
  const user = str(f.user).trim();
  const authUser = str(f.authUser).trim();
  const password = str(f.password);
  const domain = str(f.domain).trim();
  const registrar = str(f.registrar).trim();
  const outboundProxy = str(f.outboundProxy).trim();
  const transport = str(f.transport) || 'udp';
  const srtp = str(f.srtp) || 'auto';
  const tlsCaFile = str(f.tlsCaFile).trim();
  const wsPath = str(f.wsPath).trim();
  const region = str(f.region).trim();

  if (displayName.length > MAX_NAME_CHARS) problem(at('displayName'), WORDS.NAME_TOO_LONG);
  if (user === '') problem(at('user'), WORDS.USER_REQUIRED);
  else if (/[\s@]/.test(user) || user.length > MAX_USER_CHARS || /^sips?:/i.test(user)) problem(at('user'), WORDS.USER_FORMAT);
  if (/\s/.test(authUser) || authUser.length > MAX_USER_CHARS) problem(at('authUser'), WORDS.AUTH_USER_FORMAT);
  if (password.length > MAX_PASSWORD_CHARS) problem(at('password'), WORDS.PASSWORD_TOO_LONG);
  if (domain === '') problem(at('domain'), WORDS.DOMAIN_REQUIRED);
  else if (!isServerAddress(domain)) problem(at('domain'), WORDS.DOMAIN_FORMAT);
  if (registrar !== '' && !isServerAddress(registrar)) problem(at('registrar'), WORDS.REGISTRAR_FORMAT);
  if (outboundProxy !== '' && !isServerAddress(outboundProxy)) problem(at('outboundProxy'), WORDS.PROXY_FORMAT);
  if (!TRANSPORTS.some((tr) => tr.available && tr.value === transport)) problem(at('transport'), WORDS.TRANSPORT);
  if (!SRTP_MODES.some((m) => m.value === srtp)) problem(at('srtp'), WORDS.SRTP);
  // The host starts in any directory: only an absolute path names one file.
  // The host's rule: an absolute URL path, no spaces, no query or fragment.
  if (wsPath !== '' && !/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]{0,255}$/.test(wsPath)) problem(at('wsPath'), WORDS.WS_PATH_FORMAT);
  if (tlsCaFile !== '' && (!/^(\/|[A-Za-z]:[\\/])/.test(tlsCaFile) || tlsCaFile.length > 4096)) problem(at('tlsCaFile'), WORDS.TLS_CA_FORMAT);

  const known = CODECS.map((c) => c.name);
  const codecs = (Array.isArray(f.codecs) ? f.codecs : [])
    .filter((c) => c?.enabled && known.includes(c.name))
    .map((c) => c.name)
    .filter((n, k, all) => all.indexOf(n) === k);
  if (codecs.length === 0) problem(at('codecs'), WORDS.CODECS);

  const secondsText = str(f.autoAnswerSeconds).trim();
  let seconds = DEFAULT_AUTO_ANSWER_S;
  if (secondsText !== '' || f.autoAnswer) {
    seconds = /^\d{1,3}$/.test(secondsText) ? Number(secondsText) : NaN;
    if (!(seconds >= 0 && seconds <= AUTO_ANSWER_MAX_S)) problem(at('autoAnswerSeconds'), WORDS.SECONDS);
  }

  const dndCode = Number(f.dndCode || DEFAULT_DND_CODE);
  if (!DND_CODES.some((d) => d.code === dndCode)) problem(at('dndCode'), WORDS.DND_CODE);
  if (region !== '' && !/^[a-z]{2}$/i.test(region)) problem(at('region'), WORDS.REGION);
  const blf = blfFromText(f.blf);
  if (blf.length > MAX_BLF) problem(at('blf'), WORDS.BLF_TOO_MANY);
  const badExtension = blf.find((e) => e.length > MAX_BLF_CHARS || !EXTENSION.test(e));
  if (badExtension !== undefined) problem(at('blf'), blfInvalidWords(badExtension.slice(0, 40)));
  const pickupPrefix = str(f.pickupPrefix).trim();
  if (pickupPrefix !== '' && !/^[0-9*#]{1,8}$/.test(pickupPrefix)) problem(at('pickupPrefix'), WORDS.PICKUP_FORMAT);

  // Fields the page does not show (expires, register, keepalive) stay as they were.
  const out = { ...(isPlainObject(base) ? base : {}) };
  delete out.password_set;
  delete out.password;
  Object.assign(out, {
    id: str(f.id) || str(out.id) || user,
    display_name: displayName,
    user,
    auth_user: authUser,
    domain,
    registrar,
    outbound_proxy: outboundProxy,
    transport,
    srtp,
    codecs,
    auto_answer: optionalFlag({ enabled: Boolean(f.autoAnswer), seconds }, out.auto_answer, 'from_pbx', f.autoAnswerFromPbx),
    dnd_code: dndCode,
    region: region.toUpperCase(),
  });
  Object.assign(out, optionalFlag({}, out, 'mwi', f.mwi), optionalFlag({}, out, 'accept_refer', f.acceptRefer));
  if (blf.length > 0 || 'blf' in out) out.blf = blf;
  if (pickupPrefix !== '' || 'pickup_prefix' in out) out.pickup_prefix = pickupPrefix || DEFAULT_PICKUP_PREFIX;
  if (tlsCaFile !== '' || 'tls_ca_file' in out) out.tls_ca_file = tlsCaFile;
  if (wsPath !== '' || 'ws_path' in out) out.ws_path = wsPath;
  if (password !== '') out.password = password; // empty: the host keeps the stored one
  return out;
}

/**
 * Adds a switch that is off by default to `into`: when it is on, or when the loaded
 * config had it, so an untouched form gives the loaded config back unchanged.
 */
function optionalFlag(into, loaded, key, on) {
  if (on || (isPlainObject(loaded) && key in loaded)) into[key] = Boolean(on);
  return into;
}

function siteFromForm(f, i, problem) {
  const at = (field) => `sites.${i}.${field}`;
  const url = str(f.url).trim();
  let match = str(f.match).trim();
  const login = str(f.login).trim();
  const cookie = str(f.sessionCookie).trim();
  let urlOk = true;
  if (url !== '' && !isWebUrl(url)) {
    problem(at('url'), WORDS.URL_FORMAT);
    urlOk = false;
  }
  if (match === '' && urlOk) match = matchFromUrl(url);
  let matchOk = false;
  if (match === '') {
    problem(at('match'), WORDS.MATCH_REQUIRED);
  } else {
    const p = patternProblem(match, WORDS.MATCH_FORMAT);
    if (p) problem(at('match'), p);
    else matchOk = true;
  }
  if (url !== '' && urlOk && matchOk && !matchesPattern(match, url)) problem(at('url'), WORDS.URL_OUTSIDE);
  if (login !== '') {
    const p = patternProblem(login, WORDS.LOGIN_FORMAT);
    if (p) problem(at('login'), p);
  }
  if (cookie !== '' && (!COOKIE_NAME.test(cookie) || cookie.length > MAX_COOKIE_CHARS)) problem(at('sessionCookie'), WORDS.COOKIE_FORMAT);
  const site = { match };
  if (url !== '') site.url = url;
  if (login !== '') site.login = login;
  if (cookie !== '') site.session_cookie = cookie;
  return site;
}

/**
 * Checks the form and builds the config_set data.
 * @param {{accounts: object[], sites: object[], closeWithoutSession: boolean}} form
 * @param {object|null} loaded the config as config_get returned it (fields the page does not show are kept)
 * @param {{status?: string}} [o] the phone's status now (Do not disturb is the popup's; saving keeps it)
 * @returns {{ok: true, config: object} | {ok: false, errors: {field: string, message: string}[]}}
 *   field is a path into the form: "accounts.0.user", "sites.1.match".
 */
export function formToConfig(form, loaded, { status } = {}) {
  const errors = [];
  const problem = (field, message) => { errors.push({ field, message }); };
  const base = isPlainObject(loaded) ? loaded : {};
  const baseAccounts = (Array.isArray(base.accounts) ? base.accounts : []).filter(isPlainObject);
  const accounts = (Array.isArray(form?.accounts) ? form.accounts : []).map((f, i) => {
    const old = baseAccounts.find((a) => a.id !== undefined && a.id === f?.id) ?? null;
    return accountFromForm(f ?? {}, old, i, problem);
  });
  const sites = [];
  (Array.isArray(form?.sites) ? form.sites : []).forEach((f, i) => {
    if (!siteIsEmpty(f)) sites.push(siteFromForm(f, i, problem));
  });
  if (errors.length > 0) return { ok: false, errors };
  const config = { accounts, sites, close_without_session: form?.closeWithoutSession !== false };
  const ids = accounts.map((a) => a.id);
  if (typeof base.default_account === 'string' && ids.includes(base.default_account)) config.default_account = base.default_account;
  const st = status ?? base.status;
  if (st === 'available' || st === 'dnd') config.status = st;
  return { ok: true, config };
}

/** The problems in one sentence each, for the status line. */
export function errorSummary(errors) {
  return (errors ?? []).map((e) => t('optionsProblem', e.message)).join(' ');
}

function originsOfPattern(pattern) {
  const m = PATTERN_SHAPE.exec(str(pattern).trim());
  if (!m) return [];
  const schemes = m[1] === '*' ? ['http', 'https'] : [m[1]];
  return schemes.map((s) => `${s}://${m[2]}/*`);
}

/**
 * What to ask the browser for when the sites are saved: the host permission for each
 * site's origins (match and login page), and "cookies" when a site names a session
 * cookie (the background watches it with cookies.onChanged).
 * @returns {{origins: string[], permissions: string[]}}
 */
export function permissionsFor(config) {
  const origins = [];
  let cookies = false;
  for (const s of Array.isArray(config?.sites) ? config.sites : []) {
    for (const p of [s?.match, s?.login]) {
      for (const o of originsOfPattern(p)) if (!origins.includes(o)) origins.push(o);
    }
    if (str(s?.session_cookie) !== '') cookies = true;
  }
  return { origins, permissions: cookies ? ['cookies'] : [] };
}

/** True when a site of the config names a session cookie. */
export function watchesCookies(config) {
  return permissionsFor(config).permissions.includes('cookies');
}
