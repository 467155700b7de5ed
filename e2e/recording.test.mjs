// Call recording, end to end: real Chromium with the extension and the host, the dev
// PBX's 601 (a 1 kHz tone), the fake microphone at 440 Hz. With "Allow call recording"
// on, Record in the softphone window records 5 s; Stop saves the file through the
// downloads API into a folder this test controls. ffmpeg (Debian) decodes it, and the
// decoded PCM must hold both the PBX's tone and the microphone's for about 5 s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  mkdirSync, cpSync, readFileSync, writeFileSync, existsSync, statSync,
} from 'node:fs';
import { join, dirname, basename } from 'node:path';
import {
  startDevpbx, writeHostConfig, toneWav, launch, tempDir, randomPassword, waitFor, waitToneInWindow, screenshotBoth,
  extDir, inCI, measureToneInPage,
} from './harness.mjs';
import { ANNOUNCE_HZ } from '../extension/lib/conference.js';

const micTone = 440;
const pbxTone = 1000; // devpbx 601
const RATE = 16000;

let tmp; let pbx; let b; let downloads; const password = randomPassword();

const ffmpeg = ['/usr/bin/ffmpeg', '/bin/ffmpeg'].find((p) => existsSync(p));
const skipWhy = ffmpeg ? false : (inCI ? false : 'ffmpeg is not installed (scripts/deps.sh installs it)');

/**
 * A copy of the extension with the downloads permission granted at install (same key,
 * same ID): automation cannot answer the prompt the options page raises when recording
 * is turned on (that click is covered by extension/test/options.test.js).
 */
function extensionWithDownloads(dir) {
  const copy = join(dir, 'extension');
  cpSync(extDir, copy, { recursive: true, filter: (src) => !src.startsWith(join(extDir, 'test')) });
  const m = JSON.parse(readFileSync(join(copy, 'manifest.json'), 'utf8'));
  m.permissions = [...m.permissions, 'downloads'];
  writeFileSync(join(copy, 'manifest.json'), JSON.stringify(m, null, 2));
  return copy;
}

before(async () => {
  if (skipWhy) return;
  tmp = tempDir();
  pbx = await startDevpbx(tmp.dir, { 1001: password });
  const dir = join(tmp.dir, 'phone');
  mkdirSync(dir);
  writeHostConfig(join(dir, 'config'), { user: '1001', password, sip: pbx.sip, codecs: ['pcmu'] });
  // The profile's download folder is this test's, with no Save As prompt (a user's
  // browser asks only when they chose so).
  downloads = join(tmp.dir, 'downloads');
  mkdirSync(downloads);
  mkdirSync(join(dir, 'profile', 'Default'), { recursive: true });
  writeFileSync(join(dir, 'profile', 'Default', 'Preferences'), JSON.stringify({
    download: { default_directory: downloads, prompt_for_download: false, directory_upgrade: true },
  }));
  b = await launch({ dir, wav: toneWav(tmp.dir, micTone), extension: extensionWithDownloads(tmp.dir) });
  await b.sw.evaluate(() => chrome.storage.local.set({ callRecordingAllowed: true, callRecordingAnnounce: false }));
});

after(async () => {
  await b?.close();
  pbx?.stop();
  tmp?.remove();
});

/** Goertzel power of freq in 16-bit mono PCM samples (Hann window), per sample². */
function goertzel(samples, freq, rate) {
  const w = (2 * Math.PI * freq) / rate;
  const c = 2 * Math.cos(w);
  let s1 = 0; let s2 = 0;
  const n = samples.length;
  for (let i = 0; i < n; i++) {
    const hann = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
    const s0 = (samples[i] / 32768) * hann + c * s1 - s2;
    s2 = s1; s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - c * s1 * s2) / (n * n);
}

