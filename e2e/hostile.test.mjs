// Hostile pages and secrets at rest, in real Chromium with the real host and the dev PBX
// (issue 13, done-when 6 and 7, the extension side):
// - a page on a site where click-to-call is on forges what it can: window.postMessage
//   shaped like the content script's messages (and a 5 MB one), chrome.runtime from the
//   page (no externally_connectable: there is none), script clicks and key events on a
//   tel: link and on a mark, a look-alike mark of its own (even the user's click on it),
//   and a tel: link of 100,000 digits the user clicks: no INVITE reaches the dev PBX and
//   the host's history gets no call; the user's click on tel:600 still dials (the control);
// - after registering and that call with SIP traces on, chrome.storage local/sync/session,
//   the pages' localStorage/sessionStorage/IndexedDB/Cache Storage and every file of the
//   browser profile on disk hold neither the password nor a Digest Authorization value.
// The host permission is granted at install in a copy of the extension (same key, same
// ID), since automation cannot answer the permission prompt (as e2e/clicktocall.test.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  mkdirSync, readFileSync, writeFileSync, existsSync, readdirSync, lstatSync,
} from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import {
  EXTENSION_ID, grantedExtensionCopy, startDevpbx, toneWav, launch, tempDir, randomPassword, waitFor,
} from './harness.mjs';

const NO_CALL_WAIT_MS = 2500; // how long "nothing happens" is watched for
let tmp; let pbx; let b; let site; const password = randomPassword();

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>
<body>
  <p><a id="call" href="tel:600">Call 600</a></p>
  <p id="support">Support: +1 312-555-0175</p>
  <p id="forged-here"></p>
  <p><a id="huge" href="#">Call us</a></p>
