// Accessibility of every page in real Chromium: each control has an accessible name
// (read from Chromium's own accessibility tree over CDP), and at 200 % zoom (half the
// CSS width of the same window) nothing needs sideways scrolling. Pages: the popup,
// the softphone window in a call with its keypad and transfer form open, the options.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  startDevpbx, launchRegistered, toneWav, tempDir, randomPassword, waitFor,
} from './harness.mjs';

let tmp; let pbx; let b;
const password = randomPassword();
const CONTROL_ROLES = new Set(['button', 'textbox', 'checkbox', 'switch', 'combobox', 'slider', 'spinbutton', 'link', 'radio', 'menuitem', 'searchbox', 'listbox', 'tab']);

before(async () => {
  tmp = tempDir();
  pbx = await startDevpbx(tmp.dir, { 1001: password });
  b = await launchRegistered({ dir: join(tmp.dir, 'phone'), pbx, user: '1001', password, wav: toneWav(tmp.dir, 1000) });
});

after(async () => {
  await b?.close();
  pbx?.stop();
  tmp?.remove();
});

/** Controls in Chromium's accessibility tree without a name: [{role, html}]. */
async function unnamedControls(page) {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('Accessibility.enable');
    const { nodes } = await cdp.send('Accessibility.getFullAXTree');
    const bad = nodes.filter((n) => !n.ignored && CONTROL_ROLES.has(n.role?.value) && !String(n.name?.value ?? '').trim());
    const out = [];
    for (const n of bad) {
      let html = '';
      if (n.backendDOMNodeId) {
        const { outerHTML } = await cdp.send('DOM.getOuterHTML', { backendNodeId: n.backendDOMNodeId }).catch(() => ({ outerHTML: '?' }));
        html = outerHTML.slice(0, 120);
      }
      out.push({ role: n.role.value, html });
    }
    return out;
  } finally {
    await cdp.detach();
  }
}

/** How far the page is wider than its viewport (CSS px), and the elements that stick out. */
const sideways = (page) => page.evaluate(() => {
  const w = document.documentElement.clientWidth;
  const out = [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > w + 0.5 && el.getClientRects().length > 0)
    .slice(0, 5).map((el) => `${el.tagName.toLowerCase()}.${el.className} (${Math.round(el.getBoundingClientRect().right)})`);
  return { over: document.documentElement.scrollWidth - w, out };
});

/**
 * Checks the names, then the page at 200 % zoom: a window of width × height device
 * pixels shows half as many CSS pixels each way.
 */
async function checkPage(page, what, width, height) {
  assert.deepEqual(await unnamedControls(page), [], `${what}: controls without a name`);
  const zoomed = { width: Math.round(width / 2), height: Math.round(height / 2) };
  await page.setViewportSize(zoomed);
  await page.waitForFunction((w) => document.documentElement.clientWidth <= w, zoomed.width);
  const { over, out } = await sideways(page);
  assert.equal(over, 0, `${what} at 200 % zoom scrolls sideways: ${out.join(', ')}`);
  await page.setViewportSize({ width, height });
}

test('popup: named controls, no sideways scrolling at 200 %', async () => {
  const popup = await b.ctx.newPage();
  await popup.setViewportSize({ width: 340, height: 560 });
  await popup.goto(b.url('popup/popup.html'));
  await waitFor(() => popup.getByText(/Registered/).isVisible(), { what: 'registered' });
  // Chromium sizes a popup to its content, up to 800 × 600 device pixels: at 200 % the
  // popup keeps its 340 CSS pixels of width (680 device pixels) and scrolls vertically.
  await checkPage(popup, 'popup', 680, 600);
  await popup.close();
});

test('softphone window in a call, keypad and transfer open: named controls, fits at 200 %', async () => {
  const popup = await b.ctx.newPage();
  await popup.goto(b.url('popup/popup.html'));
  await popup.getByRole('textbox', { name: 'Number' }).fill('600');
  await popup.getByRole('button', { name: 'Dial', exact: true }).click();
  const win = await waitFor(() => b.ctx.pages().find((p) => p.url().includes('/softphone/softphone.html')), { what: 'softphone window' });
  const call = win.locator('li.call');
  await waitFor(() => call.getByRole('button', { name: 'Keypad' }).isVisible(), { what: 'connected with controls' });
  await call.getByRole('button', { name: 'Keypad' }).click();
  await call.getByRole('button', { name: 'Transfer', exact: true }).click();
  await checkPage(win, 'softphone window', 380, 600);
  await call.getByRole('button', { name: 'End call' }).click();
  await popup.close();
});

test('options page: named controls, fits at 200 %', async () => {
  const page = await b.ctx.newPage();
  await page.setViewportSize({ width: 1000, height: 800 });
  await page.goto(b.url('options/options.html'));
  await waitFor(async () => (await page.getByRole('textbox', { name: 'User', exact: true }).inputValue()) === '1001', { what: 'options loaded' });
  await checkPage(page, 'options', 1000, 800);
  await page.close();
});
