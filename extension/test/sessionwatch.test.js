// The session rule's tab side: what the watch reports to the host for each thing the
// user does with the Dialer/PBX tabs. Fake tabs, an injected clock, no sleeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SessionWatch, compileSites, classifyUrl, isLogoutUrl, NAV_SETTLE_MS, COOKIE_SETTLE_MS, LOGOUT_WINDOW_MS,
} from '../lib/sessionwatch.js';
import { FakeClock } from './fakes.js';

const SITE = { url: 'http://127.0.0.1:8080/app/', match: 'http://127.0.0.1/*', login: 'http://127.0.0.1/login*', session_cookie: 'DEVPBX_SESSION' };
const APP = 'http://127.0.0.1:8080/app/';
const CALLS = 'http://127.0.0.1:8080/app/calls';
const LOGIN = 'http://127.0.0.1:8080/login';
const OTHER = 'https://example.org/';

/** A watch over fake tabs; `reports` holds [active, reason] in order. */
async function setup({ tabs = [], sites = [SITE], start = true } = {}) {
  const clock = new FakeClock();
  const reports = [];
  let queryAnswer = () => tabs;
  const watch = new SessionWatch({
    queryTabs: async () => queryAnswer(),
    report: (active, reason) => reports.push([active, reason]),
    clock,
  });
  watch.setSites(sites);
  if (start) await watch.sync();
  const t = {
    watch, clock, reports,
    setQuery(f) { queryAnswer = f; },
    /** A navigation as Chrome reports it: loading with the committed URL, then complete. */
    navigate(id, url, { complete = true, windowId = 1 } = {}) {
      watch.tabUpdated(id, { status: 'loading', url }, { id, windowId, url, status: 'loading' });
      if (complete) watch.tabUpdated(id, { status: 'complete' }, { id, windowId, url, status: 'complete' });
    },
    open(id, url, windowId = 1) {
      watch.tabCreated({ id, windowId, url: '', status: 'loading' });
      t.navigate(id, url, { windowId });
    },
    drain() { reports.length = 0; },
  };
  return t;
}

const tab = (id, url, windowId = 1) => ({ id, windowId, url, status: 'complete' });

test('the sites are compiled; a site without a valid match is left out', () => {
  const c = compileSites([SITE, { match: 'nope' }, null, { match: 'https://x.example/*', login: 'bad' }]);
  assert.equal(c.length, 2);
  assert.equal(c[1].login, null);
  assert.equal(compileSites(undefined).length, 0);
});

test('classifyUrl: app pages are live, the login page is not, other sites are nothing', () => {
  const sites = compileSites([SITE]);
  assert.equal(classifyUrl(sites, APP).kind, 'live');
  assert.equal(classifyUrl(sites, 'http://127.0.0.1:9999/logout').kind, 'live', 'the logout URL is still the app');
  assert.equal(classifyUrl(sites, LOGIN).kind, 'login');
  assert.equal(classifyUrl(sites, `${LOGIN}?reason=timeout`).kind, 'login');
  assert.equal(classifyUrl(sites, OTHER).kind, 'none');
  assert.equal(classifyUrl(sites, 'chrome-extension://abc/softphone/softphone.html').kind, 'none');
  assert.equal(classifyUrl(sites, '').kind, 'none');
});

test('isLogoutUrl: logout words in the path, any case; not in the query', () => {
  for (const u of ['http://x/logout', 'http://x/app/Log-Out', 'http://x/SignOut', 'http://x/sign-out?x', 'http://x/auth/logoff', 'http://x/user/logout.php']) {
    assert.equal(isLogoutUrl(u), true, u);
  }
  for (const u of ['http://x/login', 'http://x/app?next=/logout', 'http://x/catalog', '', 'nonsense', undefined]) {
    assert.equal(isLogoutUrl(u), false, String(u));
  }
});

test('startup with a restored Dialer/PBX tab: tab_open', async () => {
  const t = await setup({ tabs: [tab(1, OTHER), tab(2, CALLS)] });
  assert.deepEqual(t.reports, [[true, 'tab_open']]);
  assert.equal(t.watch.active, true);
});

test('startup without one: the current value (no session) is said once', async () => {
  const t = await setup({ tabs: [tab(1, OTHER), tab(2, LOGIN)] });
  assert.deepEqual(t.reports, [[false, 'tabs_closed']]);
  t.navigate(1, 'https://example.org/next');
  t.watch.tabRemoved(1);
  assert.deepEqual(t.reports, [[false, 'tabs_closed']], 'no duplicates');
});

