import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  WORDS, configToForm, accountToForm, codecsToForm, moveCodec, isServerAddress, patternProblem, matchFromUrl,
  formToConfig, errorSummary, permissionsFor, watchesCookies, siteIsEmpty, TRANSPORTS, SRTP_MODES,
} from '../lib/optionsform.js';
import { useI18n } from '../lib/i18n.js';
import { fakeI18n } from './fakei18n.js';

useI18n(fakeI18n()); // the English of _locales/en

const loaded = {
  accounts: [{
    id: 'work', display_name: 'Desk', user: '1001', auth_user: '', domain: '127.0.0.1:5060', registrar: '', outbound_proxy: '',
    transport: 'udp', srtp: 'off', codecs: ['pcmu', 'opus'], auto_answer: { enabled: true, seconds: 3 }, dnd_code: 480,
    region: 'US', expires: 120, keepalive: 25, password_set: true,
  }],
  default_account: 'work',
  status: 'available',
  sites: [{ url: 'http://127.0.0.1:8080/app/', match: 'http://127.0.0.1/*', login: 'http://127.0.0.1/login*' }],
  close_without_session: true,
};

function goodForm() {
  return configToForm(loaded);
}

function errorsOf(form) {
  const r = formToConfig(form, loaded);
  assert.equal(r.ok, false);
  return r.errors;
}

test('configToForm: the account without a password, codecs in order then the rest unchecked, sites, the switch', () => {
  const f = goodForm();
  assert.equal(f.accounts.length, 1);
  const a = f.accounts[0];
  assert.equal(a.user, '1001');
  assert.equal(a.displayName, 'Desk');
  assert.equal(a.password, '');
  assert.equal(a.passwordSet, true);
  assert.deepEqual(a.codecs, [
    { name: 'pcmu', enabled: true }, { name: 'opus', enabled: true },
    { name: 'g722', enabled: false }, { name: 'pcma', enabled: false },
  ]);
  assert.equal(a.autoAnswer, true);
  assert.equal(a.autoAnswerSeconds, '3');
  assert.equal(a.dndCode, '480');
  assert.equal(a.region, 'US');
  assert.deepEqual(f.sites, [{ url: 'http://127.0.0.1:8080/app/', match: 'http://127.0.0.1/*', login: 'http://127.0.0.1/login*', sessionCookie: '' }]);
  assert.equal(f.closeWithoutSession, true);
});

test('configToForm: an empty config gives one empty account with the defaults; the switch is on unless false', () => {
  const f = configToForm({ accounts: [], sites: [] });
  assert.equal(f.accounts.length, 1);
  const a = f.accounts[0];
  assert.equal(a.user, '');
  assert.equal(a.passwordSet, false);
  assert.equal(a.transport, 'udp');
  assert.deepEqual(a.codecs.map((c) => [c.name, c.enabled]), [['opus', true], ['g722', true], ['pcmu', true], ['pcma', true]]);
  assert.equal(a.autoAnswer, false);
  assert.equal(a.autoAnswerSeconds, '5');
  assert.equal(a.dndCode, '486');
  assert.equal(configToForm(null).closeWithoutSession, true);
  assert.equal(configToForm({ close_without_session: false }).closeWithoutSession, false);
  assert.deepEqual(accountToForm({ codecs: ['PCMA', 'pcma', 'nope'] }).codecs[0], { name: 'pcma', enabled: true });
});

test('codecs: moving up and down, not past the ends', () => {
  const c = codecsToForm(['opus', 'g722', 'pcmu', 'pcma']);
  assert.deepEqual(moveCodec(c, 2, -1).map((x) => x.name), ['opus', 'pcmu', 'g722', 'pcma']);
  assert.deepEqual(moveCodec(c, 0, 1).map((x) => x.name), ['g722', 'opus', 'pcmu', 'pcma']);
  assert.equal(moveCodec(c, 0, -1), c);
  assert.equal(moveCodec(c, 3, 1), c);
});

