// content/clicktocall.js in jsdom: a trusted primary click on a tel:/sip:/callto: link
// sends one small message and stops the browser's own handling; a script's click(), other
// links, other buttons and switched-off settings send nothing; detection starts and stops
// with the settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';
import { FakeEvent } from './fakes.js';
import { phoneLib } from './phonelib.js';
import '../content/numberscan.js';
import '../content/pagemarks.js';
import '../content/clicktocall.js';

const ns = globalThis.TabphoneContent;
const lib = phoneLib();

function page(body, settings, { dialerSite = false } = {}) {
  const dom = new JSDOM(`<!doctype html><html><body>${body}</body></html>`, { url: 'https://crm.example.com/contacts' });
  const sent = [];
  const onChanged = new FakeEvent();
  const api = { runtime: { sendMessage: async (m) => { sent.push(m); } }, storage: { onChanged } };
  // Capture the window listener, to call it with events the test marks as trusted.
  const listeners = [];
  const add = dom.window.addEventListener.bind(dom.window);
  dom.window.addEventListener = (type, fn, capture) => { listeners.push({ type, fn, capture }); add(type, fn, capture); };
  const handle = ns.startClickToCall({
    api, window: dom.window, lib, settings, dialerSite,
  });
  const click = (target, over = {}) => {
    let prevented = false;
    const ev = {
      isTrusted: true, button: 0, defaultPrevented: false, target,
      composedPath: () => { const p = []; for (let n = target; n; n = n.parentNode) p.push(n); return p; },
      preventDefault() { prevented = true; },
      ...over,
    };
    for (const l of listeners) if (l.type === 'click') l.fn(ev);
    return prevented;
  };
  return { dom, document: dom.window.document, sent, onChanged, handle, click, listeners };
}

const LINKS = `
  <a id="tel" href="tel:+1-555-010-0200"><span id="inner">+1 555-010-0200</span></a>
  <a id="sip" href="sip:600@127.0.0.1">Echo</a>
  <a id="callto" href="callto:+15550100200">Callto</a>
  <a id="web" href="/about">About</a>
  <a id="js" href="javascript:void(0)">JS</a>
  <p id="text">No link</p>`;

test('a trusted click on a call link sends {type, data:{uri}} and prevents the default', () => {
  const { document, sent, click, listeners } = page(LINKS, { links: true });
  assert.ok(listeners.some((l) => l.type === 'click' && l.capture === true), 'capture listener on window');
  assert.equal(click(document.getElementById('inner')), true);
  assert.equal(click(document.getElementById('sip')), true);
  assert.equal(click(document.getElementById('callto')), true);
  assert.deepEqual(sent, [
    { type: 'call_link', data: { uri: 'tel:+1-555-010-0200' } },
    { type: 'call_link', data: { uri: 'sip:600@127.0.0.1' } },
    { type: 'call_link', data: { uri: 'callto:+15550100200' } },
  ]);
});

test('untrusted, non-primary, already handled and non-call clicks send nothing', () => {
  const { document, sent, click } = page(LINKS, { links: true });
  const tel = document.getElementById('tel');
  tel.click(); // a page script's click(): jsdom, like browsers, makes it untrusted
  assert.equal(click(tel, { isTrusted: false }), false);
  assert.equal(click(tel, { button: 1 }), false);
  assert.equal(click(tel, { defaultPrevented: true }), false);
  for (const id of ['web', 'js', 'text']) assert.equal(click(document.getElementById(id)), false, id);
  assert.deepEqual(sent, []);
});

test('with link interception off, links are left to the browser', () => {
  const { document, sent, click } = page(LINKS, { links: false, detect: false });
  assert.equal(click(document.getElementById('tel')), false);
  assert.deepEqual(sent, []);
});

test('the nearest link decides: a call link inside a web link is not taken', () => {
  const { document, sent, click } = page('<a href="/x"><svg><a id="svga" href="tel:600"></a></svg></a><a href="https://e.com"><b id="b">x</b></a>', { links: true });
  assert.equal(click(document.getElementById('b')), false);
  assert.deepEqual(sent, []);
  assert.equal(ns.callLinkOf({ composedPath: () => [document.getElementById('b')] }), null);
});

