// The popup's Recent calls are the host's call history, end to end in real Chromium with
// the host and the dev PBX: a call placed in one run of the browser, and a call-back of
// devpbx's 602 that Do not disturb rejected, are still listed — the rejected one as
// missed — after the browser was closed and started again with the same profile and the
// same host config dir. storage.session starts empty in the new run, so the list can only
// have come from the host's history.jsonl.
// Then the history worth opening: the dev PBX calls a second phone four times (one
// answered, two left ringing until the PBX gives up, one declined); the toolbar badge
// counts the two missed calls until the popup opens; the popup's search finds calls by
// name and by number, "Missed only" keeps the missed ones, Copy puts the number on the
// clipboard and a call's button calls it back through the PBX.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startDevpbx, launch, launchRegistered, toneWav, tempDir, randomPassword, waitFor, screenshotBoth,
} from './harness.mjs';

let tmp; let pbx; let b; let b2;
const password = randomPassword();
const password2 = randomPassword();

before(async () => {
  tmp = tempDir();
  pbx = await startDevpbx(tmp.dir, { 1001: password, 1002: password2 });
});

after(async () => {
  await b?.close();
  await b2?.close();
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

async function originate(body) {
  const r = await fetch(`${pbx.base}/api/originate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: '1002', ...body }) });
  const text = await r.text();
  assert.ok(r.ok, `originate: HTTP ${r.status} ${text}`);
  return JSON.parse(text).id;
}

/** The rows the history shows now, as [number, name, words, missed]. */
const historyRows = (page) => page.locator('#recent li.recent-item').evaluateAll((lis) => lis.map((li) => [
  li.querySelector('.recent-number').textContent,
  li.querySelector('.recent-name').textContent,
  li.querySelector('.recent-kind').textContent,
  li.classList.contains('is-missed'),
]));
const numbersShown = async (page) => (await historyRows(page)).map(([n]) => n);
const badgeText = () => b2.sw.evaluate(() => chrome.action.getBadgeText({}));

test('history: search by name or number, Missed only, copy, call back; the badge counts missed calls until the popup opens', async () => {
  b2 = await launchRegistered({ dir: join(tmp.dir, 'agent'), pbx, user: '1002', password: password2, wav: toneWav(tmp.dir, 1000) });
  const win = () => waitFor(() => b2.ctx.pages().find((p) => p.url().includes('/softphone/softphone.html')), { what: 'softphone window' });
  const endedAtPbx = (id) => waitFor(async () => (await calls()).find((c) => c.id === id && c.state === 'ended'), { timeout: 15000, what: `call ${id} ended at devpbx` });
  await waitFor(async () => (await badgeText()) === '', { what: 'an idle, registered phone: no badge' });

  // Answered: Carol (601) rings, Answer in the window, devpbx hangs up after 1 s.
  const answered = await originate({ from: '601', display: 'Carol Jones', mode: 'tone', hangup_after_ms: 1000 });
  let w = await win();
  await waitFor(() => w.getByRole('button', { name: 'Answer' }).isVisible(), { what: 'Answer for Carol' });
  await w.getByRole('button', { name: 'Answer' }).click();
  assert.ok((await endedAtPbx(answered)).answered_at > 0, 'Carol was answered');
  // Missed: Alice (600) and Bob (604) ring until devpbx gives up after 1.5 s.
  for (const [from, display] of [['600', 'Alice Smith'], ['604', 'Bob Brown']]) {
    const id = await originate({ from, display, mode: 'silence', ring_timeout_ms: 1500 });
    const c = await endedAtPbx(id);
    assert.equal(c.ended_by, 'pbx_cancel', `${display} was left ringing`);
  }
  // Declined: Dan (603), the user saw it and said no: listed, not counted as missed.
  const declined = await originate({ from: '603', display: 'Dan Declined', mode: 'silence' });
  w = await win();
  await waitFor(() => w.getByRole('button', { name: 'Decline' }).isVisible(), { what: 'Decline for Dan' });
  await w.getByRole('button', { name: 'Decline' }).click();
  assert.equal((await endedAtPbx(declined)).status, 486);

  // The badge: the two calls nobody answered.
  await waitFor(async () => (await badgeText()) === '2', { timeout: 10000, what: 'badge "2"' })
    .catch(async (e) => { throw new Error(`${e.message}: badge ${JSON.stringify(await badgeText())}`); });

  // Opening the popup is looking: the badge clears, the calls are listed.
  const popup = await b2.ctx.newPage();
  await popup.setViewportSize({ width: 340, height: 600 });
  await popup.goto(b2.url('popup/popup.html'));
  await waitFor(async () => (await badgeText()) === '', { what: 'the badge cleared on opening the popup' });
  let rows;
  await waitFor(async () => {
    rows = await historyRows(popup);
    return ['601', '600', '604', '603'].every((n) => rows.some(([x]) => x === n));
  }, { timeout: 15000, what: 'the four calls in the history' }).catch((e) => { throw new Error(`${e.message}: ${JSON.stringify(rows)}`); });
  assert.deepEqual(rows.slice(0, 4), [
    ['603', 'Dan Declined', 'Declined', false],
    ['604', 'Bob Brown', 'Missed', true],
    ['600', 'Alice Smith', 'Missed', true],
    ['601', 'Carol Jones', 'Incoming', false],
  ]);
  // A new popup later does not bring the count back.
  assert.equal(await badgeText(), '');

  // Search by name (any case), by number, and by a part of a name.
  const search = popup.getByRole('searchbox', { name: 'Search calls' });
  await search.fill('alice');
  await waitFor(async () => (await numbersShown(popup)).join() === '600', { what: 'search "alice"' });
  await search.fill('BROWN');
  await waitFor(async () => (await numbersShown(popup)).join() === '604', { what: 'search "BROWN"' });
  await search.fill('601');
  await waitFor(async () => (await numbersShown(popup)).join() === '601', { what: 'search "601"' });
  await search.fill('nobody here');
  await waitFor(async () => (await numbersShown(popup)).length === 0, { what: 'search with no match' });
  assert.equal(await popup.locator('#recent-empty').textContent(), 'No calls match');

  // Missed only: Alice and Bob, not Carol (answered) nor Dan (declined); with a search too.
  await search.fill('');
  const missedOnly = popup.getByRole('button', { name: 'Missed only' });
  await missedOnly.click();
  assert.equal(await missedOnly.getAttribute('aria-pressed'), 'true');
  await waitFor(async () => (await numbersShown(popup)).join() === '604,600', { what: 'Missed only' });
  await screenshotBoth(popup, 'popup-history-missed');
  await search.fill('smi');
  await waitFor(async () => (await numbersShown(popup)).join() === '600', { what: 'Missed only and "smi"' });
  await screenshotBoth(popup, 'popup-history-search');

  // Copy puts the number on the clipboard: pasted into the Number field, it is there.
  await popup.bringToFront();
  const field = popup.getByRole('textbox', { name: 'Number' });
  await field.fill('');
  await popup.getByRole('button', { name: 'Copy 600' }).click();
  await waitFor(async () => (await popup.locator('#recent-status').textContent()) === 'Copied 600', { what: '"Copied 600"' });
  await field.focus();
  await popup.keyboard.press('Control+V');
  await waitFor(async () => (await field.inputValue()) === '600', { what: 'the copied number pasted' });
  await field.fill('');

  // Call back from the filtered list: the call goes out to 600 (the echo) and is answered.
  const since = Date.now();
  await popup.getByRole('button', { name: 'Call 600', exact: true }).click();
  const back = await newCall((c) => c.direction === 'inbound' && c.from === '1002' && c.to === '600' && c.started_at >= since, 'the call back to 600');
  await waitFor(async () => (await calls()).find((c) => c.id === back.id)?.state === 'up', { what: 'call back answered' });
  await popup.getByRole('button', { name: 'End call' }).click();
  await ended(back.id);
  assert.equal(await badgeText(), '', 'calling back is no missed call');

  // A call missed while the popup is open lands in the list in front of the user: the
  // badge does not count it.
  await search.fill('');
  const eve = await originate({ from: '5550199', display: 'Eve Early', mode: 'silence', ring_timeout_ms: 1500 });
  assert.equal((await endedAtPbx(eve)).ended_by, 'pbx_cancel');
  await waitFor(async () => (await numbersShown(popup))[0] === '5550199', { timeout: 10000, what: 'Eve\'s missed call at the top of the list' });
  assert.equal(await badgeText(), '', 'missed while looking: not counted');
});
