// `tabphone-host install` with no flags, as a user runs it: in a throwaway HOME where
// every supported browser looks installed (a command of its name on PATH), it registers
// each one, copies the host to ~/.local/share/tabphone, and real Chromium (its profile
// in that HOME) starts the host and gets its hello. `uninstall` removes exactly the
// files install added; Chromium then finds no host, and doctor names that with the fix.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readFileSync, existsSync, readdirSync, lstatSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { chromium } from 'playwright-core';
import { extDir, hostBin, tempDir, waitFor, CHROMIUM, EXTENSION_ID } from './harness.mjs';

const tmp = tempDir('tabphone-install-');
after(() => tmp.remove());

/** Every file and directory under dir, relative to it. */
function tree(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      out.push(relative(dir, p));
      if (lstatSync(p).isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

const minus = (a, b) => a.filter((x) => !b.includes(x));

async function launchChromium(profile, env) {
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    ignoreDefaultArgs: ['--disable-extensions'],
    args: [`--disable-extensions-except=${extDir}`, `--load-extension=${extDir}`,
      '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    env,
  });
}

async function hostProblem(ctx) {
  const page = await ctx.newPage();
  await page.goto(`chrome-extension://${EXTENSION_ID}/popup/popup.html`);
  return page;
}

test('install with no flags registers every browser found; uninstall removes exactly that', { skip: !existsSync(CHROMIUM) && !process.env.CI && 'chromium not installed' }, async () => {
  const home = join(tmp.dir, 'home');
  const fakeBin = join(tmp.dir, 'bin');
  const logDir = join(tmp.dir, 'log');
  const configDir = join(tmp.dir, 'config');
  // Chromium has been run before: its profile is where it is for a real user.
  const profile = join(home, '.config', 'chromium');
  mkdirSync(profile, { recursive: true });
  mkdirSync(fakeBin);
  mkdirSync(configDir);
  // No account: the host answers hello and reports its state without a PBX.
  writeFileSync(join(configDir, 'config.json'), '{"accounts": []}\n', { mode: 0o600 });
  const commands = ['chromium', 'google-chrome', 'microsoft-edge', 'brave-browser', 'vivaldi', 'opera', 'firefox'];
  for (const c of commands) writeFileSync(join(fakeBin, c), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const env = { ...process.env, HOME: home, PATH: fakeBin, TABPHONE_CONFIG_DIR: configDir, TABPHONE_LOG_DIR: logDir };
  for (const k of ['XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME']) delete env[k];
  const run = (...args) => spawnSync(hostBin, args, { env, encoding: 'utf8' });

  const before = tree(home);
  const first = run('install');
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /^install: chromium, chrome, edge, brave, vivaldi, opera, firefox$/m);
  const installed = minus(tree(home), before);
  const manifests = installed.filter((p) => p.endsWith('com.tabphone.host.json'));
  assert.deepEqual(manifests, [
    '.config/BraveSoftware/Brave-Browser/NativeMessagingHosts/com.tabphone.host.json',
    '.config/chromium/NativeMessagingHosts/com.tabphone.host.json',
    '.config/google-chrome/NativeMessagingHosts/com.tabphone.host.json',
    '.config/microsoft-edge/NativeMessagingHosts/com.tabphone.host.json',
    '.config/opera/NativeMessagingHosts/com.tabphone.host.json',
    '.config/vivaldi/NativeMessagingHosts/com.tabphone.host.json',
    '.mozilla/native-messaging-hosts/com.tabphone.host.json',
  ]);
  const copy = join(home, '.local/share/tabphone/tabphone-host');
  assert.deepEqual(readFileSync(copy), readFileSync(hostBin), 'the host is copied to a stable place');
  for (const m of manifests) {
    const manifest = JSON.parse(readFileSync(join(home, m), 'utf8'));
    assert.equal(manifest.path, copy, `${m} names the copy, not the build folder`);
  }
  // Idempotent: a second run leaves the same files.
  assert.equal(run('install').status, 0);
  assert.deepEqual(minus(tree(home), before), installed);

  let ctx = await launchChromium(profile, env);
  try {
    const hostLog = () => (existsSync(join(logDir, 'host.log')) ? readFileSync(join(logDir, 'host.log'), 'utf8') : '');
    await waitFor(() => /msg=hello/.test(hostLog()), { timeout: 15000, what: 'hello from Chromium in the host log' });
    const page = await hostProblem(ctx);
    // The hello was answered: the popup reports no host problem.
    await waitFor(() => page.locator('#host-problem').isHidden(), { timeout: 10000, what: 'the popup without a host problem' });
    // The version the build took from git describe is the one the host runs with.
    const version = run('version').stdout.trim().replace(/^tabphone-host /, '');
    assert.notEqual(version, '0.1.0', 'built without the version from git describe');
    assert.ok(hostLog().includes(`msg="host started" version=${version} `), hostLog());
  } finally {
    await ctx.close();
  }

  const beforeUninstall = tree(home);
  const un = run('uninstall');
  assert.equal(un.status, 0, un.stderr);
  assert.deepEqual(minus(beforeUninstall, tree(home)), installed, 'uninstall removes exactly what install added');
  assert.deepEqual(minus(tree(home), beforeUninstall), []);

  ctx = await launchChromium(profile, env);
  try {
    const page = await hostProblem(ctx);
    await waitFor(async () => /not installed/.test(await page.locator('#host-problem').textContent()), { timeout: 15000, what: 'the popup saying the host is not installed' });
    // The steps for Linux and Chromium instead of a dialpad that cannot dial.
    await waitFor(() => page.locator('#host-setup').isVisible(), { what: 'the install steps' });
    assert.match(await page.locator('#host-setup-steps').textContent(), /sudo apt install \.\/tabphone_\*\.deb.*--browser chromium/s);
    assert.equal(await page.locator('#dial-form').isVisible(), false);
    assert.equal(await page.getByRole('button', { name: 'Check again' }).isEnabled(), true);
  } finally {
    await ctx.close();
  }
  const doc = run('doctor');
  assert.equal(doc.status, 1);
  assert.ok(doc.stdout.includes(`FAIL  Chromium: no host manifest at ${profile}/NativeMessagingHosts/com.tabphone.host.json, so the browser says "Specified native messaging host not found"; fix: run \`tabphone-host install --browser chromium\``), doc.stdout);
});
