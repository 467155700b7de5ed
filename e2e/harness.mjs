// Starts the real parts for end-to-end runs and the demo: the dev PBX, a throwaway
// Chromium profile with the host installed into it, and Chromium with the extension.
import { spawn, execFileSync } from 'node:child_process';
import {
  mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, existsSync, cpSync, appendFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { randomBytes, generateKeyPairSync, createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const extDir = join(root, 'extension');
export const hostBin = join(root, 'bin', 'tabphone-host');
export const devpbxBin = join(root, 'bin', 'tabphone-devpbx');
export const securePeersBin = join(root, 'bin', 'tabphone-securepeers');
export const EXTENSION_ID = 'fofiikfolgbiahjjnmckkiaefainepgm';
export const CHROMIUM = '/usr/lib/chromium/chromium';

/** Under CI=true (as CI services set it) a missing browser or peer is a failure. */
export const inCI = process.env.CI === 'true' || process.env.CI === '1';

/**
 * The skip option for a test that needs something this machine may lack: the reason
 * outside CI, false under CI=true, so the test runs and fails instead of passing green
 * by skipping (the Go tests' peerbin does the same).
 */
export function skipUnlessCI(reason) {
  return reason && !inCI ? reason : false;
}

/** Polls fn until it returns a truthy value or the deadline passes. */
export async function waitFor(fn, { timeout = 10000, interval = 50, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${last})`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/**
 * Waits until the popup says `user` is registered: its first line says "1001 · Registered",
 * the full words with the domain are its tooltip.
 */
export function waitRegistered(popup, user, { timeout = 15000 } = {}) {
  return waitFor(async () => (await popup.locator('#registration').getAttribute('title'))?.startsWith(`Registered as ${user} at `),
    { timeout, what: `${user} registered` });
}

/** Starts tabphone-devpbx on free loopback ports with the given users. */
export async function startDevpbx(dir, users, { sip = '127.0.0.1:0', http = '127.0.0.1:0', args: extraArgs = [] } = {}) {
  const usersFile = join(dir, 'users.txt');
  writeFileSync(usersFile, Object.entries(users).map(([u, p]) => `${u}:${p}`).join('\n') + '\n', { mode: 0o600 });
  const proc = spawn(devpbxBin, ['-sip', sip, '-http', http, '-users', usersFile, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const ready = await new Promise((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`devpbx did not start: ${stderr}`)), 10000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/devpbx ready sip=(\S+) http=(\S+)/);
      if (m) { clearTimeout(timer); res({ sip: m[1], http: m[2] }); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); rej(new Error(`devpbx exited ${code}: ${stderr}`)); });
  });
  const base = `http://${ready.http}`;
  return {
    ...ready,
    base,
    proc,
    logs: () => stderr,
    async api(path) {
      const r = await fetch(base + path);
      if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
      return r.json();
    },
    stop() { proc.kill('SIGTERM'); },
  };
}

/**
 * Starts tabphone-securepeers (internal/cmd/securepeers): Kamailio, rtpengine and
 * baresip as the Go tests run them. Resolves to { skip } when a peer is not installed
 * outside CI (under CI=true that is an error), else to the peers' ready line plus
 * command(line) (one JSON answer per line, see the program's commands.go) and stop().
 * args go to the program: ['-blf'] starts the busy lamp peers instead (its blf.go).
 */
export async function startSecurePeers(args = []) {
  if (!existsSync(securePeersBin)) throw new Error(`${securePeersBin} is missing: run make build`);
  const proc = spawn(securePeersBin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((res) => proc.on('exit', (code, signal) => res({ code, signal })));
  // Lines from stdout, each handed to the oldest waiting reader.
  const waiting = [];
  let buf = '';
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (d) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      waiting.shift()?.resolve(line);
    }
  });
  exited.then(({ code, signal }) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`securepeers exited (${code ?? signal}): ${stderr}`));
  });
  const nextLine = (timeout) => new Promise((resolve, reject) => {
    const w = { resolve, reject };
    const timer = setTimeout(() => {
      const i = waiting.indexOf(w);
      if (i >= 0) waiting.splice(i, 1);
      reject(new Error(`securepeers did not answer in ${timeout} ms: ${stderr}`));
    }, timeout);
    w.resolve = (line) => { clearTimeout(timer); resolve(JSON.parse(line)); };
    w.reject = (e) => { clearTimeout(timer); reject(e); };
    waiting.push(w);
  });
  const stop = async () => {
    proc.stdin.end();
    const timer = setTimeout(() => proc.kill('SIGTERM'), 10000);
    await exited;
    clearTimeout(timer);
  };
  let first;
  try {
    first = await nextLine(30000);
  } catch (e) {
    await stop();
    throw e;
  }
  if (first.skip) { await stop(); return { skip: first.skip }; }
  if (first.error) { await stop(); throw new Error(`securepeers: ${first.error}\n${stderr}`); }
  let queue = Promise.resolve();
  return {
    ...first,
    logs: () => stderr,
    /** Sends one command line and resolves to its JSON answer (commands run in order). */
    command(line) {
      const answer = queue.then(() => {
        const next = nextLine(10000);
        proc.stdin.write(`${line}\n`);
        return next;
      });
      queue = answer.catch(() => {});
      return answer;
    },
    /**
     * Runs fn; on failure first runs cleanup (e.g. ends a call left up, so the next test
     * starts without one), then leaves every peer's log in dir and names it in the error.
     */
    async keepLogsOnFailure(dir, fn, cleanup = async () => {}) {
      try {
        await fn();
      } catch (e) {
        await cleanup().catch(() => {});
        try {
          mkdirSync(dir, { recursive: true });
          for (const [peer, log] of Object.entries(await this.command('logs'))) writeFileSync(join(dir, `${peer}.log`), log);
          writeFileSync(join(dir, 'securepeers.log'), stderr);
          e.message += `\n(peer logs in ${dir})`;
        } catch (logErr) {
          e.message += `\n(peer logs unavailable: ${logErr.message})`;
        }
        throw e;
      }
    },
    stop,
  };
}

