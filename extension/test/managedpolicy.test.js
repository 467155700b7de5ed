// What an administrator's policy (storage.managed) sets and how it applies: checked
// values (a bad one is left out, never the rest), the host's config brought in line
// with it, click-to-call switches forced, and the fields the options page locks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  policyOf, isManaged, readPolicy, configUnderPolicy, configFollowsPolicy, clickToCallUnderPolicy,
  policySites, lockedAccountFields, ManagedPolicy, NO_POLICY,
} from '../lib/managedpolicy.js';
import { FakeStorage } from './fakes.js';
import { useI18n } from '../lib/i18n.js';
import { fakeI18n } from './fakei18n.js';

useI18n(fakeI18n());

const SITE = { url: 'https://pbx.example.com/app/', match: 'https://pbx.example.com/*', login: 'https://pbx.example.com/login*', session_cookie: 'SID' };
const quiet = { warn() {}, error() {} };

test('policyOf keeps valid values and names what it leaves out', () => {
  const p = policyOf({
    sites: [SITE, { match: 'https://pbx.example.com:8443/*' }, { match: 'not a pattern' }, 'x'],
    close_without_session: true,
    account_defaults: {
      domain: ' pbx.example.com ', transport: 'tls', srtp: 'sdes', codecs: ['G722', 'pcmu'], region: 'de', password: 'never',
    },
    click_to_call: { links: true, detect: 'yes', region: 'us' },
  });
  assert.deepEqual(p.sites, [SITE], 'a port, a bad pattern and a non-object are left out');
  assert.equal(p.closeWithoutSession, true);
  assert.deepEqual(p.account, {
    domain: 'pbx.example.com', transport: 'tls', srtp: 'sdes', codecs: ['g722', 'pcmu'], region: 'DE',
  }, 'no password, whatever the policy holds');
  assert.deepEqual(p.clickToCall, { links: true, region: 'US' });
  assert.deepEqual(p.ignored, ['sites.1', 'sites.2', 'sites.3', 'click_to_call.detect']);
  const bad = policyOf({ account_defaults: { transport: 'sctp', srtp: 'maybe', codecs: ['g729'] } });
  assert.deepEqual(bad.account, {});
  assert.deepEqual(bad.ignored, ['account_defaults.transport', 'account_defaults.srtp', 'account_defaults.codecs']);
  assert.equal(isManaged(bad), false);
  assert.equal(isManaged(policyOf({ sites: [] })), true, 'an empty site list is a policy: no sites');
});

test('readPolicy: no area, no policy or a failing area mean no policy', async () => {
  assert.equal(await readPolicy(undefined), NO_POLICY);
  assert.equal(await readPolicy({ get: async () => { throw new Error('Managed storage manifest not found'); } }), NO_POLICY);
  assert.equal(isManaged(await readPolicy(new FakeStorage({}))), false);
  assert.deepEqual((await readPolicy(new FakeStorage({ sites: [SITE] }))).sites, [SITE]);
});

test('configUnderPolicy replaces the sites and the switch and sets the account defaults on every account', () => {
  const policy = policyOf({ sites: [SITE], close_without_session: true, account_defaults: { domain: 'pbx.example.com', srtp: 'sdes' } });
  const config = {
    accounts: [{ id: 'a', user: '1001', domain: 'old.example.com', srtp: 'off', password_set: true }, { id: 'b', user: '1002' }],
    sites: [{ match: 'https://mine.example.org/*' }],
    close_without_session: false,
    status: 'dnd',
  };
  const out = configUnderPolicy(config, policy);
  assert.deepEqual(out.sites, [SITE]);
  assert.equal(out.close_without_session, true);
  assert.deepEqual(out.accounts.map((a) => [a.id, a.user, a.domain, a.srtp]), [['a', '1001', 'pbx.example.com', 'sdes'], ['b', '1002', 'pbx.example.com', 'sdes']]);
  assert.equal(out.status, 'dnd', 'what the policy does not set stays');
  assert.equal(config.accounts[0].domain, 'old.example.com', 'the input is not changed');
  assert.equal(configFollowsPolicy(config, policy), false);
  assert.equal(configFollowsPolicy(out, policy), true);
  assert.deepEqual(configUnderPolicy({ accounts: [] }, policy).accounts, [], 'no account is made up');
});

test('clickToCallUnderPolicy forces only the switches the policy sets', () => {
  const user = { links: true, detect: true, region: 'GB' };
  assert.deepEqual(clickToCallUnderPolicy(user, policyOf({ click_to_call: { detect: false } })), { links: true, detect: false, region: 'GB' });
  assert.deepEqual(clickToCallUnderPolicy({ links: false, detect: false, region: '' }, policyOf({ click_to_call: { links: true } })).links, true);
  assert.deepEqual(clickToCallUnderPolicy(user, NO_POLICY), user);
});

test('policySites: the policy sites, none when it turns the binding off, null when it says nothing', () => {
  assert.deepEqual(policySites(policyOf({ sites: [SITE] })), [SITE]);
  assert.deepEqual(policySites(policyOf({ sites: [SITE], close_without_session: false })), []);
  assert.deepEqual(policySites(policyOf({ close_without_session: false })), []);
  assert.equal(policySites(policyOf({ close_without_session: true })), null);
  assert.equal(policySites(NO_POLICY), null);
});

test('lockedAccountFields names the options form keys', () => {
  assert.deepEqual(lockedAccountFields(policyOf({ account_defaults: { outbound_proxy: 'sip:proxy.example.com', codecs: ['opus'] } })), ['outboundProxy', 'codecs']);
});

test('ManagedPolicy.enforce saves only when the host config differs, without passwords', async () => {
  const sent = [];
  let hostConfig = { accounts: [{ id: 'a', user: '1001', domain: 'old', password_set: true }], sites: [], status: 'available' };
  const request = async (type, data) => {
    sent.push([type, data]);
    if (type === 'config_get') return { ok: true, data: structuredClone(hostConfig) };
    hostConfig = { ...data, accounts: data.accounts.map((a) => ({ ...a, password_set: true })) };
    return { ok: true, data: hostConfig };
  };
  const m = new ManagedPolicy({ area: new FakeStorage({ sites: [SITE], account_defaults: { domain: 'pbx.example.com' } }), request, log: quiet });
  assert.equal(await m.enforce(), false, 'nothing is enforced before the policy is read');
  assert.equal(sent.length, 0);
  await m.load();
  assert.equal(await m.enforce(), true);
  assert.deepEqual(sent.map(([type]) => type), ['config_get', 'config_set']);
  const [, data] = sent[1];
  assert.deepEqual(data.sites, [SITE]);
  assert.equal(data.accounts[0].domain, 'pbx.example.com');
  assert.equal('password_set' in data.accounts[0], false);
  assert.equal('password' in data.accounts[0], false);
  assert.equal(await m.enforce(), false, 'a config that follows the policy is not saved again');
  assert.deepEqual(sent.map(([type]) => type), ['config_get', 'config_set', 'config_get']);
});

test('ManagedPolicy.enforce says when the host refuses', async () => {
  const request = async (type) => (type === 'config_get'
    ? { ok: true, data: { accounts: [], sites: [] } }
    : { ok: false, error: { code: 'config', message: 'could not save' } });
  const m = new ManagedPolicy({ area: new FakeStorage({ sites: [SITE] }), request, log: quiet });
  await m.load();
  await assert.rejects(m.enforce(), /config_set: could not save/);
});