/** Per 100 ms block: the power at each frequency; returns the blocks where each tone leads the quiet probes 100×. */
function toneBlocks(samples, freqs, quiet) {
  const block = RATE / 10;
  const counts = Object.fromEntries(freqs.map((f) => [f, 0]));
  let blocks = 0;
  for (let at = 0; at + block <= samples.length; at += block) {
    const x = samples.subarray(at, at + block);
    const noise = Math.max(...quiet.map((f) => goertzel(x, f, RATE)), 1e-12);
    for (const f of freqs) if (goertzel(x, f, RATE) > 100 * noise) counts[f]++;
    blocks++;
  }
  return { blocks, counts };
}

test('Record saves the call (the PBX\'s tone and the microphone) through the downloads API; ffmpeg decodes about 5 s holding both', { skip: skipWhy }, async () => {
  const popup = await b.ctx.newPage();
  // Playwright routes downloads through DevTools, which names files by a GUID and so
  // hides the name the extension chose: give them back to the browser's own handling.
  const cdp = await b.ctx.newCDPSession(popup);
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'default' });
  await popup.setViewportSize({ width: 340, height: 560 });
  await popup.goto(b.url('popup/popup.html'));
  await waitFor(() => popup.getByText(/Registered/).isVisible(), { timeout: 15000, what: 'registered' });
  await popup.getByRole('textbox', { name: 'Number' }).fill('601');
  await popup.getByRole('button', { name: 'Dial', exact: true }).click();
  const win = await waitFor(() => b.ctx.pages().find((p) => p.url().includes('/softphone/softphone.html')), { what: 'softphone window' });
  const call = win.locator('li.call');
  await waitFor(() => call.getByText(/^Connected \d\d:\d\d$/).isVisible(), { timeout: 15000, what: 'call to 601 connected' });
  await waitToneInWindow(win, pbxTone);

  const record = call.getByRole('button', { name: 'Record', exact: true });
  assert.ok(await record.isVisible(), 'Record shows with "Allow call recording" on');
  await record.click();
  const indicator = win.locator('#recording-indicator');
  await waitFor(() => indicator.getByText(/^Recording 00:0[1-9]$/).isVisible(), { what: 'the recording indicator' });
  assert.equal(await win.evaluate(() => document.documentElement.dataset.recording !== ''), true);
  await screenshotBoth(win, 'softphone-recording');
  await waitFor(() => indicator.getByText('Recording 00:05').isVisible(), { timeout: 10000, interval: 50, what: '5 s recorded' });
  await call.getByRole('button', { name: 'Stop recording' }).click();
  const saved = await waitFor(async () => {
    const text = await indicator.textContent();
    return /^Recording saved to your downloads: /.test(text) && text;
  }, { timeout: 10000, what: 'the saved line' });
  const name = saved.replace(/^Recording saved to your downloads: /, '');
  assert.match(name, /^tabphone-\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d-601-[4-7]s\.webm$/);

  const item = await waitFor(async () => {
    const items = await b.sw.evaluate(() => chrome.downloads.search({}));
    return items.find((d) => d.state === 'complete' && basename(d.filename) === name) ?? false;
  }, { timeout: 10000, what: 'the download complete' }).catch(async (e) => {
    throw new Error(`${e.message}: ${JSON.stringify(await b.sw.evaluate(() => chrome.downloads.search({})))}`);
  });
  assert.equal(dirname(item.filename), downloads, 'saved into the folder the browser was given');
  assert.ok(statSync(item.filename).size > 1000);

  const pcm = execFileSync(ffmpeg, ['-v', 'error', '-i', item.filename, '-f', 's16le', '-ac', '1', '-ar', String(RATE), '-'], { maxBuffer: 64 << 20 });
  const samples = new Int16Array(pcm.buffer, pcm.byteOffset, Math.floor(pcm.length / 2));
  const seconds = samples.length / RATE;
  const { blocks, counts } = toneBlocks(samples, [pbxTone, micTone], [700, 1700, 2500]);
  console.log(`recording ${name}: ${item.fileSize ?? statSync(item.filename).size} bytes, ${seconds.toFixed(2)} s decoded; ` +
    `${pbxTone} Hz in ${counts[pbxTone]}/${blocks} blocks, ${micTone} Hz in ${counts[micTone]}/${blocks} blocks`);
  assert.ok(seconds >= 4 && seconds <= 7, `about 5 s decoded: ${seconds} s`);
  assert.ok(counts[pbxTone] >= 0.8 * blocks, `the PBX's ${pbxTone} Hz throughout: ${counts[pbxTone]}/${blocks}`);
  assert.ok(counts[micTone] >= 0.8 * blocks, `the microphone's ${micTone} Hz throughout: ${counts[micTone]}/${blocks}`);

  await call.getByRole('button', { name: 'End call' }).click();
  await waitFor(async () => (await win.locator('li.call').count()) === 0, { what: 'call ended' });
});