test('formToConfig: an unchanged form gives the loaded config back, without password or password_set', () => {
  const r = formToConfig(goodForm(), loaded);
  assert.equal(r.ok, true);
  const a = r.config.accounts[0];
  assert.equal('password' in a, false, 'no password unless one was typed');
  assert.equal('password_set' in a, false);
  assert.equal(a.id, 'work');
  assert.equal(a.srtp, 'off', 'fields the page does not show are kept');
  assert.equal(a.expires, 120);
  assert.equal(a.keepalive, 25);
  assert.deepEqual(a.codecs, ['pcmu', 'opus']);
  assert.deepEqual(a.auto_answer, { enabled: true, seconds: 3 });
  assert.equal(a.dnd_code, 480);
  assert.equal(r.config.default_account, 'work');
  assert.equal(r.config.status, 'available');
  assert.equal(r.config.close_without_session, true);
  assert.deepEqual(r.config.sites, [{ url: 'http://127.0.0.1:8080/app/', match: 'http://127.0.0.1/*', login: 'http://127.0.0.1/login*' }]);
});

test('switches off by default (PBX auto-answer hints, voicemail, following transfers) round-trip', () => {
  const withSwitches = {
    ...loaded,
    accounts: [{ ...loaded.accounts[0], mwi: true, accept_refer: true, auto_answer: { enabled: false, seconds: 5, from_pbx: true } }],
  };
  const f = configToForm(withSwitches);
  assert.deepEqual([f.accounts[0].autoAnswerFromPbx, f.accounts[0].mwi, f.accounts[0].acceptRefer], [true, true, true]);
  let a = formToConfig(f, withSwitches).config.accounts[0];
  assert.deepEqual([a.auto_answer.from_pbx, a.mwi, a.accept_refer], [true, true, true]);
  Object.assign(f.accounts[0], { autoAnswerFromPbx: false, mwi: false, acceptRefer: false });
  a = formToConfig(f, withSwitches).config.accounts[0];
  assert.deepEqual([a.auto_answer.from_pbx, a.mwi, a.accept_refer], [false, false, false], 'turned off, not dropped');
  const plain = goodForm();
  plain.accounts[0].mwi = true;
  a = formToConfig(plain, loaded).config.accounts[0];
  assert.equal(a.mwi, true);
  assert.equal('accept_refer' in a, false, 'a switch never touched stays out');
});

test('formToConfig: a typed password is sent; text is trimmed; the region upper-cased; the live status wins', () => {
  const f = goodForm();
  Object.assign(f.accounts[0], {
    password: ' s3cret ', user: ' 1002 ', domain: ' sip:pbx.example.com:5070;transport=udp ', region: 'gb',
  });
  const r = formToConfig(f, loaded, { status: 'dnd' });
  assert.equal(r.ok, true);
  const a = r.config.accounts[0];
  assert.equal(a.password, ' s3cret ', 'a password is sent as typed');
  assert.equal(a.user, '1002');
  assert.equal(a.id, 'work', 'the id stays, so the host keeps the password of the same account');
  assert.equal(a.domain, 'sip:pbx.example.com:5070;transport=udp');
  assert.equal(a.region, 'GB');
  assert.equal(r.config.status, 'dnd');
});

test('formToConfig: a first account gets its user as id; no default_account without one loaded', () => {
  const f = configToForm({});
  Object.assign(f.accounts[0], { user: '1001', domain: 'pbx.example.com', password: 'pw' });
  const r = formToConfig(f, { accounts: [], sites: [] });
  assert.equal(r.ok, true);
  assert.equal(r.config.accounts[0].id, '1001');
  assert.equal(r.config.accounts[0].password, 'pw');
  assert.equal('default_account' in r.config, false);
  assert.deepEqual(r.config.sites, []);
});

