import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClosingWarning, secondsLeft, COUNTDOWN_TICK_MS } from '../lib/closingwarning.js';
import { initialState, applyEvent } from '../lib/state.js';
import { FakeClock } from './fakes.js';
import { useI18n } from '../lib/i18n.js';
import { fakeI18n } from './fakei18n.js';

useI18n(fakeI18n()); // the English of _locales/en

const WARNING = 'Window will be closed soon, since there is no active session';

function setup() {
  const clock = new FakeClock();
  const els = { box: { hidden: true }, message: { textContent: '' }, countdown: { textContent: '' } };
  const w = new ClosingWarning({ ...els, clock });
  return { clock, els, w };
}

const closing = (deadline, message = WARNING) => applyEvent(initialState(), {
  type: 'closing_soon', data: { message, reason: 'tabs_closed', deadline, seconds: 5 },
});

test('secondsLeft: whole seconds rounded up, never below 0', () => {
  assert.equal(secondsLeft(5000, 0), 5);
  assert.equal(secondsLeft(5000, 1), 5);
  assert.equal(secondsLeft(5000, 1000), 4);
  assert.equal(secondsLeft(5000, 4999), 1);
  assert.equal(secondsLeft(5000, 5000), 0);
  assert.equal(secondsLeft(5000, 9000), 0);
});

test('the countdown is drawn from the deadline: 5, 4, 3, 2, 1, 0, redrawn every 200 ms', () => {
  const { clock, els, w } = setup();
  w.update(closing(clock.now() + 5000));
  assert.equal(els.box.hidden, false);
  assert.equal(els.message.textContent, WARNING);
  assert.equal(els.countdown.textContent, '5');
  assert.equal(COUNTDOWN_TICK_MS, 200);
  const seen = [];
  for (let i = 0; i < 26; i++) {
    clock.advance(200);
    if (seen.at(-1) !== els.countdown.textContent) seen.push(els.countdown.textContent);
  }
  assert.deepEqual(seen, ['5', '4', '3', '2', '1', '0']);
  assert.equal(clock.pending, 0, 'the timer stops at 0');
});

test('a window that opens late starts from the seconds that are left', () => {
  const { clock, els, w } = setup();
  w.update(closing(clock.now() + 2300));
  assert.equal(els.countdown.textContent, '3');
  clock.advance(400);
  assert.equal(els.countdown.textContent, '2');
});

test('cancelled (the session is back): hidden, the timer stops; a new warning starts afresh', () => {
  const { clock, els, w } = setup();
  let s = closing(clock.now() + 5000);
  w.update(s);
  clock.advance(2000);
  s = applyEvent(s, { type: 'state', data: { accounts: [], calls: [], session: { state: 'active', sites: [] } } });
  w.update(s);
  assert.equal(els.box.hidden, true);
  assert.equal(els.message.textContent, '');
  assert.equal(clock.pending, 0);
  w.update(closing(clock.now() + 5000));
  assert.equal(els.countdown.textContent, '5');
  assert.equal(clock.pending, 1, 'one timer, not two');
  w.update(closing(clock.now() + 5000));
  assert.equal(clock.pending, 1);
});

test('the host\'s message is shown; without one the warning has its own words', () => {
  const { clock, els, w } = setup();
  w.update(closing(clock.now() + 5000, ''));
  assert.equal(els.message.textContent, WARNING);
  w.update(initialState());
  assert.equal(els.box.hidden, true);
});
