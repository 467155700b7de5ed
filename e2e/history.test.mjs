// The popup's Recent calls are the host's call history, end to end in real Chromium with
// the host and the dev PBX: a call placed in one run of the browser, and a call-back of
// devpbx's 602 that Do not disturb rejected, are still listed — the rejected one as
// missed — after the browser was closed and started again with the same profile and the
// same host config dir. storage.session starts empty in the new run, so the list can only
// have come from the host's history.jsonl.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startDevpbx, launch, launchRegistered, toneWav, tempDir, randomPassword, waitFor,
} from './harness.mjs';

let tmp; let pbx; let b;
const password = randomPassword();

before(async () => {
  tmp = tempDir();
  pbx = await startDevpbx(tmp.dir, { 1001: password });
});

after(async () => {
  await b?.close();
  pbx?.stop();
  tmp?.remove();
});

const calls = () => pbx.api('/api/calls');
const newCall = (pred, what) => waitFor(async () => (await calls()).find(pred), { timeout: 15000, what });
const ended = (id) => waitFor(async () => (await calls()).find((c) => c.id === id && c.state === 'ended'), { what: `call ${id} ended at devpbx` });

async function openPopup() {
  const popup = await b.ctx.newPage();
  await popup.setViewportSize({ width: 340, height: 560 });
  await popup.goto(b.url('popup/popup.html'));
  return popup;
}

/** The popup's recent calls as [number, words beside it, marked missed]. */
const recentRows = (popup) => popup.locator('#recent li.recent-item').evaluateAll((lis) => lis.map((li) => [
  li.querySelector('.recent-number').textContent,
  li.querySelector('.recent-kind').textContent,
  li.classList.contains('is-missed'),
]));

test('a call placed, and a call Do not disturb rejected, are in Recent calls after a browser restart', async () => {
  const dir = join(tmp.dir, 'phone');
  const wav = toneWav(tmp.dir, 1000);
  b = await launchRegistered({ dir, pbx, user: '1001', password, wav });
  const configDir = b.configDir;
  let popup = await openPopup();
  await waitFor(() => popup.getByText(/Registered/).isVisible(), { what: 'popup shows registered' });

  // An outgoing call to 600 (devpbx answers), ended from the popup.
  await popup.getByRole('textbox', { name: 'Number' }).fill('600');
  let since = Date.now();
  await popup.getByRole('button', { name: 'Dial', exact: true }).click();
  const out = await newCall((c) => c.to === '600' && c.started_at >= since, 'the call to 600');
  await waitFor(async () => (await calls()).find((c) => c.id === out.id)?.state === 'up', { what: '600 answered' });
  await popup.getByRole('button', { name: 'End call' }).click();
  await ended(out.id);

  // Do not disturb; 602*1 answers, hangs up after 1 s and calls back 1 s later: rejected.
  const dnd = popup.getByRole('switch', { name: 'Do not disturb' });
  await dnd.click();
  await waitFor(async () => (await dnd.getAttribute('aria-checked')) === 'true', { what: 'DND on' });
  await popup.getByRole('textbox', { name: 'Number' }).fill('602*1');
  since = Date.now();
  await popup.getByRole('button', { name: 'Dial', exact: true }).click();
  const first = await newCall((c) => c.to === '602*1' && c.started_at >= since, 'the call to 602*1');
  await ended(first.id);
  const back = await newCall((c) => c.direction === 'outbound' && c.from === '602' && c.started_at >= since, '602 calling back');
  const rejected = await ended(back.id);
  assert.equal(rejected.status, 486, 'Do not disturb rejected the call-back');
  assert.equal(rejected.answered_at, null);
  await waitFor(async () => (await recentRows(popup)).some(([n, , missed]) => n === '602' && missed), { what: 'the rejection listed as missed' });

  // The host wrote both into its history file.
  const lines = readFileSync(join(configDir, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(lines.some((e) => e.number === '600' && e.direction === 'outgoing' && e.result === 'outgoing'), JSON.stringify(lines));
  assert.ok(lines.some((e) => e.number === '602' && e.direction === 'incoming' && e.result === 'missed'
    && e.reason === 'Missed: Do not disturb'), JSON.stringify(lines));

  // Close the browser; start it again with the same profile and host config dir.
  await b.close();
  b = await launch({ dir, wav });
  assert.equal(b.configDir, configDir);
  const cached = await b.sw.evaluate(() => chrome.storage.session.get(null));
  assert.deepEqual(cached, {}, 'a new browser run: nothing cached');
  const local = await b.sw.evaluate(() => chrome.storage.local.get('recentCalls'));
  assert.deepEqual(local, {}, 'no recent-calls list in storage.local');

  popup = await openPopup();
  let rows;
  await waitFor(async () => {
    rows = await recentRows(popup);
    return rows.some(([n]) => n === '600') && rows.some(([n]) => n === '602');
  }, { timeout: 15000, what: 'the calls of the last run in Recent calls' }).catch((e) => { throw new Error(`${e.message}: ${JSON.stringify(rows)}`); });
  assert.deepEqual(rows.find(([n]) => n === '600'), ['600', 'Outgoing', false]);
  assert.deepEqual(rows.find(([n]) => n === '602'), ['602', 'Missed (Do not disturb)', true]);
  assert.ok(rows.some(([n, kind]) => n === '602*1' && kind === 'Outgoing'), JSON.stringify(rows));

  // One click redials the number from the last run.
  await waitFor(() => popup.getByText(/Registered/).isVisible(), { timeout: 15000, what: 'registered again' });
  since = Date.now();
  await popup.getByRole('button', { name: 'Call 600', exact: true }).click();
  const redial = await newCall((c) => c.to === '600' && c.started_at >= since, 'the redial of 600');
  await waitFor(async () => (await calls()).find((c) => c.id === redial.id)?.state === 'up', { what: 'redial answered' });
  await popup.getByRole('button', { name: 'End call' }).click();
  await ended(redial.id);
});
