import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  normalizeInput, validateNumber, appendKey, deleteLast, isDialChar, isSipUri, DIAL_KEYS,
  MAX_NUMBER_LENGTH, MAX_URI_LENGTH,
} from '../lib/dialpad.js';
import { useI18n } from '../lib/i18n.js';
import { fakeI18n } from './fakei18n.js';

useI18n(fakeI18n()); // the English of _locales/en

test('pasted numbers lose their separators', () => {
  assert.equal(normalizeInput('+1 (555) 010-0200'), '+15550100200');
  assert.equal(normalizeInput(' 555.010.0200 '), '5550100200');
  assert.equal(normalizeInput('030 / 123\u00a0456'), '030123456');
  assert.equal(normalizeInput('*67#'), '*67#');
  assert.equal(normalizeInput(''), '');
  assert.equal(normalizeInput(undefined), '');
});

test('+ stays only in front', () => {
  assert.equal(normalizeInput('+49+30'), '+4930');
  assert.equal(normalizeInput('12+3'), '123');
  assert.equal(normalizeInput('++1'), '+1');
});

test('tel: and callto: prefixes go, sip: URIs pass through trimmed', () => {
  assert.equal(normalizeInput('tel:+1-555-010-0200'), '+15550100200');
  assert.equal(normalizeInput('tel:+15550100200;phone-context=example.com'), '+15550100200');
  assert.equal(normalizeInput('callto:600'), '600');
  assert.equal(normalizeInput('  sip:600@pbx.example.com  '), 'sip:600@pbx.example.com');
  assert.equal(normalizeInput('SIPS:bob@example.com'), 'SIPS:bob@example.com');
});

test('length caps: 64 for numbers, 256 for URIs', () => {
  assert.equal(normalizeInput('1'.repeat(100)).length, MAX_NUMBER_LENGTH);
  assert.equal(normalizeInput(`sip:${'a'.repeat(300)}`).length, MAX_URI_LENGTH);
});

test('validateNumber accepts numbers and SIP addresses', () => {
  assert.deepEqual(validateNumber('600'), { ok: true, number: '600' });
  assert.deepEqual(validateNumber('+1 (555) 010-0200'), { ok: true, number: '+15550100200' });
  assert.deepEqual(validateNumber('*43#'), { ok: true, number: '*43#' });
  assert.deepEqual(validateNumber('sip:600@127.0.0.1:5060'), { ok: true, number: 'sip:600@127.0.0.1:5060' });
});

test('validateNumber gives words for empty and garbage', () => {
  for (const [input, re] of [
    ['', /Type a number/],
    ['   ', /Type a number/],
    ['+', /after the \+/],
    ['hello', /only digits/],
    ['60a0', /only digits/],
    ['sip:', /not valid/],
    ['sip:a b@c', /not valid/],
    [`sip:${'a'.repeat(300)}`, /too long/],
    ['1'.repeat(65), /too long/],
  ]) {
    const r = validateNumber(input);
    assert.equal(r.ok, false, input);
    assert.match(r.error, re, input);
  }
});

test('dialpad keys append; + only in front; Backspace deletes one character', () => {
  assert.equal(appendKey('', '6'), '6');
  assert.equal(appendKey('60', '0'), '600');
  assert.equal(appendKey('', '+'), '+');
  assert.equal(appendKey('1', '+'), '1');
  assert.equal(appendKey('1', 'x'), '1');
  assert.equal(appendKey('1'.repeat(64), '2'), '1'.repeat(64));
  assert.equal(appendKey('sip:6', '0'), 'sip:60');
  assert.equal(deleteLast('600'), '60');
  assert.equal(deleteLast(''), '');
});

test('the dialpad is 12 keys in phone order', () => {
  assert.deepEqual(DIAL_KEYS.map((k) => k.key), ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#']);
  assert.ok(['0', '9', '*', '#', '+'].every(isDialChar));
  assert.ok(!isDialChar('a') && !isDialChar(' '));
  assert.ok(isSipUri(' sip:x') && !isSipUri('600'));
});

test('long press: 0 types +, the other keys nothing', async () => {
  const { longPressKey, LONG_PRESS_MS } = await import('../lib/dialpad.js');
  assert.equal(longPressKey('0'), '+');
  for (const k of ['1', '9', '*', '#', '', undefined]) assert.equal(longPressKey(k), null);
  assert.ok(LONG_PRESS_MS >= 300 && LONG_PRESS_MS <= 800, 'a press people can tell from a tap');
});
