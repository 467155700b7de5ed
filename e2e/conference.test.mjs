// Three-way conference, end to end: real Chromium with the extension and the host, two
// baresip parties (plain RTP behind Kamailio, bin/tabphone-securepeers) sending 700 Hz
// and 1300 Hz, the fake microphone 1000 Hz. The user calls 2003, holds it, calls 2004
// and presses "Merge calls": the window mixes with WebAudio, so each baresip's recording
// must hold the other party's tone and the microphone's, and the window must play both
// parties. Hold then holds both; ending 2004 leaves 2003 connected with audio both ways.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  startSecurePeers, toneWav, launchWithPopup, tempDir, waitFor, waitRegistered, root, measureToneInPage,
  waitToneInWindow, screenshotBoth,
} from './harness.mjs';

const micTone = 1000;
const toneA = 700; // baresip 2003
const toneB = 1300; // baresip 2004
const QUIET = [440, 1700, 2500]; // probes no one sends

let tmp; let peers; let b; let popup; let skip;

before(async () => {
  tmp = tempDir();
  peers = await startSecurePeers();
  if (peers.skip) { skip = peers.skip; return; }
  assert.equal(peers.baresip['2003'].tone_hz, toneA);
  assert.equal(peers.baresip['2004'].tone_hz, toneB);
  const dir = join(tmp.dir, 'phone');
  const cfg = {
    accounts: [{
      id: 'work', user: '1001', password: peers.password, domain: peers.plain.udp, transport: 'udp', srtp: 'off',
      codecs: ['pcmu'], auto_answer: { enabled: false, seconds: 5 },
    }],
    default_account: 'work',
    status: 'available',
  };
  ({ b, popup } = await launchWithPopup({ dir, cfg, wav: toneWav(tmp.dir, micTone) }));
});

after(async () => {
  await b?.close();
  await peers?.stop?.();
  tmp?.remove();
});

/** On failure, leaves every peer's log in e2e/out/conference/ and names it in the error. */
function keepLogsOnFailure(fn) {
  return peers.keepLogsOnFailure(join(root, 'e2e', 'out', 'conference'), fn);
}

async function dial(digits) {
  await popup.getByRole('textbox', { name: 'Number' }).fill(digits);
  await popup.getByRole('button', { name: 'Dial', exact: true }).click();
  const win = await waitFor(() => b.ctx.pages().find((p) => p.url().includes('/softphone/softphone.html')), { what: 'softphone window' });
  // By its number: the other call's "Transfer to …" button names this number too.
  const item = win.locator('li.call').filter({ has: win.locator('.call-number', { hasText: new RegExp(`^${digits}$`) }) });
  await waitFor(() => item.getByText(/^Connected \d\d:\d\d$/).isVisible(), { timeout: 15000, what: `call to ${digits} connected` });
  return { win, item };
}

/**
 * Polls baresip's recording (its last `seconds`) until it holds each tone in `loud`
 * (audiotest's Present: at least 20 % of the energy) and each in `faint` at least 100×
 * over a frequency no one sends. The microphone is `faint`: in a mix with the other
 * party it is about a quarter of the energy (measured 0.26–0.29 here), and the
 * browser's own processing of the microphone (gain control, noise suppression) sets its
 * level, not this test.
 */
async function baresipHears(user, { loud = [], faint = [] }, seconds = 2) {
  const got = {};
  await waitFor(async () => {
    for (const f of [...loud, ...faint, QUIET_AT_BARESIP]) got[f] = await peers.command(`tone ${user} ${f} ${seconds}`);
    const floor = Math.max(got[QUIET_AT_BARESIP].ratio, 1e-6);
    return loud.every((f) => got[f].present) && faint.every((f) => got[f].ratio > 100 * floor);
  }, { timeout: 15000, interval: 250, what: `${[...loud, ...faint].join(' + ')} Hz at baresip ${user}` }).catch((e) => {
    throw new Error(`${e.message}: ${JSON.stringify(got)}`);
  });
  return got;
}

const QUIET_AT_BARESIP = 1700;

/** The window's playback, measured until both tones stand 100× over the quiet probes. */
async function windowHearsBoth(win) {
  let m;
  await waitFor(async () => {
    m = await win.evaluate(measureToneInPage, { selector: '#remote-audio', freq: toneB, ms: 1500 });
    if (m.error) return false;
    const noise = Math.max(...QUIET.map((f) => m.power[f]));
    return m.dbfs > -40 && m.power[toneA] > 100 * noise && m.power[toneB] > 100 * noise;
  }, { timeout: 15000, interval: 100, what: `${toneA} Hz and ${toneB} Hz in the window` }).catch((e) => {
    throw new Error(`${e.message}: ${JSON.stringify(m)}`);
  });
  return m;
}

const ratios = (got) => Object.entries(got).map(([f, l]) => `${f} Hz ${l.ratio.toExponential(2)}`).join(', ');

async function endAll(win) {
  await waitFor(async () => {
    const calls = win.locator('li.call');
    if (await calls.count() === 0) return true;
    await calls.first().getByRole('button', { name: 'End call' }).click({ timeout: 2000 }).catch(() => {});
    return false;
  }, { timeout: 15000, interval: 500, what: 'all calls ended' }).catch(async (e) => {
    throw new Error(`${e.message}: ${await win.locator('#calls').textContent()}`);
  });
}

