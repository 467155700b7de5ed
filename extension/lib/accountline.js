// The popup's first line: who the phone is (the account's display name, else its user)
// and its registration in a word or two ("Registered", "Wrong password"), on one line at
// the popup's width: the name is cut with an ellipsis, the state never is. The long
// words ("Registered as 1001 at pbx.example.com", or the PBX's own error) stay in the
// line's tooltip and accessible description. No browser API.

import { REGISTRATION } from './protocol.js';
import { registrationWords, isAuthFailure } from './callview.js';
import { t } from './i18n.js';

/** The longest name shown (the rest is cut; CSS cuts it again to the width). */
export const MAX_ACCOUNT_NAME_CHARS = 64;

/** The account's name for the first line: its display name, else its user. */
export function accountName(account) {
  const display = typeof account?.display_name === 'string' ? account.display_name.trim() : '';
  const name = display !== '' ? display : String(account?.user ?? '');
  return name.slice(0, MAX_ACCOUNT_NAME_CHARS);
}

/** The registration in a word or two. */
export function shortRegistrationWords(account) {
  switch (account?.registration) {
    case REGISTRATION.REGISTERED: return t('accountRegistered');
    case REGISTRATION.REGISTERING: return t('registrationRegistering');
    case REGISTRATION.FAILED:
      return isAuthFailure(account.error) ? t('registrationWrongPassword') : t('registrationFailed');
    default: return t('registrationNone');
  }
}

/**
 * The first line for an account (null: none is set up).
 * @returns {{name: string, status: string, full: string}}
 */
export function accountLine(account) {
  if (!account) return { name: '', status: t('errorNoAccount'), full: t('errorNoAccount') };
  return { name: accountName(account), status: shortRegistrationWords(account), full: registrationWords(account) };
}
