// popup/historyview.js on the popup's own markup in a fake DOM: the search box, "Missed
// only", the copy button and the call-back button, without a browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseDocument } from './fakedom.js';
import { fakeI18n } from './fakei18n.js';
import { flush } from './fakes.js';
import { useI18n } from '../lib/i18n.js';
import { HistoryView, copyText } from '../popup/historyview.js';

useI18n(fakeI18n());
const html = readFileSync(new URL('../popup/popup.html', import.meta.url), 'utf8');
const NOW = Date.now();
const LIST = [
  { key: 'a', number: '600', name: 'Alice Smith', direction: 'incoming', at: NOW - 1000, kind: 'missed' },
  { key: 'b', number: '604', name: 'Bob Brown', direction: 'incoming', at: NOW - 2000, kind: 'dnd' },
  { key: 'c', number: '601', name: 'Carol Jones', direction: 'incoming', at: NOW - 3000, kind: 'incoming' },
  { key: 'd', number: '603', direction: 'outgoing', at: NOW - 4000, kind: 'outgoing' },
];

function setup({ list = LIST, copyOk = true } = {}) {
  const doc = parseDocument(html);
  const called = [];
  const copied = [];
  const view = new HistoryView({
    doc,
    list: () => list,
    onCall: (n) => called.push(n),
    copy: async (text) => { copied.push(text); return copyOk; },
  });
  view.render();
  const $ = (id) => doc.getElementById(id);
  const numbers = () => $('recent').querySelectorAll('li.recent-item').map((li) => li.querySelector('.recent-number').textContent);
  const search = (q) => { $('recent-search').value = q; $('recent-search').dispatch('input'); };
  return { doc, $, view, called, copied, numbers, search };
}

test('history view: all calls, newest first, each with a call-back and a copy button named by the number', () => {
  const { $, numbers } = setup();
  assert.deepEqual(numbers(), ['600', '604', '601', '603']);
  const first = $('recent').querySelector('li.recent-item');
  assert.equal(first.querySelector('.recent-call').getAttribute('aria-label'), 'Call 600');
  assert.equal(first.querySelector('.recent-copy').getAttribute('aria-label'), 'Copy 600');
  assert.equal($('recent-empty').hidden, true);
  assert.equal($('recent-missed').getAttribute('aria-pressed'), 'false');
});

test('history view: the search box and "Missed only" filter the list, alone and together', () => {
  const { $, numbers, search } = setup();
  search('alice');
  assert.deepEqual(numbers(), ['600']);
  search('60');
  assert.deepEqual(numbers(), ['600', '604', '601', '603']);
  search('');
  $('recent-missed').dispatch('click');
  assert.equal($('recent-missed').getAttribute('aria-pressed'), 'true');
  assert.deepEqual(numbers(), ['600', '604'], 'missed and Do-not-disturb calls');
  search('bob');
  assert.deepEqual(numbers(), ['604']);
  search('carol');
  assert.deepEqual(numbers(), [], 'Carol answered: not missed');
  assert.equal($('recent-empty').hidden, false);
  assert.equal($('recent-empty').textContent, 'No calls match');
  $('recent-missed').dispatch('click');
  assert.deepEqual(numbers(), ['601']);
});

test('history view: Escape in the search box clears it and goes no further', () => {
  const { $, numbers, search } = setup();
  search('bob');
  const ev = $('recent-search').dispatch('keydown', { key: 'Escape', stopPropagation() { this.stopped = true; } });
  assert.equal(ev.defaultPrevented, true);
  assert.equal(ev.stopped, true, 'the popup\'s own Escape (hang up, decline) does not run');
  assert.equal($('recent-search').value, '');
  assert.deepEqual(numbers(), ['600', '604', '601', '603']);
});

test('history view: a click on the number calls back, on the copy button copies and says so', async () => {
  const { $, called, copied } = setup();
  const item = $('recent').querySelectorAll('li.recent-item')[1];
  item.querySelector('.recent-call').dispatch('click');
  assert.deepEqual(called, ['604']);
  item.querySelector('.recent-copy').dispatch('click');
  await flush();
  assert.deepEqual(copied, ['604']);
  assert.equal(called.length, 1, 'copying does not call');
  assert.equal($('recent-status').textContent, 'Copied 604');
  const failing = setup({ copyOk: false });
  failing.$('recent').querySelector('.recent-copy').dispatch('click');
  await flush();
  assert.equal(failing.$('recent-status').textContent, 'The number could not be copied.');
});

test('history view: an empty history says "No recent calls"', () => {
  const { $, numbers } = setup({ list: [] });
  assert.deepEqual(numbers(), []);
  assert.equal($('recent-empty').hidden, false);
  assert.equal($('recent-empty').textContent, 'No recent calls');
});

test('copyText: the clipboard API, else the copy command', async () => {
  const written = [];
  assert.equal(await copyText('600', { clipboard: { writeText: async (t) => { written.push(t); } } }), true);
  assert.deepEqual(written, ['600']);
  const doc = parseDocument('<html><body></body></html>');
  let selected = null;
  const origCreate = doc.createElement.bind(doc);
  doc.createElement = (tag) => { const el = origCreate(tag); el.select = () => { selected = el.value; }; return el; };
  doc.execCommand = (cmd) => cmd === 'copy' && selected === '601';
  assert.equal(await copyText('601', { clipboard: { writeText: async () => { throw new Error('denied'); } }, doc }), true);
  assert.equal(doc.body.children.length, 0, 'the helper textarea is gone');
  doc.execCommand = () => false;
  assert.equal(await copyText('602', { clipboard: null, doc }), false);
});
