// When the host runs and what it is told: the session binding with the real native
// port and tab watch over fake ports, tabs, storage and clock. The test plays the host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SessionBinding, SITES_KEY, OPEN_WITH_SESSION_KEY, HOST_CLOSED_KEY, sitesOf, noSessionStatus,
} from '../lib/sessionbinding.js';
import { NativePort, PHASE } from '../lib/nativeport.js';
import { SessionWatch } from '../lib/sessionwatch.js';
import { ManagedPolicy } from '../lib/managedpolicy.js';
import {
  FakeClock, FakePort, FakeStorage, flush,
} from './fakes.js';
import { useI18n } from '../lib/i18n.js';
import { fakeI18n } from './fakei18n.js';

useI18n(fakeI18n()); // the English of _locales/en

const SITE = { url: 'http://127.0.0.1:8080/app/', match: 'http://127.0.0.1/*', login: 'http://127.0.0.1/login*' };
const APP = 'http://127.0.0.1:8080/app/';
const tab = (id, url) => ({ id, windowId: 1, url, status: 'complete' });
const quiet = { warn() {}, error() {} };
const WARNING = 'Window will be closed soon, since there is no active session';

async function setup({
  cached, closed = false, tabs = [], local = {}, init = true, policy = null,
} = {}) {
  const clock = new FakeClock();
  const ports = [];
  const statuses = [];
  const t = {
    clock,
    ports,
    statuses,
    local: new FakeStorage(cached ? { [SITES_KEY]: cached, ...local } : local),
    session: new FakeStorage(closed ? { [HOST_CLOSED_KEY]: true } : {}),
    softphone: {
      opens: 0,
      closes: 0,
      async ensureOpen() { t.softphone.opens++; },
      async close() { t.softphone.closes++; },
    },
    port: () => ports.at(-1),
    /** What the host was told with `session`, as [active, reason]. */
    reports: (p = t.port()) => p.ofType('session').map((m) => [m.data.active, m.data.reason]),
    /** The host answers hello, sends its state, and answers every session request. */
    async hostUp(session = { state: 'waiting', sites: [SITE] }) {
      const p = t.port();
      const h = p.sent.find((m) => m.type === 'hello');
      p.receive({ type: 'reply', id: h.id, ok: true, data: { protocol: 1, version: '0.1.0' } });
      await flush();
      t.hostSays('state', { accounts: [], status: 'available', calls: [], session });
      await t.answerAll();
    },
    async answerAll() {
      const p = t.port();
      for (const m of p.sent) {
        if (m.id && !m.answered && m.type !== 'hello') {
          m.answered = true;
          p.receive({ type: 'reply', id: m.id, ok: true, data: {} });
        }
      }
      await flush();
    },
    hostSays(type, data) { t.port().receive({ type, data }); },
  };
  t.native = new NativePort({
    connect: () => {
      const p = new FakePort();
      ports.push(p);
      return p;
    },
    version: '0.1.0',
    clock,
    onEvent: (m) => t.binding.onHostEvent(m),
    onStatus: (s) => {
      statuses.push(s);
      t.binding.onHostStatus(s);
    },
  });
  t.tabs = tabs;
  t.watch = new SessionWatch({ queryTabs: async () => t.tabs, report: (a, r) => t.binding.report(a, r), clock });
  t.binding = new SessionBinding({
    native: t.native, watch: t.watch, local: t.local, session: t.session, softphone: t.softphone, policy, log: quiet,
  });
  if (init) await t.binding.init();
  return t;
}

test('sitesOf keeps the known string fields of usable sites; unbound has none', () => {
  assert.deepEqual(sitesOf({ state: 'waiting', sites: [{ ...SITE, x: 1, session_cookie: '' }, { match: 3 }, null] }), [SITE]);
  assert.deepEqual(sitesOf({ state: 'unbound', sites: [SITE] }), []);
  assert.deepEqual(sitesOf(null), []);
});

