// A fake browser.i18n over the real _locales/en/messages.json, so tests see the
// English the user sees: getMessage resolves named placeholders ($NAME$ → their
// content) and then $1…$9 from the substitutions, and gives '' for a missing message,
// as the browsers do. Page tests put it in their fake browser (`i18n: fakeI18n()`); lib
// tests hand it to lib/i18n.js's useI18n. It imports nothing of the extension, so a test
// can build its fake browser before lib/browser.js captures it.
import { readFileSync } from 'node:fs';

export const MESSAGES_URL = new URL('../_locales/en/messages.json', import.meta.url);

/** The English messages as the file has them. */
export function englishMessages() {
  return JSON.parse(readFileSync(MESSAGES_URL, 'utf8'));
}

/** Formats one messages.json entry the way the browsers do. */
export function formatMessage(entry, substitutions = []) {
  const subs = (Array.isArray(substitutions) ? substitutions : [substitutions]).map(String);
  const placeholders = Object.fromEntries(
    Object.entries(entry.placeholders ?? {}).map(([name, p]) => [name.toLowerCase(), p.content]),
  );
  const sub = (text) => text.replace(/\$(\$|[1-9])/g, (m, d) => (d === '$' ? '$' : subs[Number(d) - 1] ?? ''));
  // Placeholder contents may hold $1…$9; the message's own $1…$9 are substituted too.
  const named = entry.message.replace(/\$([A-Za-z0-9_@]+)\$/g, (m, name) => {
    const content = placeholders[name.toLowerCase()];
    return content === undefined ? m : sub(content).replace(/\$/g, '\u0000');
  });
  return sub(named).replace(/\u0000/g, '$');
}

/** {getMessage, getUILanguage} over messages.json (read once). */
export function fakeI18n(messages = englishMessages()) {
  return {
    getMessage(name, substitutions) {
      const entry = messages[name];
      if (!entry) return '';
      return formatMessage(entry, substitutions ?? []);
    },
    getUILanguage() { return 'en'; },
  };
}
