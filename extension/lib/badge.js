// The toolbar badge for a state: nothing when registered, available and idle; "DND" in
// Do not disturb; "!" when the phone cannot call; "☎" while an incoming call rings; "●"
// during a call; the number of missed calls the user has not looked at yet
// (lib/missedcalls.js). A ringing call or a call in progress says more than the status
// does, a phone that cannot call says more than missed calls, and missed calls say more
// than DND (calls Do not disturb rejected are among them).

import { CALL_STATE, REGISTRATION, STATUS } from './protocol.js';
import { liveCalls, statusOf } from './state.js';
import { t } from './i18n.js';
import { missedBadgeText } from './missedcalls.js';

export const BADGE_COLORS = Object.freeze({
  problem: '#c62828', call: '#1e8e3e', ring: '#f9a825', dnd: '#5f6368', missed: '#d93025',
});

/**
 * @param {number} [missed] missed calls not looked at yet
 * @returns {{text: string, color: string}}
 */
export function badgeFor(state, hostStatus, missed = 0) {
  const calls = liveCalls(state);
  if (calls.some((c) => c.direction === 'incoming' && c.state !== CALL_STATE.CONNECTED)) {
    return { text: '☎', color: BADGE_COLORS.ring };
  }
  if (calls.length > 0) return { text: '●', color: BADGE_COLORS.call };
  if (!hostStatus?.connected) return { text: '!', color: BADGE_COLORS.problem };
  const accounts = state.snapshot?.accounts ?? [];
  if (accounts.length === 0 || !accounts.some((a) => a.registration === REGISTRATION.REGISTERED)) {
    return { text: '!', color: BADGE_COLORS.problem };
  }
  const missedText = missedBadgeText(missed);
  if (missedText !== '') return { text: missedText, color: BADGE_COLORS.missed };
  if (statusOf(state) === STATUS.DND) return { text: t('badgeDnd'), color: BADGE_COLORS.dnd };
  return { text: '', color: BADGE_COLORS.call };
}