test('bound (cached sites), no Dialer/PBX tab at worker start: the host is not started', async () => {
  const t = await setup({ cached: [SITE], tabs: [tab(1, 'https://example.org/')] });
  assert.equal(t.ports.length, 0);
  assert.equal(t.native.phase, PHASE.IDLE);
  assert.deepEqual(t.statuses.at(-1), noSessionStatus('waiting', [SITE]));
  assert.equal(t.statuses.at(-1).message, 'Open the Dialer/PBX to use the phone');
  const r = await t.native.request('dial', { number: '600' });
  assert.equal(r.error.code, 'no_session');
  t.binding.wantHost(); // the popup opened
  t.clock.advance(120_000);
  assert.equal(t.ports.length, 0, 'neither a page nor time starts it');
});

test('bound, a session appears: the host starts and hears tab_open after its hello', async () => {
  const t = await setup({ cached: [SITE] });
  t.watch.tabCreated(tab(5, APP));
  assert.equal(t.ports.length, 1);
  assert.equal(t.statuses.at(-1).connecting, true, 'pages stop saying "no session" while it starts');
  await t.hostUp();
  assert.deepEqual(t.reports(), [[true, 'tab_open']]);
});

test('bound with a restored Dialer/PBX tab at worker start: the host starts at once', async () => {
  const t = await setup({ cached: [SITE], tabs: [tab(1, APP)] });
  assert.equal(t.ports.length, 1);
  await t.hostUp();
  assert.deepEqual(t.reports(), [[true, 'tab_open']]);
});

test('unbound (nothing cached): the host starts with the browser; its sites are cached and watched', async () => {
  const t = await setup({ tabs: [tab(1, 'https://example.org/')] });
  assert.equal(t.ports.length, 1);
  await t.hostUp({ state: 'waiting', sites: [SITE] });
  assert.deepEqual(t.local.data[SITES_KEY], [SITE]);
  assert.equal(t.binding.bound, true);
  assert.deepEqual(t.reports(), [[false, 'tabs_closed']], 'the host hears the current value');
  t.watch.tabCreated(tab(2, APP));
  await t.answerAll();
  assert.deepEqual(t.reports(), [[false, 'tabs_closed'], [true, 'tab_open']]);
});

test('a host that says unbound: nothing cached, nothing reported', async () => {
  const t = await setup({ tabs: [tab(1, APP)] });
  await t.hostUp({ state: 'unbound', sites: [SITE] });
  assert.deepEqual(t.local.data[SITES_KEY] ?? [], []);
  t.watch.tabRemoved(1);
  assert.deepEqual(t.reports(), []);
});

test('the session becoming active opens the softphone window once (setting on by default)', async () => {
  const t = await setup({ cached: [SITE], tabs: [tab(1, APP)] });
  await t.hostUp();
  assert.equal(t.softphone.opens, 0, 'waiting is not active');
  t.hostSays('state', { accounts: [], calls: [], session: { state: 'active', sites: [SITE] } });
  await flush();
  assert.equal(t.softphone.opens, 1);
  t.hostSays('closing_soon', { message: WARNING, reason: 'tabs_closed', deadline: t.clock.now() + 5000, seconds: 5 });
  t.hostSays('state', { accounts: [], calls: [], session: { state: 'closing_soon', sites: [SITE] } });
  t.hostSays('state', { accounts: [], calls: [], session: { state: 'active', sites: [SITE] } });
  await flush();
  assert.equal(t.softphone.opens, 1, 'a cancelled close does not open it again');
});

test('"Open the softphone with the Dialer/PBX" off: the window waits for a call', async () => {
  const t = await setup({ cached: [SITE], tabs: [tab(1, APP)], local: { [OPEN_WITH_SESSION_KEY]: false } });
  await t.hostUp({ state: 'active', sites: [SITE] });
  await flush();
  assert.equal(t.softphone.opens, 0);
});

