// Busy lamps and pickup, end to end in real Chromium with the host: Kamailio with its
// presence modules serves the dialog state of the calls it proxies (the Go tests' peers,
// bin/tabphone-securepeers -blf). The popup's lamp for 2000 follows a real call from
// baresip 2001 to baresip 2000 (ringing with the caller, in a call, free again); a click
// on the ringing lamp dials the pickup code, the call connects in the softphone window,
// baresip 2001 (the caller) hears the fake microphone's 1000 Hz and the window hears
// baresip's 440 Hz. The options page shows the watch list and the pickup code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  startSecurePeers, toneWav, launchWithPopup, tempDir, waitFor, waitRegistered, root, waitToneInWindow,
  screenshotBoth, skipUnlessCI,
} from './harness.mjs';

const micTone = 1000; // the fake microphone
const peerTone = 440; // what baresip 2001 sends

let tmp; let peers; let b; let popup; let skip;

before(async () => {
  tmp = tempDir();
  peers = await startSecurePeers(['-blf']);
  if (peers.skip) {
    skip = skipUnlessCI(peers.skip);
    if (!skip) throw new Error(`a peer is missing under CI: ${peers.skip}`);
    return;
  }
  const dir = join(tmp.dir, 'phone');
  const cfg = {
    accounts: [{
      id: 'work', user: '1001', password: peers.password, domain: peers.udp, transport: 'udp', codecs: ['pcmu'],
      auto_answer: { enabled: false, seconds: 5 }, blf: ['2000', '2002'], pickup_prefix: '**',
    }],
    status: 'available',
  };
  ({ b, popup } = await launchWithPopup({ dir, cfg, wav: toneWav(tmp.dir, micTone), height: 640 }));
});

after(async () => {
  await b?.close();
  await peers?.stop?.();
  tmp?.remove();
});

/** On failure: ends a call left up, leaves the peers' logs in e2e/out/blf/<name>/. */
function keepLogsOnFailure(name, fn) {
  return peers.keepLogsOnFailure(join(root, 'e2e', 'out', 'blf', name), fn,
    () => popup.getByRole('button', { name: 'End call' }).click({ timeout: 2000 }));
}

async function command(line) {
  const r = await peers.command(line);
  if (r.error) throw new Error(`${line}: ${r.error}`);
  return r;
}

/** The lamp button of an extension whose accessible name matches. */
const lamp = (name) => popup.getByRole('button', { name });

async function waitLamp(name, what) {
  const t0 = Date.now();
  await waitFor(() => lamp(name).isVisible(), { timeout: 10000, what: `lamp ${what}` });
  return Date.now() - t0;
}

test('the lamp for 2000 follows a real call: ringing with the caller, in a call, free again', async (t) => {
  if (skip) { t.skip(skip); return; }
  await keepLogsOnFailure('lamp', async () => {
    await waitRegistered(popup, '1001');
    await waitLamp('Call 2000, Free', '2000 free');
    // 2002 is registered nowhere: Kamailio's presence knows nothing, which is free too.
    await waitLamp('Call 2002, Free', '2002 free');
    assert.equal(await popup.getByRole('heading', { name: 'Colleagues' }).isVisible(), true);

    await command('dial 2001 2000');
    await command('wait 2000 CALL_INCOMING');
    const ringMs = await waitLamp('Pick up the call ringing at 2000, Ringing: 2001', '2000 ringing');
    assert.match(await lamp(/^Pick up the call ringing at 2000/).textContent(), /Ringing: 2001 — click to pick up/);
    await screenshotBoth(popup, 'popup-lamps');
    await command('accept 2000');
    await command('wait 2001 CALL_ESTABLISHED');
    const busyMs = await waitLamp('Call 2000, In a call with 2001', '2000 in a call');
    await command('hangup 2001');
    const freeMs = await waitLamp('Call 2000, Free', '2000 free again');
    await command('wait 2000 CALL_CLOSED');
    console.log(`lamp 2000 in the popup: ringing ${ringMs} ms after baresip 2000 rang, in a call ${busyMs} ms after the answer, free ${freeMs} ms after the hangup`);
  });
});

