// Click-to-call end to end in real Chromium with the real host and the dev PBX:
// - the user's click on a tel: link of the demo app's contacts page dials (devpbx sees
//   the call to 600, the echo);
// - a page script's element.click() / dispatchEvent on the same link dials nothing, and
//   the background receives no message at all;
// - number detection: a page with IP addresses, dates, order numbers, and digits in
//   inputs, a textarea, an editor and code gets no false mark; a table of real numbers
//   added after load gets its marks; a script's click on a mark dials nothing, the
//   user's click dials the number.
// The user grants the host permission in the options page; the test loads a copy of the
// extension with that permission granted at install instead (same key, same ID), since
// automation cannot answer the browser's permission prompt.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import {
  grantedExtensionCopy, startDevpbx, writeHostConfig, toneWav, launch, tempDir, randomPassword, waitFor, screenshotDir,
} from './harness.mjs';

const NO_CALL_WAIT_MS = 2500; // how long "nothing happens" is watched for
let tmp; let pbx; let b; let site; let contacts; const password = randomPassword();

const DETECT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Orders</title></head>
<body>
  <h1>Order overview</h1>
  <p id="real">Support: +44 20 7946 0958</p>
  <table id="noise">
    <tr><td>Server</td><td>192.168.100.200</td></tr>
    <tr><td>SIP proxy</td><td>10.10.10.100:5060</td></tr>
    <tr><td>Gateway</td><td>212.55.50.143</td></tr>
    <tr><td>Due</td><td>2024-03-15</td></tr>
    <tr><td>Shipped</td><td>15.03.2024 10:30</td></tr>
    <tr><td>Delivered</td><td>03/15/2024</td></tr>
    <tr><td>Order</td><td>Order #4155552671</td></tr>
    <tr><td>Invoice</td><td>Invoice 212-555-0143</td></tr>
    <tr><td>Tracking</td><td>Tracking number 4155552671</td></tr>
    <tr><td>Reference</td><td>2125550143</td></tr>
  </table>
  <form>
    <label>Phone <input name="phone" value="+44 20 7946 0958"></label>
    <label>Mobile <input type="tel" value="(212) 555-0143"></label>
    <label>Notes <textarea>Call +44 20 7946 0958 tomorrow</textarea></label>
  </form>
  <div contenteditable="true">Draft: call +1 312-555-0175</div>
  <pre><code>curl -d number=+442079460958 https://api.example.com/</code></pre>
  <div id="later"></div>
