// The libphonenumber-js bundle the extension vendors (scripts/vendor.sh copies it into
// extension/vendor/), loaded in node from node_modules, so the tests run on a fresh
// clone after `npm ci` and see exactly the code the content script gets. It runs as a
// classic script, as in the page, and leaves its API in globalThis.libphonenumber.
import { readFileSync } from 'node:fs';
import { runInThisContext } from 'node:vm';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PHONE_LIB_BUNDLE = join(dirname(fileURLToPath(import.meta.url)), '..', '..',
  'node_modules', 'libphonenumber-js', 'bundle', 'libphonenumber-min.js');

/** The bundle's API, as the content script sees it. */
export function phoneLib() {
  if (!globalThis.libphonenumber) {
    runInThisContext(readFileSync(PHONE_LIB_BUNDLE, 'utf8'), { filename: PHONE_LIB_BUNDLE });
  }
  return globalThis.libphonenumber;
}
