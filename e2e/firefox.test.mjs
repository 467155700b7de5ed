// Firefox ESR smoke test: the same extension loads as a temporary add-on, its background
// starts the host through native messaging (manifest in $HOME/.mozilla), and the host
// registers; bound to the demo app, it reports the Dialer/PBX session after login.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { extDir, firefoxHome, startDevpbx, tempDir, randomPassword, waitFor, skipUnlessCI } from './harness.mjs';

const FIREFOX = '/usr/bin/firefox-esr';
let tmp; let pbx; const password = randomPassword();

before(async () => {
  tmp = tempDir('tabphone-ff-');
  pbx = await startDevpbx(tmp.dir, { 1001: password });
});
after(() => { pbx?.stop(); tmp?.remove(); });

async function registered() {
  return (await pbx.api('/api/registrations')).some((r) => r.user === '1001');
}

test('Firefox ESR: the background starts the host, which registers and hears the session', { skip: skipUnlessCI(!existsSync(FIREFOX) && 'firefox-esr not installed') }, async () => {
  const { env, home, logDir } = firefoxHome(tmp.dir, {
    accounts: [{ id: 'work', user: '1001', password, domain: pbx.sip, codecs: ['pcmu'] }],
    sites: [{ url: `${pbx.base}/app/`, match: 'http://127.0.0.1/*', login: 'http://127.0.0.1/login*' }],
  });
  assert.ok(existsSync(join(home, '.mozilla', 'native-messaging-hosts', 'com.tabphone.host.json')));

  const browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true, env });
  try {
    await browser.installExtension(extDir);
    const hostLog = () => (existsSync(join(logDir, 'host.log')) ? readFileSync(join(logDir, 'host.log'), 'utf8') : '');
    // The host runs and knows the site: bound, it waits for a session before registering.
    await waitFor(() => /msg=hello/.test(hostLog()), { timeout: 15000, what: 'hello from the Firefox background in the host log' });
    const page = await browser.newPage();
    await page.goto(`${pbx.base}/login`);
    await page.type('input[name=user]', '1001');
    await page.type('input[name=password]', password);
    await Promise.all([page.waitForNavigation(), page.$eval('form', (f) => f.requestSubmit())]);
    await waitFor(() => /msg=session state=active reason=tab_open/.test(hostLog()), { timeout: 10000, what: 'session tab_open in the host log' });
    await waitFor(registered, { timeout: 10000, what: 'registration from the Firefox-started host' });
    await page.close();
    await waitFor(() => /msg=session state=closing_soon reason=tabs_closed/.test(hostLog()), { timeout: 10000, what: 'tabs_closed in the host log' });
  } finally {
    await browser.close();
  }
});