test('nothing is reported before the first tabs.query is in', async () => {
  const t = await setup({ start: false });
  t.open(1, APP);
  assert.deepEqual(t.reports, []);
  t.setQuery(() => [tab(1, APP)]);
  await t.watch.sync();
  assert.deepEqual(t.reports, [[true, 'tab_open']]);
});

test('the first live tab appearing (created, or navigated to the app): tab_open', async () => {
  const t = await setup();
  t.drain();
  t.open(1, LOGIN);
  assert.deepEqual(t.reports, [], 'the login page is no session');
  t.navigate(1, APP);
  assert.deepEqual(t.reports, [[true, 'tab_open']]);
  t.open(2, CALLS);
  assert.deepEqual(t.reports, [[true, 'tab_open']], 'a second tab says nothing');
});

test('(a) the last Dialer/PBX tab closed: tabs_closed; two tabs, one closed: nothing', async () => {
  const t = await setup({ tabs: [tab(1, APP), tab(2, CALLS)] });
  t.drain();
  t.watch.tabRemoved(1);
  assert.deepEqual(t.reports, []);
  t.watch.tabRemoved(2);
  assert.deepEqual(t.reports, [[false, 'tabs_closed']]);
  t.watch.tabRemoved(2);
  assert.deepEqual(t.reports, [[false, 'tabs_closed']]);
});

test('(a) the window with the last Dialer/PBX tabs closed: tabs_closed', async () => {
  const t = await setup({ tabs: [tab(1, APP, 7), tab(2, CALLS, 7), tab(3, OTHER, 8)] });
  t.drain();
  t.watch.windowRemoved(8);
  assert.deepEqual(t.reports, []);
  t.watch.windowRemoved(7);
  assert.deepEqual(t.reports, [[false, 'tabs_closed']]);
});

test('(b) Menu → Logout: the tab passes /logout, lands on the login page: logout', async () => {
  const t = await setup({ tabs: [tab(1, APP)] });
  t.drain();
  t.navigate(1, 'http://127.0.0.1:8080/logout', { complete: false });
  assert.deepEqual(t.reports, []);
  t.clock.advance(300);
  t.navigate(1, LOGIN);
  assert.deepEqual(t.reports, [[false, 'logout']]);
});

test('(b) a login URL with reason=logout is a logout (the /logout redirect was never seen)', async () => {
  const t = await setup({ tabs: [tab(1, APP)] });
  t.drain();
  t.navigate(1, `${LOGIN}?reason=logout`);
  assert.deepEqual(t.reports, [[false, 'logout']]);
});

test('(b) a logout in one tab, the other tab pushed to the login page: logout', async () => {
  const t = await setup({ tabs: [tab(1, APP), tab(2, CALLS)] });
  t.drain();
  t.watch.tabUpdated(1, { status: 'loading' }, { id: 1, windowId: 1, url: APP, status: 'loading', pendingUrl: 'http://127.0.0.1:8080/logout' });
  t.navigate(1, LOGIN);
  assert.deepEqual(t.reports, [], 'tab 2 still has the app');
  t.clock.advance(2_000);
  t.navigate(2, LOGIN);
  assert.deepEqual(t.reports, [[false, 'logout']]);
});

test('(c) the app sends the tab to its login page without a logout: timeout', async () => {
  const t = await setup({ tabs: [tab(1, APP)] });
  t.drain();
  t.navigate(1, `${LOGIN}?reason=timeout`);
  assert.deepEqual(t.reports, [[false, 'timeout']]);
});

test('(c) a logout URL more than 10 s ago does not make a later login page a logout', async () => {
  const t = await setup({ tabs: [tab(1, APP), tab(2, 'http://127.0.0.1:8080/app/logout-help')] });
  t.drain();
  t.navigate(2, CALLS);
  t.clock.advance(LOGOUT_WINDOW_MS + 1);
  t.watch.tabRemoved(2);
  t.navigate(1, LOGIN);
  assert.deepEqual(t.reports, [[false, 'timeout']]);
});

test('a Dialer/PBX tab back within the 5 s: tab_open again', async () => {
  const t = await setup({ tabs: [tab(1, APP)] });
  t.drain();
  t.watch.tabRemoved(1);
  t.clock.advance(3_000);
  t.open(2, APP);
  assert.deepEqual(t.reports, [[false, 'tabs_closed'], [true, 'tab_open']]);
});

