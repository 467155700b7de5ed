import { test } from 'node:test';
import assert from 'node:assert/strict';
import { callControls, keypadKeyOf, KEYPAD_KEYS } from '../lib/incall.js';
import { useI18n } from '../lib/i18n.js';
import { fakeI18n } from './fakei18n.js';

useI18n(fakeI18n()); // the English of _locales/en

const connected = { id: 'c1', state: 'connected' };

test('controls show for a connected call only', () => {
  for (const state of ['calling', 'ringing', 'early', 'ended', undefined]) {
    const c = callControls({ id: 'c1', state });
    assert.equal(c.show, false, String(state));
    assert.equal(c.muteDisabled && c.holdDisabled && c.transferDisabled, true);
  }
  assert.equal(callControls(connected).show, true);
  assert.equal(callControls(null).show, false);
});

test('labels and pressed states follow the host', () => {
  assert.deepEqual(
    [callControls(connected).muteLabel, callControls(connected).holdLabel],
    ['Mute', 'Hold'],
  );
  const c = callControls({ ...connected, muted: true, held: true });
  assert.deepEqual([c.muted, c.held, c.muteLabel, c.holdLabel], [true, true, 'Unmute', 'Resume']);
});

test('a request on its way disables its button; a transfer in progress locks hold and transfer', () => {
  assert.equal(callControls(connected, { hold: true }).holdDisabled, true);
  assert.equal(callControls(connected, { hold: true }).muteDisabled, false);
  assert.equal(callControls(connected, { mute: true }).muteDisabled, true);
  assert.equal(callControls(connected, { transfer: true }).transferDisabled, true);
  const t = callControls({ ...connected, transferring: true });
  assert.deepEqual([t.holdDisabled, t.transferDisabled, t.muteDisabled], [true, true, false]);
});

test('keypad keys: the 12 dialpad keys; the keyboard sends those only', () => {
  assert.deepEqual(KEYPAD_KEYS, ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#']);
  for (const k of KEYPAD_KEYS) assert.equal(keypadKeyOf(k), k);
  for (const k of ['A', 'a', '+', 'Enter', ' ', '', undefined, 5]) assert.equal(keypadKeyOf(k), '');
});

test('attended transfer joins a connected call with our newest other connected call', async () => {
  const { attendedPartner } = await import('../lib/incall.js');
  const a = { id: 'a', state: 'connected', held: true };
  const b = { id: 'b', state: 'connected' };
  const ringing = { id: 'r', state: 'ringing', direction: 'incoming' };
  assert.equal(attendedPartner(a, [a, b, ringing]), b);
  assert.equal(attendedPartner(b, [a, b]), a);
  assert.equal(attendedPartner(a, [a, ringing]), null, 'a ringing call is no partner');
  assert.equal(attendedPartner(a, [a, { ...b, transferring: true }]), null);
  assert.equal(attendedPartner({ id: 'x', state: 'calling' }, [a, b]), null);
  assert.equal(attendedPartner(a, null), null);
});
