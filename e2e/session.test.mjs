// Session binding, end to end in real Chromium: the phone closes 5 s after the last
// Dialer/PBX tab closes, after Menu → Logout and after a session timeout; a tab coming
// back within the 5 s cancels it; with no site configured nothing closes; and a killed
// browser still ends the call and unregisters within 2 s. Times are taken in the browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readFileSync, readlinkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import {
  CHROMIUM, startDevpbx, toneWav, launch, tempDir, randomPassword, waitFor, measureToneInPage, toneFound, screenshotBoth,
} from './harness.mjs';

const WARNING = 'Window will be closed soon, since there is no active session';
let tmp; let pbx; const password = randomPassword();

before(async () => {
  tmp = tempDir();
  pbx = await startDevpbx(tmp.dir, { 1001: password }, { args: ['-session-timeout', '10m'] });
});
after(() => { pbx?.stop(); if (!process.env.KEEP_TMP) tmp?.remove(); else console.log(`kept ${tmp.dir}`); });

function writeConfig(configDir, { bound }) {
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  const cfg = {
    accounts: [{ id: 'work', user: '1001', password, domain: pbx.sip, codecs: ['pcmu'] }],
    sites: bound ? [{ url: `${pbx.base}/app/`, match: 'http://127.0.0.1/*', login: 'http://127.0.0.1/login*' }] : [],
  };
  writeFileSync(join(configDir, 'config.json'), JSON.stringify(cfg), { mode: 0o600 });
}

async function registered() {
  return (await pbx.api('/api/registrations')).some((r) => r.user === '1001');
}

async function login(ctx) {
  const app = await ctx.newPage();
  await app.goto(`${pbx.base}/login`);
  await app.locator('input[name=user]').fill('1001');
  await app.locator('input[name=password]').fill(password);
  await Promise.all([app.waitForURL('**/app/**'), app.getByRole('button', { name: /log in|sign in/i }).click()]);
  return app;
}

const softphoneOf = (b) => waitFor(() => b.ctx.pages().find((p) => p.url().includes('/softphone/softphone.html')), { what: 'softphone window' });

/** Starts a phone bound (or not) to the demo app, logged in, with a call to 600 up. */
async function phoneInCall(name, { bound = true } = {}) {
  const dir = join(tmp.dir, name);
  mkdirSync(dir);
  writeConfig(join(dir, 'config'), { bound });
  const b = await launch({ dir, wav: toneWav(tmp.dir, 1000) });
  const app = await login(b.ctx);
  await waitFor(registered, { what: 'registration after login' });
  const popup = await b.ctx.newPage();
  await popup.goto(b.url('popup/popup.html'));
  await waitFor(() => popup.getByText(/Registered/).isVisible(), { what: 'popup registered' });
  await popup.getByRole('textbox', { name: 'Number' }).fill('600');
  const dialAt = Date.now();
  await popup.getByRole('button', { name: 'Dial', exact: true }).click();
  const win = await softphoneOf(b);
  const call = await waitFor(async () => (await pbx.api('/api/calls')).find((c) => c.to === '600' && c.state === 'up' && c.started_at >= dialAt - 50), { what: 'call up' });
  await popup.close();
  await expectEcho(win, 'before the trigger');
  // Record in the window when the warning becomes visible, on the page's own clock.
  await win.evaluate(() => {
    const el = document.getElementById('closing-warning');
    window.__warnShownAt = null;
    const check = () => {
      if (window.__warnShownAt === null && el && !el.hidden && el.offsetParent !== null) window.__warnShownAt = performance.timeOrigin + performance.now();
    };
    new MutationObserver(check).observe(document.body, { subtree: true, attributes: true, childList: true, characterData: true });
  });
  return { b, app, win, callId: call.id };
}

/** The echo service returns the microphone's 1 kHz: the call has audio both ways. */
async function expectEcho(win, when) {
  let m;
  await waitFor(async () => {
    m = await win.evaluate(measureToneInPage, { selector: '#remote-audio', freq: 1000, ms: 1000 });
    return toneFound(m, 1000);
  }, { timeout: 10000, interval: 100, what: `echo ${when}` }).catch((e) => { throw new Error(`${e.message}: ${JSON.stringify(m)}`); });
}

/** Checks the rule's timing and its effects at the PBX after a trigger at t0 (ms). */
async function expectClose({ win, callId }, t0, { screenshot = false } = {}) {
  const closed = win.waitForEvent('close', { timeout: 10000 }).then(() => Date.now());
  const shownAt = await waitFor(() => win.evaluate(() => window.__warnShownAt), { timeout: 3000, interval: 10, what: 'the warning' });
  assert.equal((await win.locator('#closing-message').textContent()).trim(), WARNING);
  // The countdown sentence is one message with the timer inside (data-i18n-around).
  assert.match(await win.locator('.countdown').textContent(), /^Closing in [0-5] s$/);
  if (screenshot) await screenshotBoth(win, 'softphone-closing-soon');
  const closedAt = await closed;
  const warnDelay = shownAt - t0;
  const closeDelay = closedAt - shownAt;
  console.log(`warning after ${warnDelay.toFixed(0)} ms, window closed ${closeDelay.toFixed(0)} ms after it`);
  assert.ok(warnDelay <= 200, `warning ${warnDelay} ms after the trigger`);
  assert.ok(Math.abs(closeDelay - 5000) <= 250, `window closed ${closeDelay} ms after the warning`);
  const c = await waitFor(async () => (await pbx.api('/api/calls')).find((x) => x.id === callId && x.state === 'ended'), { what: 'BYE' });
  assert.equal(c.ended_by, 'caller_bye');
  await waitFor(async () => !(await registered()), { what: 'no binding left' });
}

