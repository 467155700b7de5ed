// Walking skeleton, end to end: real Chromium with the extension, the real host, the
// dev PBX. Audio is measured on both sides: devpbx decodes what reached the PBX leg, the
// softphone page measures what came back with WebAudio.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  startDevpbx, writeHostConfig, toneWav, launch, tempDir, randomPassword, waitFor,
  measureToneInPage, toneFound, screenshotBoth, waitToneInWindow,
} from './harness.mjs';

let tmp; let pbx; const password = randomPassword();

before(async () => {
  tmp = tempDir();
  pbx = await startDevpbx(tmp.dir, { 1001: password, 1002: randomPassword() });
});

after(() => {
  pbx?.stop();
  tmp?.remove();
});

/** One browser per test: config, launch, wait for the registration at the PBX. */
async function phoneWith(name, codecs, account = {}) {
  const dir = join(tmp.dir, name);
  mkdirSync(dir);
  writeHostConfig(join(dir, 'config'), { user: '1001', password, sip: pbx.sip, codecs, ...account });
  return launch({ dir, wav: toneWav(tmp.dir, 1000) });
}

async function openPopup(b) {
  const page = await b.ctx.newPage();
  await page.setViewportSize({ width: 340, height: 560 });
  await page.goto(b.url('popup/popup.html'));
  return page;
}

async function registered(user) {
  const regs = await pbx.api('/api/registrations');
  return regs.some((r) => r.user === user);
}

async function softphonePage(b) {
  return waitFor(() => b.ctx.pages().find((p) => p.url().includes('/softphone/softphone.html')), { what: 'softphone window' });
}

async function dialAndMeasure(b, digits, { screenshot } = {}) {
  await waitFor(() => registered('1001'), { what: 'REGISTER of 1001 at devpbx' });
  const popup = await openPopup(b);
  await waitFor(() => popup.getByText(/Registered/).isVisible(), { what: 'popup shows registered' });
  if (screenshot) await screenshotBoth(popup, 'popup-idle');
  for (const d of digits) await popup.getByRole('button', { name: d, exact: true }).click();
  assert.equal(await popup.getByRole('textbox', { name: 'Number' }).inputValue(), digits);
  const startedAt = Date.now();
  await popup.getByRole('button', { name: 'Dial', exact: true }).click();

  const win = await softphonePage(b);
  const call = await waitFor(async () => {
    const calls = await pbx.api('/api/calls');
    return calls.find((c) => c.to === digits && c.state === 'up' && c.started_at >= startedAt - 1000);
  }, { what: `call to ${digits} answered at devpbx` });
  await waitFor(() => popup.getByRole('button', { name: 'End call' }).isVisible(), { what: 'End call button' });
  return { popup, win, callId: call.id };
}

async function endCall(popup, callId) {
  await popup.getByRole('button', { name: 'End call' }).click();
  const c = await waitFor(async () => (await pbx.api('/api/calls')).find((x) => x.id === callId && x.state === 'ended'), { what: 'BYE at devpbx' });
  assert.equal(c.ended_by, 'caller_bye');
  await waitFor(async () => !(await popup.getByRole('button', { name: 'End call' }).isVisible()), { what: 'call gone from popup' });
}

test('600 echo over PCMU: the mic tone reaches the PBX and comes back to the browser', async () => {
  const b = await phoneWith('echo', ['pcmu']);
  try {
    const { popup, win, callId } = await dialAndMeasure(b, '600', { screenshot: true });
    await screenshotBoth(popup, 'popup-in-call');
    const atPbx = await waitFor(async () => {
      const c = (await pbx.api('/api/calls')).find((x) => x.id === callId);
      return c.rx_packets > 50 && c.tone_1000hz_ratio > 0.8 && c;
    }, { timeout: 15000, what: '1 kHz at the PBX leg' });
    assert.equal(atPbx.codec, 'PCMU');
    const m = await waitToneInWindow(win, 1000);
    console.log(`600: PBX got ${atPbx.rx_packets} packets, 1 kHz ratio ${atPbx.tone_1000hz_ratio.toFixed(3)}; browser ${m.dbfs.toFixed(1)} dBFS`);
    await endCall(popup, callId);
  } finally {
    await b.close();
  }
});

test('601 tone over PCMU: the PBX tone is heard in the browser', async () => {
  const b = await phoneWith('tone', ['pcmu']);
  try {
    const { popup, win, callId } = await dialAndMeasure(b, '601');
    const m = await waitToneInWindow(win, 1000);
    console.log(`601: browser ${m.dbfs.toFixed(1)} dBFS`);
    await endCall(popup, callId);
  } finally {
    await b.close();
  }
});

test('600 echo over Opus: relayed without transcoding', async () => {
  const b = await phoneWith('opus', ['opus']);
  try {
    const { popup, win, callId } = await dialAndMeasure(b, '600');
    const c = (await pbx.api('/api/calls')).find((x) => x.id === callId);
    assert.equal(c.codec.toLowerCase(), 'opus');
    await waitToneInWindow(win, 1000);
    await endCall(popup, callId);
  } finally {
    await b.close();
  }
});

