// Process faults in real Chromium with the real host and the dev PBX (issue 13, done-when
// 4, the extension side):
// - the host SIGKILLed during a call: the popup and the softphone window say the phone
//   stopped and show the call ended; the background starts a new host at once, then
//   with growing waits while it keeps dying (never a hot loop); the killed hosts'
//   bindings stay at the PBX until they expire (a killed host cannot unregister) and
//   every new host registers once;
// - the service worker stopped by the browser (CDP ServiceWorker.stopAllWorkers) during a
//   call: the call goes on (audio measured across the stop, the same host, one binding)
//   and End call still works through the new worker;
// - the worker stopped while idle: with the softphone window open the same host goes on;
//   with no page open the host ends after its 1 s grace and unregisters, and the wake
//   alarm brings the phone back registered by itself.
// The host is found through /proc: the detached host process (TABPHONE_HOST_DETACHED=1)
// whose TABPHONE_CONFIG_DIR is this browser's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startDevpbx, launchRegistered, toneWav, tempDir, randomPassword, waitFor, waitToneInWindow,
  measureToneInPage, toneFound, screenshotBoth,
} from './harness.mjs';

let tmp; let pbx; const password = randomPassword();

before(async () => {
  tmp = tempDir('tabphone-faults-');
  // One user per test: a killed host's binding stays until it expires, and must not
  // count in the next test.
  pbx = await startDevpbx(tmp.dir, { 1001: password, 1002: password, 1003: password });
});
after(() => { pbx?.stop(); tmp?.remove(); });

/** The running host processes of one browser: pid and whether it holds the phone. */
function hostProcesses(configDir) {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const env = readFileSync(`/proc/${d}/environ`, 'utf8').split('\0');
      if (!env.includes(`TABPHONE_CONFIG_DIR=${configDir}`) || !env.includes('TABPHONE_HOST_DETACHED=1')) continue;
      if (!readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('tabphone-host')) continue;
      const state = readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]?.[0];
      if (state !== 'Z') out.push(Number(d));
    } catch { /* gone meanwhile */ }
  }
  return out;
}

function alive(pid) {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch { return false; }
}

/** The host log's lines about starts, handovers and ends. */
const hostLog = (b) => readFileSync(join(b.logDir, 'host.log'), 'utf8').split('\n')
  .filter((l) => /started|successor|relayed|closed the port|exited/.test(l)).join('\n');

let user = '1001'; // the current test's
const bindings = async () => (await pbx.api('/api/registrations')).filter((r) => r.user === user);

async function phone(name, as) {
  user = as;
  const b = await launchRegistered({ dir: join(tmp.dir, name), pbx, user, password, wav: toneWav(tmp.dir, 1000) });
  const popup = await b.ctx.newPage();
  await popup.setViewportSize({ width: 340, height: 560 });
  await popup.goto(b.url('popup/popup.html'));
  await waitFor(() => popup.getByText(/Registered/).isVisible(), { what: 'popup shows registered' });
  return { b, popup };
}

async function dial600(b, popup) {
  await popup.getByRole('textbox', { name: 'Number' }).fill('600');
  const at = Date.now();
  await popup.getByRole('button', { name: 'Dial', exact: true }).click();
  const win = await waitFor(() => b.ctx.pages().find((p) => p.url().includes('/softphone/softphone.html')), { what: 'softphone window' });
  const call = await waitFor(async () => (await pbx.api('/api/calls')).find((c) => c.to === '600' && c.state === 'up' && c.started_at >= at - 1000), { what: 'call to 600 up' });
  await waitToneInWindow(win, 1000);
  return { win, callId: call.id };
}

/** Records, in the page, every text an element shows (for words shown only briefly). */
function recordTexts(page, selectors) {
  return page.evaluate((sels) => {
    window.__seen = Object.fromEntries(sels.map((s) => [s, []]));
    const look = () => {
      for (const s of sels) {
        const el = document.querySelector(s);
        const text = el && !el.hidden ? el.textContent.trim() : '';
        const seen = window.__seen[s];
        if (text && seen.at(-1) !== text) seen.push(text);
      }
    };
    new MutationObserver(look).observe(document.body, { subtree: true, attributes: true, childList: true, characterData: true });
  }, selectors);
}
const seenTexts = (page, selector) => page.evaluate((s) => window.__seen[s], selector);

