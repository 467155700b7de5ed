// The far party's first word is heard: the softphone window's browser leg is up while
// the call rings (outgoing: from the dial; incoming: before Answer), so audio flows both
// ways as soon as the call is answered. Real Chromium, real host, the dev PBX ringing
// 1.5 s before its 200 OK and playing its 1 kHz tone from the answer on.
//
// What is asserted is the order of things (the browser leg connected before the
// answer, no microphone at the PBX before Answer) and that the audio flows; how fast is
// printed here and measured by `make bench` (bench/firstword.mjs), since speed is the
// benchmarks' job, not a timed assertion's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  startDevpbx, launchRegistered, toneWav, tempDir, randomPassword, waitFor,
  watchFirstToneInPage, hostLogOf, logOrder,
} from './harness.mjs';

let tmp; let pbx; const password = randomPassword();
const RING_MS = 1500;

before(async () => {
  tmp = tempDir('tabphone-firstword-');
  pbx = await startDevpbx(tmp.dir, { 1001: password }, { args: ['-ring', `${RING_MS}ms`] });
});
after(() => { pbx?.stop(); tmp?.remove(); });

const LEG_UP = /msg="browser leg" state=connected/;
const ANSWERED = /msg="call answered"/;
const pbxCall = async (id) => (await pbx.api('/api/calls')).find((c) => c.id === id);
const softphoneOf = (b) => waitFor(() => b.ctx.pages().find((p) => p.url().includes('/softphone/softphone.html')), { what: 'softphone window' });
const firstTone = (win) => waitFor(() => win.evaluate(() => window.__tabphoneFirstTone), { timeout: 10000, interval: 20, what: '1 kHz heard in the softphone window' });

function phone(name) {
  return launchRegistered({ dir: join(tmp.dir, name), pbx, user: '1001', password, wav: toneWav(tmp.dir, 1000), account: { codecs: ['pcmu', 'pcma'] } });
}

test('outgoing: the browser leg is up while the call rings, and the 200 OK finds audio flowing both ways', async () => {
  const b = await phone('outgoing');
  try {
    const popup = await b.ctx.newPage();
    await popup.goto(b.url('popup/popup.html'));
    await waitFor(() => popup.getByText(/Registered/).isVisible(), { what: 'popup shows registered' });
    await popup.getByRole('textbox', { name: 'Number' }).fill('601');
    const dialedAt = Date.now();
    await popup.getByRole('button', { name: 'Dial', exact: true }).click();
    const win = await softphoneOf(b);
    await win.evaluate(watchFirstToneInPage, { selector: '#remote-audio', freq: 1000 });

    const ringing = await waitFor(async () => (await pbx.api('/api/calls')).find((c) => c.to === '601' && c.started_at >= dialedAt - 1000), { what: 'INVITE to 601 at devpbx' });
    // While devpbx rings, the host's browser leg connects: nothing waits for the answer.
    await waitFor(() => LEG_UP.test(hostLogOf(b.logDir)), { timeout: RING_MS + 5000, what: 'browser leg connected in the host log' });
    assert.equal((await pbxCall(ringing.id)).state, 'ringing', 'the leg was up before devpbx answered');

    const up = await waitFor(async () => { const c = await pbxCall(ringing.id); return c.state === 'up' && c; }, { what: '601 answered' });
    const heard = await firstTone(win);
    const atPBX = await waitFor(async () => { const c = await pbxCall(ringing.id); return c.rx_tone_at && c; }, { timeout: 10000, what: 'the microphone\'s 1 kHz at devpbx' });
    const [leg, answered] = logOrder(hostLogOf(b.logDir), LEG_UP, ANSWERED);
    assert.ok(leg >= 0 && answered > leg, `host log: browser leg connected (line ${leg}) before the call was answered (line ${answered})`);
    assert.equal(atPBX.codec, 'PCMU', 'our first codec, which the leg was made in');
    assert.ok(atPBX.tone_1000hz_ratio > 0.8, `1 kHz at devpbx, ratio ${atPBX.tone_1000hz_ratio}`);
    console.log(`first word (Chromium, outgoing 601): 200 OK → tone in the window ${(heard.at - up.answered_at).toFixed(0)} ms (${heard.dbfs.toFixed(1)} dBFS); `
      + `200 OK → window's microphone at the PBX ${atPBX.rx_tone_at - up.answered_at} ms`);
    await popup.getByRole('button', { name: 'End call' }).click();
    await waitFor(async () => (await pbxCall(ringing.id)).state === 'ended', { what: 'BYE at devpbx' });
  } finally {
    await b.close();
  }
});

test('incoming: the browser leg is up while it rings, nothing of the microphone reaches the caller before Answer, audio both ways after', async () => {
  const b = await phone('incoming');
  try {
    const r = await fetch(`${pbx.base}/api/originate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: '1001', mode: 'tone', from: '602' }) });
    assert.ok(r.ok, `originate: HTTP ${r.status}`);
    const { id } = await r.json();
    const win = await softphoneOf(b);
    const answer = win.getByRole('button', { name: 'Answer' });
    await waitFor(() => answer.isVisible(), { what: 'Answer button' });
    await win.evaluate(watchFirstToneInPage, { selector: '#remote-audio', freq: 1000 });
    await waitFor(() => LEG_UP.test(hostLogOf(b.logDir)), { timeout: 10000, what: 'browser leg connected while ringing' });
    // The remote stream is there before the answer: the window plays the call's audio
    // from its first packet.
    await waitFor(() => win.evaluate(() => window.__tabphoneWatchingSince), { what: 'remote stream in the window while ringing' });
    const ringing = await pbxCall(id);
    assert.equal(ringing.state, 'ringing');
    assert.equal(ringing.rx_packets, 0, 'no audio from the phone before Answer');

    await answer.click();
    const up = await waitFor(async () => { const c = await pbxCall(id); return c.state === 'up' && c; }, { what: 'answered at devpbx' });
    const heard = await firstTone(win);
    const atPBX = await waitFor(async () => { const c = await pbxCall(id); return c.rx_tone_at && c; }, { timeout: 10000, what: 'the microphone\'s 1 kHz at devpbx' });
    // The mean ratio settles as the microphone (opened at Answer) runs in.
    await waitFor(async () => (await pbxCall(id)).tone_1000hz_ratio > 0.8, { timeout: 10000, what: 'mostly 1 kHz at devpbx' });
    console.log(`first word (Chromium, incoming): 200 OK → tone in the window ${(heard.at - up.answered_at).toFixed(0)} ms; `
      + `200 OK → microphone (opened at Answer) at the PBX ${atPBX.rx_tone_at - up.answered_at} ms`);
    await win.getByRole('button', { name: 'End call' }).click();
    await waitFor(async () => (await pbxCall(id)).state === 'ended', { what: 'BYE at devpbx' });
  } finally {
    await b.close();
  }
});
