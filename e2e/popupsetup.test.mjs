// The popup's "small things", end to end in real Chromium with the host and the dev PBX:
// - the first line names the account by its display name and says the registration in a
//   word, on one line at the popup's width even with a very long display name (the name
//   is cut, the registration is not; the full words are in the tooltip);
// - click-to-call works on the configured Dialer/PBX site without the click-to-call
//   switch, since the extension holds that site's permission; a page on another site
//   (no permission) dials nothing;
// - with no host installed, the popup shows the install steps, not a dialpad.
// The user grants the site's permission in the options page when saving the site; the
// test loads a copy of the extension with only that permission granted at install
// (same key, same ID), since automation cannot answer the browser's permission prompt.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import {
  extDir, startDevpbx, toneWav, launch, tempDir, randomPassword, waitFor, screenshotBoth,
} from './harness.mjs';

const NO_CALL_WAIT_MS = 2500; // how long "nothing happens" is watched for
const LONG_NAME = 'Maximiliane Alexandra Featherstonehaugh-Worthington, Customer Care (Night Shift)';
const SITE_MATCH = 'http://127.0.0.1/*';
let tmp; let pbx; let other; const password = randomPassword();

/** The extension as the user has it after saving the Dialer/PBX site in the options. */
function siteGrantedCopy(dir) {
  const copy = join(dir, 'extension');
  cpSync(extDir, copy, { recursive: true, filter: (src) => !src.includes(`${extDir}/test`) });
  const m = JSON.parse(readFileSync(join(copy, 'manifest.json'), 'utf8'));
  m.host_permissions = [SITE_MATCH];
  writeFileSync(join(copy, 'manifest.json'), JSON.stringify(m, null, 2));
  return copy;
}

before(async () => {
  tmp = tempDir('tabphone-popupsetup-');
  pbx = await startDevpbx(tmp.dir, { 1001: password });
  // Another site: "localhost" is not the Dialer/PBX's host, and holds no permission.
  other = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>CRM</title><p><a id="tel" href="tel:600">Call the echo</a></p>');
  });
  await new Promise((r) => other.listen(0, '127.0.0.1', r));
});

after(async () => {
  other?.close();
  pbx?.stop();
  tmp?.remove();
});

const calls = () => pbx.api('/api/calls');
const knownCalls = async () => new Set((await calls()).map((c) => c.id));
const newCallsTo = async (to, known) => (await calls()).filter((c) => c.to === to && !known.has(c.id));

