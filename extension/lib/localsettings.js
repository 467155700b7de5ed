// The settings the extension keeps for itself in storage.local (the host's config holds
// the phone's): whether the softphone opens with the Dialer/PBX, the ringtone and its volume, the
// chosen microphone and speaker, and the first-run welcome. Defaults and checks in one
// place, for the options page that writes them and the pages that read them.

import { OPEN_WITH_SESSION_KEY } from './sessionbinding.js';
import {
  RING_VOLUME_KEY, DEFAULT_RING_VOLUME, normalizeVolume, RINGTONE_KEY, normalizeRingtone,
} from './tones.js';

export {
  OPEN_WITH_SESSION_KEY, RING_VOLUME_KEY, DEFAULT_RING_VOLUME, normalizeVolume, RINGTONE_KEY,
};

/** storage.local: the microphone's deviceId ("" or absent: the system default). */
export const MIC_DEVICE_KEY = 'micDeviceId';
/** storage.local: the speaker's deviceId for setSinkId ("" or absent: the system default). */
export const SPEAKER_DEVICE_KEY = 'speakerDeviceId';
/** storage.local: true from the first install until the first save in the options page. */
export const WELCOME_KEY = 'showWelcome';

const MAX_DEVICE_ID_CHARS = 512;

/** A stored deviceId, or "" (the system default) for anything else. */
export function normalizeDeviceId(v) {
  return typeof v === 'string' && v.length <= MAX_DEVICE_ID_CHARS ? v : '';
}

/** The local settings with their defaults from what storage.local.get returned. */
export function localSettingsOf(got) {
  const g = got && typeof got === 'object' ? got : {};
  return {
    openWithSession: g[OPEN_WITH_SESSION_KEY] !== false,
    ringVolume: normalizeVolume(g[RING_VOLUME_KEY]),
    ringtone: normalizeRingtone(g[RINGTONE_KEY]),
    micDeviceId: normalizeDeviceId(g[MIC_DEVICE_KEY]),
    speakerDeviceId: normalizeDeviceId(g[SPEAKER_DEVICE_KEY]),
    showWelcome: g[WELCOME_KEY] === true,
  };
}

/** Reads the local settings; a storage failure gives the defaults. */
export async function readLocalSettings(storage) {
  let got = {};
  try {
    got = await storage.get([OPEN_WITH_SESSION_KEY, RING_VOLUME_KEY, RINGTONE_KEY, MIC_DEVICE_KEY, SPEAKER_DEVICE_KEY, WELCOME_KEY]);
  } catch {
    got = {};
  }
  return localSettingsOf(got);
}
