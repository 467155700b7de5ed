import { test } from 'node:test';
import assert from 'node:assert/strict';
import { badgeFor } from '../lib/badge.js';
import { initialState, applySnapshot } from '../lib/state.js';
import { useI18n } from '../lib/i18n.js';
import { fakeI18n } from './fakei18n.js';

useI18n(fakeI18n()); // the English of _locales/en

const up = { connected: true };
const acc = (registration) => ({ id: 'work', user: '1001', domain: 'x', registration });
const st = (accounts, calls = []) => applySnapshot(initialState(), { accounts, status: 'available', calls });

test('badge: nothing when registered and idle', () => {
  assert.equal(badgeFor(st([acc('registered')]), up).text, '');
});

test('badge: "!" when the host is down or nothing is registered', () => {
  assert.equal(badgeFor(initialState(), { connected: false }).text, '!');
  assert.equal(badgeFor(st([acc('failed')]), up).text, '!');
  assert.equal(badgeFor(st([]), up).text, '!');
});

test('badge: "●" in a call, "☎" while an incoming call rings', () => {
  assert.equal(badgeFor(st([acc('registered')], [{ id: 'c1', state: 'connected', direction: 'outgoing' }]), up).text, '●');
  assert.equal(badgeFor(st([acc('registered')], [{ id: 'c1', state: 'ringing', direction: 'incoming' }]), up).text, '☎');
});

test('badge: "DND" in Do not disturb when idle; a call or a problem says more', () => {
  const dnd = (accounts, calls = []) => applySnapshot(initialState(), { accounts, status: 'dnd', calls });
  assert.equal(badgeFor(dnd([acc('registered')]), up).text, 'DND');
  assert.equal(badgeFor(dnd([acc('failed')]), up).text, '!');
  assert.equal(badgeFor(dnd([acc('registered')], [{ id: 'c1', state: 'connected', direction: 'outgoing' }]), up).text, '●');
});
