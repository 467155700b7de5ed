// Managed deployment: what an administrator pushes through browser policy
// (storage.managed, declared in managed_schema.json; docs/deploy.md) and how it applies.
// The policy sets the Dialer/PBX sites, the session-binding switch, account defaults
// (domain, registrar, outbound proxy, transport, media security, codecs, region; never a
// password), the click-to-call switches and call recording (`call_recording`). Whatever it sets is in force and locked: the
// host's config is brought in line with it (the host stays the one source of the
// settings and of the session rules), the options page shows those fields locked, and
// click-to-call follows it. No browser API: the storage area and the request function
// are injected.

import { isPlainObject, configGet, configSet } from './protocol.js';
import { pickConfig, MAX_SITES, MAX_FIELD_CHARS } from './configshape.js';
import { CODECS, TRANSPORTS, SRTP_MODES, patternProblem } from './optionsform.js';
import { normalizeRegion } from './clicktocallsettings.js';

/** The policy names (managed_schema.json's top-level properties). */
export const POLICY = Object.freeze({
  SITES: 'sites',
  CLOSE_WITHOUT_SESSION: 'close_without_session',
  ACCOUNT_DEFAULTS: 'account_defaults',
  CLICK_TO_CALL: 'click_to_call',
  CALL_RECORDING: 'call_recording',
});

/** account_defaults keys (the config's account field names) → the options form's keys. */
export const ACCOUNT_DEFAULT_FIELDS = Object.freeze({
  domain: 'domain',
  registrar: 'registrar',
  outbound_proxy: 'outboundProxy',
  transport: 'transport',
  srtp: 'srtp',
  codecs: 'codecs',
  region: 'region',
});

const SITE_FIELDS = ['url', 'match', 'login', 'session_cookie'];

/** A policy that sets nothing. */
export const NO_POLICY = Object.freeze({
  sites: null, closeWithoutSession: null, account: Object.freeze({}), clickToCall: Object.freeze({}), callRecording: null,
  ignored: Object.freeze([]),
});

function shortString(v) {
  return typeof v === 'string' && v.trim() !== '' && v.length <= MAX_FIELD_CHARS ? v.trim() : null;
}

function siteOf(s) {
  if (!isPlainObject(s)) return null;
  const match = shortString(s.match);
  if (match === null || patternProblem(match, 'bad') !== null) return null;
  const login = shortString(s.login);
  if (login !== null && patternProblem(login, 'bad') !== null) return null;
  const out = {};
  for (const f of SITE_FIELDS) {
    const v = shortString(s[f]);
    if (v !== null) out[f] = v;
  }
  return out;
}

function accountOf(a, ignored) {
  const out = {};
  if (!isPlainObject(a)) return out;
  for (const key of ['domain', 'registrar', 'outbound_proxy']) {
    const v = shortString(a[key]);
    if (v !== null) out[key] = v;
    else if (a[key] !== undefined) ignored.push(`account_defaults.${key}`);
  }
  if (a.transport !== undefined) {
    if (TRANSPORTS.some((x) => x.value === a.transport)) out.transport = a.transport;
    else ignored.push('account_defaults.transport');
  }
  if (a.srtp !== undefined) {
    if (SRTP_MODES.some((x) => x.value === a.srtp)) out.srtp = a.srtp;
    else ignored.push('account_defaults.srtp');
  }
  if (a.codecs !== undefined) {
    const known = CODECS.map((c) => c.name);
    const codecs = Array.isArray(a.codecs) ? [...new Set(a.codecs.map((c) => String(c).toLowerCase()))] : [];
    if (codecs.length > 0 && codecs.every((c) => known.includes(c))) out.codecs = codecs;
    else ignored.push('account_defaults.codecs');
  }
  if (a.region !== undefined) {
    const region = normalizeRegion(a.region);
    if (region !== '') out.region = region;
    else ignored.push('account_defaults.region');
  }
  return out;
}

function clickToCallOf(c, ignored) {
  const out = {};
  if (!isPlainObject(c)) return out;
  for (const key of ['links', 'detect']) {
    if (typeof c[key] === 'boolean') out[key] = c[key];
    else if (c[key] !== undefined) ignored.push(`click_to_call.${key}`);
  }
  if (c.region !== undefined) {
    const region = normalizeRegion(c.region);
    if (region !== '') out.region = region;
    else ignored.push('click_to_call.region');
  }
  return out;
}

/**
 * The policy from storage.managed's values, checked: what is malformed is left out (and
 * named in `ignored`), so a typo in one field never locks the user out of the rest.
 * @returns {{sites: object[]|null, closeWithoutSession: boolean|null, account: object,
 *   clickToCall: {links?: boolean, detect?: boolean, region?: string}, callRecording: boolean|null,
 *   ignored: string[]}}
 */