test('formToConfig: clear words for each problem, tied to the field', () => {
  const f = goodForm();
  Object.assign(f.accounts[0], {
    user: '', domain: 'pbx example.com', registrar: 'http://x/', outboundProxy: 'a:b:c', transport: 'sctp',
    tlsCaFile: 'ca.pem', autoAnswerSeconds: '61', region: 'USA', dndCode: '500',
  });
  f.accounts[0].codecs = f.accounts[0].codecs.map((c) => ({ ...c, enabled: false }));
  const errors = errorsOf(f);
  assert.deepEqual(errors, [
    { field: 'accounts.0.user', message: 'User is required' },
    { field: 'accounts.0.domain', message: 'Domain must be host, host:port or sip:host:port' },
    { field: 'accounts.0.registrar', message: 'Registrar must be host, host:port or sip:host:port' },
    { field: 'accounts.0.outboundProxy', message: 'Outbound proxy must be host, host:port or sip:host:port' },
    { field: 'accounts.0.transport', message: WORDS.TRANSPORT },
    { field: 'accounts.0.tlsCaFile', message: 'Give the absolute path of the PEM file, for example /etc/ssl/pbx-ca.pem.' },
    { field: 'accounts.0.codecs', message: 'Choose at least one codec' },
    { field: 'accounts.0.autoAnswerSeconds', message: 'Auto-answer after must be a whole number of seconds from 0 to 60' },
    { field: 'accounts.0.dndCode', message: WORDS.DND_CODE },
    { field: 'accounts.0.region', message: 'Default region must be two letters, like US' },
  ]);
  assert.match(errorSummary(errors), /^User is required\. Domain must be host, host:port or sip:host:port\. /);
});

test('call encryption: each srtp value round-trips in words; an unknown one is a problem, a missing one is auto', () => {
  assert.deepEqual(SRTP_MODES.map((m) => m.value), ['auto', 'off', 'sdes-optional', 'sdes', 'dtls']);
  for (const m of SRTP_MODES) assert.ok(m.label && !m.label.startsWith('options'), `words for ${m.value}`);
  assert.equal(goodForm().accounts[0].srtp, 'off');
  for (const value of ['sdes', 'sdes-optional', 'dtls', 'auto']) {
    const f = goodForm();
    f.accounts[0].srtp = value;
    assert.equal(formToConfig(f, loaded).config.accounts[0].srtp, value);
  }
  assert.equal(accountToForm({ user: '1' }).srtp, 'auto');
  assert.equal(accountToForm({ user: '1', srtp: 'zrtp' }).srtp, 'auto');
  const bad = goodForm();
  bad.accounts[0].srtp = 'zrtp';
  assert.deepEqual(errorsOf(bad), [{ field: 'accounts.0.srtp', message: WORDS.SRTP }]);
});

test('transports: all five can be chosen; a TLS CA file goes with the account only when set', () => {
  assert.deepEqual(TRANSPORTS.map((tr) => [tr.value, tr.available]), [['udp', true], ['tcp', true], ['tls', true], ['ws', true], ['wss', true]]);
  const f = goodForm();
  Object.assign(f.accounts[0], { transport: 'wss', tlsCaFile: ' /etc/ssl/pbx-ca.pem ' });
  const a = formToConfig(f, loaded).config.accounts[0];
  assert.equal(a.transport, 'wss');
  assert.equal(a.tls_ca_file, '/etc/ssl/pbx-ca.pem');
  assert.equal('tls_ca_file' in formToConfig(goodForm(), loaded).config.accounts[0], false);
  const win = goodForm();
  win.accounts[0].tlsCaFile = 'C:\\PBX\\ca.pem';
  assert.equal(formToConfig(win, loaded).ok, true, 'a Windows path is absolute too');
  const ws = goodForm();
  Object.assign(ws.accounts[0], { transport: 'wss', wsPath: ' /ws ' });
  assert.equal(formToConfig(ws, loaded).config.accounts[0].ws_path, '/ws');
  assert.equal('ws_path' in formToConfig(goodForm(), loaded).config.accounts[0], false);
  for (const bad of ['ws', '/w s', '/ws?x=1', '/ws#top']) {
    const f2 = goodForm();
    f2.accounts[0].wsPath = bad;
    assert.deepEqual(errorsOf(f2), [{ field: 'accounts.0.wsPath', message: WORDS.WS_PATH_FORMAT }], bad);
  }
});

test('formToConfig: the domain is required; a user with @ or spaces is explained', () => {
  const f = goodForm();
  Object.assign(f.accounts[0], { domain: '  ', user: '1001@pbx' });
  assert.deepEqual(errorsOf(f).map((e) => e.message), [WORDS.USER_FORMAT, 'Domain is required']);
});

