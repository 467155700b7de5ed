import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  entryMatches, filterHistory, normalizeQuery, MAX_QUERY_CHARS,
} from '../lib/historyfilter.js';

const list = [
  { key: 'a', number: '+15550100', name: 'Alice Smith', direction: 'incoming', at: 6, kind: 'missed' },
  { key: 'b', number: '600', direction: 'outgoing', at: 5, kind: 'outgoing' },
  { key: 'c', number: '1002', name: 'José Núñez', direction: 'incoming', at: 4, kind: 'incoming' },
  { key: 'd', number: '602', name: 'Callback 602', direction: 'incoming', at: 3, kind: 'dnd' },
  { key: 'e', number: 'sip:bob@pbx.example.com', direction: 'incoming', at: 2, kind: 'declined' },
  { key: 'f', number: '1002', direction: 'incoming', at: 1, kind: 'missed' },
];
const keys = (l) => l.map((e) => e.key);

test('history search: a name matches case- and accent-blind, in part', () => {
  assert.deepEqual(keys(filterHistory(list, { query: 'alice' })), ['a']);
  assert.deepEqual(keys(filterHistory(list, { query: 'SMI' })), ['a']);
  assert.deepEqual(keys(filterHistory(list, { query: 'jose nun' })), ['c']);
  assert.deepEqual(keys(filterHistory(list, { query: 'callback' })), ['d']);
});

test('history search: a number matches by its digits, whatever the spacing', () => {
  assert.deepEqual(keys(filterHistory(list, { query: '555 0100' })), ['a']);
  assert.deepEqual(keys(filterHistory(list, { query: '+1 (555) 01' })), ['a']);
  assert.deepEqual(keys(filterHistory(list, { query: '1002' })), ['c', 'f']);
  assert.deepEqual(keys(filterHistory(list, { query: '60' })), ['b', 'd'], '"Callback 602" has 60 in its number too');
  assert.deepEqual(keys(filterHistory(list, { query: 'bob@pbx' })), ['e'], 'a sip: address matches as text');
  assert.deepEqual(keys(filterHistory(list, { query: '999' })), []);
});

test('history filter: "Missed only" keeps missed and Do-not-disturb calls, not declined ones', () => {
  assert.deepEqual(keys(filterHistory(list, { missedOnly: true })), ['a', 'd', 'f']);
  assert.deepEqual(keys(filterHistory(list, { missedOnly: true, query: '1002' })), ['f'], 'search and filter together');
  assert.deepEqual(keys(filterHistory(list, {})), keys(list), 'no query, no filter: everything in order');
});

test('history filter: capped, and bad input is harmless', () => {
  assert.deepEqual(keys(filterHistory(list, {}, 2)), ['a', 'b']);
  assert.deepEqual(filterHistory(null, { query: 'x' }), []);
  assert.deepEqual(filterHistory([null, 5, { number: 7 }], { query: 'a' }), []);
  assert.equal(entryMatches(list[0], '   '), true, 'blank matches all');
  assert.equal(normalizeQuery(42), '');
  assert.equal(normalizeQuery(` ${'9'.repeat(500)} `).length, MAX_QUERY_CHARS);
});