/** Polls until the page no longer hears freq (the tone stopped on its way back). */
async function silentInBrowser(win, freq, what) {
  let m;
  await waitFor(async () => {
    m = await win.evaluate(measureToneInPage, { selector: '#remote-audio', freq, ms: 600 });
    return !m.error && !toneFound(m, freq) && m.dbfs < -45;
  }, { timeout: 15000, interval: 100, what }).catch((e) => {
    throw new Error(`${e.message}: ${JSON.stringify(m)}`);
  });
  return m;
}

test('in-call controls of the softphone window: Mute, Hold and Keypad on a 600 echo call', async () => {
  const b = await phoneWith('controls', ['pcmu']);
  try {
    const { popup, win, callId } = await dialAndMeasure(b, '600');
    await waitToneInWindow(win, 1000);
    const call = win.locator('li.call');

    // Mute: the echo of our tone stops; Unmute brings it back.
    await call.getByRole('button', { name: 'Mute', exact: true }).click();
    await waitFor(async () => (await call.getByRole('button', { name: 'Unmute' }).getAttribute('aria-pressed')) === 'true', { what: 'Unmute pressed' });
    const muted = await silentInBrowser(win, 1000, 'echo silent while muted');
    await call.getByRole('button', { name: 'Unmute' }).click();
    await waitToneInWindow(win, 1000);

    // Hold: the PBX stops sending (sendonly offer); the state says so; Resume brings it back.
    await call.getByRole('button', { name: 'Hold', exact: true }).click();
    await waitFor(() => call.getByText(/^On hold \d\d:\d\d$/).isVisible(), { what: '"On hold" with the timer' });
    const held = await silentInBrowser(win, 1000, 'silence while on hold');
    await call.getByRole('button', { name: 'Resume' }).click();
    await waitFor(() => call.getByText(/^Connected \d\d:\d\d$/).isVisible(), { what: 'connected again' });
    await waitToneInWindow(win, 1000);

    // Keypad: clicked keys and a typed key reach the PBX as DTMF, in order.
    await call.getByRole('button', { name: 'Keypad' }).click();
    const keypad = call.getByRole('group', { name: 'Keypad' });
    for (const name of ['1', '2', 'Star', 'Pound']) await keypad.getByRole('button', { name, exact: true }).click();
    await win.locator('body').focus();
    await win.keyboard.press('9');
    await waitFor(() => call.getByText('Sent 12*#9').isVisible(), { what: 'sent keys shown' });
    await screenshotBoth(win, 'softphone-keypad');
    const got = await waitFor(async () => {
      const c = (await pbx.api('/api/calls')).find((x) => x.id === callId);
      return c.dtmf === '12*#9' && c;
    }, { timeout: 10000, what: 'DTMF 12*#9 at devpbx' }).catch(async (e) => {
      const c = (await pbx.api('/api/calls')).find((x) => x.id === callId);
      throw new Error(`${e.message}: devpbx has ${JSON.stringify(c?.dtmf)}`);
    });
    console.log(`controls: muted ${muted.dbfs.toFixed(1)} dBFS, held ${held.dbfs.toFixed(1)} dBFS; DTMF ${got.dtmf} (${got.rx_dtmf_packets} packets)`);
    await endCall(popup, callId);
  } finally {
    await b.close();
  }
});

test('no audio from the PBX: the window says so within rtp_timeout + 2 s, and stops saying it when audio is back', async () => {
  const rtpTimeout = 5;
  const b = await phoneWith('nomedia', ['pcmu'], { rtp_timeout: rtpTimeout });
  try {
    const { popup, win, callId } = await dialAndMeasure(b, '600');
    await waitToneInWindow(win, 1000);
    const call = win.locator('li.call');
    // Muted, nothing reaches the 600 echo, so the PBX sends nothing back: its media is gone.
    await call.getByRole('button', { name: 'Mute', exact: true }).click();
    const mutedAt = Date.now();
    await waitFor(() => call.getByText(/^No audio from the other side \d\d:\d\d$/).isVisible(),
      { timeout: (rtpTimeout + 2) * 1000, interval: 100, what: '"No audio from the other side" in the window' });
    const toldAfter = Date.now() - mutedAt;
    assert.ok(toldAfter >= (rtpTimeout - 1) * 1000, `told ${toldAfter} ms after the media stopped, before the ${rtpTimeout} s timeout`);
    await call.getByRole('button', { name: 'Unmute' }).click();
    await waitToneInWindow(win, 1000);
    await waitFor(() => call.getByText(/^Connected \d\d:\d\d$/).isVisible(), { timeout: 5000, what: 'connected again once audio is back' });
    console.log(`no media: told ${toldAfter} ms after the PBX's audio stopped (rtp_timeout ${rtpTimeout} s)`);
    await endCall(popup, callId);
  } finally {
    await b.close();
  }
});