test('formToConfig: auto-answer seconds 0 and 60 pass; empty passes only with auto-answer off', () => {
  for (const s of ['0', '60']) {
    const f = goodForm();
    f.accounts[0].autoAnswerSeconds = s;
    assert.equal(formToConfig(f, loaded).config.accounts[0].auto_answer.seconds, Number(s));
  }
  for (const bad of ['-1', '2.5', 'x']) {
    const f = goodForm();
    f.accounts[0].autoAnswerSeconds = bad;
    assert.equal(errorsOf(f)[0].field, 'accounts.0.autoAnswerSeconds', bad);
  }
  const f = goodForm();
  f.accounts[0].autoAnswerSeconds = '';
  assert.equal(errorsOf(f)[0].field, 'accounts.0.autoAnswerSeconds');
  f.accounts[0].autoAnswer = false;
  assert.deepEqual(formToConfig(f, loaded).config.accounts[0].auto_answer, { enabled: false, seconds: 5 });
});

test('isServerAddress: host, host:port, IPv6, sip: URIs; not URLs, spaces or bad ports', () => {
  for (const ok of ['pbx.example.com', 'pbx.example.com:5060', '127.0.0.1', '127.0.0.1:5060', '[::1]:5060', '[2001:db8::1]',
    'sip:pbx.example.com', 'sip:pbx.example.com:5070;transport=tcp', 'SIP:1001@pbx.example.com', 'localhost']) {
    assert.equal(isServerAddress(ok), true, ok);
  }
  for (const bad of ['', 'https://pbx.example.com/', 'pbx example.com', 'pbx.example.com:0', 'pbx.example.com:70000',
    'pbx.example.com:', 'a:b:c', 'sip:', 'pbx.example.com/x', '-bad.example.com', '[::1']) {
    assert.equal(isServerAddress(bad), false, bad);
  }
});

test('patternProblem: web match patterns without a port, with why', () => {
  assert.equal(patternProblem('https://pbx.example.com/*', WORDS.MATCH_FORMAT), null);
  assert.equal(patternProblem('*://*.example.com/app/*', WORDS.MATCH_FORMAT), null);
  assert.equal(patternProblem('http://127.0.0.1/*', WORDS.MATCH_FORMAT), null);
  assert.equal(patternProblem('https://pbx.example.com:8443/*', WORDS.MATCH_FORMAT), 'Leave the port out: patterns match every port');
  assert.equal(patternProblem('http://127.0.0.1:8080/login*', WORDS.LOGIN_FORMAT), WORDS.PORT);
  assert.equal(patternProblem('https://pbx.example.com', WORDS.MATCH_FORMAT), WORDS.MATCH_FORMAT, 'a path is needed');
  assert.equal(patternProblem('ftp://pbx.example.com/*', WORDS.MATCH_FORMAT), WORDS.MATCH_FORMAT);
  assert.equal(patternProblem('pbx.example.com/*', WORDS.MATCH_FORMAT), WORDS.MATCH_FORMAT);
  assert.equal(patternProblem('https://pbx.*.com/*', WORDS.MATCH_FORMAT), WORDS.WILDCARD);
});

test('matchFromUrl: scheme://host/* without the port', () => {
  assert.equal(matchFromUrl('https://pbx.example.com/app/'), 'https://pbx.example.com/*');
  assert.equal(matchFromUrl('http://127.0.0.1:8080/app/?x=1'), 'http://127.0.0.1/*');
  assert.equal(matchFromUrl('  HTTPS://PBX.Example.com:8443/  '), 'https://pbx.example.com/*');
  assert.equal(matchFromUrl('ftp://x/'), '');
  assert.equal(matchFromUrl('pbx'), '');
});

test('sites: empty rows are left out; the match comes from the address when empty; problems per row', () => {
  const f = goodForm();
  f.sites = [
    { url: '', match: '', login: '', sessionCookie: '' },
    { url: 'https://pbx.example.com/app/', match: '', login: 'https://pbx.example.com/login*', sessionCookie: 'PHPSESSID' },
  ];
  const r = formToConfig(f, loaded);
  assert.equal(r.ok, true);
  assert.deepEqual(r.config.sites, [{
    url: 'https://pbx.example.com/app/', match: 'https://pbx.example.com/*', login: 'https://pbx.example.com/login*', session_cookie: 'PHPSESSID',
  }]);
  assert.equal(siteIsEmpty(f.sites[0]), true);

  f.sites = [
    { url: 'https://pbx.example.com/app/', match: 'https://pbx.example.com:8443/*', login: 'https://pbx.example.com:8443/login*', sessionCookie: 'a b' },
    { url: 'pbx.example.com', match: '', login: '', sessionCookie: '' },
    { url: 'https://other.example.com/', match: 'https://pbx.example.com/*', login: '', sessionCookie: '' },
    { url: '', match: '', login: 'https://pbx.example.com/login*', sessionCookie: '' },
  ];
  assert.deepEqual(errorsOf(f), [
    { field: 'sites.0.match', message: 'Leave the port out: patterns match every port' },
    { field: 'sites.0.login', message: 'Leave the port out: patterns match every port' },
    { field: 'sites.0.sessionCookie', message: WORDS.COOKIE_FORMAT },
    { field: 'sites.1.url', message: WORDS.URL_FORMAT },
    { field: 'sites.1.match', message: 'Match pattern is required' },
    { field: 'sites.2.url', message: WORDS.URL_OUTSIDE },
    { field: 'sites.3.match', message: 'Match pattern is required' },
  ]);
});

