// Managed deployment in real Chromium (issue 12, done-when 5): a policy file in
// Chromium's machine-wide managed policy folder sets the Dialer/PBX site; the extension
// reads it through storage.managed, the options page shows it locked with the note in
// words, and the session binding uses it (the host's own config has no site): no phone
// before the Dialer/PBX login, registered after it, closed 5 s after Menu → Logout.
//
// The folder is /etc/chromium/policies/managed/, so the test needs root (the machines
// that run the suite run it as root); elsewhere it is skipped, and fails under CI=true.
// The policy is for a copy of the extension with a key of its own (its own ID), so no
// other Tabphone on this machine gets it while the file exists; the file (and the
// folders this test made) are removed after. Chromium reads the folder at start and
// also watches it (a file written while it runs applies ~5 s later, measured here);
// the file is written before the launch.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  mkdirSync, writeFileSync, readFileSync, rmSync, existsSync, rmdirSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  CHROMIUM, startDevpbx, launch, tempDir, randomPassword, waitFor, skipUnlessCI, extensionWithOwnKey, screenshotBoth,
} from './harness.mjs';

const POLICY_DIR = '/etc/chromium/policies/managed';
const WARNING = 'Window will be closed soon, since there is no active session';
const isRoot = process.getuid?.() === 0;
const skip = !existsSync(CHROMIUM) ? skipUnlessCI(`no Chromium at ${CHROMIUM}`)
  : !isRoot ? skipUnlessCI(`writing ${POLICY_DIR} needs root`) : false;

let tmp; let pbx; let b; let app; let ext; let policyFile;
const made = []; // folders this test created, deepest last
const password = randomPassword();

function removePolicy() {
  if (policyFile) rmSync(policyFile, { force: true });
  for (const d of [...made].reverse()) {
    try { rmdirSync(d); } catch { /* not empty: someone else's policy is there too */ }
  }
  made.length = 0;
}

before(async () => {
  if (skip) return;
  tmp = tempDir();
  pbx = await startDevpbx(tmp.dir, { 1001: password }, { args: ['-session-timeout', '10m'] });
  ext = extensionWithOwnKey(tmp.dir);
  for (const d of ['/etc/chromium/policies', POLICY_DIR]) {
    if (!existsSync(d)) { mkdirSync(d); made.push(d); }
  }
  policyFile = join(POLICY_DIR, `tabphone-e2e-${process.pid}.json`);
  process.on('exit', removePolicy); // also when the run is cut short
  writeFileSync(policyFile, JSON.stringify({
    '3rdparty': {
      extensions: {
        [ext.id]: {
          sites: [{ url: `${pbx.base}/app/`, match: 'http://127.0.0.1/*', login: 'http://127.0.0.1/login*' }],
          close_without_session: true,
          account_defaults: { domain: pbx.sip, transport: 'udp', srtp: 'off' },
          click_to_call: { detect: false },
          call_recording: false,
        },
      },
    },
  }, null, 2));
  // The host's own config: the account and its password, and no Dialer/PBX site.
  const dir = join(tmp.dir, 'phone');
  mkdirSync(join(dir, 'config'), { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'config', 'config.json'), JSON.stringify({
    accounts: [{ id: 'work', user: '1001', password, domain: pbx.sip, codecs: ['pcmu'] }],
  }), { mode: 0o600 });
  b = await launch({ dir, extension: ext.dir, extensionId: ext.id });
});

after(async () => {
  await b?.close();
  pbx?.stop();
  removePolicy();
  tmp?.remove();
});

const registered = async () => (await pbx.api('/api/registrations')).some((r) => r.user === '1001');
const stored = () => JSON.parse(readFileSync(join(b.configDir, 'config.json'), 'utf8'));

test('Chromium hands the policy to the extension through storage.managed', { skip }, async () => {
  const managed = await waitFor(async () => {
    const v = await b.sw.evaluate(() => chrome.storage.managed.get(null));
    return v.sites ? v : null;
  }, { what: 'storage.managed with the policy' });
  assert.deepEqual(managed.sites, [{ url: `${pbx.base}/app/`, match: 'http://127.0.0.1/*', login: 'http://127.0.0.1/login*' }]);
});

