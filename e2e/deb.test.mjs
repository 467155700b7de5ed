// The Debian package on this machine: `apt-get install ./tabphone_*.deb` puts the host in
// /usr/lib/tabphone and the system-wide manifests in place, so real Chromium (a fresh
// profile) and Firefox ESR (a fresh HOME) reach the host with no per-user step; purge
// leaves nothing behind. It installs system-wide (root, or sudo without a password) and
// removes the package in every case; under CI=true a missing browser or privilege fails.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { root, extDir, tempDir, waitFor, CHROMIUM, EXTENSION_ID, skipUnlessCI } from './harness.mjs';

const FIREFOX = '/usr/bin/firefox-esr';
const tmp = tempDir('tabphone-deb-');
const asRoot = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
const privileged = asRoot.length === 0 || spawnSync('sudo', ['-n', 'true']).status === 0;
const sys = (cmd, args) => execFileSync(asRoot[0] ?? cmd, asRoot.length ? [...asRoot.slice(1), cmd, ...args] : args, {
  encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: ['ignore', 'pipe', 'pipe'],
});
const installed = () => spawnSync('dpkg-query', ['-W', '-f', '${Status}', 'tabphone'], { encoding: 'utf8' }).stdout.includes('install ok installed');
let weInstalled = false;

after(() => {
  if (weInstalled && installed()) sys('apt-get', ['purge', '-y', '-qq', 'tabphone']);
  tmp.remove();
});

const missing = !privileged ? 'needs root or sudo -n' : !existsSync(CHROMIUM) ? 'chromium not installed' : !existsSync(FIREFOX) ? 'firefox-esr not installed' : '';

test('the .deb installs, Chromium and Firefox ESR reach the host with no per-user step, purge leaves nothing', { skip: (missing && skipUnlessCI(missing)) || false }, async () => {
  assert.equal(missing, '', missing);
  assert.ok(!installed(), 'tabphone is installed on this machine already: not touching it');
  const dist = join(tmp.dir, 'dist');
  const version = execFileSync('make', ['-s', '--no-print-directory', '-C', root, 'print-version'], { encoding: 'utf8' }).trim();
  execFileSync(join(root, 'scripts/release.sh'), { cwd: root, env: { ...process.env, VERSION: version, DEB_ONLY: '1', DIST: dist }, stdio: 'ignore' });
  const deb = readdirSync(dist).find((f) => f.endsWith('.deb'));
  assert.ok(deb, 'a .deb was built');
  // Every path the package holds, and which of them the machine had before.
  const paths = execFileSync('dpkg-deb', ['-c', join(dist, deb)], { encoding: 'utf8' }).trim().split('\n')
    .map((line) => line.split(/\s+/)[5].replace(/^\./, '').replace(/\/$/, '')).filter(Boolean);
  const before = new Map(paths.map((p) => [p, existsSync(p)]));
  assert.ok(paths.includes('/etc/chromium/native-messaging-hosts/com.tabphone.host.json'));
  assert.ok(paths.includes('/usr/lib/mozilla/native-messaging-hosts/com.tabphone.host.json'));

  sys('apt-get', ['install', '-y', '-qq', '--no-install-recommends', join(dist, deb)]);
  weInstalled = true;
  assert.ok(installed());
  assert.match(execFileSync('/usr/lib/tabphone/tabphone-host', ['version'], { encoding: 'utf8' }), new RegExp(`^tabphone-host ${version.replace(/[+.]/g, '\\$&')}\\n$`));

  const configDir = join(tmp.dir, 'config');
  const logDir = join(tmp.dir, 'log');
  mkdirSync(configDir);
  writeFileSync(join(configDir, 'config.json'), '{"accounts": []}\n', { mode: 0o600 });
  const hostLog = () => (existsSync(join(logDir, 'host.log')) ? readFileSync(join(logDir, 'host.log'), 'utf8') : '');
  const hellos = () => (hostLog().match(/msg=hello/g) ?? []).length;

  // Chromium: a fresh profile has no NativeMessagingHosts of its own.
  const profile = join(tmp.dir, 'chromium-profile');
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    ignoreDefaultArgs: ['--disable-extensions'],
    args: [`--disable-extensions-except=${extDir}`, `--load-extension=${extDir}`, '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    env: { ...process.env, TABPHONE_CONFIG_DIR: configDir, TABPHONE_LOG_DIR: logDir },
  });
  try {
    await waitFor(() => hellos() >= 1, { timeout: 15000, what: 'hello from Chromium' });
    const page = await ctx.newPage();
    await page.goto(`chrome-extension://${EXTENSION_ID}/popup/popup.html`);
    await waitFor(() => page.locator('#host-problem').isHidden(), { what: 'the popup without a host problem' });
    assert.match(hostLog(), new RegExp(`msg="host started" version=${version.replace(/[+.]/g, '\\$&')} `));
  } finally {
    await ctx.close();
  }

  // Firefox ESR: a fresh HOME has no ~/.mozilla/native-messaging-hosts.
  const home = join(tmp.dir, 'home');
  mkdirSync(home);
  const n = hellos();
  const ff = await puppeteer.launch({
    browser: 'firefox', executablePath: FIREFOX, headless: true,
    env: { ...process.env, HOME: home, TABPHONE_CONFIG_DIR: configDir, TABPHONE_LOG_DIR: logDir },
  });
  try {
    await ff.installExtension(extDir);
    await waitFor(() => hellos() > n, { timeout: 15000, what: 'hello from Firefox ESR' });
    assert.ok(!existsSync(join(home, '.mozilla', 'native-messaging-hosts')));
  } finally {
    await ff.close();
  }

  sys('apt-get', ['purge', '-y', '-qq', 'tabphone']);
  assert.ok(!installed());
  const left = paths.filter((p) => existsSync(p) && !before.get(p));
  assert.deepEqual(left, [], 'purge leaves nothing the package added');
  const gone = paths.filter((p) => !existsSync(p) && before.get(p));
  assert.deepEqual(gone, [], 'purge takes nothing that was there before');
});