test('host SIGKILLed during a call: the pages say the phone stopped, the call shows ended, a new host registers; killed again and again it restarts with growing waits', async () => {
  const { b, popup } = await phone('kill', '1001');
  try {
    const { win, callId } = await dial600(b, popup);
    const [host] = hostProcesses(b.configDir);
    assert.ok(host, 'no host process found');
    const before = await bindings();
    assert.equal(before.length, 1);
    await recordTexts(win, ['#host-problem', '#last-call']);
    await recordTexts(popup, ['#host-problem']);

    const t0 = Date.now();
    process.kill(host, 'SIGKILL');
    // The window: the words, the call ended, no End call left.
    await waitFor(async () => (await seenTexts(win, '#host-problem')).some((s) => /The Tabphone host stopped/.test(s)), { timeout: 5000, interval: 20, what: 'the window says the host stopped' });
    await waitFor(async () => /Call ended: the phone stopped/.test(await win.locator('#last-call').textContent()), { timeout: 5000, what: 'the call shown ended in the window' });
    const shownAt = Date.now() - t0;
    assert.equal(await win.getByRole('button', { name: 'End call' }).count(), 0);
    await waitFor(async () => (await seenTexts(popup, '#host-problem')).some((s) => /The Tabphone host stopped/.test(s)), { timeout: 5000, interval: 20, what: 'the popup says the host stopped' });
    await waitFor(() => popup.locator('#call-state').getByText(/Call ended: the phone stopped/).isVisible(), { timeout: 5000, what: 'the call shown ended in the popup' });
    await screenshotBoth(win, 'softphone-host-stopped');

    // Restarted at once (0.5 s): a new host, registered again.
    const second = await waitFor(() => hostProcesses(b.configDir).find((p) => p !== host), { timeout: 5000, interval: 20, what: 'a new host' });
    const restartedAt = Date.now() - t0;
    await waitFor(async () => (await bindings()).length === 2, { timeout: 10000, what: 'the new host registered' });
    await waitFor(() => popup.getByText(/Registered/).isVisible(), { what: 'popup registered again' });
    // The killed host could not unregister: its binding stays as it was, to expire.
    const after1 = await bindings();
    const old = after1.find((r) => r.contact === before[0].contact);
    assert.ok(old, `the killed host's binding: ${JSON.stringify(after1)}`);
    assert.equal(old.expires_at, before[0].expires_at, 'the killed host\'s binding was refreshed');
    // The PBX saw the call end (the media stopped; the PBX ends it by its own timers) or it is
    // still up there: either way not ours any more. The window shows no call.
    console.log(`host killed: words and ended call shown after ${shownAt} ms, new host after ${restartedAt} ms (call ${callId})`);

    // A crash loop: each new host killed as soon as it says hello; the waits grow.
    const gaps = [];
    let victim = second;
    for (let i = 0; i < 3; i++) {
      await waitFor(() => popup.getByText(/Registered/).isVisible(), { timeout: 15000, what: `registered before kill ${i + 2}` });
      const killedAt = Date.now();
      process.kill(victim, 'SIGKILL');
      const next = await waitFor(() => hostProcesses(b.configDir).find((p) => p !== victim && alive(p)), { timeout: 15000, interval: 20, what: `host after kill ${i + 2}` });
      gaps.push(Date.now() - killedAt);
      victim = next;
    }
    console.log(`crash loop: restarted after ${gaps.join(', ')} ms`);
    assert.ok(gaps[0] >= 900 && gaps[1] >= 1900 && gaps[2] >= 3900, `waits do not grow (want ≥ 1 s, 2 s, 4 s): ${gaps}`);
    await waitFor(() => popup.getByText(/Registered/).isVisible(), { timeout: 15000, what: 'registered after the loop' });
    // One binding per host that ever ran (five), the killed ones left to expire; one host runs.
    const end = await bindings();
    assert.equal(end.length, 5, JSON.stringify(end));
    assert.deepEqual(hostProcesses(b.configDir), [victim]);
  } finally {
    await b.close();
  }
});

/** Stops every service worker of the extension's storage partition through CDP. */
async function stopWorkers(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('ServiceWorker.enable');
  await cdp.send('ServiceWorker.stopAllWorkers');
  await cdp.detach();
}

/** A marker in the worker's globals: gone once the worker was restarted. */
const markWorker = (b) => b.sw.evaluate(() => { globalThis.__tabphoneTestMark = true; });
async function workerRestarted(b) {
  for (const w of b.ctx.serviceWorkers()) {
    if (!w.url().startsWith(b.url(''))) continue;
    if (await w.evaluate(() => globalThis.__tabphoneTestMark !== true).catch(() => false)) return true;
  }
  return false;
}

