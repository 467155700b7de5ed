// The popup and the incoming-call paths around it, end to end in real Chromium with the
// host and the dev PBX: dial with the keyboard (Enter dials, Escape hangs up), redial
// from Recent calls, devpbx's 602 call-back answered in the softphone window, and a
// call-back declined from the system notification's Decline button.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  startDevpbx, launchRegistered, toneWav, tempDir, randomPassword, waitFor, measureToneInPage, toneFound,
} from './harness.mjs';

let tmp; let pbx; let b; let popup;
const password = randomPassword();

before(async () => {
  tmp = tempDir();
  pbx = await startDevpbx(tmp.dir, { 1001: password });
  b = await launchRegistered({ dir: join(tmp.dir, 'phone'), pbx, user: '1001', password, wav: toneWav(tmp.dir, 1000) });
  popup = await b.ctx.newPage();
  await popup.setViewportSize({ width: 340, height: 560 });
  await popup.goto(b.url('popup/popup.html'));
  await waitFor(() => popup.getByText(/Registered/).isVisible(), { what: 'popup shows registered' });
});

after(async () => {
  await b?.close();
  pbx?.stop();
  tmp?.remove();
});

const calls = () => pbx.api('/api/calls');
const newCallTo = (to, since) => waitFor(async () => (await calls()).find((c) => c.to === to && c.started_at >= since), { what: `a call to ${to}` });
const ended = (id) => waitFor(async () => (await calls()).find((c) => c.id === id && c.state === 'ended'), { what: `call ${id} ended at devpbx` });
const softphone = () => waitFor(() => b.ctx.pages().find((p) => p.url().includes('/softphone/softphone.html')), { what: 'softphone window' });

/** The notifications the extension shows now (ids), read in its service worker. */
const notificationIds = () => b.sw.evaluate(() => new Promise((res) => { chrome.notifications.getAll((all) => res(Object.keys(all ?? {}))); }));

test('keyboard: type the number, Enter dials, Escape hangs up', async () => {
  const field = popup.getByRole('textbox', { name: 'Number' });
  await field.focus();
  await popup.keyboard.type('600');
  const since = Date.now();
  await popup.keyboard.press('Enter');
  const c = await newCallTo('600', since);
  await waitFor(async () => (await calls()).find((x) => x.id === c.id)?.state === 'up', { what: '600 answered' });
  await waitFor(() => popup.getByRole('button', { name: 'End call' }).isVisible(), { what: 'End call' });
  await popup.keyboard.press('Escape');
  assert.equal((await ended(c.id)).ended_by, 'caller_bye');
});

test('holding 0 on the dialpad types +; a tap types 0', async () => {
  const field = popup.getByRole('textbox', { name: 'Number' });
  await field.fill('');
  const zero = popup.getByRole('group', { name: 'Dialpad' }).getByRole('button', { name: /^0/ });
  const box = await zero.boundingBox();
  await popup.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await popup.mouse.down();
  await waitFor(async () => (await field.inputValue()) === '+', { timeout: 3000, what: '+ after holding 0' });
  await popup.mouse.up();
  await zero.click();
  assert.equal(await field.inputValue(), '+0', 'the press ended without a 0; the tap typed one');
  await field.fill('');
});

test('Recent calls: one click redials the last number', async () => {
  const item = popup.locator('#recent .recent-call').first();
  await waitFor(() => item.isVisible(), { what: 'recent call listed' });
  assert.match(await item.innerText(), /600/);
  await popup.getByRole('textbox', { name: 'Number' }).fill('');
  const since = Date.now();
  await item.click();
  const c = await newCallTo('600', since);
  await waitFor(async () => (await calls()).find((x) => x.id === c.id)?.state === 'up', { what: 'redial answered' });
  await popup.getByRole('button', { name: 'End call' }).click();
  await ended(c.id);
});

/** Dials 602*1: devpbx answers, hangs up after 1 s of tone and calls back 1 s later. */
async function callBack(whileWaiting = async () => {}) {
  const field = popup.getByRole('textbox', { name: 'Number' });
  await field.fill('602*1');
  const since = Date.now();
  await popup.getByRole('button', { name: 'Dial', exact: true }).click();
  const first = await newCallTo('602*1', since);
  await ended(first.id);
  await whileWaiting();
  return waitFor(async () => (await calls()).find((c) => c.direction === 'outbound' && c.from === '602' && c.started_at >= since && c.state !== 'ended'), { timeout: 15000, what: '602 calling back' });
}

