// content/numberscan.js with the real libphonenumber-js bundle the extension vendors
// (the same file, taken from node_modules): real numbers are found, IP addresses, dates,
// times, order and reference numbers and digits glued to other text are not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { phoneLib } from './phonelib.js';
import '../content/numberscan.js';

const lib = phoneLib();
const { findCallableNumbers, regionFor, rejectReason } = globalThis.TabphoneContent;

const numbers = (text, region = 'US') => findCallableNumbers(text, { region, lib }).map((m) => m.number);

test('real numbers in running text are found, as E.164, with their place in the text', () => {
  const text = 'Call +44 20 7946 0958 or (212) 555-0143, fax: 212.555.0199.';
  const found = findCallableNumbers(text, { region: 'US', lib });
  assert.deepEqual(found.map((m) => m.number), ['+442079460958', '+12125550143', '+12125550199']);
  for (const m of found) assert.equal(text.slice(m.start, m.end), m.text);
  assert.equal(found[0].text, '+44 20 7946 0958');
  assert.equal(found[1].text, '(212) 555-0143');
});

test('the region decides national numbers; without one only +numbers are found', () => {
  assert.deepEqual(numbers('Office 020 7946 0958', 'GB'), ['+442079460958']);
  assert.deepEqual(numbers('Office (212) 555-0143 or +49 30 901820', ''), ['+4930901820']);
});

test('a bare digit run is a number only after a phone word', () => {
  assert.deepEqual(numbers('Reference 2125550143'), []);
  assert.deepEqual(numbers('2125550143'), []);
  assert.deepEqual(numbers('Tel. 2125550143'), ['+12125550143']);
  assert.deepEqual(numbers('Phone number: 2125550143'), ['+12125550143']);
});

test('IP addresses (v4 with and without port, v6) give no number', () => {
  for (const t of [
    'Server 192.168.100.200 and 10.0.0.1', 'gateway 212.55.50.143', 'at 10.10.10.100:5060',
    'host 2.125.550.143', '2001:db8:85a3::8a2e:370:7334', 'fe80::212:5550:143', 'addr 212.555.014.3',
  ]) {
    assert.deepEqual(numbers(t), [], t);
  }
});

test('dates and times give no number', () => {
  for (const t of [
    'Due 2024-03-15', 'on 15.03.2024', 'on 03/15/2024 at 10:30', '2024/03/15 12:30:45',
    'Shipped 2025-11-26 10:30:00 UTC', 'Between 12/31/2024 and 01/01/2025', 'Period 01.01.2024–31.12.2024',
  ]) {
    assert.deepEqual(numbers(t), [], t);
  }
});

test('order, invoice and reference numbers give no number, even with phone-like dashes', () => {
  for (const t of [
    'Order #4155552671', 'Order no. 2125550143', 'Invoice 212-555-0143', 'SKU 212-555-0143',
    'Ticket: (212) 555-0143', 'Tracking number 4155552671', 'Customer ID 212 555 0143', 'Ref: 415-555-2671',
    'Item № 2125550143', 'PO 415.555.2671',
  ]) {
    assert.deepEqual(numbers(t), [], t);
  }
});

test('digits glued to letters, other digits or URLs give no number', () => {
  for (const t of [
    'ABC2125550143', 'x212-555-0143y', 'https://example.com/2125550143', 'id=2125550143&x=1',
    '2125550143.5', 'user@2125550143', '#2125550143', '$2125550143',
  ]) {
    assert.deepEqual(numbers(t), [], t);
  }
});

test('the library accepts only valid numbers: made-up ones are not marked', () => {
  assert.deepEqual(numbers('+1 555 010 0200 and 123-456-7890'), []);
});

test('rejectReason says why a candidate is dropped', () => {
  const t = 'Order #4155552671';
  assert.equal(rejectReason(t, 7, 17), 'glued');
  const u = 'Order 415-555-2671';
  assert.equal(rejectReason(u, 6, 18), 'order');
  const v = 'Call 415-555-2671';
  assert.equal(rejectReason(v, 5, 17), '');
});

test('short digit strings skip the library; bad input is safe', () => {
  let called = 0;
  const spy = { findNumbers: (...a) => { called++; return lib.findNumbers(...a); } };
  assert.deepEqual(findCallableNumbers('room 12, floor 3', { region: 'US', lib: spy }), []);
  assert.equal(called, 0);
  assert.deepEqual(findCallableNumbers(null, { lib }), []);
  assert.deepEqual(findCallableNumbers('Call +44 20 7946 0958', { lib: null }), []);
  const throwing = { findNumbers: () => { throw new Error('boom'); } };
  assert.deepEqual(findCallableNumbers('Call +44 20 7946 0958', { lib: throwing }), []);
});

test('at most max numbers per text', () => {
  const text = Array.from({ length: 10 }, () => 'call +44 20 7946 0958').join(', ');
  assert.equal(findCallableNumbers(text, { region: 'US', lib, max: 3 }).length, 3);
});

test('regionFor: the setting, else the language region, else none', () => {
  assert.equal(regionFor('gb', ['en-US']), 'GB');
  assert.equal(regionFor('', ['en-US']), 'US');
  assert.equal(regionFor('', ['de', 'fr-CH']), 'CH');
  assert.equal(regionFor('', ['zh-Hant-TW']), 'TW');
  assert.equal(regionFor('', ['en']), '');
  assert.equal(regionFor('USA', undefined), '');
});