test('close: the window closes, the host closes its own port, and nothing reconnects', async () => {
  const t = await setup({ cached: [SITE], tabs: [tab(1, APP)] });
  await t.hostUp({ state: 'active', sites: [SITE] });
  const hostPort = t.port();
  t.watch.tabRemoved(1);
  await t.answerAll();
  assert.deepEqual(t.reports().at(-1), [false, 'tabs_closed']);
  t.hostSays('close', { reason: 'tabs_closed' });
  await flush();
  assert.equal(t.softphone.closes, 1);
  assert.equal(hostPort.disconnected, false, 'the host hangs up and unregisters before it exits');
  assert.equal(t.native.phase, PHASE.CLOSING);
  assert.deepEqual(t.statuses.at(-1), noSessionStatus('closed', [SITE]));
  assert.equal(t.session.data[HOST_CLOSED_KEY], true);
  hostPort.drop('Native host has exited.');
  assert.equal(t.native.phase, PHASE.IDLE);
  t.binding.wantHost(); // the popup opens
  t.clock.advance(120_000);
  assert.equal(t.ports.length, 1, 'no reconnect until a session is active again');

  t.watch.tabCreated(tab(2, APP));
  assert.equal(t.ports.length, 2);
  await t.hostUp();
  assert.deepEqual(t.reports(), [[true, 'tab_open']]);
  assert.equal(t.session.data[HOST_CLOSED_KEY], false);
});

test('a session back just as the host closed: a new host starts once the old one is gone', async () => {
  const t = await setup({ cached: [SITE], tabs: [tab(1, APP)] });
  await t.hostUp({ state: 'active', sites: [SITE] });
  t.watch.tabRemoved(1);
  t.watch.tabCreated(tab(2, APP)); // the closed host ignores this tab_open
  t.hostSays('close', { reason: 'tabs_closed' });
  await flush();
  assert.equal(t.ports.length, 1, 'not two hosts at once');
  t.port().drop();
  assert.equal(t.ports.length, 2);
  await t.hostUp();
  assert.deepEqual(t.reports(), [[true, 'tab_open']]);
});

test('unbound after close (switch off): a page opening or a dial starts the host again', async () => {
  const t = await setup();
  await t.hostUp({ state: 'unbound', sites: [] });
  t.hostSays('close', { reason: 'tabs_closed' });
  t.port().drop();
  t.clock.advance(120_000);
  assert.equal(t.ports.length, 1);
  t.binding.wantHost();
  assert.equal(t.ports.length, 2);
});

test('a worker restarted after an unbound close keeps the host stopped until the user wants it', async () => {
  const t = await setup({ closed: true });
  assert.equal(t.ports.length, 0);
  t.binding.wantHost();
  assert.equal(t.ports.length, 1);
  assert.equal(t.session.data[HOST_CLOSED_KEY], false);
});

test('a bound host that dies without a session is not restarted in a loop; with one it is', async () => {
  const t = await setup({ cached: [SITE], tabs: [tab(1, APP)] });
  await t.hostUp({ state: 'active', sites: [SITE] });
  t.port().drop('Native host has exited.');
  assert.equal(t.native.phase, PHASE.WAITING, 'a session is active: reconnect with backoff');
  t.clock.advance(500);
  assert.equal(t.ports.length, 2);
  await t.hostUp();
  assert.deepEqual(t.reports(), [[true, 'tab_open']], 'the new host hears the session at once');

  t.watch.tabRemoved(1);
  t.port().drop('Native host has exited.');
  assert.equal(t.native.phase, PHASE.IDLE);
  assert.equal(t.statuses.at(-1).code, 'no_session');
  t.clock.advance(120_000);
  assert.equal(t.ports.length, 2);
});

test('wantHost skips the backoff wait', async () => {
  const t = await setup({ cached: [SITE], tabs: [tab(1, APP)] });
  t.port().drop('Specified native messaging host not found.');
  assert.equal(t.native.phase, PHASE.WAITING);
  t.binding.wantHost();
  assert.equal(t.ports.length, 2);
});

