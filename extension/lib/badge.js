// The toolbar badge for a state: nothing when registered, available and idle; "DND" in
// Do not disturb; "!" when the phone cannot call; "☎" while an incoming call rings; "●"
// during a call. A ringing call or a call in progress says more than the status does,
// and a phone that cannot call says more than DND.

import { CALL_STATE, REGISTRATION, STATUS } from './protocol.js';
import { liveCalls, statusOf } from './state.js';
import { t } from './i18n.js';

export const BADGE_COLORS = Object.freeze({
  problem: '#c62828', call: '#1e8e3e', ring: '#f9a825', dnd: '#5f6368',
});

/** @returns {{text: string, color: string}} */
export function badgeFor(state, hostStatus) {
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
  if (statusOf(state) === STATUS.DND) return { text: t('badgeDnd'), color: BADGE_COLORS.dnd };
  return { text: '', color: BADGE_COLORS.call };
}