test('detection follows the settings: marks appear when switched on, go when off', async () => {
  const { document, sent, onChanged, handle } = page('<p>Desk: +44 20 7946 0958</p>', { links: true, detect: false });
  assert.equal(handle.marks, null);
  onChanged.emit({ clickToCall: { newValue: { links: true, detect: true, region: 'GB' } } }, 'local');
  assert.ok(handle.marks);
  handle.marks.flush();
  const mark = document.querySelector('.tabphone-ctc-mark');
  assert.equal(mark?.textContent, '+44 20 7946 0958');
  handle.marks._clicked({
    isTrusted: true, button: 0, composedPath: () => [mark], preventDefault() {}, stopPropagation() {},
  });
  assert.deepEqual(sent, [{ type: 'call_number', data: { number: '+442079460958' } }]);
  onChanged.emit({ other: { newValue: 1 } }, 'local'); // not ours
  onChanged.emit({ clickToCall: { newValue: { links: true, detect: true } } }, 'sync'); // other area
  assert.ok(handle.marks);
  onChanged.emit({ clickToCall: { newValue: { links: true, detect: false } } }, 'local');
  assert.equal(handle.marks, null);
  assert.equal(document.querySelectorAll('.tabphone-ctc-mark').length, 0);
  handle.stop();
});

test('a frame where the extension went away does not throw on a click', () => {
  const dom = new JSDOM('<a id="t" href="tel:600">x</a>', { url: 'https://e.com/' });
  const api = { runtime: { sendMessage: () => { throw new Error('Extension context invalidated.'); } } };
  let onClick = null;
  const add = dom.window.addEventListener.bind(dom.window);
  dom.window.addEventListener = (type, fn, c) => { if (type === 'click') onClick = fn; add(type, fn, c); };
  const handle = ns.startClickToCall({ api, window: dom.window, settings: { links: true } });
  const a = dom.window.document.getElementById('t');
  let prevented = false;
  assert.doesNotThrow(() => onClick({
    isTrusted: true, button: 0, defaultPrevented: false, composedPath: () => [a], preventDefault() { prevented = true; },
  }));
  assert.equal(prevented, true);
  assert.doesNotThrow(() => handle.stop());
});

test('a page element with id="TabphoneContent" or "libphonenumber" cannot stand in for ours (DOM clobbering)', () => {
  const dom = new JSDOM('<div id="TabphoneContent"></div><form id="libphonenumber"><input name="findNumbers"></form><p>Desk +44 20 7946 0958</p>', {
    runScripts: 'outside-only', url: 'https://evil.example/',
  });
  const w = dom.window;
  assert.equal(w.eval('TabphoneContent.tagName'), 'DIV', 'jsdom resolves named elements on window, as browsers do');
  for (const f of ['numberscan.js', 'pagemarks.js', 'clicktocall.js']) {
    w.eval(readFileSync(new URL(`../content/${f}`, import.meta.url), 'utf8'));
  }
  const ours = w.eval('TabphoneContent');
  assert.equal(Object.getPrototypeOf(ours), w.Object.prototype);
  assert.equal(typeof ours.findCallableNumbers, 'function');
  assert.equal(typeof ours.PageMarks, 'function');
  assert.equal(typeof ours.startClickToCall, 'function');
  // The form is not a phone library: nothing is found with it.
  assert.equal(ours.findCallableNumbers('Desk +44 20 7946 0958', { region: 'GB', lib: w.eval('libphonenumber') }).length, 0);
});

test('on a Dialer/PBX site (dialersite.js ran first) call links work with the switch off; nowhere else', () => {
  const site = page(LINKS, { links: false }, { dialerSite: true });
  assert.equal(site.click(site.document.getElementById('tel')), true);
  assert.deepEqual(site.sent, [{ type: 'call_link', data: { uri: 'tel:+1-555-010-0200' } }]);
  assert.equal(site.click(site.document.getElementById('tel'), { isTrusted: false }), false, 'still only the user\'s own click');
  const other = page(LINKS, { links: false });
  assert.equal(other.click(other.document.getElementById('tel')), false);
  assert.deepEqual(other.sent, []);
});
