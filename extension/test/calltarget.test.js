// lib/calltarget.js: what a link, a selection or a scanned number may dial.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  targetFromUri, targetFromSelection, targetFromScan, numberFromText, sipUri, MAX_URI_CHARS,
} from '../lib/calltarget.js';

const num = (r) => (r.ok ? r.number : `ERR ${r.error}`);

test('tel: links: separators, parameters and %-escapes go, the number stays', () => {
  assert.equal(num(targetFromUri('tel:600')), '600');
  assert.equal(num(targetFromUri('tel:+15550100200')), '+15550100200');
  assert.equal(num(targetFromUri('tel:+1-555-010-0200;ext=12')), '+15550100200');
  assert.equal(num(targetFromUri('TEL:+44%2020%207946%200958')), '+442079460958');
  assert.equal(num(targetFromUri('tel:(555)%20010.0311')), '5550100311');
  assert.equal(num(targetFromUri('tel:*67%23')), '*67#');
  assert.equal(targetFromUri('tel:600').scheme, 'tel');
});

test('callto: numbers are taken, Skype names are not', () => {
  assert.equal(num(targetFromUri('callto:+15550100200')), '+15550100200');
  assert.equal(num(targetFromUri('callto://+15550100200')), '+15550100200');
  assert.equal(targetFromUri('callto:echo123').ok, false);
});

test('sip: and sips: URIs pass through when user@host of safe characters', () => {
  assert.equal(num(targetFromUri('sip:600@127.0.0.1:5060')), 'sip:600@127.0.0.1:5060');
  assert.equal(num(targetFromUri('SIPS:alice@pbx.example.com;transport=tls')), 'sips:alice@pbx.example.com;transport=tls');
  assert.equal(num(targetFromUri('sip:bob@[2001:db8::1]')), 'sip:bob@[2001:db8::1]');
  for (const bad of ['sip:pbx.example.com', 'sip:a b@host', 'sip:a@host?Replaces=x', 'sip:<a@host>', 'sip:a@host"x', 'sip:@host']) {
    assert.equal(targetFromUri(bad).ok, false, bad);
  }
  assert.equal(sipUri(`sip:${'a'.repeat(300)}@h`).ok, false);
});

test('other schemes, junk and oversized links are refused', () => {
  for (const bad of [
    'javascript:alert(1)', 'https://example.com/tel:600', 'mailto:a@b.c', 'data:text/html,x', '', 'tel:',
    'tel:abc', 'tel:+', 'tel:1', 'tel:12a4', 'tel:++123', 'tel:%E0%A4%A', 'tel', ':600', null, 42, {},
    `tel:${'1'.repeat(40)}`,
  ]) {
    assert.equal(targetFromUri(bad).ok, false, String(bad));
  }
  assert.equal(targetFromUri(`tel:+1${' '.repeat(MAX_URI_CHARS)}5550100200`).ok, false);
});

test('a selection: numbers as people write them, sip: URIs, nothing else', () => {
  assert.equal(num(targetFromSelection(' +1 (555) 010-0200 ')), '+15550100200');
  assert.equal(num(targetFromSelection('020 7946 0958')), '02079460958');
  assert.equal(num(targetFromSelection('600')), '600');
  assert.equal(num(targetFromSelection('555\u00a0010\u20110200')), '5550100200');
  assert.equal(num(targetFromSelection('sip:600@127.0.0.1')), 'sip:600@127.0.0.1');
  assert.equal(num(targetFromSelection('tel:+15550100200')), '+15550100200');
  for (const bad of ['call me', '', '   ', 'Order 123', '1.2.3.4.5.6.7.8.9.0.1.2.3.4.5.6.7.8.9.0.1.2.3.4.5.6.7.8.9.0.1.2.3.4', '5+5', undefined]) {
    assert.equal(targetFromSelection(bad).ok, false, String(bad));
  }
});

test('a scanned number must be E.164', () => {
  assert.equal(num(targetFromScan('+442079460958')), '+442079460958');
  for (const bad of ['442079460958', '+0123456789', '+12', '+1234567890123456', 'tel:+442079460958', 600]) {
    assert.equal(targetFromScan(bad).ok, false, String(bad));
  }
});

test('numberFromText caps its input', () => {
  assert.equal(numberFromText('1'.repeat(200)).ok, false);
  assert.equal(numberFromText('12').ok, true);
});
