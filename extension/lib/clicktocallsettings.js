// The click-to-call settings the extension keeps in storage.local, their defaults and
// checks, and the permission they need. Both switches are off until the user turns them
// on in the options page, where the browser asks for the host permission in the same
// click. No browser API.

/** storage.local key: {links: bool, detect: bool, region: "US" | ""}. */
export const CLICK_TO_CALL_KEY = 'clickToCall';

/**
 * The optional host permission the content script needs (manifest
 * optional_host_permissions). Asked for when the user turns click-to-call on, never at
 * install, so the install prompt does not say "read and change all your data".
 */
export const CLICK_TO_CALL_ORIGINS = Object.freeze(['http://*/*', 'https://*/*']);

export const DEFAULT_CLICK_TO_CALL = Object.freeze({ links: false, detect: false, region: '' });

/** A stored region ("US"), or "" for anything else. */
export function normalizeRegion(v) {
  return typeof v === 'string' && /^[A-Za-z]{2}$/.test(v.trim()) ? v.trim().toUpperCase() : '';
}

/** The settings with their defaults from the stored value (anything malformed → default). */
export function clickToCallSettingsOf(stored) {
  const s = stored && typeof stored === 'object' && !Array.isArray(stored) ? stored : {};
  return {
    links: s.links === true,
    detect: s.detect === true,
    region: normalizeRegion(s.region),
  };
}

/** Reads the settings; a storage failure gives the defaults (everything off). */
export async function readClickToCallSettings(storage) {
  try {
    const got = await storage.get(CLICK_TO_CALL_KEY);
    return clickToCallSettingsOf(got?.[CLICK_TO_CALL_KEY]);
  } catch {
    return { ...DEFAULT_CLICK_TO_CALL };
  }
}

/** True when some part of click-to-call needs the content script. */
export function needsContentScript(settings) {
  return Boolean(settings?.links || settings?.detect);
}

/** The permissions.request / contains argument for the content script. */
export function clickToCallPermissions() {
  return { origins: [...CLICK_TO_CALL_ORIGINS] };
}