</body></html>`;

before(async () => {
  tmp = tempDir('tabphone-ctc-');
  pbx = await startDevpbx(tmp.dir, { 1001: password });
  site = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': "default-src 'none'" });
    res.end(DETECT_PAGE);
  });
  await new Promise((r) => site.listen(0, '127.0.0.1', r));
  const dir = join(tmp.dir, 'browser');
  mkdirSync(dir);
  writeHostConfig(join(dir, 'config'), { user: '1001', password, sip: pbx.sip, codecs: ['pcmu'], region: 'US' });
  b = await launch({ dir, wav: toneWav(tmp.dir, 1000), extension: grantedExtensionCopy(tmp.dir) });
  // The options page's switches, as the user leaves them; the background registers the script.
  await b.sw.evaluate(() => chrome.storage.local.set({ clickToCall: { links: true, detect: true, region: 'US' } }));
  await waitFor(async () => {
    const regs = await b.sw.evaluate(() => chrome.scripting.getRegisteredContentScripts());
    return regs.length === 1 && regs[0].js.includes('vendor/libphonenumber-min.js') && regs[0].js;
  }, { what: 'the click-to-call content script registered with detection' });
  // What reaches the background from pages: a listener of the test's own beside ours.
  await b.sw.evaluate(() => {
    globalThis.seenByTest = [];
    chrome.runtime.onMessage.addListener((msg, sender) => { globalThis.seenByTest.push({ msg, url: sender.url }); });
  });
  await waitFor(async () => (await pbx.api('/api/registrations')).some((r) => r.user === '1001'), { timeout: 15000, what: 'REGISTER of 1001' });
});

after(async () => {
  await b?.close();
  site?.close();
  pbx?.stop();
  tmp?.remove();
});

const seen = () => b.sw.evaluate(() => globalThis.seenByTest.length);
/** The ids of the calls devpbx knows now: later checks look only at newer calls. */
const knownCalls = async () => new Set((await pbx.api('/api/calls')).map((c) => c.id));
const newCallsTo = async (to, known) => (await pbx.api('/api/calls')).filter((c) => c.to === to && !known.has(c.id));

/** Asserts that for NO_CALL_WAIT_MS no new call to `to` starts and the background hears nothing. */
async function assertNothingDialed(to, known, seenBefore) {
  const end = Date.now() + NO_CALL_WAIT_MS;
  while (Date.now() < end) {
    assert.deepEqual(await newCallsTo(to, known), [], `no call to ${to}`);
    assert.equal(await seen(), seenBefore, 'the background received no message');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Ends the call with the softphone window's End call, as the user would. */
async function endCall(callId) {
  const win = await waitFor(() => b.ctx.pages().find((p) => p.url().includes('/softphone/softphone.html')), { what: 'softphone window' });
  const end = win.getByRole('button', { name: 'End call' });
  await waitFor(() => end.isVisible(), { what: 'End call in the softphone window' });
  await end.click();
  await waitFor(async () => (await pbx.api('/api/calls')).find((c) => c.id === callId && c.state === 'ended'), { timeout: 10000, what: 'call ended' });
}

async function loginToContacts() {
  const page = await b.ctx.newPage();
  await page.goto(`${pbx.base}/login`);
  await page.fill('input[name=user]', '1001');
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(/\/app\/$/), page.locator('form').evaluate((f) => f.requestSubmit())]);
  await page.goto(`${pbx.base}/app/contacts`);
  return page;
}

test('the options page shows the Click-to-call section as the user left it', async () => {
  const page = await b.ctx.newPage();
  await page.setViewportSize({ width: 900, height: 800 });
  await page.goto(b.url('options/options.html'));
  const section = page.getByRole('group', { name: 'Click-to-call' });
  await waitFor(() => page.getByRole('checkbox', { name: 'Find phone numbers in page text' }).isChecked(), { what: 'detection switch shown on' });
  assert.equal(await page.getByRole('checkbox', { name: 'Call tel:, sip: and callto: links with Tabphone' }).isChecked(), true);
  assert.equal(await page.getByRole('textbox', { name: 'Region of page numbers' }).inputValue(), 'US');
  assert.equal(await page.locator('#ctc-status').textContent(), '', 'the permission is there: no complaint');
  await section.screenshot({ path: join(screenshotDir, 'options-clicktocall.png') });
  await page.close();
});

test('the user\'s click on a tel: link of the demo app dials it through the host', async () => {
  const page = await loginToContacts();
  contacts = page;
  const known = await knownCalls();
  const before = await seen();
  const t0 = performance.now();
  await page.locator('a[href="tel:600"]').click();
  const call = await waitFor(async () => (await newCallsTo('600', known)).find((c) => c.state === 'up'), { timeout: 15000, what: 'call to 600 answered at devpbx' });
  const ms = performance.now() - t0;
  const msgs = await b.sw.evaluate(() => globalThis.seenByTest.map((s) => s.msg));
  assert.deepEqual(msgs.slice(before), [{ type: 'call_link', data: { uri: 'tel:600' } }]);
  assert.equal(page.url(), `${pbx.base}/app/contacts`, 'the page stayed (no external handler)');
  console.log(`click-to-call: tel:600 click → call up at devpbx in ${ms.toFixed(0)} ms`);
  await endCall(call.id);
});

test('a script-made click() on a tel: link dials nothing; the background hears nothing', async () => {
  // The same page whose link the user's click just dialled: the content script runs there.
  const page = contacts;
  const link = page.locator('a[href="tel:600"]');
  const known = await knownCalls();
  const before = await seen();
  await link.evaluate((a) => a.click());
  await link.evaluate((a) => a.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true, button: 0 })));
  await assertNothingDialed('600', known, before);
  await page.close();
});

test('number detection: no false marks; real numbers added after load are marked; only the user\'s click on a mark dials', async () => {
  const page = await b.ctx.newPage();
  await page.goto(`http://127.0.0.1:${site.address().port}/`);
  const marks = page.locator('.tabphone-ctc-mark');
  // The one real number in the page proves the scan ran; nothing else may be marked.
  await waitFor(async () => (await marks.count()) >= 1, { what: 'the real number marked' });
  await new Promise((r) => setTimeout(r, 600)); // past the observer's debounce: any late false mark would show
  assert.deepEqual(await marks.allTextContents(), ['+44 20 7946 0958']);
  assert.equal(await page.locator('#noise .tabphone-ctc-mark, form .tabphone-ctc-mark, [contenteditable] .tabphone-ctc-mark, pre .tabphone-ctc-mark').count(), 0);
  assert.equal(await page.locator('input[name=phone]').inputValue(), '+44 20 7946 0958', 'inputs untouched');

  // Content added after load, as a web app renders it.
  await page.evaluate(() => {
    const t = document.createElement('table');
    t.id = 'added';
    for (const [name, num] of [['London', '+44 161 496 0000'], ['New York', '(212) 555-0143'], ['Chicago', '+1 312-555-0175'], ['Berlin', '+49 30 901820'], ['Build', '2024-11-26 10:30']]) {
      const tr = t.insertRow();
      tr.insertCell().textContent = name;
      tr.insertCell().textContent = num;
    }
    document.getElementById('later').append(t);
  });
  const t0 = performance.now();
  await waitFor(async () => (await page.locator('#added .tabphone-ctc-mark').count()) === 4, { what: '4 marks in the added table' });
  console.log(`click-to-call: 4 numbers in a table added after load marked in ${(performance.now() - t0).toFixed(0)} ms`);
  assert.deepEqual(await page.locator('#added .tabphone-ctc-mark').allTextContents(), ['+44 161 496 0000', '(212) 555-0143', '+1 312-555-0175', '+49 30 901820']);
  assert.equal(await page.locator('#added .tabphone-ctc-mark').first().getAttribute('aria-label'), 'Call +44 161 496 0000 with Tabphone');
  await page.setViewportSize({ width: 900, height: 900 });
  await page.locator('#real .tabphone-ctc-mark').hover();
  await page.screenshot({ path: join(screenshotDir, 'clicktocall-marks.png'), fullPage: true });

  // A script's click on a mark: nothing.
  const real = page.locator('#real .tabphone-ctc-mark');
  const known = await knownCalls();
  const before = await seen();
  await real.evaluate((m) => m.click());
  await assertNothingDialed('+442079460958', known, before);

  // The user's click: the number, in E.164, reaches devpbx (no such extension there: 404).
  await real.click();
  const call = await waitFor(async () => (await newCallsTo('+442079460958', known))[0], { timeout: 15000, what: 'call to +442079460958 at devpbx' });
  assert.ok(call);
  const msgs = await b.sw.evaluate(() => globalThis.seenByTest.map((s) => s.msg));
  assert.deepEqual(msgs.slice(before), [{ type: 'call_number', data: { number: '+442079460958' } }]);
  await page.close();
});