test('bound to the Dialer/PBX: the first line fits one line with a long name, and call links on the site dial without the switch', async () => {
  const dir = join(tmp.dir, 'agent');
  mkdirSync(join(dir, 'config'), { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'config', 'config.json'), JSON.stringify({
    accounts: [{
      id: 'work', user: '1001', password, domain: pbx.sip, codecs: ['pcmu'], display_name: LONG_NAME,
    }],
    sites: [{ url: `${pbx.base}/app/`, match: SITE_MATCH, login: 'http://127.0.0.1/login*' }],
  }), { mode: 0o600 });
  const b = await launch({ dir, wav: toneWav(tmp.dir, 1000), extension: siteGrantedCopy(tmp.dir) });
  try {
    // Log in to the demo app: the session starts the phone.
    const app = await b.ctx.newPage();
    await app.goto(`${pbx.base}/login`);
    await app.fill('input[name=user]', '1001');
    await app.fill('input[name=password]', password);
    await Promise.all([app.waitForURL(/\/app\/$/), app.locator('form').evaluate((f) => f.requestSubmit())]);
    await waitFor(async () => (await pbx.api('/api/registrations')).some((r) => r.user === '1001'), { timeout: 15000, what: 'REGISTER of 1001' });

    // The first line at the popup's width.
    const popup = await b.ctx.newPage();
    await popup.setViewportSize({ width: 340, height: 600 });
    await popup.goto(b.url('popup/popup.html'));
    const line = popup.locator('#registration');
    await waitFor(async () => (await popup.locator('#account-state').textContent()) === 'Registered', { timeout: 15000, what: '"Registered" on the first line' });
    const m = await line.evaluate((p) => {
      const name = p.querySelector('#account-name');
      const state = p.querySelector('#account-state');
      const mainEl = document.querySelector('main');
      const main = mainEl.getBoundingClientRect();
      const cs = getComputedStyle(mainEl);
      return {
        height: p.getBoundingClientRect().height,
        oneLine: state.getBoundingClientRect().height,
        right: p.getBoundingClientRect().right,
        mainRight: main.right - parseFloat(cs.paddingRight),
        nameCut: name.scrollWidth > name.clientWidth,
        nameShown: name.clientWidth,
        stateCut: state.scrollWidth > state.clientWidth,
        text: p.textContent,
        title: p.title,
      };
    });
    console.log(`first line: ${m.height} px high (one line: ${m.oneLine} px), name ${m.nameShown} px shown of a ${LONG_NAME.length}-character display name`);
    assert.ok(m.oneLine > 0 && m.height <= m.oneLine + 1, `one line high: ${JSON.stringify(m)}`);
    assert.ok(m.right <= m.mainRight + 0.5, `within the popup: ${JSON.stringify(m)}`);
    assert.equal(m.nameCut, true, 'the long name is cut with an ellipsis');
    assert.ok(m.nameShown >= 80, `some of the name is readable: ${m.nameShown} px`);
    assert.equal(m.stateCut, false, 'the registration words are whole');
    assert.equal(m.text, `${LONG_NAME.slice(0, 64)} · Registered`, 'the name as the popup keeps it (64 characters at most)');
    assert.match(m.title, /^Registered as 1001 at 127\.0\.0\.1:\d+$/);
    await screenshotBoth(popup, 'popup-first-line-long-name');
    await popup.close();

    // The click-to-call switches are as installed (off); the Dialer/PBX site still has
    // its own registration, for the site whose permission is held.
    assert.deepEqual(await b.sw.evaluate(() => chrome.storage.local.get('clickToCall')), {});
    const regs = await waitFor(async () => {
      const r = await b.sw.evaluate(() => chrome.scripting.getRegisteredContentScripts());
      return r.length > 0 && r;
    }, { what: 'the Dialer/PBX site\'s content script registered' });
    assert.deepEqual(regs.map((r) => [r.id, r.matches]), [['tabphone-clicktocall-sites', [SITE_MATCH]]]);

    // The user's click on a tel: link of the demo app's contacts page dials it.
    await app.goto(`${pbx.base}/app/contacts`);
    let known = await knownCalls();
    await app.locator('a[href="tel:600"]').click();
    const call = await waitFor(async () => (await newCallsTo('600', known)).find((c) => c.state === 'up'), { timeout: 15000, what: 'call to 600 answered at devpbx' });
    assert.equal(app.url(), `${pbx.base}/app/contacts`, 'the page stayed (no external handler)');
    const win = await waitFor(() => b.ctx.pages().find((p) => p.url().includes('/softphone/softphone.html')), { what: 'softphone window' });
    await waitFor(() => win.getByRole('button', { name: 'End call' }).isVisible(), { what: 'End call' });
    await win.getByRole('button', { name: 'End call' }).click();
    await waitFor(async () => (await calls()).find((c) => c.id === call.id && c.state === 'ended'), { what: 'call ended' });

    // Another site stays opt-in: its tel: link dials nothing.
    const page = await b.ctx.newPage();
    await page.goto(`http://localhost:${other.address().port}/`);
    known = await knownCalls();
    await page.locator('#tel').click();
    const end = Date.now() + NO_CALL_WAIT_MS;
    while (Date.now() < end) {
      assert.deepEqual(await newCallsTo('600', known), [], 'no call from another site');
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await b.close();
  }
});

test('no host installed: the popup shows the steps and "Check again", no dialpad', async () => {
  const b = await launch({ dir: join(tmp.dir, 'nohost'), installHost: false });
  try {
    const popup = await b.ctx.newPage();
    await popup.setViewportSize({ width: 340, height: 600 });
    await popup.goto(b.url('popup/popup.html'));
    await waitFor(() => popup.locator('#host-setup').isVisible(), { timeout: 15000, what: 'the install steps' });
    const steps = await popup.locator('#host-setup-steps li').allTextContents();
    assert.ok(steps.length >= 3, JSON.stringify(steps));
    assert.match(steps.join('\n'), /sudo apt install \.\/tabphone_\*\.deb/);
    assert.match(steps.join('\n'), /--browser chromium/);
    for (const id of ['dial-form', 'dialpad', 'status-row', 'recent-section', 'no-session']) {
      assert.equal(await popup.locator(`#${id}`).isVisible(), false, `#${id} hidden`);
    }
    assert.equal(await popup.getByRole('button', { name: 'Dial', exact: true }).count(), 0, 'no Dial button to press');
    const check = popup.getByRole('button', { name: 'Check again' });
    assert.equal(await check.isEnabled(), true);
    await screenshotBoth(popup, 'popup-no-host');
    // "Check again" asks the background to try the host; it is still missing, so the
    // steps stay and the button comes back.
    await check.click();
    await waitFor(() => check.isEnabled(), { timeout: 10000, what: '"Check again" back after the check' });
    assert.equal(await popup.locator('#host-setup').isVisible(), true);
  } finally {
    await b.close();
  }
});
