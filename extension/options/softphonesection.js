// The options page's softphone settings, kept in storage.local and written at once:
// open the softphone with the Dialer/PBX, the ringtone and its volume, and Play (one
// ring, where the softphone window rings: the default output).

import { t } from '../lib/i18n.js';
import {
  OPEN_WITH_SESSION_KEY, RING_VOLUME_KEY, RINGTONE_KEY, normalizeVolume,
} from '../lib/localsettings.js';
import { TonePlayer, RINGTONES, normalizeRingtone } from '../lib/tones.js';
import { setText } from './formcontrols.js';

/**
 * Sets up the softphone settings of the page (els) over the shared page state.
 * @param {object} o
 * @param {(values: object) => void} o.storeLocal writes to storage.local (a failure shows)
 * @returns {{show(settings: object): void, close(): void}}
 */
export function softphoneSection({ els, page, storeLocal }) {
  function showVolume(v) {
    const pct = t('optionsPercent', Math.round(v * 100));
    setText(els.ringVolumeValue, pct);
    els.ringVolume.setAttribute('aria-valuetext', pct);
  }

  els.openWithSession.addEventListener('change', () => {
    storeLocal({ [OPEN_WITH_SESSION_KEY]: Boolean(els.openWithSession.checked) });
  });

  els.ringVolume.addEventListener('input', () => {
    const v = normalizeVolume(Number(els.ringVolume.value));
    showVolume(v);
    if (page.tones) page.tones.ringVolume = v;
    storeLocal({ [RING_VOLUME_KEY]: v });
  });

  for (const [name, { label }] of Object.entries(RINGTONES)) {
    const option = document.createElement('option');
    option.value = name;
    option.textContent = label;
    els.ringtone.append(option);
  }

  els.ringtone.addEventListener('change', () => {
    const name = normalizeRingtone(els.ringtone.value);
    if (page.tones) page.tones.ringtone = name;
    storeLocal({ [RINGTONE_KEY]: name });
  });

  els.playRingtone.addEventListener('click', () => {
    // The ring sounds where the softphone window rings: the default output (a headset
    // chosen for calls may not be worn while the phone rings).
    page.tones ??= new TonePlayer({
      createContext: () => (globalThis.AudioContext ? new globalThis.AudioContext() : null),
    });
    page.tones.ringVolume = normalizeVolume(Number(els.ringVolume.value));
    page.tones.ringtone = normalizeRingtone(els.ringtone.value);
    page.tones.resume();
    page.tones.ringOnce();
  });

  /** Shows the stored settings (lib/localsettings.js). */
  function show(settings) {
    els.openWithSession.checked = settings.openWithSession;
    els.ringtone.value = settings.ringtone;
    els.ringVolume.value = String(settings.ringVolume);
    showVolume(settings.ringVolume);
  }

  function close() {
    page.tones?.close();
  }

  return { show, close };
}
