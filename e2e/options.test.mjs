// The options page against the real host: it shows the stored account (the password
// never, only that one is set), saves edits into the host's config.json (0600, the
// stored password kept when the field stays empty), refuses a bad field in words before
// anything is written, and "Test registration" reports the result in words.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  startDevpbx, launchRegistered, tempDir, randomPassword, waitFor, screenshotBoth,
} from './harness.mjs';

let tmp; let pbx; let b; let page;
const password = randomPassword();
const configFile = () => join(b.configDir, 'config.json');
const stored = () => JSON.parse(readFileSync(configFile(), 'utf8'));

before(async () => {
  tmp = tempDir();
  pbx = await startDevpbx(tmp.dir, { 1001: password });
  b = await launchRegistered({ dir: join(tmp.dir, 'phone'), pbx, user: '1001', password });
  page = await b.ctx.newPage();
  await page.setViewportSize({ width: 760, height: 900 });
  await page.goto(b.url('options/options.html'));
});

after(async () => {
  await b?.close();
  pbx?.stop();
  tmp?.remove();
});

test('the stored account is shown; the password only as "set"', async () => {
  const user = page.getByRole('textbox', { name: 'User', exact: true });
  await waitFor(async () => (await user.inputValue()) === '1001', { what: 'the account read from the host' });
  assert.equal(await page.getByRole('textbox', { name: 'Domain' }).inputValue(), pbx.sip);
  const pw = page.getByLabel('Password', { exact: true });
  assert.equal(await pw.inputValue(), '');
  assert.equal(await pw.getAttribute('placeholder'), 'set');
  assert.ok(!(await page.content()).includes(password), 'the password is nowhere in the page');
  await screenshotBoth(page, 'options', { fullPage: true });
});

test('Save writes the edits into config.json and keeps the stored password', async () => {
  await page.getByRole('textbox', { name: 'Display name' }).fill('Front desk');
  await page.getByRole('checkbox', { name: /Auto-answer/ }).check();
  await page.getByRole('spinbutton', { name: /seconds/i }).fill('3');
  const before = statSync(configFile()).mtimeMs;
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await waitFor(async () => (await page.locator('#save-status').textContent()).startsWith('Saved'), { what: '"Saved"' });
  await waitFor(() => statSync(configFile()).mtimeMs > before, { what: 'config.json rewritten' });
  const acc = stored().accounts[0];
  assert.equal(acc.display_name, 'Front desk');
  assert.deepEqual(acc.auto_answer, { enabled: true, seconds: 3 });
  assert.equal(acc.password, password, 'the stored password stays');
  assert.equal(statSync(configFile()).mode & 0o777, 0o600);
});

test('a bad field is refused in words and nothing is written', async () => {
  const was = readFileSync(configFile(), 'utf8');
  await page.getByRole('textbox', { name: 'Domain' }).fill('pbx example com');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await waitFor(() => page.locator('#domain-error').isVisible(), { what: 'the domain error' });
  assert.notEqual((await page.locator('#domain-error').textContent()).trim(), '');
  assert.equal(readFileSync(configFile(), 'utf8'), was);
  await page.getByRole('textbox', { name: 'Domain' }).fill(pbx.sip);
});

test('Test registration: a wrong password says so, the right one registers', async () => {
  const result = page.locator('#registration-result');
  await page.getByLabel('Password', { exact: true }).fill('wrong-password');
  await page.getByRole('button', { name: 'Test registration' }).click();
  await waitFor(async () => /wrong password/i.test(await result.textContent()), { timeout: 15000, what: '"Wrong password"' });
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Test registration' }).click();
  await waitFor(async () => /^Registered as 1001/.test(await result.textContent()), { timeout: 15000, what: '"Registered as 1001"' });
  assert.equal(stored().accounts[0].password, password);
});