test('bound without a session, the options page needs the host: it starts, stays waiting, and goes when the page closes', async () => {
  const t = await setup({ cached: [SITE], tabs: [tab(1, 'https://example.org/')] });
  assert.equal(t.ports.length, 0);
  t.binding.wantSettings(); // config_get from the options page
  assert.equal(t.ports.length, 1);
  const got = t.native.request('config_get');
  await t.hostUp({ state: 'waiting', sites: [SITE] });
  assert.equal((await got).ok, true, 'the request waited for the hello');
  assert.deepEqual(t.reports(), [[false, 'tabs_closed']], 'the host hears that no session is active: it registers nothing');
  const hostPort = t.port();
  t.binding.settingsDone(); // the last options page closed
  assert.equal(hostPort.disconnected, true);
  assert.equal(t.native.phase, PHASE.IDLE);
  assert.deepEqual(t.statuses.at(-1), noSessionStatus('waiting', [SITE]));
  t.clock.advance(120_000);
  assert.equal(t.ports.length, 1, 'nothing restarts it');
});

test('a session that starts while the options page has the host keeps it when the page closes', async () => {
  const t = await setup({ cached: [SITE] });
  t.binding.wantSettings();
  await t.hostUp({ state: 'waiting', sites: [SITE] });
  t.watch.tabCreated(tab(2, APP));
  await t.answerAll();
  assert.deepEqual(t.reports().at(-1), [true, 'tab_open']);
  t.hostSays('state', { accounts: [], calls: [], session: { state: 'active', sites: [SITE] } });
  t.binding.settingsDone();
  assert.equal(t.native.phase, PHASE.READY);
  assert.equal(t.port().disconnected, false);
});

test('the options page with the host already running (a session, or unbound) changes nothing', async () => {
  const t = await setup({ cached: [SITE], tabs: [tab(1, APP)] });
  await t.hostUp({ state: 'active', sites: [SITE] });
  t.binding.wantSettings();
  t.binding.settingsDone();
  assert.equal(t.ports.length, 1);
  assert.equal(t.native.phase, PHASE.READY);

  const u = await setup();
  await u.hostUp({ state: 'unbound', sites: [] });
  u.binding.settingsDone();
  assert.equal(u.native.phase, PHASE.READY);
});

test('the options page asking before the worker has read its cache: the host starts after init', async () => {
  const t = await setup({ cached: [SITE], init: false });
  t.binding.wantSettings();
  assert.equal(t.ports.length, 0, 'not before the binding knows its sites');
  await t.binding.init();
  assert.equal(t.ports.length, 1);
});

test('the options page asking while a closed host is still exiting: the settings host starts once it is gone', async () => {
  const t = await setup({ cached: [SITE], tabs: [tab(1, APP)] });
  await t.hostUp({ state: 'active', sites: [SITE] });
  t.watch.tabRemoved(1);
  await t.answerAll();
  t.hostSays('close', { reason: 'tabs_closed' });
  await flush();
  assert.equal(t.native.phase, PHASE.CLOSING);
  t.binding.wantSettings();
  assert.equal(t.ports.length, 1, 'not two hosts at once');
  t.port().drop();
  assert.equal(t.ports.length, 2);
  await t.hostUp({ state: 'waiting', sites: [SITE] });
  t.binding.settingsDone();
  assert.equal(t.native.phase, PHASE.IDLE, 'let go again with the page');
});

// ---- Managed: sites set by policy (lib/managedpolicy.js) ----

const POLICY_SITE = { url: 'https://pbx.example.com/app/', match: 'https://pbx.example.com/*', login: 'https://pbx.example.com/login*' };
const POLICY_APP = 'https://pbx.example.com/app/';

/** A ManagedPolicy over a fake storage.managed whose requests go to the test's host port. */
function managedPolicy(values, t) {
  return new ManagedPolicy({
    area: new FakeStorage(values),
    request: (type, data) => t.native.request(type, data),
    log: quiet,
  });
}

