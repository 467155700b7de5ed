import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  lampWords, lampAction, lampItems, canPickUp, remoteWords, mountLamps,
} from '../lib/lamps.js';
import { useI18n } from '../lib/i18n.js';
import { fakeI18n } from './fakei18n.js';
import { parseDocument } from './fakedom.js';

useI18n(fakeI18n()); // the English of _locales/en

test('a lamp in words', () => {
  assert.equal(lampWords({ extension: '2000', state: 'idle' }), 'Free');
  assert.equal(lampWords({ extension: '2000', state: 'ringing' }), 'Ringing');
  assert.equal(lampWords({ extension: '2000', state: 'ringing', direction: 'in', remote_number: '2001', remote_name: 'Ann' }), 'Ringing: Ann (2001)');
  assert.equal(lampWords({ extension: '2000', state: 'ringing', direction: 'out', remote_number: '600' }), 'Calling 600');
  assert.equal(lampWords({ extension: '2000', state: 'busy', remote_number: '2001' }), 'In a call with 2001');
  assert.equal(lampWords({ extension: '2000', state: 'busy' }), 'In a call');
  assert.equal(lampWords({ extension: '2000', state: 'unknown' }), 'Not known');
  assert.equal(lampWords({ extension: '2000', state: 'weird' }), 'Not known');
  assert.equal(remoteWords({ remote_name: '2001', remote_number: '2001' }), '2001');
  assert.equal(remoteWords({}), '');
});

test('a click calls the colleague, or picks up the call ringing at their phone', () => {
  assert.deepEqual(lampAction({ extension: '2000', state: 'idle' }, '**'),
    { number: '2000', pickup: false, label: 'Call 2000, Free' });
  assert.deepEqual(lampAction({ extension: '2000', state: 'busy' }, '**'),
    { number: '2000', pickup: false, label: 'Call 2000, In a call' });
  assert.deepEqual(lampAction({ extension: '2000', state: 'ringing', direction: 'in', remote_number: '2001' }, '*8'),
    { number: '*82000', pickup: true, label: 'Pick up the call ringing at 2000, Ringing: 2001' });
  // No direction from the PBX: it rings, so a pickup; the default code without one.
  assert.equal(lampAction({ extension: '2000', state: 'ringing' }).number, '**2000');
  assert.equal(lampAction({ extension: '2000', state: 'ringing' }, 'x;evil').number, '**2000');
  // The colleague is the caller: nothing to pick up, a click calls them.
  assert.equal(canPickUp({ state: 'ringing', direction: 'out' }), false);
  assert.equal(lampAction({ extension: '2000', state: 'ringing', direction: 'out' }, '**').number, '2000');
});

test('lampItems keeps the host order, drops nameless lamps and caps the list', () => {
  const lamps = Array.from({ length: 60 }, (_, i) => ({ extension: String(2000 + i), state: 'idle' }));
  assert.equal(lampItems({ lamps }).length, 50);
  assert.deepEqual(lampItems({ lamps: [{ state: 'idle' }, { extension: '2001', state: 'busy' }, { extension: '2000', state: 'bogus' }] })
    .map((l) => [l.extension, l.state]), [['2001', 'busy'], ['2000', 'unknown']]);
  assert.deepEqual(lampItems(null), []);
  assert.deepEqual(lampItems({ lamps: 'no' }), []);
});

test('mountLamps renders buttons, dials on click and keeps the focus across updates', () => {
  const doc = parseDocument('<section id="s" hidden><ul id="l"></ul></section>');
  const dialed = [];
  const m = mountLamps({ doc, section: doc.getElementById('s'), list: doc.getElementById('l'), onDial: (n) => dialed.push(n) });
  m.update({ id: 'work' });
  assert.equal(doc.getElementById('s').hidden, true, 'no lamps: no section');
  const account = { id: 'work', pickup_prefix: '**', lamps: [{ extension: '2000', state: 'idle' }, { extension: '2001', state: 'ringing', direction: 'in', remote_number: '1002' }] };
  m.update(account);
  assert.equal(doc.getElementById('s').hidden, false);
  const buttons = doc.getElementById('l').querySelectorAll('button.lamp');
  assert.deepEqual(buttons.map((b) => b.getAttribute('aria-label')), ['Call 2000, Free', 'Pick up the call ringing at 2001, Ringing: 1002']);
  assert.equal(buttons[1].textContent, '2001Ringing: 1002 — click to pick up');
  assert.ok(buttons[1].classList.contains('is-ringing'));
  buttons[0].dispatch('click');
  buttons[1].dispatch('click');
  assert.deepEqual(dialed, ['2000', '**2001']);

  buttons[1].focus();
  m.update({ ...account, lamps: [account.lamps[0], { extension: '2001', state: 'busy', remote_number: '1002' }] });
  const after = doc.getElementById('l').querySelectorAll('button.lamp');
  assert.equal(doc.activeElement, after[1], 'the focus stays on the same colleague');
  assert.equal(after[1].getAttribute('aria-label'), 'Call 2001, In a call with 1002');

  m.update(account, false); // dialing: buttons off
  const off = doc.getElementById('l').querySelectorAll('button.lamp');
  assert.ok(off.every((b) => b.disabled));
  off[0].dispatch('click');
  assert.equal(dialed.length, 2);
});
