// The options page's state that is not in the DOM, in one object the sections share:
// what the host said, the config as it was read, the form's own lists, and what runs
// (the ringtone player, the open microphone).

import { initialState } from '../lib/state.js';

/** A fresh page state (one per page). */
export function createPageState() {
  return {
    /** The host's state as the background relays it (lib/state.js). */
    state: initialState(),
    /** The background's last `host` message: whether the host is reachable. */
    hostStatus: null,
    /** The config as config_get / config_set returned it; null until read. */
    loaded: null,
    /** The form's accounts; the page edits the first one. */
    accounts: [],
    /** The first account's codec list, in order. */
    codecs: [],
    /** The user changed the form since it was filled. */
    dirty: false,
    /** A config_get is on its way. */
    loading: false,
    /** A config_set is on its way. */
    saving: false,
    /** The settings kept in storage.local (lib/localsettings.js); null until read. */
    localSettings: null,
    /** Site rows made so far (their ids count up). */
    siteCount: 0,
    /** The ringtone player, made by the first Play. */
    tones: null,
    /** The click-to-call settings as stored. */
    clickToCall: { links: false, detect: false, region: '' },
    /** The administrator's policy (lib/managedpolicy.js); null until read. */
    policy: null,
    /** The microphone opened by "Allow microphone" (for the level meter), or null. */
    micStream: null,
  };
}