test('policy sites bind the phone from the worker start: no host without a session, nothing cached needed', async () => {
  const t = { native: null };
  const policy = managedPolicy({ sites: [POLICY_SITE] }, t);
  Object.assign(t, await setup({ tabs: [tab(1, 'https://example.org/')], policy }));
  assert.equal(t.binding.bound, true);
  assert.deepEqual(t.binding.sites, [POLICY_SITE]);
  assert.equal(t.ports.length, 0, 'bound by policy, no session: the host is not started');
  assert.deepEqual(t.statuses.at(-1), noSessionStatus('waiting', [POLICY_SITE]));
});

test('policy sites: a new host gets the policy into its config before it hears the session', async () => {
  const t = { native: null };
  const policy = managedPolicy({ sites: [POLICY_SITE], account_defaults: { transport: 'tls' } }, t);
  Object.assign(t, await setup({ tabs: [tab(1, POLICY_APP)], policy }));
  assert.equal(t.ports.length, 1, 'a Dialer/PBX tab of the policy site starts the host');
  const p = t.port();
  p.receive({ type: 'reply', id: p.sent.find((m) => m.type === 'hello').id, ok: true, data: { protocol: 1, version: '0.1.0' } });
  await flush();
  // The host's config from before the policy: no sites (so it says unbound) and UDP.
  t.hostSays('state', { accounts: [], status: 'available', calls: [], session: { state: 'unbound', sites: [] } });
  assert.deepEqual(t.binding.sites, [POLICY_SITE], 'a host without the policy yet does not unbind the phone');
  const get = p.last('config_get');
  assert.ok(get, 'config_get first');
  assert.equal(p.ofType('session').length, 0, 'no session report before the config follows the policy');
  const account = { id: 'work', user: '1001', domain: 'pbx.example.com', transport: 'udp', password_set: true };
  p.receive({ type: 'reply', id: get.id, ok: true, data: { accounts: [account], sites: [], status: 'available' } });
  await flush();
  const set = p.last('config_set');
  assert.deepEqual(set.data.sites, [POLICY_SITE]);
  assert.equal(set.data.accounts[0].transport, 'tls');
  assert.equal(set.data.accounts[0].user, '1001');
  assert.equal(set.data.accounts[0].password, undefined, 'no password is sent: the host keeps the stored one');
  assert.equal(p.ofType('session').length, 0);
  p.receive({ type: 'reply', id: set.id, ok: true, data: {} });
  await flush();
  assert.deepEqual(t.reports(), [[true, 'tab_open']], 'then the host hears the session');
});

test('policy turns the binding off: a plain softphone even with sites cached', async () => {
  const t = { native: null };
  const policy = managedPolicy({ close_without_session: false }, t);
  Object.assign(t, await setup({ cached: [SITE], tabs: [tab(1, 'https://example.org/')], policy }));
  assert.equal(t.binding.bound, false);
  assert.equal(t.ports.length, 1, 'the host starts with the browser');
});

test('a policy that arrives while the phone runs unbound binds it, and the host follows', async () => {
  const t = { native: null };
  const area = new FakeStorage({});
  const policy = new ManagedPolicy({ area, request: (type, data) => t.native.request(type, data), log: quiet });
  Object.assign(t, await setup({ tabs: [tab(1, 'https://example.org/')], policy }));
  assert.equal(t.ports.length, 1);
  await t.hostUp({ state: 'unbound', sites: [] });
  assert.equal(t.binding.bound, false);
  area.data.sites = [POLICY_SITE];
  const changed = t.binding.policyChanged();
  await flush();
  assert.equal(t.binding.bound, true);
  const p = t.port();
  const get = p.last('config_get');
  p.receive({ type: 'reply', id: get.id, ok: true, data: { accounts: [], sites: [] } });
  await flush();
  const set = p.last('config_set');
  assert.deepEqual(set.data.sites, [POLICY_SITE]);
  p.receive({ type: 'reply', id: set.id, ok: true, data: {} });
  await changed;
  assert.deepEqual(t.reports().at(-1), [false, 'tabs_closed'], 'no Dialer/PBX session: the host hears so and closes the phone');
});