export function policyOf(raw) {
  if (!isPlainObject(raw)) return NO_POLICY;
  const ignored = [];
  let sites = null;
  if (raw.sites !== undefined) {
    if (Array.isArray(raw.sites)) {
      sites = [];
      raw.sites.slice(0, MAX_SITES).forEach((s, i) => {
        const site = siteOf(s);
        if (site) sites.push(site);
        else ignored.push(`sites.${i}`);
      });
    } else {
      ignored.push('sites');
    }
  }
  let closeWithoutSession = null;
  if (typeof raw.close_without_session === 'boolean') closeWithoutSession = raw.close_without_session;
  else if (raw.close_without_session !== undefined) ignored.push('close_without_session');
  // false: recording is off and locked (no Record button); true: allowed and locked.
  let callRecording = null;
  if (typeof raw.call_recording === 'boolean') callRecording = raw.call_recording;
  else if (raw.call_recording !== undefined) ignored.push('call_recording');
  return {
    sites,
    closeWithoutSession,
    account: accountOf(raw.account_defaults, ignored),
    clickToCall: clickToCallOf(raw.click_to_call, ignored),
    callRecording,
    ignored,
  };
}

/** True when the policy sets anything. */
export function isManaged(policy) {
  return Boolean(policy) && (policy.sites !== null || policy.closeWithoutSession !== null
    || Object.keys(policy.account).length > 0 || Object.keys(policy.clickToCall).length > 0
    || typeof policy.callRecording === 'boolean');
}

/**
 * Reads the policy from storage.managed. No area (an old browser), no policy (Firefox
 * rejects when none was set) or a failure: no policy.
 */
export async function readPolicy(area) {
  if (typeof area?.get !== 'function') return NO_POLICY;
  try {
    return policyOf(await area.get(null));
  } catch {
    return NO_POLICY;
  }
}

/**
 * The config (config_get's shape) with the policy in force: the policy's sites replace
 * the user's, its switch replaces theirs, and every account takes the account defaults
 * it sets. Accounts are never created: the user (or the admin's file) adds the account
 * and its password.
 */
export function configUnderPolicy(config, policy) {
  const c = isPlainObject(config) ? structuredClone(config) : {};
  if (!policy) return c;
  if (policy.sites !== null) c.sites = policy.sites.map((s) => ({ ...s }));
  if (policy.closeWithoutSession !== null) c.close_without_session = policy.closeWithoutSession;
  if (Array.isArray(c.accounts)) {
    c.accounts = c.accounts.map((a) => (isPlainObject(a) ? { ...a, ...structuredClone(policy.account) } : a));
  }
  return c;
}

const sitesKey = (sites) => JSON.stringify((sites ?? []).map((s) => SITE_FIELDS.map((f) => s?.[f] ?? '')));

/** True when the config already has what the policy sets. */
export function configFollowsPolicy(config, policy) {
  const want = configUnderPolicy(config, policy);
  const c = isPlainObject(config) ? config : {};
  if (sitesKey(c.sites) !== sitesKey(want.sites)) return false;
  if ((c.close_without_session !== false) !== (want.close_without_session !== false)) return false;
  const accounts = Array.isArray(c.accounts) ? c.accounts : [];
  return accounts.every((a, i) => Object.keys(policy?.account ?? {})
    .every((k) => JSON.stringify(a?.[k]) === JSON.stringify(want.accounts[i]?.[k])));
}

/** The click-to-call settings with the policy's switches (and region) in force. */
export function clickToCallUnderPolicy(settings, policy) {
  return { ...settings, ...(policy?.clickToCall ?? {}) };
}

/**
 * The sites that bind the phone by policy: null when the policy leaves the binding to
 * the user's settings, [] when it turns the binding off.
 */
export function policySites(policy) {
  if (policy?.closeWithoutSession === false) return [];
  return policy?.sites ?? null;
}

/** The options form's account keys the policy locks. */
export function lockedAccountFields(policy) {
  return Object.keys(policy?.account ?? {}).map((k) => ACCOUNT_DEFAULT_FIELDS[k]);
}

/**
 * Keeps the host's config in line with the policy: reads it (config_get), and when it
 * differs, saves it with the policy applied (config_set; passwords stay, since none is
 * sent). Used by the background whenever a host says hello and when the policy changes.
 */
export class ManagedPolicy {
  /**
   * @param {object} o
   * @param {{get(k: null): Promise<object>}|undefined} o.area storage.managed
   * @param {(type: string, data?: object) => Promise<object>} o.request to the host
   */
  constructor({ area, request, log = console }) {
    this._area = area;
    this._request = request;
    this._log = log;
    this.policy = NO_POLICY;
  }

  /** Reads the policy again; resolves to it. */
  async load() {
    this.policy = await readPolicy(this._area);
    if (this.policy.ignored.length > 0) {
      this._log.warn?.('tabphone: policy values left out (not valid):', this.policy.ignored.join(', '));
    }
    return this.policy;
  }

  /** Brings the host's config in line with the policy; resolves to whether it saved. */
  async enforce() {
    const { policy } = this;
    if (!isManaged(policy)) return false;
    const get = configGet();
    const got = await this._request(get.type);
    if (!got?.ok) throw new Error(`config_get: ${got?.error?.message ?? 'failed'}`);
    if (configFollowsPolicy(got.data, policy)) return false;
    const picked = pickConfig(configUnderPolicy(got.data, policy));
    if (typeof picked === 'string') throw new Error(`config under policy: ${picked}`);
    const set = configSet(picked);
    const saved = await this._request(set.type, set.data);
    if (!saved?.ok) throw new Error(`config_set: ${saved?.error?.message ?? 'failed'}`);
    return true;
  }
}
