// lib/clicktocall.js: the background's checks of content-script messages (sender, shape,
// size, switches, scheme), the spacing of dials, the "Call <selection>" menu, and the
// message names shared with the classic content script.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ClickToCall, CONTENT_MSG, MENU_ID, MIN_DIAL_INTERVAL_MS, checkContentMessage, isContentScriptSender, menuItem,
} from '../lib/clicktocall.js';
import { FakeClock } from './fakes.js';
import { useI18n } from '../lib/i18n.js';
import { fakeI18n } from './fakei18n.js';
import '../content/clicktocall.js';

useI18n(fakeI18n()); // the English of _locales/en

const EXT = 'fofiikfolgbiahjjnmckkiaefainepgm';
const SENDER = { id: EXT, url: 'https://crm.example.com/contacts', tab: { id: 7 }, frameId: 0 };
const ON = { links: true, detect: true };

test('the content script and the background use the same message names', () => {
  assert.deepEqual({ ...globalThis.TabphoneContent.MSG }, { ...CONTENT_MSG });
});

test('only our content script in a tab of an http(s) page is a sender', () => {
  assert.equal(isContentScriptSender(SENDER, EXT), true);
  assert.equal(isContentScriptSender({ ...SENDER, url: 'http://127.0.0.1:8080/app/' }, EXT), true);
  for (const bad of [
    { ...SENDER, id: 'other' },
    { ...SENDER, tab: undefined }, // an extension page or a worker
    { ...SENDER, tab: { id: -1 } },
    { ...SENDER, url: `chrome-extension://${EXT}/popup/popup.html` },
    { ...SENDER, url: 'file:///etc/passwd' },
    { ...SENDER, url: undefined },
    null,
  ]) {
    assert.equal(isContentScriptSender(bad, EXT), false, JSON.stringify(bad));
  }
  assert.equal(isContentScriptSender(SENDER, ''), false);
});

test('checkContentMessage: shape, size, switches and the link itself', () => {
  const ok = (msg, settings = ON) => checkContentMessage(msg, SENDER, { extensionId: EXT, settings });
  assert.deepEqual(ok({ type: 'call_link', data: { uri: 'tel:600' } }), { ok: true, number: '600', source: 'tel' });
  assert.deepEqual(ok({ type: 'call_number', data: { number: '+442079460958' } }), { ok: true, number: '+442079460958', source: 'scan' });
  const refused = [
    [{ type: 'call_link', data: { uri: 'tel:600' } }, { links: false, detect: true }],
    [{ type: 'call_number', data: { number: '+442079460958' } }, { links: true, detect: false }],
    [{ type: 'call_link', data: { uri: 'javascript:alert(1)' } }],
    [{ type: 'call_link', data: { uri: 'tel:600', account: 'work' } }],
    [{ type: 'call_link', data: { number: '600' } }],
    [{ type: 'call_number', data: { number: '600' } }],
    [{ type: 'call_link', data: { uri: `tel:${'1'.repeat(2000)}` } }],
    [{ type: 'call_link', data: 'tel:600' }],
    [{ type: 'dial', data: { number: '600' } }],
    [{ type: 'toString', data: {} }],
    [{ data: { uri: 'tel:600' } }],
    ['tel:600'],
    [null],
  ];
  for (const [msg, settings] of refused) assert.equal(ok(msg, settings).ok, false, JSON.stringify(msg));
  assert.equal(checkContentMessage({ type: 'call_link', data: { uri: 'tel:600' } }, { ...SENDER, tab: undefined }, { extensionId: EXT, settings: ON }).ok, false);
});

function setup({ settings = ON, reply = { ok: true, data: { call_id: 'c1' } } } = {}) {
  const clock = new FakeClock();
  const dialed = [];
  const notes = [];
  const ctc = new ClickToCall({
    extensionId: EXT,
    readSettings: async () => settings,
    dial: async (n) => { dialed.push(n); return typeof reply === 'function' ? reply(n) : reply; },
    notify: (m) => notes.push(m),
    clock,
    log: { warn() {}, error() {} },
  });
  return { ctc, clock, dialed, notes };
}

