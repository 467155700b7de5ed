// The options page's Call recording section: "Allow call recording" (off by default;
// the softphone window shows Record only when it is on) and "Play a short beep when
// recording starts", kept in storage.local. Turning recording on asks for the downloads
// permission in the same click (recordings are saved to the downloads folder); refused,
// the switch goes back off. An administrator's policy (`call_recording`) forces the
// switch and locks it.

import { browser } from '../lib/browser.js';
import { t } from '../lib/i18n.js';
import {
  RECORDING_ALLOWED_KEY, RECORDING_ANNOUNCE_KEY, DOWNLOADS_PERMISSION, recordingSettingsOf,
} from '../lib/recorder.js';
import { setText } from './formcontrols.js';

/**
 * @param {object} o
 * @param {(values: object) => void} o.storeLocal writes to storage.local (a failure shows)
 * @returns {{show(): Promise<void>}}
 */
export function recordingSection({ els, page, storeLocal }) {
  function setStatus(words, problem = false) {
    setText(els.recStatus, words);
    els.recStatus.classList.toggle('is-problem', problem);
  }

  function showAnnounce() {
    els.recAnnounce.disabled = !els.recAllow.checked;
  }

  // The permission is asked in this very click: the browser shows its prompt only then.
  els.recAllow.addEventListener('click', () => {
    showAnnounce();
    if (!els.recAllow.checked) {
      setStatus('');
      storeLocal({ [RECORDING_ALLOWED_KEY]: false });
      return;
    }
    let asked;
    try {
      asked = typeof browser.permissions?.request === 'function'
        ? Promise.resolve(browser.permissions.request(DOWNLOADS_PERMISSION))
        : Promise.resolve(false);
    } catch {
      asked = Promise.resolve(false);
    }
    asked.then(Boolean, () => false).then((granted) => {
      els.recAllow.checked = granted;
      showAnnounce();
      setStatus(granted ? '' : t('optionsRecordingRefused'), !granted);
      storeLocal({ [RECORDING_ALLOWED_KEY]: granted });
    });
  });

  els.recAnnounce.addEventListener('change', () => {
    storeLocal({ [RECORDING_ANNOUNCE_KEY]: Boolean(els.recAnnounce.checked) });
  });

  /** Shows the stored settings with what the policy forces, locked where it does. */
  async function show() {
    let got = {};
    try { got = await browser.storage.local.get([RECORDING_ALLOWED_KEY, RECORDING_ANNOUNCE_KEY]); } catch { got = {}; }
    const s = recordingSettingsOf(got, page.policy);
    els.recAllow.checked = s.allowed;
    els.recAnnounce.checked = got?.[RECORDING_ANNOUNCE_KEY] === true;
    els.recAllow.disabled = s.locked;
    if (s.locked) els.recAllow.setAttribute('aria-readonly', 'true');
    else els.recAllow.removeAttribute('aria-readonly');
    els.recAllowManaged.hidden = !s.locked;
    setText(els.recAllowManaged, s.locked ? t('optionsManagedField') : '');
    showAnnounce();
  }

  return { show };
}