test('navigation within the app (loading → complete across app URLs): nothing', async () => {
  const t = await setup({ tabs: [tab(1, APP)] });
  t.drain();
  t.watch.tabUpdated(1, { status: 'loading' }, { id: 1, windowId: 1, url: APP, status: 'loading' });
  t.watch.tabUpdated(1, { url: CALLS }, { id: 1, windowId: 1, url: CALLS, status: 'loading' });
  t.watch.tabUpdated(1, { status: 'complete' }, { id: 1, windowId: 1, url: CALLS, status: 'complete' });
  t.navigate(1, `${APP}#contacts`);
  t.navigate(1, 'http://127.0.0.1:8080/app/?q=1');
  t.clock.advance(60_000);
  assert.deepEqual(t.reports, []);
});

test('passing through another site while loading (a redirect out and back): nothing', async () => {
  const t = await setup({ tabs: [tab(1, APP)] });
  t.drain();
  t.navigate(1, 'https://sso.example.net/check', { complete: false });
  t.clock.advance(NAV_SETTLE_MS - 100);
  t.navigate(1, CALLS);
  t.clock.advance(60_000);
  assert.deepEqual(t.reports, []);
});

test('leaving the site in the last tab: tabs_closed once the other page has loaded, or after 1.5 s', async () => {
  const t = await setup({ tabs: [tab(1, APP)] });
  t.drain();
  t.navigate(1, OTHER);
  assert.deepEqual(t.reports, [[false, 'tabs_closed']]);

  const u = await setup({ tabs: [tab(1, APP)] });
  u.drain();
  u.navigate(1, OTHER, { complete: false });
  u.clock.advance(NAV_SETTLE_MS - 1);
  assert.deepEqual(u.reports, []);
  u.clock.advance(1);
  assert.deepEqual(u.reports, [[false, 'tabs_closed']]);
});

test('while a navigation settles, closing the tab or landing on the login page decides at once', async () => {
  const t = await setup({ tabs: [tab(1, APP), tab(2, OTHER)] });
  t.drain();
  t.navigate(1, OTHER, { complete: false });
  t.navigate(2, 'https://example.org/b'); // another tab's load does not decide for tab 1
  assert.deepEqual(t.reports, []);
  t.navigate(1, `${LOGIN}?reason=logout`);
  assert.deepEqual(t.reports, [[false, 'logout']]);
  t.clock.advance(60_000);
  assert.deepEqual(t.reports, [[false, 'logout']], 'the settle timer is gone');

  const u = await setup({ tabs: [tab(1, APP)] });
  u.drain();
  u.navigate(1, OTHER, { complete: false });
  u.watch.tabRemoved(1);
  assert.deepEqual(u.reports, [[false, 'tabs_closed']]);
});

test('a new host (hello) hears the current value again, once', async () => {
  const t = await setup({ tabs: [tab(1, APP)] });
  t.watch.hostReady();
  assert.deepEqual(t.reports, [[true, 'tab_open'], [true, 'tab_open']]);
  t.navigate(1, `${LOGIN}?reason=logout`);
  t.watch.hostReady();
  assert.deepEqual(t.reports.slice(2), [[false, 'logout'], [false, 'logout']]);
  t.watch.tabRemoved(1);
  assert.equal(t.reports.length, 4, 'and no duplicates after it');
});

test('unbound (no sites): nothing is reported; sites arriving later report the current value', async () => {
  const t = await setup({ sites: [], tabs: [tab(1, APP)] });
  t.watch.hostReady();
  t.watch.tabRemoved(1);
  t.open(2, APP);
  assert.deepEqual(t.reports, []);
  assert.equal(t.watch.bound, false);
  t.watch.setSites([SITE]);
  assert.deepEqual(t.reports, [[true, 'tab_open']]);
  t.watch.setSites([{ ...SITE }]); // the same sites again: nothing new
  assert.equal(t.reports.length, 1);
  t.watch.setSites([]);
  t.watch.setSites([SITE]);
  assert.deepEqual(t.reports, [[true, 'tab_open'], [true, 'tab_open']], 'bound anew: said anew');
});

test('a site without a login pattern: its login page still counts as the app', async () => {
  const t = await setup({ sites: [{ match: 'http://127.0.0.1/*' }], tabs: [tab(1, APP)] });
  t.drain();
  t.navigate(1, LOGIN);
  assert.deepEqual(t.reports, []);
  t.watch.tabRemoved(1);
  assert.deepEqual(t.reports, [[false, 'tabs_closed']]);
});

test('two sites: the session lives while either has a live tab', async () => {
  const other = { match: 'https://crm.example.com/*', login: 'https://crm.example.com/signin*' };
  const t = await setup({ sites: [SITE, other], tabs: [tab(1, APP), tab(2, 'https://crm.example.com/leads')] });
  t.drain();
  t.navigate(1, LOGIN);
  assert.deepEqual(t.reports, []);
  t.navigate(2, 'https://crm.example.com/signin');
  assert.deepEqual(t.reports, [[false, 'timeout']]);
});