</body></html>`;

before(async () => {
  tmp = tempDir('tabphone-hostile-');
  pbx = await startDevpbx(tmp.dir, { 1001: password });
  site = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  await new Promise((r) => site.listen(0, '127.0.0.1', r));
  const dir = join(tmp.dir, 'browser');
  const configDir = join(dir, 'config');
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(configDir, 'config.json'), JSON.stringify({
    accounts: [{ id: 'work', user: '1001', password, domain: pbx.sip, codecs: ['pcmu'], region: 'US' }],
    default_account: 'work',
    sip_trace: true,
  }), { mode: 0o600 });
  b = await launch({ dir, wav: toneWav(tmp.dir, 1000), extension: grantedExtensionCopy(tmp.dir) });
  await b.sw.evaluate(() => chrome.storage.local.set({ clickToCall: { links: true, detect: true, region: 'US' } }));
  await waitFor(async () => (await b.sw.evaluate(() => chrome.scripting.getRegisteredContentScripts())).length === 1, { what: 'the click-to-call content script registered' });
  await b.sw.evaluate(() => {
    globalThis.seenByTest = [];
    chrome.runtime.onMessage.addListener((msg, sender) => { globalThis.seenByTest.push({ msg: JSON.stringify(msg).slice(0, 200), url: sender.url }); });
    chrome.runtime.onMessageExternal?.addListener((msg) => { globalThis.seenByTest.push({ external: true, msg: JSON.stringify(msg).slice(0, 200) }); });
    chrome.runtime.onConnectExternal?.addListener(() => { globalThis.seenByTest.push({ external: true, connect: true }); });
  });
  await waitFor(async () => (await pbx.api('/api/registrations')).some((r) => r.user === '1001'), { timeout: 15000, what: 'REGISTER of 1001' });
});

after(async () => {
  await b?.close();
  site?.close();
  pbx?.stop();
  tmp?.remove();
});

const seen = () => b.sw.evaluate(() => globalThis.seenByTest);
const historyLines = () => {
  const f = join(b.configDir, 'history.jsonl');
  return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).length : 0;
};
const knownCalls = async () => new Set((await pbx.api('/api/calls')).map((c) => c.id));
const newCalls = async (known) => (await pbx.api('/api/calls')).filter((c) => !known.has(c.id));

/** For NO_CALL_WAIT_MS: no INVITE at the dev PBX, no call in the host's history. */
async function assertNothingDialed(known, history, what) {
  const end = Date.now() + NO_CALL_WAIT_MS;
  while (Date.now() < end) {
    assert.deepEqual(await newCalls(known), [], `${what}: an INVITE reached the PBX`);
    assert.equal(historyLines(), history, `${what}: a call in the host's history`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('forged page messages, runtime calls, script events, a look-alike mark and a 100,000-digit link dial nothing; the user\'s click on tel:600 does', async () => {
  const page = await b.ctx.newPage();
  await page.goto(`http://127.0.0.1:${site.address().port}/`);
  const real = page.locator('#support .tabphone-ctc-mark');
  await waitFor(async () => (await real.count()) === 1, { what: 'the support number marked (the content script runs here)' });
  const known = await knownCalls();
  const history = historyLines();
  const seenBefore = (await seen()).length;

  // In the page's own world, everything a script can try.
  const tried = await page.evaluate(async (extensionId) => {
    const out = { posted: 0, runtime: null, errors: [] };
    const shapes = [
      { type: 'call_link', data: { uri: 'tel:604' } },
      { type: 'call_number', data: { number: '+13125550175' } },
      { type: 'dial', data: { number: '604' } },
      { type: 'dial', id: 1, data: { number: '604' } },
      { source: 'tabphone', type: 'call_link', data: { uri: 'tel:604' } },
      { type: 'call_link', data: { uri: `tel:${'6'.repeat(5_000_000)}` } },
    ];
    for (const m of shapes) { window.postMessage(m, '*'); out.posted++; }
    window.postMessage(JSON.stringify(shapes[0]), '*');
    out.posted++;
    // No externally_connectable: the page has no way to the extension's runtime.
    const rt = globalThis.chrome?.runtime;
    out.runtime = { exists: Boolean(rt), sendMessage: typeof rt?.sendMessage, connect: typeof rt?.connect };
    for (const call of [
      () => rt.sendMessage(extensionId, { type: 'call_link', data: { uri: 'tel:604' } }),
      () => rt.connect(extensionId, { name: 'popup' }).postMessage({ type: 'dial', id: 1, data: { number: '604' } }),
    ]) {
      try { await call(); out.errors.push('none'); } catch (e) { out.errors.push(String(e.message || e).slice(0, 120)); }
    }
    // Script-made events on a tel: link and on the real mark. The content script (capture
    // phase, first) sees and ignores them; the page then cancels their default, since the
    // browser would otherwise hold the tel: launch until the next user gesture and put its
    // external-protocol prompt over the page, swallowing the test's later clicks.
    document.addEventListener('click', (e) => { if (!e.isTrusted) e.preventDefault(); });
    const link = document.getElementById('call');
    link.click();
    link.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true, button: 0, view: window }));
    link.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    const mark = document.querySelector('#support .tabphone-ctc-mark');
    mark.click();
    mark.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    mark.dispatchEvent(new PointerEvent('click', { bubbles: true, cancelable: true, button: 0 }));
    // A look-alike mark of the page's own, with a number of its choosing.
    const fake = document.createElement('span');
    fake.id = 'forged';
    fake.className = 'tabphone-ctc-mark';
    fake.setAttribute('data-tabphone-number', '+16045550100');
    fake.setAttribute('role', 'button');
    fake.textContent = 'Win a prize';
    document.getElementById('forged-here').append(fake);
    fake.click();
    // A tel: link of 100,000 digits for the user to click.
    document.getElementById('huge').href = `tel:${'6'.repeat(100_000)}`;
    return out;
  }, EXTENSION_ID);
  assert.equal(tried.posted, 7);
  assert.ok(!tried.runtime.exists || tried.runtime.sendMessage !== 'function', `the page has chrome.runtime.sendMessage: ${JSON.stringify(tried)}`);
  assert.ok(tried.errors.every((e) => e !== 'none'), `a runtime call went through: ${JSON.stringify(tried.errors)}`);
  // The user's own click on the page's look-alike mark.
  await page.locator('#forged').click();
  await assertNothingDialed(known, history, 'forged');
  const after = (await seen()).slice(seenBefore);
  assert.deepEqual(after, [], 'a message reached the background');

  // The control: the user's click on tel:600 dials.
  const t0 = performance.now();
  await page.locator('#call').click();
  const call = await waitFor(async () => (await newCalls(known)).find((c) => c.to === '600' && c.state === 'up'), { timeout: 15000, what: 'the user\'s call to 600 at devpbx' });
  console.log(`control: the user's click on tel:600 → call up in ${(performance.now() - t0).toFixed(0)} ms`);
  assert.deepEqual((await newCalls(known)).map((c) => c.to), ['600']);
  const win = await waitFor(() => b.ctx.pages().find((p) => p.url().includes('/softphone/softphone.html')), { what: 'softphone window' });
  const end = win.getByRole('button', { name: 'End call' });
  await waitFor(() => end.isVisible(), { what: 'End call' });
  await end.click();
  await waitFor(async () => (await pbx.api('/api/calls')).find((c) => c.id === call.id && c.state === 'ended'), { what: 'call ended' });
  await waitFor(() => historyLines() === history + 1, { what: 'the call in the history' });

  // The user's click on a tel: link of 100,000 digits: the content script sends what the
  // link carries (its one message), the background refuses it by its size.
  await new Promise((r) => setTimeout(r, 1600)); // past the background's one dial per 1.5 s, so only the size refuses
  const known2 = await knownCalls();
  const seenHuge = (await seen()).length;
  await page.locator('#huge').click();
  await waitFor(async () => (await seen()).length > seenHuge, { what: 'the huge link\'s message at the background' });
  await assertNothingDialed(known2, history + 1, 'huge link');
  const huge = (await seen()).slice(seenHuge);
  assert.equal(huge.length, 1);
  assert.ok(huge[0].msg.startsWith('{"type":"call_link","data":{"uri":"tel:666'), huge[0].msg);
  console.log(`forged: 7 postMessages (one of 5 MB), runtime ${JSON.stringify(tried.runtime)} (${tried.errors.join(' | ')}), 6 script events and the user's click on a look-alike mark: 0 messages at the background, 0 INVITEs, 0 history entries; the user's click on a 100,000-digit tel: link: 1 message, refused, 0 INVITEs`);
  await page.close();
});

