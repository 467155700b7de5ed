import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AUDIO_CONSTRAINTS, micConstraints, deviceChoices, micNamesShown, micBlockedWords, micPermissionWords, micLevel,
  MicMeter, micAllowedWords, DEVICE_KIND,
} from '../lib/audiodevices.js';
import { useI18n } from '../lib/i18n.js';
import { fakeI18n } from './fakei18n.js';
import {
  localSettingsOf, readLocalSettings, normalizeDeviceId, DEFAULT_RING_VOLUME,
} from '../lib/localsettings.js';
import { FakeClock, FakeStorage } from './fakes.js';

useI18n(fakeI18n()); // the English of _locales/en

test('micConstraints: the default microphone, or the chosen one exactly, with voice processing', () => {
  assert.equal(micConstraints(''), AUDIO_CONSTRAINTS);
  assert.equal(micConstraints(undefined), AUDIO_CONSTRAINTS);
  assert.deepEqual(micConstraints('abc'), {
    audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, deviceId: { exact: 'abc' } },
  });
});

test('deviceChoices: the default first, devices of the kind by name, numbered when nameless, a chosen unplugged one kept', () => {
  const devices = [
    { kind: 'audioinput', deviceId: 'default', label: 'Default - USB' },
    { kind: 'audioinput', deviceId: 'a', label: 'USB microphone' },
    { kind: 'audioinput', deviceId: 'a', label: 'USB microphone' },
    { kind: 'audioinput', deviceId: 'b', label: '' },
    { kind: 'audiooutput', deviceId: 'c', label: 'Speakers' },
    { kind: 'videoinput', deviceId: 'd', label: 'Camera' },
    { kind: 'audioinput', deviceId: '', label: '' },
  ];
  assert.deepEqual(deviceChoices(devices, DEVICE_KIND.MIC, 'a'), [
    { value: '', label: 'System default' }, { value: 'a', label: 'USB microphone' }, { value: 'b', label: 'Microphone 2' },
  ]);
  assert.deepEqual(deviceChoices(devices, DEVICE_KIND.SPEAKER, 'gone'), [
    { value: '', label: 'System default' }, { value: 'c', label: 'Speakers' },
    { value: 'gone', label: 'The chosen device (not connected)' },
  ]);
  assert.deepEqual(deviceChoices(null, DEVICE_KIND.MIC), [{ value: '', label: 'System default' }]);
  assert.equal(micNamesShown(devices), true);
  assert.equal(micNamesShown([{ kind: 'audioinput', deviceId: '', label: '' }]), false);
});

test('words: "Microphone allowed" / "Microphone blocked: …" with what to do', () => {
  assert.equal(micAllowedWords(), 'Microphone allowed'); // was the constant MIC_ALLOWED: pages compare states, not words
  assert.match(micBlockedWords({ name: 'NotAllowedError' }), /^Microphone blocked: .*Allow microphone again\.$/);
  assert.match(micBlockedWords({ name: 'NotFoundError' }), /^Microphone blocked: no microphone was found/);
  assert.match(micBlockedWords({ name: 'NotReadableError' }), /another program/);
  assert.equal(micBlockedWords({ name: 'X', message: 'odd.' }), 'Microphone blocked: odd.');
  assert.equal(micPermissionWords('granted'), 'Microphone allowed');
  assert.match(micPermissionWords('denied'), /^Microphone blocked: /);
  assert.equal(micPermissionWords('prompt'), '');
});

test('micLevel: RMS on a -60…0 dB scale', () => {
  assert.equal(micLevel(new Float32Array(8)), 0);
  assert.equal(micLevel([]), 0);
  assert.equal(micLevel(new Float32Array(8).fill(1)), 1);
  assert.ok(Math.abs(micLevel(new Float32Array(8).fill(0.1)) - 2 / 3) < 1e-6, '-20 dB');
  assert.equal(micLevel(new Float32Array(8).fill(0.0001)), 0, 'below -60 dB');
});

test('MicMeter: measures every 100 ms while running, 0 when stopped; one context', () => {
  const clock = new FakeClock();
  const levels = [];
  const made = [];
  const source = { connected: null, disconnect() { this.gone = true; }, connect(n) { this.connected = n; } };
  const ctx = {
    resumed: 0,
    closed: false,
    createMediaStreamSource: () => source,
    createAnalyser: () => ({ fftSize: 2048, getFloatTimeDomainData(buf) { buf.fill(0.1); } }),
    resume() { this.resumed++; return Promise.resolve(); },
    close() { this.closed = true; return Promise.resolve(); },
  };
  const meter = new MicMeter({ createContext: () => { made.push(ctx); return ctx; }, onLevel: (v) => levels.push(v), clock });
  meter.start({});
  assert.equal(meter.running, true);
  assert.equal(source.connected.fftSize, 1024);
  clock.advance(250);
  assert.equal(levels.filter((v) => v > 0.6).length, 2);
  meter.start({}); // another microphone
  assert.equal(made.length, 1);
  meter.stop();
  assert.equal(levels.at(-1), 0);
  assert.equal(source.gone, true);
  assert.equal(clock.pending, 0);
  meter.close();
  assert.equal(ctx.closed, true);
});

test('local settings: defaults (open with the Dialer/PBX on, ring 0.6, default devices, no welcome) and checks', async () => {
  assert.deepEqual(localSettingsOf({}), {
    openWithSession: true, ringVolume: DEFAULT_RING_VOLUME, ringtone: 'chime', micDeviceId: '', speakerDeviceId: '', showWelcome: false,
  });
  assert.deepEqual(localSettingsOf({
    openWithSession: false, ringVolume: 0.2, ringtone: 'pips', micDeviceId: 'm', speakerDeviceId: 's', showWelcome: true,
  }), {
    openWithSession: false, ringVolume: 0.2, ringtone: 'pips', micDeviceId: 'm', speakerDeviceId: 's', showWelcome: true,
  });
  assert.equal(localSettingsOf({ ringVolume: 7 }).ringVolume, DEFAULT_RING_VOLUME);
  assert.equal(localSettingsOf({ ringtone: 'toString' }).ringtone, 'chime', 'only the built-in names');
  assert.equal(normalizeDeviceId(5), '');
  assert.equal(normalizeDeviceId('x'.repeat(600)), '');
  assert.equal((await readLocalSettings(new FakeStorage({ micDeviceId: 'm' }))).micDeviceId, 'm');
  assert.equal((await readLocalSettings({ get: async () => { throw new Error('gone'); } })).openWithSession, true);
});
