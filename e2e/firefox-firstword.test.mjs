// The first word heard in Firefox ESR: as e2e/firstword.test.mjs for Chromium, the
// browser leg is up while the call rings, and the 200 OK finds audio flowing both ways.
// The call is dialled by a click on a tel: link (automation cannot open the popup in
// Firefox); the window's received audio is read from its peer connection's stats
// (Firefox runs no WebAudio without an audio device), the microphone (Firefox's fake
// device: a 1 kHz sine) is measured at devpbx. Order asserted, figures printed; speed
// is `make bench`'s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import puppeteer from 'puppeteer-core';
import {
  firefoxHome, startDevpbx, tempDir, randomPassword, waitFor, skipUnlessCI, hostLogOf, logOrder,
  firefoxCallCopy, FIREFOX_CALL_PREFS, firefoxPageAt, watchFirstAudioByStatsInPage,
} from './harness.mjs';

const FIREFOX = '/usr/bin/firefox-esr';
const RING_MS = 1500;
let tmp; let pbx; let site; const password = randomPassword();

before(async () => {
  tmp = tempDir('tabphone-ff-firstword-');
  pbx = await startDevpbx(tmp.dir, { 1001: password }, { args: ['-ring', `${RING_MS}ms`] });
  site = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html lang="en"><title>Contacts</title><a id="tone" href="tel:601">Tone test</a></html>');
  });
  await new Promise((r) => site.listen(0, '127.0.0.1', r));
});
after(() => { site?.close(); pbx?.stop(); tmp?.remove(); });

const LEG_UP = /msg="browser leg" state=connected/;
const ANSWERED = /msg="call answered"/;

test('Firefox ESR: the browser leg is up while the call rings, and the 200 OK finds audio flowing both ways', {
  skip: skipUnlessCI(!existsSync(FIREFOX) && 'firefox-esr not installed'),
}, async () => {
  const { env, logDir } = firefoxHome(tmp.dir, {
    accounts: [{ id: 'work', user: '1001', password, domain: pbx.sip, codecs: ['pcmu', 'pcma'] }],
  });
  const browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true, env, extraPrefsFirefox: FIREFOX_CALL_PREFS });
  try {
    await browser.installExtension(firefoxCallCopy(tmp.dir));
    await waitFor(async () => (await pbx.api('/api/registrations')).some((r) => r.user === '1001'), { timeout: 20000, what: 'REGISTER from the Firefox-started host' });
    const page = await browser.newPage();
    const url = `http://127.0.0.1:${site.address().port}/`;
    const since = Date.now();
    // The content script is registered once the worker has read the settings: click
    // again (reloading) until the call is placed.
    const call = await waitFor(async () => {
      await page.goto(url);
      await page.click('#tone');
      return waitFor(async () => (await pbx.api('/api/calls')).find((c) => c.to === '601' && c.started_at >= since), { timeout: 1500, interval: 50 }).catch(() => null);
    }, { timeout: 20000, interval: 100, what: 'the call to 601 at devpbx' });
    const win = await waitFor(() => firefoxPageAt(browser, '/softphone/softphone.html'), { what: 'softphone window' });
    await win.evaluate(watchFirstAudioByStatsInPage, { level: 0.1 });
    await waitFor(() => LEG_UP.test(hostLogOf(logDir)), { timeout: RING_MS + 5000, what: 'browser leg connected in the host log' });
    const pbxCall = async () => (await pbx.api('/api/calls')).find((c) => c.id === call.id);
    assert.equal((await pbxCall()).state, 'ringing', 'the leg was up before devpbx answered');

    const up = await waitFor(async () => { const c = await pbxCall(); return c.state === 'up' && c; }, { what: '601 answered' });
    const heard = await waitFor(() => win.evaluate(() => window.__tabphoneFirstTone), { timeout: 10000, interval: 20, what: 'the PBX\'s audio in the window' });
    const atPBX = await waitFor(async () => { const c = await pbxCall(); return c.rx_tone_at && c; }, { timeout: 10000, what: 'the microphone\'s 1 kHz at devpbx' });
    await waitFor(async () => (await pbxCall()).tone_1000hz_ratio > 0.8, { timeout: 10000, what: 'mostly 1 kHz at devpbx' });
    const [leg, answered] = logOrder(hostLogOf(logDir), LEG_UP, ANSWERED);
    assert.ok(leg >= 0 && answered > leg, `host log: browser leg connected (line ${leg}) before the call was answered (line ${answered})`);
    console.log(`first word (Firefox ESR, outgoing 601): 200 OK → audio in the window ${(heard.at - up.answered_at).toFixed(0)} ms (level ${heard.dbfs.toFixed(1)} dBFS); `
      + `200 OK → window's microphone at the PBX ${atPBX.rx_tone_at - up.answered_at} ms`);
  } finally {
    await browser.close();
  }
});