/**
 * Writes cfg as the host's config.json in dir, launches Chromium with the extension and
 * opens its popup at the toolbar's width; returns the browser and the popup page.
 */
export async function launchWithPopup({ dir, cfg, wav, height = 560 }) {
  const configDir = join(dir, 'config');
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(configDir, 'config.json'), JSON.stringify(cfg, null, 2), { mode: 0o600 });
  const b = await launch({ dir, wav });
  const popup = await b.ctx.newPage();
  await popup.setViewportSize({ width: 340, height });
  await popup.goto(b.url('popup/popup.html'));
  return { b, popup };
}

/** Writes the host's config for one account on the dev PBX. */
export function writeHostConfig(configDir, { user, password, sip, codecs = ['pcmu'], ...account }) {
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  const cfg = {
    accounts: [{ id: 'work', user, password, domain: sip, codecs, auto_answer: { enabled: false, seconds: 5 }, ...account }],
    default_account: 'work',
    status: 'available',
  };
  writeFileSync(join(configDir, 'config.json'), JSON.stringify(cfg, null, 2), { mode: 0o600 });
}

/** Makes a 30 s mono 48 kHz sine WAV for the fake microphone. */
export function toneWav(dir, freq = 1000) {
  const wav = join(dir, `tone-${freq}.wav`);
  if (!existsSync(wav)) {
    execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', wav, 'synth', '30', 'sine', String(freq), 'vol', '0.5']);
  }
  return wav;
}

/**
 * A copy of extension/ in dir with a key of its own, so its own extension ID: a
 * machine-wide browser policy written for that ID reaches no other Tabphone on this
 * machine (another test run's). Returns { dir, id }.
 */
export function extensionWithOwnKey(dir) {
  const out = join(dir, 'extension');
  const tests = join(extDir, 'test');
  cpSync(extDir, out, { recursive: true, filter: (src) => src !== tests && !src.startsWith(`${tests}/`) });
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const manifestPath = join(out, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  manifest.key = der.toString('base64');
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  // Chromium's ID: the first 128 bits of the key's SHA-256, hex digits 0-f written a-p.
  const id = [...createHash('sha256').update(der).digest('hex').slice(0, 32)]
    .map((c) => String.fromCharCode(97 + parseInt(c, 16))).join('');
  return { dir: out, id };
}

/**
 * Launches Chromium with the extension and the host installed into a fresh profile.
 * `extension` loads another directory (a copy with test changes; same key, same ID,
 * unless `extensionId` names the copy's own: the host manifest then allows it too);
 * `installHost: false` leaves the host out, as on a machine where it was never installed.
 * Returns { ctx, sw, dir, configDir, logDir, close }.
 */
export async function launch({
  dir, headless = true, wav, env = {}, args = [], extension = extDir, extensionId = EXTENSION_ID, installHost = true,
}) {
  const profile = join(dir, 'profile');
  const configDir = join(dir, 'config');
  const logDir = join(dir, 'log');
  mkdirSync(profile, { recursive: true });
  if (installHost) execFileSync(hostBin, ['install', '--browser', 'chromium', '--profile', profile]);
  if (installHost && extensionId !== EXTENSION_ID) {
    const hostManifest = join(profile, 'NativeMessagingHosts', 'com.tabphone.host.json');
    const m = JSON.parse(readFileSync(hostManifest, 'utf8'));
    m.allowed_origins.push(`chrome-extension://${extensionId}/`);
    writeFileSync(hostManifest, JSON.stringify(m, null, 2));
  }
  const flags = [
    `--disable-extensions-except=${extension}`, `--load-extension=${extension}`,
    '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ...args,
  ];
  if (wav) {
    flags.push('--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${wav}`);
  }
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless,
    ignoreDefaultArgs: ['--disable-extensions'],
    args: flags,
    env: { ...process.env, TABPHONE_CONFIG_DIR: configDir, TABPHONE_LOG_DIR: logDir, ...env },
    viewport: null,
  });
  const prefix = `chrome-extension://${extensionId}/`;
  const sw = ctx.serviceWorkers().find((w) => w.url().startsWith(prefix))
    ?? await ctx.waitForEvent('serviceworker', { predicate: (w) => w.url().startsWith(prefix), timeout: 15000 });
  return {
    ctx, sw, profile, configDir, logDir,
    url: (path) => prefix + path,
    async close() { await ctx.close().catch(() => {}); },
  };
}