test('bound by the policy site: no phone before the Dialer/PBX login, though the config had no site', { skip }, async () => {
  // The first install opens the options page, which starts the host for the settings:
  // its config takes the policy (site and account defaults), and with no Dialer/PBX
  // session the phone is not left running.
  await waitFor(() => stored().sites?.[0]?.match === 'http://127.0.0.1/*', { what: 'the policy site in config.json' });
  assert.equal(stored().accounts[0].srtp, 'off', 'the account defaults too');
  assert.equal(stored().accounts[0].password, password, 'the policy never touches the password');
  await waitFor(async () => !(await registered()), { timeout: 12000, what: 'no registration without a session' });
  const popup = await b.ctx.newPage();
  await popup.goto(b.url('popup/popup.html'));
  await waitFor(() => popup.getByText('Open the Dialer/PBX to use the phone').first().isVisible(), { what: '"Open the Dialer/PBX" in the popup' });
  await popup.close();
});

test('the Dialer/PBX login starts the phone', { skip }, async () => {
  app = await b.ctx.newPage();
  await app.goto(`${pbx.base}/login`);
  await app.locator('input[name=user]').fill('1001');
  await app.locator('input[name=password]').fill(password);
  await Promise.all([app.waitForURL('**/app/**'), app.getByRole('button', { name: /log in|sign in/i }).click()]);
  await waitFor(registered, { timeout: 15000, what: 'REGISTER after the Dialer/PBX login' });
});

test('the options page shows the policy values locked, with the note in words', { skip }, async () => {
  const page = await b.ctx.newPage();
  await page.setViewportSize({ width: 760, height: 900 });
  await page.goto(b.url('options/options.html'));
  const note = page.locator('#managed-note');
  await waitFor(() => note.isVisible(), { what: 'the managed note' });
  const words = await note.textContent();
  assert.match(words, /^Your organization manages some settings: .*Dialer\/PBX sites/);
  assert.match(words, /Domain/);
  const url = page.getByRole('textbox', { name: 'Dialer/PBX address' }).first();
  await waitFor(async () => (await url.inputValue()) === `${pbx.base}/app/`, { what: 'the policy site in the form' });
  assert.equal(await url.isEditable(), false, 'the site is locked');
  assert.equal(await page.locator('.site-match').first().inputValue(), 'http://127.0.0.1/*');
  assert.equal(await page.locator('#add-site').isVisible(), false);
  assert.equal(await page.locator('.site-remove').first().isVisible(), false);
  assert.equal(await page.locator('#sites-managed').textContent(), 'Set by your organization.');
  const domain = page.getByRole('textbox', { name: 'Domain' });
  assert.equal(await domain.inputValue(), pbx.sip);
  assert.equal(await domain.isEditable(), false);
  assert.match(await domain.getAttribute('aria-describedby'), /^domain-managed /);
  assert.equal(await page.getByRole('combobox', { name: 'Transport' }).isDisabled(), true);
  assert.equal(await page.getByRole('switch', { name: /Close the softphone/ }).isDisabled(), true);
  assert.equal(await page.getByRole('checkbox', { name: 'Find phone numbers in page text' }).isDisabled(), true);
  assert.equal(await page.getByRole('checkbox', { name: /Call tel:/ }).isDisabled(), false, 'what the policy leaves alone stays the user\'s');
  assert.equal(await page.getByRole('textbox', { name: 'User', exact: true }).isEditable(), true);
  // Call recording forced off: the switch is off, locked and says why.
  const recording = page.getByRole('checkbox', { name: 'Allow call recording' });
  assert.equal(await recording.isChecked(), false);
  assert.equal(await recording.isDisabled(), true);
  assert.equal(await page.locator('#rec-allow-managed').textContent(), 'Set by your organization.');
  assert.match(words, /Call recording/);
  await screenshotBoth(page, 'options-managed', { fullPage: true });
  await page.close();
});

test('Menu → Logout: the session binding on the policy site closes the phone after 5 s', { skip }, async () => {
  const popup = await b.ctx.newPage();
  await popup.goto(b.url('popup/popup.html'));
  await app.getByText('Menu', { exact: true }).click();
  await app.getByRole('link', { name: 'Logout' }).click();
  await waitFor(() => popup.getByText(WARNING).first().isVisible(), { what: 'the warning in the popup' });
  await waitFor(async () => !(await registered()), { timeout: 12000, what: 'unREGISTER after the warning' });
  await waitFor(() => popup.getByText('Open the Dialer/PBX to use the phone').first().isVisible(), { what: 'the popup back to "Open the Dialer/PBX"' });
});
