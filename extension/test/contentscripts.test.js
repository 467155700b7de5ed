// lib/contentscripts.js and lib/clicktocallsettings.js: the content script is registered
// only with a switch on and the host permission granted, with only the files the
// settings need, and follows changes; concurrent syncs do not race.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ContentScriptSync, CONTENT_SCRIPT_ID, contentScriptFor, DETECT_SCRIPTS, LINK_SCRIPTS, DETECT_CSS,
  SITE_SCRIPT_ID, SITE_MARKER_SCRIPT, siteScriptFor,
} from '../lib/contentscripts.js';
import {
  clickToCallSettingsOf, readClickToCallSettings, CLICK_TO_CALL_KEY, normalizeRegion, clickToCallPermissions,
} from '../lib/clicktocallsettings.js';
import { FakeStorage } from './fakes.js';

const extDir = join(dirname(fileURLToPath(import.meta.url)), '..');

class FakeScripting {
  constructor() { this.registered = new Map(); this.calls = []; }

  async getRegisteredContentScripts({ ids }) {
    await null;
    return [...this.registered.values()].filter((r) => ids.includes(r.id)).map((r) => structuredClone(r));
  }

  async registerContentScripts(list) {
    await null;
    for (const r of list) {
      if (this.registered.has(r.id)) throw new Error(`Duplicate script ID '${r.id}'`);
      this.registered.set(r.id, structuredClone(r));
    }
    this.calls.push('register');
  }

  async unregisterContentScripts({ ids }) {
    await null;
    for (const id of ids) if (!this.registered.delete(id)) throw new Error(`Nonexistent script ID '${id}'`);
    this.calls.push('unregister');
  }
}

test('settings: defaults off, malformed values ignored, region normalized', async () => {
  assert.deepEqual(clickToCallSettingsOf(undefined), { links: false, detect: false, region: '' });
  assert.deepEqual(clickToCallSettingsOf({ links: 'yes', detect: 1, region: 'usa' }), { links: false, detect: false, region: '' });
  assert.deepEqual(clickToCallSettingsOf({ links: true, detect: true, region: ' gb ' }), { links: true, detect: true, region: 'GB' });
  assert.equal(normalizeRegion(42), '');
  const storage = new FakeStorage({ [CLICK_TO_CALL_KEY]: { links: true } });
  assert.deepEqual(await readClickToCallSettings(storage), { links: true, detect: false, region: '' });
  assert.deepEqual(await readClickToCallSettings({ get: async () => { throw new Error('x'); } }), { links: false, detect: false, region: '' });
  assert.deepEqual(clickToCallPermissions(), { origins: ['http://*/*', 'https://*/*'] });
});

test('the registration the settings want', () => {
  assert.equal(contentScriptFor({ links: true, detect: true }, false), null);
  assert.equal(contentScriptFor({ links: false, detect: false }, true), null);
  const links = contentScriptFor({ links: true, detect: false }, true);
  assert.deepEqual(links.js, LINK_SCRIPTS);
  assert.equal(links.css, undefined);
  assert.deepEqual(links.matches, ['http://*/*', 'https://*/*']);
  assert.equal(links.allFrames, true);
  const detect = contentScriptFor({ links: false, detect: true }, true);
  assert.deepEqual(detect.js, DETECT_SCRIPTS);
  assert.deepEqual(detect.css, DETECT_CSS);
  // The library comes first: the scanner uses it when the page script starts.
  assert.equal(detect.js[0], 'vendor/libphonenumber-min.js');
  assert.equal(detect.js.at(-1), 'content/clicktocall.js');
});

test('every file the registration names is in the extension (vendor/ after make vendor)', () => {
  for (const f of [...DETECT_SCRIPTS, ...DETECT_CSS]) {
    if (f.startsWith('vendor/') && !existsSync(join(extDir, f))) continue; // fresh clone before make
    assert.ok(existsSync(join(extDir, f)), f);
  }
});

test('sync registers, updates, keeps and unregisters as settings and permission change', async () => {
  const scripting = new FakeScripting();
  let granted = false;
  let settings = { links: true, detect: false };
  const sync = new ContentScriptSync({
    scripting,
    permissions: { contains: async (p) => { assert.deepEqual(p, clickToCallPermissions()); return granted; } },
    readSettings: async () => settings,
    log: { error() {} },
  });
  assert.equal(await sync.sync(), 'kept'); // no permission: nothing
  granted = true;
  assert.equal(await sync.sync(), 'registered');
  assert.deepEqual(scripting.registered.get(CONTENT_SCRIPT_ID).js, LINK_SCRIPTS);
  assert.equal(await sync.sync(), 'kept');
  settings = { links: true, detect: true };
  assert.equal(await sync.sync(), 'updated');
  assert.deepEqual(scripting.registered.get(CONTENT_SCRIPT_ID).js, DETECT_SCRIPTS);
  granted = false; // the user took the permission back
  assert.equal(await sync.sync(), 'unregistered');
  assert.equal(scripting.registered.size, 0);
});