test('602 calls back: the window rings with the caller, Answer connects with audio', async () => {
  const back = await callBack();
  const win = await softphone();
  const li = win.locator('li.call.is-incoming');
  await waitFor(() => li.getByText('Callback 602').isVisible(), { what: 'caller name in the window' });
  await waitFor(() => win.evaluate(() => document.documentElement.dataset.ringing === 'true'), { what: 'ringtone' });
  await li.getByRole('button', { name: 'Answer' }).click();
  await waitFor(async () => (await calls()).find((c) => c.id === back.id)?.state === 'up', { what: 'call-back answered at devpbx' });
  let m;
  await waitFor(async () => {
    m = await win.evaluate(measureToneInPage, { selector: '#remote-audio', freq: 1000, ms: 800 });
    return toneFound(m, 1000);
  }, { timeout: 10000, interval: 100, what: '1 kHz of the call-back' }).catch((e) => { throw new Error(`${e.message}: ${JSON.stringify(m)}`); });
  await win.getByRole('button', { name: 'End call' }).click();
  assert.equal((await ended(back.id)).ended_by, 'callee_bye');
});

test('602 calls back while the window is minimized: Decline on the notification rejects it', async () => {
  // The user minimized the phone: the call brings it up and shows a system notification
  // with Answer / Decline. (Headless Chromium reports every other window as focused.)
  const back = await callBack(async () => {
    await softphone();
    await b.sw.evaluate(async (url) => {
      const [tab] = await chrome.tabs.query({ url: chrome.runtime.getURL(url) });
      await chrome.windows.update(tab.windowId, { state: 'minimized' });
    }, 'softphone/softphone.html');
  });
  const id = await waitFor(async () => (await notificationIds()).find((n) => n.startsWith('tabphone-incoming:')), { what: 'incoming-call notification' });
  // The browser's own event for a click on the notification's second button (Decline).
  await b.sw.evaluate((nid) => { chrome.notifications.onButtonClicked.dispatch(nid, 1); }, id);
  const c = await ended(back.id);
  assert.equal(c.status, 486, 'declined with 486 Busy Here');
  await waitFor(async () => !(await notificationIds()).includes(id), { what: 'notification cleared' });
  await waitFor(() => popup.locator('#recent .recent-call').first().getByText('602').isVisible(), { what: 'declined call in Recent calls' });
});

test('keyboard shortcuts: "Answer the ringing call", then "End the call"', async () => {
  const back = await callBack();
  await waitFor(async () => (await b.sw.evaluate(() => chrome.commands.getAll())).length >= 3, { what: 'the commands' });
  const win = await softphone();
  await waitFor(() => win.evaluate(() => document.documentElement.dataset.ringing === 'true'), { what: 'ringing' });
  // The browser's own event for the shortcut, fired in the worker.
  await b.sw.evaluate(() => { chrome.commands.onCommand.dispatch('answer-call'); });
  await waitFor(async () => (await calls()).find((c) => c.id === back.id)?.state === 'up', { what: 'answered by the shortcut' });
  await b.sw.evaluate(() => { chrome.commands.onCommand.dispatch('end-call'); });
  assert.equal((await ended(back.id)).ended_by, 'callee_bye');
});

test('603 is busy: the call ends in words and the window plays the busy tone', async () => {
  const field = popup.getByRole('textbox', { name: 'Number' });
  await field.fill('603');
  const since = Date.now();
  await popup.getByRole('button', { name: 'Dial', exact: true }).click();
  const c = await newCallTo('603', since);
  assert.equal((await ended(c.id)).status, 486);
  const win = await softphone();
  const busy = await waitFor(async () => (await win.evaluate(() => window.__tabphoneTones ?? [])).find((t) => t.kind === 'busy' && t.at >= since), { what: 'the busy tone' });
  assert.equal(busy.state, 'running', 'the busy tone was audible');
  await waitFor(async () => /busy/i.test(await win.locator('#last-call').textContent()), { what: 'busy in words' });
});

test('Do not disturb: 602 calls back, is rejected with 486 without ringing, and shows as missed', async () => {
  const dnd = popup.getByRole('switch', { name: 'Do not disturb' });
  await dnd.click();
  await waitFor(async () => (await dnd.getAttribute('aria-checked')) === 'true', { what: 'DND on' });
  try {
    const win = await softphone();
    const ringsBefore = await win.evaluate(() => (window.__tabphoneTones ?? []).filter((t) => t.kind === 'ring').length);
    const back = await callBack();
    const c = await ended(back.id);
    assert.equal(c.status, 486, 'rejected busy');
    assert.equal(c.answered_at, null);
    const missed = popup.locator('#recent .is-missed').first();
    await waitFor(() => missed.isVisible(), { what: 'a missed call in Recent calls' });
    assert.match(await missed.innerText(), /602/);
    const ringsAfter = await win.evaluate(() => (window.__tabphoneTones ?? []).filter((t) => t.kind === 'ring').length);
    assert.equal(ringsAfter, ringsBefore, 'the phone rang in DND');
  } finally {
    await dnd.click();
    await waitFor(async () => (await dnd.getAttribute('aria-checked')) === 'false', { what: 'DND off' });
  }
});
