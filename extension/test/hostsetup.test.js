import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  browserKind, osKind, needsSetup, setupSteps, HostSetup, detectEnvironment,
} from '../lib/hostsetup.js';
import { useI18n } from '../lib/i18n.js';
import { fakeI18n } from './fakei18n.js';
import { parseDocument } from './fakedom.js';

useI18n(fakeI18n());

test('browserKind: what the extension can know of the browser', () => {
  const chromeUA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
  assert.equal(browserKind({ firefox: true }), 'firefox');
  assert.equal(browserKind({ brands: ['Chromium', 'Google Chrome', 'Not.A/Brand'], userAgent: chromeUA }), 'chrome');
  assert.equal(browserKind({ brands: ['Chromium', 'Not.A/Brand'], userAgent: chromeUA }), 'chromium');
  assert.equal(browserKind({ brands: ['Chromium', 'Microsoft Edge'] }), 'edge');
  assert.equal(browserKind({ brands: ['Chromium', 'Opera'] }), 'opera');
  assert.equal(browserKind({ brands: ['Chromium', 'Brave'], brave: true }), 'brave');
  assert.equal(browserKind({ brands: ['Chromium'], userAgent: `${chromeUA} Vivaldi/7.0` }), 'vivaldi');
  assert.equal(browserKind({ userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' }), 'firefox');
  assert.equal(browserKind(), 'chromium');
});

test('osKind and needsSetup', () => {
  assert.equal(osKind('mac'), 'mac');
  assert.equal(osKind('win'), 'win');
  assert.equal(osKind('linux'), 'linux');
  assert.equal(osKind('openbsd'), 'linux');
  assert.equal(osKind(undefined), 'linux');
  assert.equal(needsSetup({ connected: false, message: 'x', problem: 'not_installed' }), true);
  assert.equal(needsSetup({ connected: false, message: 'x', problem: 'start_failed' }), true);
  assert.equal(needsSetup({ connected: false, message: 'lost' }), false, 'a host that ran reconnects');
  assert.equal(needsSetup({ connected: false, connecting: true, problem: 'not_installed' }), false);
  assert.equal(needsSetup({ connected: true }), false);
  assert.equal(needsSetup(null), false);
});

test('setupSteps: Linux names the package, the per-user install and the sandboxes', () => {
  assert.deepEqual(setupSteps('linux', 'chromium'), [
    'Debian or Ubuntu: download tabphone_<version>_amd64.deb (arm64 for ARM) from the Tabphone release and run `sudo apt install ./tabphone_*.deb`. It sets up every browser for every user.',
    'Other Linux, or without root: download tabphone-host-linux-amd64 (or -arm64) and run `chmod +x tabphone-host-linux-* && ./tabphone-host-linux-* install`. It sets up every browser it finds for you.',
    'Browsers installed as a Snap or a Flatpak cannot start the host: install the browser from its .deb or .rpm package.',
    'To set up Chromium only, add `--browser chromium` to the install command.',
    'Then press Check again. If it still fails, `tabphone-host doctor` says what is wrong and how to fix it.',
  ]);
  assert.match(setupSteps('win', 'edge')[2], /Microsoft Edge only, add `--browser edge`/);
  assert.match(setupSteps('mac', 'brave')[2], /Brave only, add `--browser brave`/);
});

test('HostSetup: shows the steps once, Check again asks and waits for the next status', () => {
  const doc = parseDocument('<section id="box" hidden><ol id="steps"></ol><button id="check"></button></section>');
  const $ = (id) => doc.getElementById(id);
  let checks = 0;
  const s = new HostSetup({ box: $('box'), steps: $('steps'), check: $('check'), doc, onCheck: () => { checks++; } });
  s.setEnvironment({ os: 'linux', browser: 'vivaldi' });
  assert.equal(s.update({ connected: false, problem: 'not_installed', message: 'x' }), true);
  assert.equal($('box').hidden, false);
  assert.equal($('steps').querySelectorAll('li').length, 5);
  assert.match($('steps').textContent, /--browser vivaldi/);
  $('check').dispatch('click');
  assert.equal(checks, 1);
  assert.equal($('check').disabled, true);
  s.update({ connected: false, problem: 'not_installed', message: 'x' });
  assert.equal($('check').disabled, false, 'the answer came: try again possible');
  assert.equal(s.update({ connected: true }), false);
  assert.equal($('box').hidden, true);
});

test('detectEnvironment: platform info, Firefox browser info, Chromium brands', async () => {
  assert.deepEqual(
    await detectEnvironment({ getPlatformInfo: async () => ({ os: 'win' }) }, { userAgentData: { brands: [{ brand: 'Microsoft Edge' }] } }),
    { os: 'win', browser: 'edge' },
  );
  assert.deepEqual(
    await detectEnvironment({ getPlatformInfo: async () => ({ os: 'linux' }), getBrowserInfo: async () => ({ name: 'Firefox' }) }, {}),
    { os: 'linux', browser: 'firefox' },
  );
  assert.deepEqual(await detectEnvironment({}, undefined), { os: 'linux', browser: 'chromium' });
  assert.deepEqual(await detectEnvironment({ getPlatformInfo: () => Promise.reject(new Error('no')) }, { brave: {} }), { os: 'linux', browser: 'brave' });
});
