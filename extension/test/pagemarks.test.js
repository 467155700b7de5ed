// content/pagemarks.js in jsdom (a real DOM with TreeWalker and MutationObserver) with
// the real scanner and libphonenumber-js: what gets marked, what is left alone, content
// added later, bounded work per turn, and that only a trusted click or key dials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import { phoneLib } from './phonelib.js';
import { fakeI18n } from './fakei18n.js';
import '../content/numberscan.js';
import '../content/pagemarks.js';

// The content script reads its words from the browser's i18n, as in a page: the English of _locales/en.
globalThis.chrome = { i18n: fakeI18n() };

const lib = phoneLib();
const { PageMarks, findCallableNumbers, MARK_CLASS, NUMBER_ATTR } = globalThis.TabphoneContent;

/** A manual timer queue, so the debounce and the turns run when the test says. */
function timers() {
  const q = new Map();
  let next = 1;
  return {
    setTimeout: (fn, ms) => { const id = next++; q.set(id, { fn, ms }); return id; },
    clearTimeout: (id) => { q.delete(id); },
    get pending() { return q.size; },
    runAll() {
      let n = 0;
      while (q.size && n++ < 1000) {
        const [id, t] = q.entries().next().value;
        q.delete(id);
        t.fn();
      }
    },
    runOne() {
      const [id, t] = q.entries().next().value;
      q.delete(id);
      t.fn();
    },
  };
}

function setup(body, opts = {}) {
  const dom = new JSDOM(`<!doctype html><html><body>${body}</body></html>`);
  const document = dom.window.document;
  const t = timers();
  const dialed = [];
  const marks = new PageMarks({
    document,
    scan: (text) => findCallableNumbers(text, { region: 'US', lib }),
    onDial: (n) => dialed.push(n),
    setTimeout: t.setTimeout,
    clearTimeout: t.clearTimeout,
    ...opts,
  });
  return { dom, document, t, dialed, marks, window: dom.window };
}

const markTexts = (doc) => [...doc.querySelectorAll(`.${MARK_CLASS}`)].map((m) => m.textContent);

/** Lets jsdom deliver MutationObserver records (microtasks). */
const tick = () => new Promise((r) => setImmediate(r));

test('numbers in text are wrapped in an accessible mark; the rest of the text stays', () => {
  const { document, t, marks } = setup('<p id="p">Front desk: +44 20 7946 0958, or (212) 555-0143 after 5.</p>');
  marks.start();
  t.runAll();
  assert.deepEqual(markTexts(document), ['+44 20 7946 0958', '(212) 555-0143']);
  assert.equal(document.getElementById('p').textContent, 'Front desk: +44 20 7946 0958, or (212) 555-0143 after 5.');
  const m = document.querySelector(`.${MARK_CLASS}`);
  assert.equal(m.getAttribute(NUMBER_ATTR), '+442079460958');
  assert.equal(m.getAttribute('role'), 'button');
  assert.equal(m.getAttribute('tabindex'), '0');
  assert.equal(m.getAttribute('aria-label'), 'Call +44 20 7946 0958 with Tabphone');
  assert.equal(marks.marks, 2);
});

test('inputs, textareas, contenteditable, code, pre, links, buttons and scripts are skipped', () => {
  const { document, t, marks } = setup(`
    <input value="+44 20 7946 0958"><textarea>+44 20 7946 0958</textarea>
    <div contenteditable="true"><p>+44 20 7946 0958</p></div>
    <div contenteditable="true"><span contenteditable="false">call +44 20 7946 0958</span></div>
    <div role="textbox">+44 20 7946 0958</div>
    <code>+44 20 7946 0958</code><pre>+44 20 7946 0958</pre><kbd>+44 20 7946 0958</kbd>
    <a href="/x">+44 20 7946 0958</a><button>+44 20 7946 0958</button>
    <select><option>+44 20 7946 0958</option></select>
    <script>var n = "+44 20 7946 0958";</script><style>/* +44 20 7946 0958 */</style>
    <p>Call +44 20 7946 0958</p>`);
  marks.start();
  t.runAll();
  // Only the plain paragraph: an editor is skipped whole, its non-editable islands too.
  assert.deepEqual(markTexts(document), ['+44 20 7946 0958']);
  assert.equal(document.querySelector('p:last-of-type .tabphone-ctc-mark')?.textContent, '+44 20 7946 0958');
});

test('IP addresses, dates, order numbers and digits in inputs get no mark', () => {
  const { document, t, marks } = setup(`
    <table><tr><td>Server</td><td>192.168.100.200</td></tr><tr><td>SIP</td><td>10.10.10.100:5060</td></tr>
    <tr><td>Due</td><td>2024-03-15</td></tr><tr><td>Sent</td><td>15.03.2024 10:30</td></tr>
    <tr><td>Order #4155552671</td><td>Invoice 212-555-0143</td></tr></table>
    <form><input name="phone" value="2125550143"><input type="tel" value="+44 20 7946 0958"></form>`);
  marks.start();
  t.runAll();
  assert.deepEqual(markTexts(document), []);
});

