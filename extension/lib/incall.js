// The in-call controls of the softphone window, without the DOM: which of Mute, Hold,
// Keypad and Transfer a call offers and in which state, which call an attended transfer
// joins it with, and the keys the keyboard sends as DTMF. A transfer target is checked like a dialed number (lib/dialpad.js).

import { CALL_STATE } from './protocol.js';
import { DIAL_KEYS } from './dialpad.js';
import { t } from './i18n.js';

/** The 12 keys of the in-call keypad, in dialpad order. */
export const KEYPAD_KEYS = Object.freeze(DIAL_KEYS.map((k) => k.key));

/**
 * What the controls of one call show.
 * @param {object} call the call from the host's state
 * @param {{hold?: boolean, mute?: boolean, transfer?: boolean}} [busy] requests on their way
 * @returns {{show: boolean, muted: boolean, held: boolean, holdLabel: string,
 *   muteLabel: string, holdDisabled: boolean, muteDisabled: boolean,
 *   transferDisabled: boolean}}
 */
export function callControls(call, busy = {}) {
  const connected = call?.state === CALL_STATE.CONNECTED;
  const muted = call?.muted === true;
  const held = call?.held === true;
  const transferring = call?.transferring === true;
  return {
    show: connected,
    muted,
    held,
    muteLabel: muted ? t('softphoneUnmute') : t('softphoneMute'),
    holdLabel: held ? t('softphoneResume') : t('softphoneHold'),
    muteDisabled: !connected || busy.mute === true,
    holdDisabled: !connected || busy.hold === true || transferring,
    transferDisabled: !connected || busy.transfer === true || transferring,
  };
}

/**
 * The call an attended transfer of `call` would join it with: our newest other call that
 * is connected (usually the one just placed while `call` waits on hold), or null.
 */
export function attendedPartner(call, calls) {
  if (call?.state !== CALL_STATE.CONNECTED) return null;
  const others = (calls ?? []).filter((c) => c && c.id !== call.id && c.state === CALL_STATE.CONNECTED && !c.transferring);
  return others.at(-1) ?? null;
}

/** The keypad key a key press stands for, or '' (digits, *, #; the numpad's too). */
export function keypadKeyOf(key) {
  return typeof key === 'string' && KEYPAD_KEYS.includes(key) ? key : '';
}
