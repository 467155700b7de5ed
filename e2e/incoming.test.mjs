// Incoming calls end to end in real Chromium: the dev PBX calls user 1001 (its
// /api/originate test API), the softphone window rings and answers, declines, DND
// rejects, and auto-answer picks up after N s with the beep. Audio is measured.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  startDevpbx, launchRegistered, toneWav, tempDir, randomPassword, waitFor, measureToneInPage, toneFound, screenshotBoth, skipUnlessCI,
} from './harness.mjs';

const password = randomPassword();

// These tests need devpbx to call the phone (POST /api/originate); until it can, they
// are skipped with the reason, not passed.
const tmp = tempDir();
const pbx = await startDevpbx(tmp.dir, { 1001: password });
const probe = await fetch(`${pbx.base}/api/originate`, { method: 'POST', body: '{}' });
const noOriginate = probe.status === 404 || probe.status === 405 ? skipUnlessCI('devpbx has no /api/originate yet') : false;
after(() => { pbx?.stop(); tmp?.remove(); });

async function phone(name, account = {}) {
  return launchRegistered({ dir: join(tmp.dir, name), pbx, user: '1001', password, wav: toneWav(tmp.dir, 1000), account: { codecs: ['pcmu'], ...account } });
}

async function originate(body) {
  const r = await fetch(`${pbx.base}/api/originate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: '1001', ...body }) });
  const text = await r.text();
  assert.ok(r.ok, `originate: HTTP ${r.status} ${text}`);
  return JSON.parse(text).id;
}

const pbxCall = async (id) => (await pbx.api('/api/calls')).find((c) => c.id === id);
const softphoneOf = (b) => waitFor(() => b.ctx.pages().find((p) => p.url().includes('/softphone/softphone.html')), { what: 'softphone window' });

test('an incoming call rings in the window, is answered there, and its audio is heard', { skip: noOriginate }, async () => {
  const b = await phone('answer');
  try {
    const id = await originate({ mode: 'tone', display: 'Callback 602', from: '602' });
    const win = await softphoneOf(b);
    const answer = win.getByRole('button', { name: 'Answer' });
    await waitFor(() => answer.isVisible(), { what: 'Answer button' });
    await waitFor(() => win.evaluate(() => document.documentElement.dataset.ringing === 'true'), { what: 'ringtone' });
    await screenshotBoth(win, 'softphone-incoming');
    await answer.click();
    await waitFor(async () => (await pbxCall(id))?.state === 'up', { what: 'answered at devpbx' });
    assert.equal(await win.evaluate(() => document.documentElement.dataset.ringing), 'false');
    let m;
    await waitFor(async () => {
      m = await win.evaluate(measureToneInPage, { selector: '#remote-audio', freq: 1000, ms: 1000 });
      return toneFound(m, 1000);
    }, { timeout: 10000, interval: 100, what: '1 kHz from the PBX' }).catch((e) => { throw new Error(`${e.message}: ${JSON.stringify(m)}`); });
    await screenshotBoth(win, 'softphone-connected');
    await win.getByRole('button', { name: 'End call' }).click();
    const c = await waitFor(async () => { const x = await pbxCall(id); return x?.state === 'ended' && x; }, { what: 'BYE from the phone' });
    assert.equal(c.ended_by, 'callee_bye');
  } finally { await b.close(); }
});

test('Decline answers 486 and the call is listed as missed', { skip: noOriginate }, async () => {
  const b = await phone('decline');
  try {
    const id = await originate({ mode: 'silence' });
    const win = await softphoneOf(b);
    await waitFor(() => win.getByRole('button', { name: 'Decline' }).isVisible(), { what: 'Decline button' });
    await win.getByRole('button', { name: 'Decline' }).click();
    const c = await waitFor(async () => { const x = await pbxCall(id); return x?.state === 'ended' && x; }, { what: 'rejection at devpbx' });
    assert.equal(c.status, 486);
  } finally { await b.close(); }
});

test('Do not disturb rejects without ringing and records a missed call', { skip: noOriginate }, async () => {
  const b = await phone('dnd', { dnd_code: 486 });
  try {
    const popup = await b.ctx.newPage();
    await popup.goto(b.url('popup/popup.html'));
    const dnd = popup.getByRole('switch', { name: 'Do not disturb' });
    await waitFor(() => dnd.isEnabled(), { what: 'DND switch enabled' });
    await dnd.click();
    await waitFor(async () => (await dnd.getAttribute('aria-checked')) === 'true', { what: 'DND on' });
    const id = await originate({ mode: 'silence' });
    const c = await waitFor(async () => { const x = await pbxCall(id); return x?.state === 'ended' && x; }, { what: 'DND rejection' });
    assert.equal(c.status, 486);
    assert.ok(!b.ctx.pages().some((p) => p.url().includes('/softphone/')) || await (async () => {
      const win = b.ctx.pages().find((p) => p.url().includes('/softphone/'));
      return (await win.evaluate(() => (window.__tabphoneTones ?? []).filter((t) => t.kind === 'ring').length)) === 0;
    })(), 'the phone rang in DND');
    await waitFor(() => popup.locator('#recent .is-missed').first().isVisible(), { what: 'missed call in recent calls' });
  } finally { await b.close(); }
});

test('auto-answer after 2 s: rings at once, beeps and connects 2 s after the INVITE', { skip: noOriginate }, async () => {
  const b = await phone('auto', { auto_answer: { enabled: true, seconds: 2 } });
  try {
    const id = await originate({ mode: 'tone' });
    const win = await softphoneOf(b);
    const c = await waitFor(async () => { const x = await pbxCall(id); return x?.answered_at && x; }, { what: 'auto-answered' });
    const answerDelay = c.answered_at - c.started_at;
    const tones = await waitFor(async () => {
      const t = await win.evaluate(() => window.__tabphoneTones ?? []);
      return t.some((x) => x.kind === 'beep') && t;
    }, { what: 'the beep' });
    const ring = tones.find((x) => x.kind === 'ring');
    const beep = tones.find((x) => x.kind === 'beep');
    console.log(`auto-answer: answered ${answerDelay} ms after the INVITE; ring at +${(ring.at - c.started_at).toFixed(0)} ms, beep at +${(beep.at - c.started_at).toFixed(0)} ms`);
    assert.ok(Math.abs(answerDelay - 2000) <= 200, `answered after ${answerDelay} ms`);
    assert.ok(ring.at - c.started_at < 1000, 'the ring did not start at once');
    // No click happened in this browser: Chromium's autoplay policy let the window ring.
    assert.equal(ring.state, 'running', 'the ring was held back by the autoplay policy');
    assert.equal(beep.state, 'running');
    assert.ok(Math.abs(beep.at - c.started_at - 2000) <= 200, `beep at ${beep.at - c.started_at} ms`);
  } finally { await b.close(); }
});