test('content added later is marked after the debounce; our own marks are never marked again', async () => {
  const { document, t, marks } = setup('<main id="m"><p>Nothing here yet.</p></main>');
  marks.start();
  t.runAll();
  assert.equal(marks.marks, 0);
  const table = document.createElement('table');
  table.innerHTML = '<tr><td>Sales</td><td>+44 20 7946 0958</td></tr><tr><td>NY</td><td>(212) 555-0143</td></tr>'
    + '<tr><td>Chicago</td><td>(312) 555-0175</td></tr>';
  document.getElementById('m').append(table);
  await tick();
  assert.equal(marks.marks, 0, 'nothing before the debounce fires');
  t.runAll();
  assert.deepEqual(markTexts(document), ['+44 20 7946 0958', '(212) 555-0143', '(312) 555-0175']);
  // Our replacements produced mutation records; none of them leads to a second pass.
  await tick();
  t.runAll();
  assert.equal(document.querySelectorAll(`.${MARK_CLASS}`).length, 3);
  assert.equal(document.querySelectorAll(`.${MARK_CLASS} .${MARK_CLASS}`).length, 0);
  // A changed text node is scanned again.
  const p = document.querySelector('p');
  p.firstChild.data = 'Now: +1 212 555 0143';
  await tick();
  t.runAll();
  assert.equal(marks.marks, 4);
});

test('work is bounded: a big page is marked over several turns', () => {
  const rows = Array.from({ length: 50 }, (_, i) => `<p>Desk ${i}: +44 20 7946 ${String(1000 + i)}</p>`).join('');
  const { document, t, marks } = setup(rows, { sliceNodes: 10 });
  marks.start();
  t.runOne();
  assert.equal(marks.marks, 10);
  assert.equal(t.pending, 1, 'the next turn is scheduled');
  t.runAll();
  assert.equal(document.querySelectorAll(`.${MARK_CLASS}`).length, 50);
});

test('maxMarks caps the marks per page', () => {
  const rows = Array.from({ length: 20 }, (_, i) => `<p>Desk ${i}: +44 20 7946 ${String(1000 + i)}</p>`).join('');
  const { document, t, marks } = setup(rows, { maxMarks: 5 });
  marks.start();
  t.runAll();
  assert.equal(document.querySelectorAll(`.${MARK_CLASS}`).length, 5);
});

function fakeEvent(target, over = {}) {
  let prevented = false;
  let stopped = false;
  return {
    isTrusted: true, button: 0, key: undefined,
    composedPath: () => { const p = []; for (let n = target; n; n = n.parentNode) p.push(n); return p; },
    preventDefault() { prevented = true; },
    stopPropagation() { stopped = true; },
    get prevented() { return prevented; },
    get stopped() { return stopped; },
    ...over,
  };
}

test('only a trusted click or Enter/Space on a mark dials; script clicks do not', () => {
  const { document, t, marks, dialed } = setup('<p>Call <b>+44 20 7946 0958</b> now</p>');
  marks.start();
  t.runAll();
  const m = document.querySelector(`.${MARK_CLASS}`);
  // A page script's click() is untrusted (jsdom, like browsers, says isTrusted false).
  m.click();
  m.dispatchEvent(new document.defaultView.KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
  assert.deepEqual(dialed, []);
  // The document listener as the browser calls it for the user's click.
  const ev = fakeEvent(m.firstChild);
  marks._clicked(ev);
  assert.deepEqual(dialed, ['+442079460958']);
  assert.ok(ev.prevented && ev.stopped);
  marks._clicked(fakeEvent(m, { isTrusted: false }));
  marks._clicked(fakeEvent(m, { button: 2 }));
  marks._clicked(fakeEvent(document.querySelector('p')));
  assert.equal(dialed.length, 1);
  marks._key(fakeEvent(m, { key: 'Enter' }));
  marks._key(fakeEvent(m, { key: ' ' }));
  marks._key(fakeEvent(m, { key: 'a' }));
  assert.equal(dialed.length, 3);
});

test('a page cannot forge a mark: its own element with our class and attribute, or a changed attribute, dials nothing else', () => {
  const { document, t, marks, dialed } = setup('<p>Call <b>+44 20 7946 0958</b> now</p><p id="fake"></p>');
  marks.start();
  t.runAll();
  // The page makes a look-alike mark, after our scan (the observer skips our class).
  const fake = document.createElement('span');
  fake.className = MARK_CLASS;
  fake.setAttribute(NUMBER_ATTR, '+19005550100');
  fake.textContent = 'Win a prize';
  document.getElementById('fake').append(fake);
  marks._clicked(fakeEvent(fake));
  marks._key(fakeEvent(fake, { key: 'Enter' }));
  assert.deepEqual(dialed, []);
  // The page rewrites our mark's number: the user's click dials what the mark was made for.
  const real = document.querySelector(`b .${MARK_CLASS}`);
  real.setAttribute(NUMBER_ATTR, '+19005550100');
  marks._clicked(fakeEvent(real));
  assert.deepEqual(dialed, ['+442079460958']);
  // stop() leaves the page's own element alone.
  marks.stop();
  assert.equal(document.getElementById('fake').firstChild, fake);
});

test('stop() removes the marks and puts the text back as one node', () => {
  const { document, t, marks } = setup('<p id="p">Call +44 20 7946 0958 now</p>');
  marks.start();
  t.runAll();
  assert.equal(document.getElementById('p').childNodes.length, 3);
  marks.stop();
  assert.equal(document.querySelectorAll(`.${MARK_CLASS}`).length, 0);
  assert.equal(document.getElementById('p').childNodes.length, 1);
  assert.equal(document.getElementById('p').textContent, 'Call +44 20 7946 0958 now');
});