test('the switch goes out as close_without_session', () => {
  const f = goodForm();
  f.closeWithoutSession = false;
  assert.equal(formToConfig(f, loaded).config.close_without_session, false);
});

test('permissionsFor: each site origin (match and login), both schemes for *, cookies only with a session cookie', () => {
  assert.deepEqual(permissionsFor({ sites: [] }), { origins: [], permissions: [] });
  assert.deepEqual(permissionsFor(loaded), { origins: ['http://127.0.0.1/*'], permissions: [] });
  const config = {
    sites: [
      { match: '*://*.example.com/app/*', login: 'https://login.example.net/sso*', session_cookie: 'SID' },
      { match: 'https://pbx.example.org/*' },
    ],
  };
  assert.deepEqual(permissionsFor(config), {
    origins: ['http://*.example.com/*', 'https://*.example.com/*', 'https://login.example.net/*', 'https://pbx.example.org/*'],
    permissions: ['cookies'],
  });
  assert.equal(watchesCookies(config), true);
  assert.equal(watchesCookies(loaded), false);
});

test('busy lamps: the watch list one per line and the pickup code go to the config, and come back unchanged', () => {
  const f = goodForm();
  assert.equal(f.accounts[0].blf, '');
  assert.equal(f.accounts[0].pickupPrefix, '');
  f.accounts[0].blf = '2000\n2001, sales.desk\n\n2000';
  f.accounts[0].pickupPrefix = '*8';
  const r = formToConfig(f, loaded);
  assert.equal(r.ok, true);
  assert.deepEqual(r.config.accounts[0].blf, ['2000', '2001', 'sales.desk']);
  assert.equal(r.config.accounts[0].pickup_prefix, '*8');
  // As the host sends it back (its default code filled in): the form shows the default as empty.
  const back = configToForm({ accounts: [{ ...r.config.accounts[0], pickup_prefix: '**' }] }).accounts[0];
  assert.equal(back.blf, '2000\n2001\nsales.desk');
  assert.equal(back.pickupPrefix, '');
  const again = formToConfig({ accounts: [back], sites: [] }, { accounts: [{ ...r.config.accounts[0], pickup_prefix: '**' }] });
  assert.equal(again.config.accounts[0].pickup_prefix, '**');
  assert.deepEqual(again.config.accounts[0].blf, ['2000', '2001', 'sales.desk']);
  // Nothing typed and nothing loaded: no new keys.
  const plain = formToConfig(goodForm(), loaded).config.accounts[0];
  assert.equal('blf' in plain || 'pickup_prefix' in plain, false);
});

test('busy lamps: bad extensions, too many, and a pickup code with letters are refused in words', () => {
  const f = goodForm();
  f.accounts[0].blf = '2000\n20@00';
  f.accounts[0].pickupPrefix = 'ab';
  const errs = errorsOf(f);
  assert.deepEqual(errs.map((e) => e.field), ['accounts.0.blf', 'accounts.0.pickupPrefix']);
  assert.match(errs[0].message, /“20@00” is not an extension/);
  assert.equal(errs[1].message, WORDS.PICKUP_FORMAT);
  const g = goodForm();
  g.accounts[0].blf = Array.from({ length: 51 }, (_, i) => String(3000 + i)).join('\n');
  assert.deepEqual(errorsOf(g).map((e) => e.message), [WORDS.BLF_TOO_MANY]);
});
