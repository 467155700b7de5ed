// Busy lamps (BLF) in the popup: the colleagues an account watches (the host subscribes
// to each extension's dialog state, RFC 4235) with what each is doing. A click on a
// lamp calls the colleague; a click on a lamp that rings picks that call up by dialing
// the account's pickup code followed by the extension (directed pickup through the PBX's
// feature code; the host does not send INVITE with Replaces for it). The words and the
// action are plain functions, testable without a browser; mountLamps renders them.

import { t } from './i18n.js';

/** Lamp states as the host sends them (docs/protocol.md Lamp). */
export const LAMP = Object.freeze({
  IDLE: 'idle',
  RINGING: 'ringing',
  BUSY: 'busy',
  UNKNOWN: 'unknown',
});

/** The default pickup code when the host sends none. */
export const DEFAULT_PICKUP_PREFIX = '**';

/** The other party of a lamp's call in words ("Ann (2001)", "2001"), or ''. */
export function remoteWords(lamp) {
  const name = typeof lamp?.remote_name === 'string' ? lamp.remote_name.trim() : '';
  const number = typeof lamp?.remote_number === 'string' ? lamp.remote_number.trim() : '';
  if (name && number && name !== number) return `${name} (${number})`;
  return name || number;
}

/** True when a click on the lamp picks its call up: it rings, and not as a caller. */
export function canPickUp(lamp) {
  return lamp?.state === LAMP.RINGING && lamp.direction !== 'out';
}

/** What a lamp shows in words: "Free", "Ringing: Ann (2001)", "In a call with 2001". */
export function lampWords(lamp) {
  const who = remoteWords(lamp);
  switch (lamp?.state) {
    case LAMP.IDLE:
      return t('lampIdle');
    case LAMP.RINGING:
      if (lamp.direction === 'out') return who ? t('lampCallingOut', who) : t('lampRinging');
      return who ? t('lampRingingFrom', who) : t('lampRinging');
    case LAMP.BUSY:
      return who ? t('lampBusyWith', who) : t('lampBusy');
    default:
      return t('lampUnknown');
  }
}

/**
 * What a click on the lamp dials, and the button's accessible name:
 * {number, pickup, label}. A ringing lamp dials prefix + extension (directed pickup).
 */
export function lampAction(lamp, pickupPrefix) {
  const ext = String(lamp?.extension ?? '');
  const state = lampWords(lamp);
  if (canPickUp(lamp)) {
    const prefix = typeof pickupPrefix === 'string' && /^[0-9*#]{1,8}$/.test(pickupPrefix) ? pickupPrefix : DEFAULT_PICKUP_PREFIX;
    return { number: prefix + ext, pickup: true, label: t('lampPickUpLabel', ext, state) };
  }
  return { number: ext, pickup: false, label: t('lampCallLabel', ext, state) };
}

/** The lamps of an account as the popup lists them (at most 50, as the host caps). */
export function lampItems(account) {
  const lamps = Array.isArray(account?.lamps) ? account.lamps.slice(0, 50) : [];
  return lamps
    .filter((l) => typeof l?.extension === 'string' && l.extension !== '')
    .map((l) => {
      const state = Object.values(LAMP).includes(l.state) ? l.state : LAMP.UNKNOWN;
      const lamp = { ...l, state };
      return { extension: l.extension, state, words: lampWords(lamp), ...lampAction(lamp, account.pickup_prefix) };
    });
}

/**
 * Renders the lamps into the popup's section: {section, list} elements, onDial(number)
 * called with what a click dials. Returns {update(account, enabled)}.
 */
export function mountLamps({ doc, section, list, onDial }) {
  let shown = '';
  list.addEventListener('click', (ev) => {
    const button = ev.target.closest?.('button.lamp');
    if (!button || button.disabled) return;
    onDial(button.dataset.number);
  });
  return {
    update(account, enabled = true) {
      const items = lampItems(account);
      section.hidden = items.length === 0;
      const key = JSON.stringify([items, enabled]);
      if (key === shown) return;
      shown = key;
      const focused = doc.activeElement?.closest?.('button.lamp')?.dataset.extension ?? null;
      list.replaceChildren(...items.map((item) => {
        const li = doc.createElement('li');
        li.setAttribute('class', 'lamp-item');
        const button = doc.createElement('button');
        button.type = 'button';
        button.setAttribute('class', `lamp is-${item.state}`);
        button.dataset.number = item.number;
        button.dataset.extension = item.extension;
        button.dataset.state = item.state;
        button.disabled = !enabled;
        button.setAttribute('aria-label', item.label);
        const dot = doc.createElement('span');
        dot.setAttribute('class', 'lamp-dot');
        dot.setAttribute('aria-hidden', 'true');
        const ext = doc.createElement('span');
        ext.setAttribute('class', 'lamp-extension');
        ext.textContent = item.extension;
        const words = doc.createElement('span');
        words.setAttribute('class', 'lamp-words');
        words.textContent = item.pickup ? t('lampPickUpHint', item.words) : item.words;
        for (const part of [dot, ext, words]) button.append(part);
        li.append(button);
        return li;
      }));
      if (focused !== null) [...list.querySelectorAll('button.lamp')].find((b) => b.dataset.extension === focused)?.focus();
    },
  };
}