test('the announcement: with "Play a short beep" on, Record plays the beep here and sends the tone to the far party (600 echoes it back)', { skip: skipWhy }, async () => {
  await b.sw.evaluate(() => chrome.storage.local.set({ callRecordingAnnounce: true }));
  const popup = b.ctx.pages().find((p) => p.url().includes('/popup/popup.html'));
  await popup.getByRole('textbox', { name: 'Number' }).fill('600');
  await popup.getByRole('button', { name: 'Dial', exact: true }).click();
  const win = await waitFor(() => b.ctx.pages().find((p) => p.url().includes('/softphone/softphone.html')), { what: 'softphone window' });
  const call = win.locator('li.call');
  await waitFor(() => call.getByText(/^Connected \d\d:\d\d$/).isVisible(), { timeout: 15000, what: 'call to 600 connected' });
  await waitToneInWindow(win, micTone); // the echo is up
  const beepsBefore = await win.evaluate(() => window.__tabphoneTones.filter((t) => t.kind === 'beep').length);
  // Start measuring the echo, then press Record while it runs.
  const measuring = win.evaluate(measureToneInPage, { selector: '#remote-audio', freq: ANNOUNCE_HZ, ms: 2500 });
  await call.getByRole('button', { name: 'Record', exact: true }).click();
  const m = await measuring;
  const quiet = Math.max(m.power[700], m.power[1700], m.power[2500]);
  console.log(`announcement: ${ANNOUNCE_HZ} Hz echoed ${m.power[ANNOUNCE_HZ].toExponential(1)} vs quiet ${quiet.toExponential(1)}`);
  assert.ok(m.power[ANNOUNCE_HZ] > 100 * quiet, `the far party got the ${ANNOUNCE_HZ} Hz tone: ${JSON.stringify(m.power)}`);
  assert.equal(await win.evaluate(() => window.__tabphoneTones.filter((t) => t.kind === 'beep').length), beepsBefore + 1, 'the user heard the beep');
  await call.getByRole('button', { name: 'Stop recording' }).click();
  await waitFor(() => win.locator('#recording-indicator').getByText(/^Recording saved to your downloads: .*-600-\d+s\.webm$/).isVisible(), { what: 'saved' });
  await call.getByRole('button', { name: 'End call' }).click();
  await waitFor(async () => (await win.locator('li.call').count()) === 0, { what: 'call ended' });
});

test('options: the call recording settings (screenshot)', { skip: skipWhy }, async () => {
  const page = await b.ctx.newPage();
  await page.setViewportSize({ width: 760, height: 900 });
  await page.goto(b.url('options/options.html'));
  const allow = page.getByRole('checkbox', { name: 'Allow call recording' });
  await waitFor(() => allow.isChecked(), { what: 'the switch shows the stored setting' });
  assert.equal(await allow.isDisabled(), false);
  assert.equal(await page.getByRole('checkbox', { name: 'Play a short beep when recording starts' }).isChecked(), true);
  await page.locator('#call-recording').scrollIntoViewIfNeeded();
  await screenshotBoth(page, 'options-recording');
  await page.close();
});