test('cookie removed explicitly, the tab stays: logout after a short wait', async () => {
  const t = await setup({ tabs: [tab(1, APP)] });
  t.drain();
  t.watch.cookieChanged({ removed: true, cause: 'explicit', cookie: { name: 'DEVPBX_SESSION', domain: '127.0.0.1' } });
  assert.equal(t.watch.active, false);
  assert.deepEqual(t.reports, []);
  t.clock.advance(COOKIE_SETTLE_MS);
  assert.deepEqual(t.reports, [[false, 'logout']]);
});

test('cookie expired: timeout; the login page landing in the wait says why instead', async () => {
  const t = await setup({ tabs: [tab(1, APP)] });
  t.drain();
  t.watch.cookieChanged({ removed: true, cause: 'expired', cookie: { name: 'DEVPBX_SESSION', domain: '127.0.0.1' } });
  t.clock.advance(COOKIE_SETTLE_MS);
  assert.deepEqual(t.reports, [[false, 'timeout']]);

  const u = await setup({ tabs: [tab(1, APP)] });
  u.drain();
  u.watch.cookieChanged({ removed: true, cause: 'expired_overwrite', cookie: { name: 'DEVPBX_SESSION', domain: '127.0.0.1' } });
  u.navigate(1, `${LOGIN}?reason=logout`);
  assert.deepEqual(u.reports, [[false, 'logout']], 'a server-side logout also expires the cookie');
  u.clock.advance(60_000);
  assert.equal(u.reports.length, 1);
});

test('cookie overwritten, of another name or another domain: nothing; set again: the session is back', async () => {
  const t = await setup({ tabs: [tab(1, APP)] });
  t.drain();
  t.watch.cookieChanged({ removed: true, cause: 'overwrite', cookie: { name: 'DEVPBX_SESSION', domain: '127.0.0.1' } });
  t.watch.cookieChanged({ removed: true, cause: 'explicit', cookie: { name: 'OTHER', domain: '127.0.0.1' } });
  t.watch.cookieChanged({ removed: true, cause: 'explicit', cookie: { name: 'DEVPBX_SESSION', domain: 'example.org' } });
  t.watch.cookieChanged(null);
  t.watch.cookieChanged({ removed: true });
  t.clock.advance(60_000);
  assert.deepEqual(t.reports, []);
  t.watch.cookieChanged({ removed: true, cause: 'explicit', cookie: { name: 'DEVPBX_SESSION', domain: '127.0.0.1' } });
  t.clock.advance(COOKIE_SETTLE_MS);
  t.navigate(1, CALLS);
  assert.deepEqual(t.reports, [[false, 'logout']], 'an app URL without the cookie is no session');
  t.watch.cookieChanged({ removed: false, cause: 'explicit', cookie: { name: 'DEVPBX_SESSION', domain: '127.0.0.1' } });
  assert.deepEqual(t.reports, [[false, 'logout'], [true, 'tab_open']]);
});

test('a site without a session cookie ignores cookie events', async () => {
  const t = await setup({ sites: [{ match: SITE.match, login: SITE.login }], tabs: [tab(1, APP)] });
  t.drain();
  t.watch.cookieChanged({ removed: true, cause: 'explicit', cookie: { name: 'DEVPBX_SESSION', domain: '127.0.0.1' } });
  t.clock.advance(60_000);
  assert.deepEqual(t.reports, []);
});

test('a tab opened while tabs.query is out counts, though the answer lacks it', async () => {
  const t = await setup({ start: false });
  let answer;
  t.setQuery(() => new Promise((resolve) => { answer = resolve; }));
  const sync = t.watch.sync();
  t.open(1, APP);
  answer([]);
  await sync;
  assert.deepEqual(t.reports, [[true, 'tab_open']]);
});

test('a tab removed while tabs.query is out stays removed', async () => {
  const t = await setup({ tabs: [tab(1, APP)] });
  t.drain();
  let answer;
  t.setQuery(() => new Promise((resolve) => { answer = resolve; }));
  const sync = t.watch.sync();
  t.watch.tabRemoved(1);
  answer([tab(1, APP)]); // the browser answered before the close
  await sync;
  assert.equal(t.watch.active, false);
  assert.deepEqual(t.reports, [[false, 'tabs_closed']]);
});

test('a report() that throws does not break the watch', async () => {
  const clock = new FakeClock();
  const watch = new SessionWatch({ queryTabs: async () => [tab(1, APP)], report: () => { throw new Error('x'); }, clock });
  watch.setSites([SITE]);
  await watch.sync();
  assert.equal(watch.reported, true);
});
