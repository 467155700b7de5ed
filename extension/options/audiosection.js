// The options page's microphone and speaker. The page is a normal tab, so it is where
// the user allows the microphone (Chromium shows no permission prompt in the toolbar
// popup): "Allow microphone" opens it here and shows its level; the chosen microphone
// and speaker are kept in storage.local for the softphone window.

import { t } from '../lib/i18n.js';
import { MIC_DEVICE_KEY, SPEAKER_DEVICE_KEY } from '../lib/localsettings.js';
import {
  DEVICE_KIND, MicMeter, deviceChoices, micConstraints, micBlockedWords, micPermissionWords, micAllowedWords,
  micNamesShown,
} from '../lib/audiodevices.js';
import { setText, fillSelect } from './formcontrols.js';

/** How a microphone permission state looks on the microphone line. */
function permissionLook(state) {
  if (state === 'granted') return 'ok';
  return state === 'denied' ? 'problem' : '';
}

function speakersSupported() {
  return typeof globalThis.HTMLMediaElement?.prototype?.setSinkId === 'function';
}

/**
 * Sets up the audio devices of the page (els) over the shared page state.
 * @param {object} o
 * @param {(values: object) => void} o.storeLocal writes to storage.local (a failure shows)
 * @returns {{refreshDevices(): Promise<object[]>, showMicPermission(devices: object[]): Promise<void>,
 *   close(): void}}
 */
export function audioSection({ els, page, storeLocal }) {
  const meter = new MicMeter({
    createContext: () => (globalThis.AudioContext ? new globalThis.AudioContext() : null),
    onLevel: (v) => { els.micLevel.value = v; },
  });

  /** The microphone line: its words, and how it looks by the state ('ok', 'problem' or ''). */
  function setMicStatus(words, look = '') {
    setText(els.micStatus, words);
    els.micStatus.classList.toggle('is-problem', look === 'problem');
    els.micStatus.classList.toggle('is-ok', look === 'ok');
  }

  function closeMic() {
    meter.stop();
    for (const track of page.micStream?.getTracks?.() ?? []) track.stop();
    page.micStream = null;
  }

  async function refreshDevices() {
    const md = navigator.mediaDevices;
    if (typeof md?.enumerateDevices !== 'function') return [];
    let devices = [];
    try {
      devices = await md.enumerateDevices();
    } catch {
      devices = [];
    }
    const mic = page.localSettings?.micDeviceId ?? '';
    const speaker = page.localSettings?.speakerDeviceId ?? '';
    fillSelect(els.micDevice, deviceChoices(devices, DEVICE_KIND.MIC, mic), mic);
    const sinks = speakersSupported();
    fillSelect(els.speakerDevice, deviceChoices(sinks ? devices : [], DEVICE_KIND.SPEAKER, sinks ? speaker : ''), sinks ? speaker : '');
    els.speakerDevice.disabled = !sinks;
    els.speakerNote.hidden = sinks;
    return devices;
  }

  /** Opens the chosen microphone (the default when it is gone) and shows its level. */
  async function openMic() {
    const md = navigator.mediaDevices;
    if (typeof md?.getUserMedia !== 'function') {
      setMicStatus(micBlockedWords({ message: t('audioNoMicForPages') }), 'problem');
      return;
    }
    const chosen = els.micDevice.value || '';
    let stream;
    try {
      try {
        stream = await md.getUserMedia(micConstraints(chosen));
      } catch (e) {
        if (!chosen || (e?.name !== 'OverconstrainedError' && e?.name !== 'NotFoundError')) throw e;
        stream = await md.getUserMedia(micConstraints(''));
      }
    } catch (e) {
      closeMic();
      setMicStatus(micBlockedWords(e), 'problem');
      await refreshDevices();
      return;
    }
    closeMic();
    page.micStream = stream;
    setMicStatus(micAllowedWords(), 'ok');
    try {
      meter.start(stream);
    } catch (e) {
      console.warn('tabphone: no level meter', e);
    }
    await refreshDevices(); // the names show once the microphone is allowed
  }

  els.allowMic.addEventListener('click', () => {
    setMicStatus(t('optionsAskingMic'));
    openMic();
  });

  els.micDevice.addEventListener('change', () => {
    const id = els.micDevice.value || '';
    if (page.localSettings) page.localSettings.micDeviceId = id;
    storeLocal({ [MIC_DEVICE_KEY]: id });
    if (page.micStream) openMic(); // the meter follows the chosen microphone
  });

  els.speakerDevice.addEventListener('change', () => {
    const id = els.speakerDevice.value || '';
    if (page.localSettings) page.localSettings.speakerDeviceId = id;
    storeLocal({ [SPEAKER_DEVICE_KEY]: id });
  });

  /** What the page can say about the microphone before the user clicks (no prompt). */
  async function showMicPermission(devices) {
    let permission = micNamesShown(devices) ? 'granted' : 'prompt';
    try {
      const status = await navigator.permissions?.query?.({ name: 'microphone' });
      if (status) {
        if (status.state === 'granted' || status.state === 'denied') permission = status.state;
        status.onchange = () => {
          if (!page.micStream) setMicStatus(micPermissionWords(status.state), permissionLook(status.state));
          refreshDevices();
        };
      }
    } catch {
      // Firefox may not know the "microphone" permission name: the device names tell.
    }
    if (!page.micStream && els.micStatus.textContent === '') setMicStatus(micPermissionWords(permission), permissionLook(permission));
  }

  navigator.mediaDevices?.addEventListener?.('devicechange', () => { refreshDevices(); });

  /** The page goes: the microphone and the meter stop. */
  function close() {
    closeMic();
    meter.close();
  }

  return { refreshDevices, showMicPermission, close };
}