test('service worker stopped during a call: the call and its audio go on, the same host, End call works through the new worker', async () => {
  const { b, popup } = await phone('swcall', '1002');
  try {
    const { win, callId } = await dial600(b, popup);
    await popup.close();
    const [host] = hostProcesses(b.configDir);
    const before = await bindings();
    await markWorker(b);
    // Measure 4 s of audio in the window with the stop 1 s into it.
    const measuring = win.evaluate(measureToneInPage, { selector: '#remote-audio', freq: 1000, ms: 4000 });
    await new Promise((r) => setTimeout(r, 1000));
    const t0 = Date.now();
    await stopWorkers(win);
    const m = await measuring;
    assert.ok(toneFound(m, 1000), `the echo during the stop: ${JSON.stringify(m)}`);
    await waitFor(() => workerRestarted(b), { timeout: 10000, what: 'a new worker' });
    const after = await waitToneInWindow(win, 1000);
    assert.equal((await pbx.api('/api/calls')).find((c) => c.id === callId).state, 'up');
    assert.ok(alive(host), 'the host that held the call is gone');
    assert.deepEqual(await bindings(), before, 'the registration changed');
    // The window is served by the new worker: its End call reaches the host, which hangs up.
    const end = win.getByRole('button', { name: 'End call' });
    await waitFor(() => end.isVisible(), { what: 'End call still shown' });
    await end.click();
    const c = await waitFor(async () => (await pbx.api('/api/calls')).find((x) => x.id === callId && x.state === 'ended'), { timeout: 10000, what: 'BYE after the worker restart' });
    assert.equal(c.ended_by, 'caller_bye');
    console.log(`worker stopped in a call: echo ${m.dbfs.toFixed(1)} dBFS across the stop, ${after.dbfs.toFixed(1)} dBFS after; BYE ${c.ended_at - t0} ms after the stop; host ${host} kept`);
  } finally {
    await b.close();
  }
});

test('service worker stopped while idle: with the window open the same host goes on; with no page open the phone unregisters and the wake alarm registers it again', async () => {
  const { b, popup } = await phone('swidle', '1003');
  try {
    // The softphone window open (it opens with the Dialer/PBX session): it wakes the new worker.
    const winLoad = b.ctx.waitForEvent('page', { predicate: (p) => p.url().includes('/softphone/') });
    await b.sw.evaluate(() => chrome.windows.create({ url: chrome.runtime.getURL('softphone/softphone.html'), type: 'popup', width: 380, height: 600 }));
    const win = await winLoad;
    await popup.close();
    const [host] = hostProcesses(b.configDir);
    const before = await bindings();
    await markWorker(b);
    await stopWorkers(win);
    await waitFor(() => workerRestarted(b), { timeout: 10000, what: 'a new worker' });
    await new Promise((r) => setTimeout(r, 1500)); // past the host's 1 s grace
    assert.ok(alive(host), 'the host ended although the window was open');
    assert.deepEqual(await bindings(), before);
    assert.deepEqual(hostProcesses(b.configDir).filter((p) => p !== host).length, 1, 'one relay for the new worker');

    // No page open: nothing wakes the new worker at once; the host ends after its grace.
    await win.close();
    const blank = await b.ctx.newPage(); // a web page: it wakes no worker
    for (const p of b.ctx.pages()) if (p !== blank) await p.close();
    // The wake alarm starts its 30 s over now, so its wake comes well after the grace.
    const sw = b.ctx.serviceWorkers().filter((w) => w.url().startsWith(b.url(''))).at(-1);
    await sw.evaluate(() => chrome.alarms.create('tabphone-wake', { periodInMinutes: 0.5 }));
    const t0 = Date.now();
    await stopWorkers(blank);
    await waitFor(async () => (await bindings()).length === 0, { timeout: 5000, interval: 20, what: 'unregistered after the grace' }).catch((e) => {
      throw new Error(`${e.message}; host.log:\n${hostLog(b)}\ndevpbx:\n${pbx.logs().split('\n').filter((l) => /regist/i.test(l)).slice(-6).join('\n')}`);
    });
    const goneAt = Date.now() - t0;
    await waitFor(() => !alive(host), { timeout: 5000, what: 'the host ended' });
    // The alarm wakes a worker, which starts the phone again.
    await waitFor(async () => (await bindings()).length === 1, { timeout: 40000, interval: 200, what: 'registered again by itself' });
    const backAt = Date.now() - t0;
    assert.equal(hostProcesses(b.configDir).length, 1);
    console.log(`worker stopped while idle: window open → host ${host} kept, binding unchanged; no page → unregistered after ${goneAt} ms, registered again after ${backAt} ms`);
  } finally {
    await b.close();
  }
});