test('a valid link message dials once; a second within the interval is refused', async () => {
  const { ctc, clock, dialed } = setup();
  const msg = { type: 'call_link', data: { uri: 'tel:+1-555-010-0200' } };
  assert.deepEqual(await ctc.onContentMessage(msg, SENDER), { ok: true, number: '+15550100200' });
  assert.equal((await ctc.onContentMessage(msg, SENDER)).ok, false);
  clock.advance(MIN_DIAL_INTERVAL_MS);
  assert.equal((await ctc.onContentMessage(msg, SENDER)).ok, true);
  assert.deepEqual(dialed, ['+15550100200', '+15550100200']);
  assert.deepEqual(ctc.stats, { received: 3, refused: 1, dialed: 2 });
});

test('refused messages never reach the dial path', async () => {
  const { ctc, dialed } = setup({ settings: { links: false, detect: false } });
  await ctc.onContentMessage({ type: 'call_link', data: { uri: 'tel:600' } }, SENDER);
  await ctc.onContentMessage({ type: 'call_number', data: { number: '+442079460958' } }, SENDER);
  const s2 = setup();
  await s2.ctc.onContentMessage({ type: 'call_link', data: { uri: 'tel:600' } }, { ...SENDER, id: 'evil' });
  assert.deepEqual([...dialed, ...s2.dialed], []);
  assert.equal(ctc.stats.refused, 2);
});

test('a failed dial tells the user why', async () => {
  const { ctc, notes } = setup({ reply: { ok: false, error: { code: 'not_registered' } } });
  const r = await ctc.onContentMessage({ type: 'call_link', data: { uri: 'tel:600' } }, SENDER);
  assert.equal(r.ok, false);
  assert.deepEqual(notes, ['Could not call 600: The phone is not registered yet.']);
  const thrown = setup({ reply: () => { throw new Error('port gone'); } });
  await thrown.ctc.onContentMessage({ type: 'call_link', data: { uri: 'tel:600' } }, SENDER);
  assert.deepEqual(thrown.notes, ['Could not call 600: port gone']);
});

test('"Call <selection>": our item dials the selection; a non-number is explained', async () => {
  assert.deepEqual(menuItem(), { id: MENU_ID, title: 'Call “%s”', contexts: ['selection'] });
  const { ctc, dialed, notes } = setup({ settings: { links: false, detect: false } });
  assert.equal((await ctc.onMenuClick({ menuItemId: MENU_ID, selectionText: '+1 (555) 010-0200' })).ok, true);
  assert.equal((await ctc.onMenuClick({ menuItemId: 'other', selectionText: '600' })).ok, false);
  assert.equal((await ctc.onMenuClick({ menuItemId: MENU_ID, selectionText: 'hello world' })).ok, false);
  assert.deepEqual(dialed, ['+15550100200']);
  assert.deepEqual(notes, ['“hello world” is not a phone number or SIP address.']);
});

test('a call link on a configured Dialer/PBX site passes with the link switch off; other sites stay opt-in', () => {
  const msg = { type: 'call_link', data: { uri: 'tel:600' } };
  const off = { links: false, detect: false };
  const sites = ['https://pbx.example.com/app/*', 'http://127.0.0.1/*'];
  const at = (url) => checkContentMessage(msg, { ...SENDER, url }, { extensionId: EXT, settings: off, dialerSites: sites });
  assert.deepEqual(at('https://pbx.example.com/app/agents?x=1'), { ok: true, number: '600', source: 'tel' });
  assert.equal(at('http://127.0.0.1:8080/app/').ok, true, 'any port of the pattern\'s host');
  assert.equal(at('https://pbx.example.com/other').ok, false, 'outside the site\'s path');
  assert.equal(at('https://crm.example.com/contacts').ok, false, 'another site');
  const scan = { type: 'call_number', data: { number: '+442079460958' } };
  assert.equal(checkContentMessage(scan, { ...SENDER, url: 'https://pbx.example.com/app/' }, { extensionId: EXT, settings: off, dialerSites: sites }).ok, false,
    'number detection stays the user\'s choice');
});

test('ClickToCall reads the Dialer/PBX sites for each message', async () => {
  const dialed = [];
  const ctc = new ClickToCall({
    extensionId: EXT,
    readSettings: async () => ({ links: false, detect: false }),
    readDialerSites: async () => ['https://crm.example.com/*'],
    dial: async (n) => { dialed.push(n); return { ok: true }; },
    clock: new FakeClock(),
    log: { warn() {} },
  });
  assert.deepEqual(await ctc.onContentMessage({ type: 'call_link', data: { uri: 'tel:601' } }, SENDER), { ok: true, number: '601' });
  assert.deepEqual(dialed, ['601']);
});
