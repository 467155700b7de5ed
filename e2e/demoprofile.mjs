// The demo profile's Preferences before each `make demo` launch: the last exit marked
// clean, so Chromium shows no "Restore pages?" bubble after a demo stopped with Ctrl-C
// (Chromium writes exit_type "Crashed" while it runs and "Normal" only on a clean
// exit), and the Tabphone button pinned in the toolbar (the pref Chromium keeps the
// pinned extensions in; the ExtensionSettings policy's toolbar_pin would need a
// machine-wide policy file, which a demo must not write).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** The Preferences object with a clean last exit and the extension pinned. */
export function demoPreferences(prefs, extensionId) {
  const p = prefs && typeof prefs === 'object' && !Array.isArray(prefs) ? structuredClone(prefs) : {};
  p.profile = { ...(p.profile ?? {}), exit_type: 'Normal', exited_cleanly: true };
  const ext = { ...(p.extensions ?? {}) };
  const pinned = Array.isArray(ext.pinned_extensions) ? ext.pinned_extensions.filter((id) => typeof id === 'string') : [];
  if (!pinned.includes(extensionId)) pinned.unshift(extensionId);
  ext.pinned_extensions = pinned;
  p.extensions = ext;
  return p;
}

/** Rewrites <profile>/Default/Preferences (made if missing; unreadable JSON starts afresh). */
export function prepareDemoProfile(profile, extensionId) {
  const dir = join(profile, 'Default');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'Preferences');
  let prefs = {};
  try {
    prefs = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    prefs = {};
  }
  writeFileSync(file, JSON.stringify(demoPreferences(prefs, extensionId)));
}