/**
 * A phone registered at the dev PBX: writes the host's config for user into dir/config,
 * launches Chromium with the extension (and the fake microphone playing wav, if given)
 * and waits for the REGISTER at devpbx. Returns launch()'s browser.
 */
export async function launchRegistered({ dir, pbx, user, password, wav, account = {} }) {
  mkdirSync(dir, { recursive: true });
  writeHostConfig(join(dir, 'config'), { user, password, sip: pbx.sip, ...account });
  const b = await launch({ dir, wav });
  await waitFor(async () => (await pbx.api('/api/registrations')).some((r) => r.user === user), { what: `REGISTER of ${user} at devpbx` });
  return b;
}

/**
 * Where the E2E run leaves its screenshots: e2e/out/screenshots (ignored by git), so
 * `make test` leaves the tree as it was; `make screenshots` sets
 * TABPHONE_SCREENSHOTS=docs to refresh the ones the README shows.
 */
export const screenshotDir = process.env.TABPHONE_SCREENSHOTS === 'docs'
  ? join(root, 'docs', 'screenshots')
  : join(root, 'e2e', 'out', 'screenshots');
mkdirSync(screenshotDir, { recursive: true });

/**
 * Screenshots a page in the light and in the dark colour scheme (prefers-color-scheme):
 * NAME.png and NAME-dark.png in screenshotDir; the page is left in its own scheme.
 */
export async function screenshotBoth(page, name, { fullPage = false } = {}) {
  for (const [scheme, suffix] of [['light', ''], ['dark', '-dark']]) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: join(screenshotDir, `${name}${suffix}.png`), fullPage });
  }
  await page.emulateMedia({ colorScheme: null });
}

/** A temp dir removed by the returned cleanup. */
export function tempDir(prefix = 'tabphone-e2e-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function randomPassword() {
  return randomBytes(12).toString('base64url');
}

/**
 * Runs in the page: measures the audio of a MediaStream with WebAudio for `ms`
 * milliseconds and returns the level (dBFS) and the Goertzel power at `freq` and at
 * probe frequencies around it.
 */
export function measureToneInPage({ selector, freq, ms }) {
  const el = document.querySelector(selector);
  const stream = el && el.srcObject;
  if (!stream || stream.getAudioTracks().length === 0) return { error: 'no remote audio stream' };
  const ac = new AudioContext();
  const src = ac.createMediaStreamSource(stream);
  const an = ac.createAnalyser();
  an.fftSize = 4096;
  src.connect(an);
  const probes = [freq, 440, 700, 1300, 1700, 2500];
  const goertzel = (x, f, fs) => {
    const w = (2 * Math.PI * f) / fs;
    const c = 2 * Math.cos(w);
    let s1 = 0; let s2 = 0;
    for (let i = 0; i < x.length; i++) {
      const hann = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (x.length - 1));
      const s0 = x[i] * hann + c * s1 - s2;
      s2 = s1; s1 = s0;
    }
    return (s1 * s1 + s2 * s2 - c * s1 * s2) / (x.length * x.length);
  };
  const buf = new Float32Array(an.fftSize);
  const sums = probes.map(() => 0);
  let sq = 0; let n = 0; let blocks = 0;
  return new Promise((resolve) => {
    const start = performance.now();
    const tick = setInterval(() => {
      an.getFloatTimeDomainData(buf);
      for (const v of buf) { sq += v * v; n++; }
      probes.forEach((f, i) => { sums[i] += goertzel(buf, f, ac.sampleRate); });
      blocks++;
      if (performance.now() - start >= ms) {
        clearInterval(tick);
        ac.close();
        const rms = Math.sqrt(sq / Math.max(n, 1));
        resolve({
          state: ac.state, blocks, dbfs: 20 * Math.log10(rms || 1e-12),
          power: Object.fromEntries(probes.map((f, i) => [f, sums[i] / Math.max(blocks, 1)])),
        });
      }
    }, 85);
  });
}