test('concurrent syncs run one after another (no duplicate-ID error)', async () => {
  const scripting = new FakeScripting();
  const sync = new ContentScriptSync({
    scripting, permissions: { contains: async () => true }, readSettings: async () => ({ links: true }), log: { error() {} },
  });
  const results = await Promise.all([sync.sync(), sync.sync(), sync.sync()]);
  assert.deepEqual(results, ['registered', 'kept', 'kept']);
  assert.deepEqual(scripting.calls, ['register']);
});

test('a failing scripting API is reported, and the next sync still runs', async () => {
  const errors = [];
  let fail = true;
  const scripting = new FakeScripting();
  const real = scripting.registerContentScripts.bind(scripting);
  scripting.registerContentScripts = async (l) => { if (fail) throw new Error('nope'); return real(l); };
  const sync = new ContentScriptSync({
    scripting, permissions: { contains: async () => true }, readSettings: async () => ({ detect: true }), log: { error: (...a) => errors.push(a) },
  });
  assert.equal(await sync.sync(), 'failed');
  assert.equal(errors.length, 1);
  fail = false;
  assert.equal(await sync.sync(), 'registered');
});

test('without the scripting API (an old browser) nothing happens', async () => {
  const sync = new ContentScriptSync({ scripting: undefined, permissions: undefined, readSettings: async () => ({ links: true }) });
  assert.equal(await sync.sync(), 'kept');
});

test('Dialer/PBX sites: registered for the sites whose permission is held, without the switch', async () => {
  const scripting = new FakeScripting();
  let settings = { links: false, detect: false };
  const held = new Set(['http://127.0.0.1/*']);
  let allSites = false;
  let sites = ['http://127.0.0.1/*', 'https://pbx.example.com/*', 'not a pattern'];
  const sync = new ContentScriptSync({
    scripting,
    permissions: {
      contains: async ({ origins }) => (origins.length === 2 ? allSites : held.has(origins[0])),
    },
    readSettings: async () => settings,
    readDialerSites: async () => sites,
    log: { error() {} },
  });
  assert.equal(await sync.sync(), 'kept', 'the all-sites script: switch off');
  assert.equal(sync.sitesResult, 'registered');
  const reg = scripting.registered.get(SITE_SCRIPT_ID);
  assert.deepEqual(reg.matches, ['http://127.0.0.1/*'], 'only the site whose permission is held');
  assert.deepEqual(reg.js, [SITE_MARKER_SCRIPT, ...LINK_SCRIPTS]);
  assert.ok(existsSync(join(extDir, SITE_MARKER_SCRIPT)));
  held.add('https://pbx.example.com/*');
  await sync.sync();
  assert.equal(sync.sitesResult, 'updated');
  assert.deepEqual(scripting.registered.get(SITE_SCRIPT_ID).matches, ['http://127.0.0.1/*', 'https://pbx.example.com/*']);
  // The user turns links on for every site: the all-sites script covers the Dialer too.
  settings = { links: true, detect: false };
  allSites = true;
  assert.equal(await sync.sync(), 'registered');
  assert.equal(sync.sitesResult, 'unregistered');
  assert.equal(scripting.registered.has(SITE_SCRIPT_ID), false);
  // Back off; then the sites go (or a policy turned links off: the background gives none).
  settings = { links: false, detect: false };
  allSites = false;
  await sync.sync();
  assert.equal(sync.sitesResult, 'registered');
  sites = [];
  await sync.sync();
  assert.equal(sync.sitesResult, 'unregistered');
  assert.equal(scripting.registered.size, 0);
});

test('Dialer/PBX sites: detection adds its files; nothing without sites', () => {
  const det = siteScriptFor({ links: false, detect: true }, false, ['http://127.0.0.1/*']);
  assert.deepEqual(det.js, [SITE_MARKER_SCRIPT, ...DETECT_SCRIPTS]);
  assert.deepEqual(det.css, DETECT_CSS);
  assert.equal(siteScriptFor({ links: false }, false, []), null);
  assert.equal(siteScriptFor({ links: false }, false, null), null);
  assert.equal(siteScriptFor({ links: true }, true, ['http://127.0.0.1/*']), null, 'the all-sites script runs');
});