/** Every regular file under dir (not following links). */
function filesUnder(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    let st;
    try { st = lstatSync(p); } catch { continue; }
    if (st.isDirectory()) out.push(...filesUnder(p));
    else if (st.isFile()) out.push(p);
  }
  return out;
}

test('after registering and a call with SIP traces on: no password or Authorization value in the extension\'s storage or the profile on disk', async () => {
  // Runs after the call above (node:test runs a file's tests in order).
  assert.ok(historyLines() >= 1, 'no call was made before this test');
  const needles = [
    { name: 'password', bytes: [Buffer.from(password, 'utf8'), Buffer.from(password, 'utf16le')] },
    { name: 'Digest credentials', bytes: [Buffer.from('Digest username=', 'utf8'), Buffer.from('Digest username=', 'utf16le')] },
    { name: 'a digest response', bytes: [Buffer.from('response="', 'utf8'), Buffer.from('response="', 'utf16le')] },
  ];
  const found = (text) => needles.filter((n) => text.includes(n.bytes[0].toString('utf8'))).map((n) => n.name);

  // What the extension's pages and worker can read.
  const options = await b.ctx.newPage();
  await options.goto(b.url('options/options.html'));
  await waitFor(async () => (await options.locator('#user').inputValue()) === '1001', { what: 'the options page read the settings' });
  const fromPage = await options.evaluate(async () => ({
    local: await chrome.storage.local.get(null),
    sync: await chrome.storage.sync.get(null).catch((e) => `error: ${e.message}`),
    session: await chrome.storage.session.get(null),
    localStorage: { ...localStorage },
    sessionStorage: { ...sessionStorage },
    indexedDB: await indexedDB.databases(),
    caches: await caches.keys(),
    passwordField: document.querySelector('input[type=password]')?.value ?? null,
  }));
  const fromWorker = await b.sw.evaluate(async () => ({
    local: await chrome.storage.local.get(null),
    session: await chrome.storage.session.get(null),
    indexedDB: await indexedDB.databases(),
    caches: await caches.keys(),
  }));
  await options.close();
  const dump = JSON.stringify({ fromPage, fromWorker });
  assert.deepEqual(found(dump), [], `in the extension's storage: ${dump.slice(0, 2000)}`);
  assert.ok(Object.keys(fromPage.local).includes('clickToCall'), `storage.local read: ${Object.keys(fromPage.local)}`);
  assert.ok(Object.keys(fromPage.session).length > 0, 'storage.session read');
  assert.ok(!fromPage.passwordField, 'the options page shows the password itself');

  // The profile's files, byte for byte (LevelDB keeps strings as UTF-8 or UTF-16).
  const files = filesUnder(b.profile);
  let bytes = 0;
  const hits = [];
  for (const f of files) {
    let buf;
    try { buf = readFileSync(f); } catch { continue; }
    bytes += buf.length;
    for (const n of needles) if (n.bytes.some((x) => buf.includes(x))) hits.push(`${n.name} in ${f.slice(b.profile.length)}`);
  }
  assert.deepEqual(hits, [], 'secrets on disk in the profile');
  const settings = files.filter((f) => /Local Extension Settings|Extension State|Local Storage|IndexedDB|Session Storage/.test(f));
  assert.ok(settings.some((f) => f.includes(`Local Extension Settings/${EXTENSION_ID}`)), `storage.local files not found: ${settings.join(' ')}`);

  // The host's log, with the traces on: redacted, no secret.
  const log = readFileSync(join(b.logDir, 'host.log'), 'utf8');
  assert.match(log, /\[redacted\]/, 'no trace in host.log (sip_trace on)');
  assert.deepEqual(found(log), [], 'a secret in host.log');
  console.log(`secrets: storage dump ${dump.length} bytes, profile ${files.length} files / ${(bytes / 1e6).toFixed(1)} MB (${settings.length} storage files), host.log ${log.length} bytes: no password, no Digest credentials`);
});