/**
 * Polls the softphone window's remote audio until freq is in it (15 s at most) and
 * returns the measurement; the error says what was measured last.
 */
export async function waitToneInWindow(win, freq) {
  let m;
  await waitFor(async () => {
    m = await win.evaluate(measureToneInPage, { selector: '#remote-audio', freq, ms: 1500 });
    return toneFound(m, freq);
  }, { timeout: 15000, interval: 100, what: `${freq} Hz in the softphone window` }).catch((e) => {
    throw new Error(`${e.message}: ${JSON.stringify(m)}`);
  });
  return m;
}

/** Decides whether a measurement from measureToneInPage shows the tone. */
export function toneFound(m, freq) {
  if (!m || m.error) return false;
  const others = Object.entries(m.power).filter(([f]) => Number(f) !== freq).map(([, p]) => p);
  return m.dbfs > -40 && m.power[freq] > 100 * Math.max(...others);
}

/**
 * Runs in the page: watches the remote audio of `selector` (waiting for its stream to
 * appear) and notes in window.__tabphoneFirstTone the wall-clock time (Unix ms, from
 * performance.timeOrigin) at which freq is first heard: an analyser of 512 samples read
 * every 2 ms, the level above -40 dBFS and the Goertzel power at freq 20× that at every
 * probe away from it. For "first word heard" figures; returns at once.
 */
export function watchFirstToneInPage({ selector, freq }) {
  if (window.__tabphoneToneWatch) return;
  window.__tabphoneToneWatch = true;
  const probes = [440, 700, 1700, 2500].filter((f) => Math.abs(f - freq) > 300);
  const goertzel = (x, f, fs) => {
    const c = 2 * Math.cos((2 * Math.PI * f) / fs);
    let s1 = 0; let s2 = 0;
    for (let i = 0; i < x.length; i++) {
      const hann = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (x.length - 1));
      const s0 = x[i] * hann + c * s1 - s2;
      s2 = s1; s1 = s0;
    }
    return s1 * s1 + s2 * s2 - c * s1 * s2;
  };
  const ac = new AudioContext();
  let an; let buf; let stream = null;
  const tick = setInterval(() => {
    const el = document.querySelector(selector);
    const s = el && el.srcObject;
    if (!s || s.getAudioTracks().length === 0) return;
    if (s !== stream) {
      stream = s;
      an = ac.createAnalyser();
      an.fftSize = 512;
      buf = new Float32Array(an.fftSize);
      ac.createMediaStreamSource(s).connect(an);
      window.__tabphoneWatchingSince = performance.timeOrigin + performance.now();
    }
    an.getFloatTimeDomainData(buf);
    let sq = 0;
    for (const v of buf) sq += v * v;
    const dbfs = 10 * Math.log10(sq / buf.length || 1e-12);
    if (dbfs < -40) return;
    const p = goertzel(buf, freq, ac.sampleRate);
    if (probes.every((f) => p > 20 * goertzel(buf, f, ac.sampleRate))) {
      window.__tabphoneFirstTone = { at: performance.timeOrigin + performance.now(), dbfs };
      clearInterval(tick);
    }
  }, 2);
}

/**
 * Runs in the softphone window of an extension copy made by firefoxCallCopy (which
 * exposes the page's CallMedia as globalThis.__tabphoneMedia): polls the call's
 * RTCPeerConnection stats every 5 ms and notes in window.__tabphoneFirstTone the time
 * (Unix ms) at which the received audio's level (inbound-rtp audioLevel, of the decoded
 * audio) first passes `level` (0.1 ≈ -20 dBFS peak). For Firefox, whose WebAudio does not
 * run without an audio output device (none on a headless test machine).
 */
