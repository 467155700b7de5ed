// The browser half of `make bench` (run by BenchmarkBrowsers in browsers_test.go,
// inside the machine's browser lock): the first word heard in Chromium and Firefox ESR,
// and what the user pays in total for a call in Chromium.
//
// First word: devpbx rings RING_MS, then answers 601 and plays its 1 kHz tone from the
// 200 OK on; per call, the time from devpbx's 200 OK (answered_at) to the tone heard in
// the softphone window (Chromium: WebAudio on the window's remote audio, played out;
// Firefox: the window's peer connection's inbound-rtp audioLevel, decoded, since Firefox
// runs no WebAudio without an audio device) and to the window's microphone tone
// arriving at devpbx (rx_tone_at). RUNS calls per browser.
//
// Cost: during one CALL_S-second 601 call with the microphone on, the CPU time
// (/proc/PID/task/*/schedstat, summed over threads) and memory (VmRSS and Pss from
// smaps_rollup) of Chromium's processes that carry the window's audio: the extension's
// renderer (the softphone window, with the background's service worker), the audio
// service and the network service; and of the host in the same call.
//
// Prints one JSON line (the last line of stdout) for the Go side's table.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import {
  startDevpbx, launchRegistered, toneWav, tempDir, randomPassword, waitFor,
  watchFirstToneInPage, firefoxHome, firefoxCallCopy, FIREFOX_CALL_PREFS, firefoxPageAt, watchFirstAudioByStatsInPage,
} from '../e2e/harness.mjs';

const RUNS = Number(process.env.TABPHONE_BENCH_RUNS ?? 3);
const RING_MS = 1000;
const CALL_S = 10;
const FIREFOX = '/usr/bin/firefox-esr';

const tmp = tempDir('tabphone-bench-browsers-');
const password = randomPassword();
const pbx = await startDevpbx(tmp.dir, { 1001: password }, { args: ['-ring', `${RING_MS}ms`] });
const calls = async () => pbx.api('/api/calls');
const callById = async (id) => (await calls()).find((c) => c.id === id);

/** Waits for a dialled 601 call at devpbx to be answered, heard and measured. */
async function measureCall(win, since) {
  const call = await waitFor(async () => (await calls()).find((c) => c.to === '601' && c.started_at >= since), { timeout: 20000, what: 'INVITE to 601' });
  const up = await waitFor(async () => { const c = await callById(call.id); return c.state === 'up' && c; }, { timeout: 10000, what: '601 answered' });
  const heard = await waitFor(() => win.evaluate(() => window.__tabphoneFirstTone), { timeout: 10000, interval: 20, what: 'tone in the window' });
  const atPBX = await waitFor(async () => { const c = await callById(call.id); return c.rx_tone_at && c; }, { timeout: 10000, what: 'microphone at devpbx' });
  return { id: call.id, heard: heard.at - up.answered_at, mic: atPBX.rx_tone_at - up.answered_at };
}

// ---- /proc ----
function procStat(pid) {
  try { return readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { return ''; }
}
function ppidOf(pid) {
  const s = procStat(pid);
  return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
}
/** The command line as one string: Chromium's child processes rewrite theirs into one. */
function cmdline(pid) {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '); } catch { return ''; }
}
function pids() { return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number); }
function cpuNs(pid) {
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try { ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]); } catch { /* thread gone */ }
  }
  return ns;
}
function memKiB(pid) {
  const m = {};
  for (const line of readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').split('\n')) {
    const [k, v] = line.split(':');
    if (k === 'Rss' || k === 'Pss') m[k.toLowerCase()] = parseInt(v, 10);
  }
  return m;
}

/** Chromium's processes of this profile that carry the window's audio, and the host. */
function chromiumProcesses(profile) {
  const all = pids();
  const dirFlag = `--user-data-dir=${profile} `;
  const browser = all.find((p) => { const c = cmdline(p); return c.includes(dirFlag) && !c.includes(' --type='); });
  if (!browser) throw new Error('Chromium browser process not found');
  // Renderers are forked by a zygote: a profile's processes are found by its directory,
  // the native host as the browser's child.
  const ours = all.filter((p) => cmdline(p).includes(dirFlag) || ppidOf(p) === browser);
  const find = (pred, what) => {
    const p = ours.find((x) => pred(cmdline(x)));
    if (!p) throw new Error(`Chromium ${what} process not found (profile ${profile})`);
    return p;
  };
  // The host the browser starts runs the phone in a detached child of its own (so a
  // browser exit cannot cut its BYE and unREGISTER short) and waits for it: both count.
  const isHost = (p) => cmdline(p).split(' ')[0].endsWith('/tabphone-host');
  const hostParent = all.find((p) => isHost(p) && ppidOf(p) === browser);
  const hostWorker = all.find((p) => isHost(p) && ppidOf(p) === hostParent);
  if (!hostParent || !hostWorker) throw new Error('tabphone-host and its detached child not found');
  return {
    renderer: find((c) => c.includes(' --type=renderer ') && c.includes(' --extension-process '), 'extension renderer'),
    audio: find((c) => c.includes(' --utility-sub-type=audio.mojom.AudioService '), 'audio service'),
    network: find((c) => c.includes(' --utility-sub-type=network.mojom.NetworkService '), 'network service'),
    host: hostWorker,
    host_parent: hostParent,
  };
}

