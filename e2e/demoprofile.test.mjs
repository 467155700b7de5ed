// `make demo`'s profile preparation (e2e/demoprofile.mjs): the last exit marked clean
// and the Tabphone button pinned, other preferences kept. No browser needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { demoPreferences, prepareDemoProfile } from './demoprofile.mjs';
import { tempDir, EXTENSION_ID } from './harness.mjs';

test('a crashed exit becomes clean, Tabphone is pinned once, the rest stays', () => {
  const crashed = {
    profile: { exit_type: 'Crashed', exited_cleanly: false, name: 'Demo' },
    extensions: { pinned_extensions: ['otherextensionidaaaaaaaaaaaaaaaa'], ui: { developer_mode: true } },
    browser: { window_placement: { left: 10 } },
  };
  const p = demoPreferences(crashed, EXTENSION_ID);
  assert.equal(p.profile.exit_type, 'Normal');
  assert.equal(p.profile.exited_cleanly, true);
  assert.equal(p.profile.name, 'Demo');
  assert.deepEqual(p.extensions.pinned_extensions, [EXTENSION_ID, 'otherextensionidaaaaaaaaaaaaaaaa']);
  assert.deepEqual(p.extensions.ui, { developer_mode: true });
  assert.deepEqual(p.browser, crashed.browser);
  assert.deepEqual(demoPreferences(p, EXTENSION_ID).extensions.pinned_extensions, p.extensions.pinned_extensions, 'pinned once');
  assert.equal(crashed.profile.exit_type, 'Crashed', 'the input is not changed');
});

test('prepareDemoProfile writes Default/Preferences, fresh or over a broken file', () => {
  const tmp = tempDir();
  try {
    prepareDemoProfile(join(tmp.dir, 'new'), EXTENSION_ID);
    const fresh = JSON.parse(readFileSync(join(tmp.dir, 'new', 'Default', 'Preferences'), 'utf8'));
    assert.deepEqual(fresh, { profile: { exit_type: 'Normal', exited_cleanly: true }, extensions: { pinned_extensions: [EXTENSION_ID] } });
    mkdirSync(join(tmp.dir, 'broken', 'Default'), { recursive: true });
    writeFileSync(join(tmp.dir, 'broken', 'Default', 'Preferences'), '{"profile": ');
    prepareDemoProfile(join(tmp.dir, 'broken'), EXTENSION_ID);
    assert.equal(JSON.parse(readFileSync(join(tmp.dir, 'broken', 'Default', 'Preferences'), 'utf8')).profile.exit_type, 'Normal');
  } finally {
    tmp.remove();
  }
});