export function watchFirstAudioByStatsInPage({ level = 0.1 }) {
  if (window.__tabphoneToneWatch) return;
  window.__tabphoneToneWatch = true;
  let busy = false;
  const tick = setInterval(async () => {
    const media = globalThis.__tabphoneMedia;
    const pc = media?.peerConnection(media.callIds[0]);
    if (!pc || busy) return;
    busy = true;
    try {
      const stats = await pc.getStats();
      stats.forEach((r) => {
        if (r.type === 'inbound-rtp' && r.kind === 'audio' && r.audioLevel > level && !window.__tabphoneFirstTone) {
          window.__tabphoneFirstTone = { at: performance.timeOrigin + performance.now(), dbfs: 20 * Math.log10(r.audioLevel) };
          clearInterval(tick);
        }
      });
    } finally {
      busy = false;
    }
  }, 5);
}

/**
 * A copy of the extension in dir/name (its tests left out) whose manifest grants every
 * http(s) site at install, as after the user allowed click-to-call in the options page
 * (automation cannot answer the browser's permission prompt); same key, same ID.
 * `background` and `softphone` are lines appended to those scripts, e.g. to store
 * settings a test cannot set through the extension's own pages (Firefox).
 */
export function grantedExtensionCopy(dir, { name = 'extension', background = '', softphone = '' } = {}) {
  if (!existsSync(join(extDir, 'vendor', 'libphonenumber-min.js'))) throw new Error('run `make vendor` (make build does) first');
  const copy = join(dir, name);
  const tests = join(extDir, 'test');
  cpSync(extDir, copy, { recursive: true, filter: (src) => src !== tests && !src.startsWith(`${tests}/`) });
  const m = JSON.parse(readFileSync(join(copy, 'manifest.json'), 'utf8'));
  m.host_permissions = ['http://*/*', 'https://*/*'];
  writeFileSync(join(copy, 'manifest.json'), JSON.stringify(m, null, 2));
  if (background) appendFileSync(join(copy, 'background.js'), `\n${background}\n`);
  if (softphone) appendFileSync(join(copy, 'softphone', 'softphone.js'), `\n${softphone}\n`);
  return copy;
}

/**
 * A copy of the extension for Firefox call tests, standing for what the user does in
 * pages automation cannot reach there (WebDriver BiDi does not open moz-extension://
 * pages): its manifest grants the host permission, its background turns click-to-call
 * links on (so a click on a tel: link in a test page dials), and its softphone window
 * exposes its CallMedia as globalThis.__tabphoneMedia (for getStats).
 */
export function firefoxCallCopy(dir) {
  return grantedExtensionCopy(dir, {
    name: 'extension-ff',
    background: "browser.storage.local.set({ clickToCall: { links: true, detect: false, region: 'US' } });",
    softphone: 'globalThis.__tabphoneMedia = media;',
  });
}

/**
 * A Firefox user's HOME in dir with the host registered for Firefox (`install --browser
 * firefox`, as a user runs it) and config.json holding cfg; returns the environment to
 * launch Firefox with, and the directories.
 */
export function firefoxHome(dir, cfg) {
  const home = join(dir, 'home');
  const configDir = join(dir, 'config');
  const logDir = join(dir, 'log');
  mkdirSync(home, { recursive: true });
  mkdirSync(configDir, { recursive: true });
  writeFileSync(join(configDir, 'config.json'), JSON.stringify(cfg), { mode: 0o600 });
  const env = { ...process.env, HOME: home, TABPHONE_CONFIG_DIR: configDir, TABPHONE_LOG_DIR: logDir };
  execFileSync(hostBin, ['install', '--browser', 'firefox'], { env });
  return { env, home, configDir, logDir };
}

/** Firefox prefs for call tests: the fake microphone (a 1 kHz sine), no permission prompt. */
export const FIREFOX_CALL_PREFS = Object.freeze({
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.autoplay.default': 0,
});

/**
 * Finds a Firefox page by its location (puppeteer shows extension pages as
 * about:blank, so each page is asked).
 */
export async function firefoxPageAt(browser, part) {
  for (const pg of await browser.pages()) {
    const href = await pg.evaluate(() => location.href).catch(() => '');
    if (href.includes(part)) return pg;
  }
  return null;
}

/** Reads what the host wrote to its log (host.log in logDir; "" before it exists). */
export function hostLogOf(logDir) {
  const f = join(logDir, 'host.log');
  return existsSync(f) ? readFileSync(f, 'utf8') : '';
}

/**
 * The order of two host-log lines: the index of the first line matching `first` and of
 * the first matching `then` (-1 when missing).
 */
export function logOrder(log, first, then) {
  const lines = log.split('\n');
  return [lines.findIndex((l) => first.test(l)), lines.findIndex((l) => then.test(l))];
}