async function chromium() {
  const b = await launchRegistered({ dir: join(tmp.dir, 'chromium'), pbx, user: '1001', password, wav: toneWav(tmp.dir, 1000), account: { codecs: ['pcmu'] } });
  const out = { heard: [], mic: [], cost: null };
  try {
    for (let i = 0; i < RUNS; i++) {
      const popup = await b.ctx.newPage();
      await popup.goto(b.url('popup/popup.html'));
      await waitFor(() => popup.getByText(/Registered/).isVisible(), { what: 'registered' });
      await popup.getByRole('textbox', { name: 'Number' }).fill('601');
      const since = Date.now();
      await popup.getByRole('button', { name: 'Dial', exact: true }).click();
      const win = await waitFor(() => b.ctx.pages().find((p) => p.url().includes('/softphone/softphone.html')), { what: 'softphone window' });
      await win.evaluate(() => { window.__tabphoneToneWatch = false; window.__tabphoneFirstTone = undefined; });
      await win.evaluate(watchFirstToneInPage, { selector: '#remote-audio', freq: 1000 });
      await popup.close(); // the extension's renderer then holds the window and the worker only
      const m = await measureCall(win, since);
      out.heard.push(m.heard);
      out.mic.push(m.mic);
      if (i === RUNS - 1) out.cost = await callCost(b.profile);
      await win.getByRole('button', { name: 'End call' }).click();
      await waitFor(async () => (await callById(m.id)).state === 'ended', { what: 'BYE at devpbx' });
      await waitFor(() => b.ctx.pages().every((p) => !p.url().includes('/softphone/softphone.html'))
        || b.ctx.pages().find((p) => p.url().includes('/softphone/softphone.html')).evaluate(() => !document.querySelector('#remote-audio')?.srcObject), { what: 'call gone from the window' });
    }
  } finally {
    await b.close();
  }
  return out;
}

/** CPU per call second and memory of each process over CALL_S seconds of the call. */
async function callCost(profile) {
  const procs = chromiumProcesses(profile);
  const before = Object.fromEntries(Object.entries(procs).map(([k, p]) => [k, cpuNs(p)]));
  const t0 = process.hrtime.bigint();
  await new Promise((r) => { setTimeout(r, CALL_S * 1000); }); // the call's fixed length: what is measured is this window
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cost = {};
  for (const [k, p] of Object.entries(procs)) {
    cost[k] = { cpu_ms_per_s: (cpuNs(p) - before[k]) / 1e6 / secs, ...memKiB(p) };
  }
  return cost;
}

async function firefox() {
  if (!existsSync(FIREFOX)) return null;
  const site = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html lang="en"><title>Contacts</title><a id="tone" href="tel:601">Tone test</a></html>');
  });
  await new Promise((r) => { site.listen(0, '127.0.0.1', r); });
  const dir = join(tmp.dir, 'firefox');
  const { env } = firefoxHome(dir, {
    accounts: [{ id: 'work', user: '1001', password, domain: pbx.sip, codecs: ['pcmu'] }],
  });
  const browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true, env, extraPrefsFirefox: FIREFOX_CALL_PREFS });
  const out = { heard: [], mic: [] };
  try {
    await browser.installExtension(firefoxCallCopy(dir));
    await waitFor(async () => (await pbx.api('/api/registrations')).some((r) => r.user === '1001'), { timeout: 20000, what: 'REGISTER from Firefox' });
    const page = await browser.newPage();
    const url = `http://127.0.0.1:${site.address().port}/`;
    for (let i = 0; i < RUNS; i++) {
      const since = Date.now();
      await waitFor(async () => {
        await page.goto(url);
        await page.click('#tone');
        return waitFor(async () => (await calls()).find((c) => c.to === '601' && c.started_at >= since), { timeout: 1500, interval: 50 }).catch(() => null);
      }, { timeout: 20000, interval: 100, what: 'the call to 601' });
      const win = await waitFor(() => firefoxPageAt(browser, '/softphone/softphone.html'), { what: 'softphone window' });
      await win.evaluate(() => { window.__tabphoneToneWatch = false; window.__tabphoneFirstTone = undefined; });
      await win.evaluate(watchFirstAudioByStatsInPage, { level: 0.1 });
      const m = await measureCall(win, since);
      out.heard.push(m.heard);
      out.mic.push(m.mic);
      await win.click('button.hangup');
      await waitFor(async () => (await callById(m.id)).state === 'ended', { what: 'BYE at devpbx' });
      await waitFor(async () => !(await win.evaluate(() => globalThis.__tabphoneMedia?.callIds.length).catch(() => 0)), { what: 'call gone from the window' });
    }
  } finally {
    await browser.close();
    site.close();
  }
  return out;
}

try {
  const result = { runs: RUNS, ring_ms: RING_MS, call_s: CALL_S, chromium: await chromium(), firefox: await firefox() };
  console.log(JSON.stringify(result));
} finally {
  pbx.stop();
  tmp.remove();
}
