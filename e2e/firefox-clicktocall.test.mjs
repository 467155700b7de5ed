// Click-to-call in Firefox ESR: the content script registered at run time
// (scripting.registerContentScripts) runs there too, with the vendored libphonenumber-js:
// a number in the page is marked, a script's click() on a tel: link dials nothing, the
// user's click dials through the host (devpbx sees the call to 600).
// As in e2e/clicktocall.test.mjs, a copy of the extension stands for what the user does in
// the options page: its manifest grants the host permission at install, and one line
// appended to its background stores the switches (Firefox gives automation no way into
// the extension's own pages to set them).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import {
  extDir, grantedExtensionCopy, firefoxHome, startDevpbx, tempDir, randomPassword, waitFor, skipUnlessCI,
} from './harness.mjs';

const FIREFOX = '/usr/bin/firefox-esr';
let tmp; let pbx; let site; const password = randomPassword();

const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Contacts</title></head>
<body><p id="support">Support: +44 20 7946 0958</p><p>Server 192.168.100.200, due 2024-03-15</p>
<a id="echo" href="tel:600">Echo test</a></body></html>`;

before(async () => {
  tmp = tempDir('tabphone-ff-ctc-');
  pbx = await startDevpbx(tmp.dir, { 1001: password });
  site = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': "default-src 'none'" });
    res.end(PAGE);
  });
  await new Promise((r) => site.listen(0, '127.0.0.1', r));
});

after(() => {
  site?.close();
  pbx?.stop();
  tmp?.remove();
});

test('Firefox ESR: the registered content script marks numbers and dials only on the user\'s click', {
  skip: skipUnlessCI((!existsSync(FIREFOX) && 'firefox-esr not installed')
    || (!existsSync(join(extDir, 'vendor', 'libphonenumber-min.js')) && 'run make vendor first')),
}, async () => {
  const { env } = firefoxHome(tmp.dir, {
    accounts: [{ id: 'work', user: '1001', password, domain: pbx.sip, codecs: ['pcmu'] }],
  });

  const browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true, env });
  try {
    await browser.installExtension(grantedExtensionCopy(tmp.dir, {
      background: "browser.storage.local.set({ clickToCall: { links: true, detect: true, region: 'US' } });",
    }));
    await waitFor(async () => (await pbx.api('/api/registrations')).some((r) => r.user === '1001'), { timeout: 20000, what: 'REGISTER from the Firefox-started host' });
    const page = await browser.newPage();
    const url = `http://127.0.0.1:${site.address().port}/`;
    // The registration is made once the worker has read the settings: reload until the
    // page has the script (its mark shows it).
    await waitFor(async () => {
      await page.goto(url);
      return page.waitForSelector('.tabphone-ctc-mark', { timeout: 1500 }).then(() => true, () => false);
    }, { timeout: 20000, interval: 200, what: 'the mark of the content script' });
    assert.deepEqual(await page.$$eval('.tabphone-ctc-mark', (ms) => ms.map((m) => m.textContent)), ['+44 20 7946 0958']);

    let since = Date.now();
    await page.$eval('#echo', (a) => a.click());
    const end = Date.now() + 2500;
    while (Date.now() < end) {
      assert.equal((await pbx.api('/api/calls')).filter((c) => c.to === '600' && c.started_at >= since - 1000).length, 0, 'a script click dialled');
      await new Promise((r) => setTimeout(r, 100));
    }

    since = Date.now();
    await page.click('#echo');
    const call = await waitFor(async () => (await pbx.api('/api/calls')).find((c) => c.to === '600' && c.started_at >= since - 1000), { timeout: 15000, what: 'the call to 600 at devpbx' });
    console.log(`firefox click-to-call: tel:600 → devpbx call ${call.state} in ${call.started_at - since} ms`);
  } finally {
    await browser.close();
  }
});