test('Merge joins two calls: each baresip hears the other party and the microphone, the window plays both; ending one leaves the other with audio', async (t) => {
  if (skip) { t.skip(skip); return; }
  await keepLogsOnFailure(async () => {
    await waitRegistered(popup, '1001');
    const { win, item: a } = await dial('2003');
    await waitToneInWindow(win, toneA);
    const { item: bItem } = await dial('2004');
    await waitToneInWindow(win, toneB);
    const before = await baresipHears('2003', { faint: [micTone] });
    assert.equal(before[toneB]?.present, undefined);

    const merge = win.getByRole('button', { name: 'Merge calls' });
    await merge.click();
    await waitFor(() => win.getByText(/^Conference: 2003, 2004$/).isVisible(), { what: 'the conference line' });
    assert.equal(await merge.isVisible(), false, 'nothing more to merge');
    assert.equal(await win.evaluate(() => document.documentElement.dataset.conference.split(',').length), 2);

    const inWindow = await windowHearsBoth(win);
    const atA = await baresipHears('2003', { loud: [toneB], faint: [micTone] });
    const atB = await baresipHears('2004', { loud: [toneA], faint: [micTone] });
    console.log(`merged: window ${inWindow.dbfs.toFixed(1)} dBFS, ${toneA} Hz ${inWindow.power[toneA].toExponential(1)}, ` +
      `${toneB} Hz ${inWindow.power[toneB].toExponential(1)}, quiet ${Math.max(...QUIET.map((f) => inWindow.power[f])).toExponential(1)}; ` +
      `2003 heard (share of energy) ${ratios(atA)}; 2004 heard ${ratios(atB)}`);
    await screenshotBoth(win, 'softphone-conference');

    // 2004 hangs up from the window: 2003 stays connected and is heard, hears the
    // microphone, and no longer 2004.
    await bItem.getByRole('button', { name: 'End call' }).click();
    await waitFor(async () => (await win.locator('li.call').count()) === 1, { what: '2004 gone from the window' });
    await waitFor(() => win.getByText(/^Conference:/).isHidden(), { what: 'the conference line gone' });
    assert.ok(await a.getByText(/^Connected \d\d:\d\d$/).isVisible(), '2003 still connected');
    const alone = await waitToneInWindow(win, toneA);
    assert.ok(alone.power[toneB] < alone.power[toneA] / 100, `2004's tone is gone from the window: ${JSON.stringify(alone.power)}`);
    const after = await baresipHears('2003', { faint: [micTone] });
    let gone;
    await waitFor(async () => {
      gone = await peers.command(`tone 2003 ${toneB} 2`);
      return gone.ratio < 0.01 && gone.signal_blocks > 0;
    }, { timeout: 10000, interval: 250, what: `${toneB} Hz gone at 2003` }).catch((e) => { throw new Error(`${e.message}: ${JSON.stringify(gone)}`); });
    console.log(`after 2004 hung up: window ${toneA} Hz ${alone.power[toneA].toExponential(1)} vs ${toneB} Hz ${alone.power[toneB].toExponential(1)}; ` +
      `2003 heard ${ratios(after)}; ${toneB} Hz share ${gone.ratio.toExponential(2)}`);
    await endAll(win);
  });
});

test('Merge takes a held call off hold; Hold on a merged call holds both, Resume both; Split puts one party on hold and leaves the other connected', async (t) => {
  if (skip) { t.skip(skip); return; }
  await keepLogsOnFailure(async () => {
    const { win, item: a } = await dial('2003');
    // The usual way to a second call: the first waits on hold.
    await a.getByRole('button', { name: 'Hold', exact: true }).click();
    await waitFor(() => a.getByText(/^On hold \d\d:\d\d$/).isVisible(), { what: '2003 on hold' });
    const { item: bItem } = await dial('2004');
    await win.getByRole('button', { name: 'Merge calls' }).click();
    await waitFor(() => a.getByText(/^Connected \d\d:\d\d$/).isVisible(), { what: '2003 resumed by Merge' });
    await windowHearsBoth(win);

    await a.getByRole('button', { name: 'Hold', exact: true }).click();
    await waitFor(async () => (await a.getByText(/^On hold /).isVisible()) && (await bItem.getByText(/^On hold /).isVisible()),
      { what: 'both calls on hold' });
    await bItem.getByRole('button', { name: 'Resume', exact: true }).click();
    await waitFor(async () => (await a.getByText(/^Connected /).isVisible()) && (await bItem.getByText(/^Connected /).isVisible()),
      { what: 'both calls resumed' });
    await windowHearsBoth(win);

    await bItem.getByRole('button', { name: 'Split' }).click();
    await waitFor(() => bItem.getByText(/^On hold /).isVisible(), { what: '2004 on hold after Split' });
    await waitFor(() => win.getByText(/^Conference:/).isHidden(), { what: 'the conference line gone' });
    assert.ok(await a.getByText(/^Connected /).isVisible(), '2003 still connected');
    const m = await waitToneInWindow(win, toneA);
    assert.ok(m.power[toneB] < m.power[toneA] / 100, `the held 2004 is not heard: ${JSON.stringify(m.power)}`);
    await endAll(win);
  });
});