test('(a) closing the last Dialer/PBX tab closes the phone after 5 s', async () => {
  const s = await phoneInCall('tabs');
  try {
    const t0 = Date.now();
    await s.app.close();
    await expectClose(s, t0);
  } finally { await s.b.close(); }
});

test('(b) Menu → Logout closes the phone after 5 s', async () => {
  const s = await phoneInCall('logout');
  try {
    await s.app.getByText('Menu', { exact: true }).click();
    // The trigger is the click itself, on the page's clock (Playwright's own checks
    // before it clicks take time of their own).
    let clickedAt = null;
    await s.app.exposeFunction('tabphoneClickedAt', (t) => { clickedAt = t; });
    await s.app.evaluate(() => {
      document.addEventListener('click', (ev) => {
        if (ev.target.closest?.('a')?.textContent.trim() === 'Logout') window.tabphoneClickedAt(performance.timeOrigin + performance.now());
      }, true);
    });
    await s.app.getByRole('link', { name: 'Logout' }).click();
    const t0 = await waitFor(() => clickedAt, { what: 'the click on Logout' });
    await expectClose(s, t0, { screenshot: true });
  } finally { await s.b.close(); }
});

test('(c) a session timeout (server push to the login page) closes the phone after 5 s', async () => {
  const s = await phoneInCall('timeout');
  try {
    const t0 = Date.now();
    const r = await fetch(`${pbx.base}/api/sessions/expire?user=1001`, { method: 'POST' });
    assert.ok(r.ok, `expire: HTTP ${r.status}`);
    await s.app.waitForURL('**/login**');
    await expectClose(s, t0);
  } finally { await s.b.close(); }
});

test('the app back within 5 s cancels the close; the call keeps its audio', async () => {
  const s = await phoneInCall('cancel');
  try {
    const t0 = Date.now();
    await s.app.close();
    await waitFor(() => s.win.evaluate(() => window.__warnShownAt), { timeout: 3000, interval: 10, what: 'the warning' });
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + 3000 - Date.now()))); // the user comes back at 3 s
    const again = await s.b.ctx.newPage();
    await again.goto(`${pbx.base}/app/`);
    await waitFor(() => s.win.locator('#closing-warning').isHidden(), { what: 'warning gone' });
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + 6000 - Date.now()))); // past the old deadline
    assert.ok(!s.win.isClosed(), 'the window closed although the session came back');
    assert.ok(await registered(), 'unregistered although the session came back');
    const c = (await pbx.api('/api/calls')).find((x) => x.id === s.callId);
    assert.equal(c.state, 'up');
    await expectEcho(s.win, 'after the cancelled close');
  } finally { await s.b.close(); }
});

test('with no Dialer/PBX site configured, closing tabs never closes the phone', async () => {
  const s = await phoneInCall('unbound', { bound: false });
  try {
    await s.app.close();
    await new Promise((r) => setTimeout(r, 6000)); // longer than the 5 s rule
    assert.ok(!s.win.isClosed(), 'the softphone window closed');
    assert.equal(await s.win.evaluate(() => window.__warnShownAt), null);
    assert.equal((await pbx.api('/api/calls')).find((x) => x.id === s.callId).state, 'up');
  } finally { await s.b.close(); }
  // Closing the browser normally still hangs up (the host sees EOF, then SIGTERM).
  const c = await waitFor(async () => (await pbx.api('/api/calls')).find((x) => x.id === s.callId && x.state === 'ended'), { timeout: 3000, what: 'BYE after the browser closed' });
  assert.equal(c.ended_by, 'caller_bye');
});

test('Chromium killed with SIGKILL during a call: BYE and unREGISTER within 2 s', async () => {
  const s = await phoneInCall('kill');
  // The browser process: Chromium's binary, this profile, and no --type= (children have one).
  const pids = execFileSync('pgrep', ['-f', `user-data-dir=${s.b.profile}`]).toString().trim().split('\n').map(Number);
  const browserPids = pids.filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/exe`) === CHROMIUM && !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=');
    } catch { return false; }
  });
  assert.equal(browserPids.length, 1, `browser processes: ${browserPids} of ${pids}`);
  const main = browserPids[0];
  const t0 = Date.now();
  process.kill(main, 'SIGKILL');
  const c = await waitFor(async () => (await pbx.api('/api/calls')).find((x) => x.id === s.callId && x.state === 'ended'), { timeout: 5000, interval: 20, what: 'BYE' });
  await waitFor(async () => !(await registered()), { timeout: 5000, interval: 20, what: 'unREGISTER' });
  const unregAt = Date.now();
  console.log(`after SIGKILL: BYE at +${c.ended_at - t0} ms, no binding at +${unregAt - t0} ms`);
  assert.equal(c.ended_by, 'caller_bye');
  assert.ok(c.ended_at - t0 <= 2000, `BYE ${c.ended_at - t0} ms after the kill`);
  assert.ok(unregAt - t0 <= 2000, `unregistered ${unregAt - t0} ms after the kill`);
  await s.b.close();
});