test('a click on the ringing lamp picks the call up: the caller hears the microphone, the window hears the caller', async (t) => {
  if (skip) { t.skip(skip); return; }
  await keepLogsOnFailure('pickup', async () => {
    await waitLamp('Call 2000, Free', '2000 free');
    await command('dial 2001 2000');
    await command('wait 2000 CALL_INCOMING');
    await waitLamp(/^Pick up the call ringing at 2000/, '2000 ringing');
    await lamp(/^Pick up the call ringing at 2000/).click();
    const win = await waitFor(() => b.ctx.pages().find((p) => p.url().includes('/softphone/softphone.html')), { what: 'softphone window' });
    await waitFor(() => win.locator('li.call').getByText(/^Connected \d\d:\d\d$/).isVisible(), { timeout: 15000, what: 'pickup connected' });
    assert.equal(await win.locator('li.call').getByText('**2000').first().isVisible(), true, 'the call is the pickup code');
    // The ringing call to 2000 is gone (the PBX took it away from 2000's phone).
    await command('wait 2000 CALL_CLOSED');
    const m = await waitToneInWindow(win, peerTone);
    let l;
    await waitFor(async () => {
      l = await peers.command(`tone 2001 ${micTone}`);
      return l.present;
    }, { timeout: 15000, interval: 200, what: `${micTone} Hz at the caller, baresip 2001` }).catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify(l)}`);
    });
    console.log(`pickup: the caller (baresip 2001) hears ${micTone} Hz, ratio ${l.ratio.toFixed(3)} over ${l.signal_blocks} blocks, loudest ${l.max_dbfs.toFixed(1)} dBFS; ` +
      `the window hears ${peerTone} Hz at ${m.dbfs.toFixed(1)} dBFS`);
    await popup.getByRole('button', { name: 'End call' }).click();
    await waitFor(async () => !(await popup.getByRole('button', { name: 'End call' }).isVisible()), { what: 'call gone from popup' });
    await waitLamp('Call 2000, Free', '2000 free after the pickup');
  });
});

/** Elements of a section wider than the page (CSS px): a11y.test.mjs's sideways check. */
const sticksOut = (page, selector) => page.evaluate((sel) => {
  const w = document.documentElement.clientWidth;
  return [...document.querySelectorAll(`${sel} *`)].filter((el) => el.getBoundingClientRect().right > w + 0.5 && el.getClientRects().length > 0)
    .map((el) => `${el.tagName.toLowerCase()}.${el.className}`);
}, selector);

test('the lamps have names and fit the popup at 200 % zoom', async (t) => {
  if (skip) { t.skip(skip); return; }
  const names = await popup.locator('button.lamp').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
  assert.deepEqual(names, ['Call 2000, Free', 'Call 2002, Free']);
  // Chromium's popup at 200 %: 680 device pixels wide, so 340 CSS pixels (as in a11y.test.mjs),
  // with the longest words a lamp shows (ringing, with the caller).
  await command('dial 2001 2000');
  await waitLamp(/^Pick up the call ringing at 2000/, '2000 ringing');
  assert.deepEqual(await sticksOut(popup, '#lamps-section'), []);
  await command('hangup 2001');
  await waitLamp('Call 2000, Free', '2000 free');
});

test('the options page shows the colleagues to watch and the pickup code', async (t) => {
  if (skip) { t.skip(skip); return; }
  const page = await b.ctx.newPage();
  await page.setViewportSize({ width: 900, height: 900 });
  await page.goto(b.url('options/options.html'));
  const list = page.getByRole('textbox', { name: 'Extensions of colleagues' });
  await waitFor(async () => (await list.inputValue()) === '2000\n2002', { what: 'the watch list from the host' });
  assert.equal(await page.getByRole('textbox', { name: "Code to answer a colleague's ringing phone" }).inputValue(), '');
  await page.setViewportSize({ width: 500, height: 450 }); // 200 % of 1000 × 900
  assert.deepEqual(await sticksOut(page, '#colleagues'), []);
  await page.setViewportSize({ width: 900, height: 900 });
  await page.locator('#colleagues').evaluate((el) => el.scrollIntoView({ block: 'center' }));
  await screenshotBoth(page, 'options-colleagues');
  await page.close();
});
