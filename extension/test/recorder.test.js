import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  recordingFileName, durationForFile, numberForFile, pickRecordingType, recordingSettingsOf, CallRecorder,
  saveRecording, RECORDING_ALLOWED_KEY, RECORDING_ANNOUNCE_KEY, MAX_NUMBER_CHARS,
} from '../lib/recorder.js';
import { policyOf } from '../lib/managedpolicy.js';
import { FakeClock } from './fakes.js';
import { FakeStream } from './fakertc.js';

test('durationForFile: seconds, minutes, hours, rounded to the second', () => {
  assert.equal(durationForFile(0), '0s');
  assert.equal(durationForFile(4600), '5s');
  assert.equal(durationForFile(65_000), '1m05s');
  assert.equal(durationForFile(3_723_000), '1h02m03s');
  assert.equal(durationForFile(-5), '0s');
  assert.equal(durationForFile('x'), '0s');
});

test('numberForFile: keeps digits and +, makes a SIP URI safe, never empty, capped', () => {
  assert.equal(numberForFile('+15550100200'), '+15550100200');
  assert.equal(numberForFile('sip:alice@pbx.example.com'), 'alice_pbx.example.com');
  assert.equal(numberForFile('../../etc/passwd'), 'etc_passwd');
  assert.equal(numberForFile('a\\b:c*1#'), 'a_b_c*1#');
  assert.equal(numberForFile(''), 'unknown');
  assert.equal(numberForFile(null), 'unknown');
  assert.equal(numberForFile('1'.repeat(100)).length, MAX_NUMBER_CHARS);
});

test('recordingFileName: local date and time of the start, number(s), duration, container', () => {
  const startedAt = new Date(2026, 11, 3, 4, 12, 5).getTime(); // local time
  assert.equal(
    recordingFileName({ startedAt, numbers: ['1002'], durationMs: 65_000, extension: 'webm' }),
    'tabphone-2026-12-03_04-12-05-1002-1m05s.webm',
  );
  assert.equal(
    recordingFileName({ startedAt, numbers: ['1002', '+4930123'], durationMs: 5_200, extension: 'ogg' }),
    'tabphone-2026-12-03_04-12-05-1002++4930123-5s.ogg',
  );
  assert.match(recordingFileName({ startedAt, numbers: '600', durationMs: 1, extension: '../x' }), /-600-0s\.webm$/);
  assert.doesNotMatch(recordingFileName({ startedAt, numbers: ['a/b'], durationMs: 1 }), /\//, 'no folder in the name');
});

test('pickRecordingType: WebM/Opus in Chromium, Ogg/Opus in Firefox', () => {
  assert.deepEqual(pickRecordingType({ isTypeSupported: (t) => t.startsWith('audio/webm') }), { mimeType: 'audio/webm;codecs=opus', extension: 'webm' });
  assert.deepEqual(pickRecordingType({ isTypeSupported: (t) => t.startsWith('audio/ogg') }), { mimeType: 'audio/ogg;codecs=opus', extension: 'ogg' });
  assert.deepEqual(pickRecordingType({ isTypeSupported: () => false }), { mimeType: '', extension: 'webm' });
});

test('recording settings: off by default; the policy forces and locks them', () => {
  assert.deepEqual(recordingSettingsOf({}, null), { allowed: false, announce: false, locked: false });
  assert.deepEqual(recordingSettingsOf({ [RECORDING_ANNOUNCE_KEY]: true }, null), { allowed: false, announce: false, locked: false });
  const on = { [RECORDING_ALLOWED_KEY]: true, [RECORDING_ANNOUNCE_KEY]: true };
  assert.deepEqual(recordingSettingsOf(on, null), { allowed: true, announce: true, locked: false });
  assert.deepEqual(recordingSettingsOf(on, policyOf({ call_recording: false })), { allowed: false, announce: false, locked: true });
  assert.deepEqual(recordingSettingsOf({}, policyOf({ call_recording: true })), { allowed: true, announce: false, locked: true });
  const bad = policyOf({ call_recording: 'no' });
  assert.equal(bad.callRecording, null);
  assert.deepEqual(bad.ignored, ['call_recording']);
  assert.deepEqual(recordingSettingsOf(on, bad), { allowed: true, announce: true, locked: false });
});

class FakeMediaRecorder {
  static made = [];

  static isTypeSupported(t) { return t === 'audio/webm;codecs=opus'; }

  constructor(stream, options) {
    this.stream = stream;
    this.options = options;
    this.state = 'inactive';
    this.listeners = {};
    FakeMediaRecorder.made.push(this);
  }

  addEventListener(type, fn) { (this.listeners[type] ??= []).push(fn); }

  emit(type, ev = {}) { for (const fn of this.listeners[type] ?? []) fn(ev); }

  start(timeslice) { this.state = 'recording'; this.timeslice = timeslice; }

  stop() {
    this.state = 'inactive';
    queueMicrotask(() => { this.emit('dataavailable', { data: { size: 3, part: 'last' } }); this.emit('stop'); });
  }
}

class FakeBlob {
  constructor(parts, opts) { this.parts = parts; this.type = opts.type; }
}

test('CallRecorder: records the stream in chunks, the file is named by start, party and measured duration', async () => {
  FakeMediaRecorder.made = [];
  const clock = new FakeClock(new Date(2026, 11, 3, 9, 30, 0).getTime());
  const r = new CallRecorder({ MediaRecorder: FakeMediaRecorder, Blob: FakeBlob, clock });
  const stream = new FakeStream();
  assert.equal(await r.stop(), null, 'nothing to stop');
  r.start(stream, { callId: 'c1', numbers: ['601'] });
  assert.throws(() => r.start(stream, { callId: 'c2', numbers: ['602'] }), /already/);
  const mr = FakeMediaRecorder.made[0];
  assert.equal(mr.stream, stream);
  assert.deepEqual(mr.options, { mimeType: 'audio/webm;codecs=opus' });
  assert.equal(mr.timeslice, 1000);
  assert.equal(r.current.callId, 'c1');
  mr.emit('dataavailable', { data: { size: 10, part: 'first' } });
  mr.emit('dataavailable', { data: { size: 0 } });
  clock.advance(5_400);
  const file = await r.stop();
  assert.equal(r.current, null);
  assert.equal(file.durationMs, 5_400);
  assert.equal(file.fileName, 'tabphone-2026-12-03_09-30-00-601-5s.webm');
  assert.deepEqual(file.blob.parts.map((p) => p.part), ['first', 'last'], 'empty chunks dropped');
  assert.equal(file.blob.type, 'audio/webm;codecs=opus');
});

test('CallRecorder: a recording left running is cut at the cap', async () => {
  const clock = new FakeClock();
  const cut = [];
  const r = new CallRecorder({ MediaRecorder: FakeMediaRecorder, Blob: FakeBlob, clock, maxMs: 60_000, onCut: (id) => cut.push(id) });
  r.start(new FakeStream(), { callId: 'c9', numbers: ['1'] });
  clock.advance(59_999);
  assert.deepEqual(cut, []);
  clock.advance(1);
  assert.deepEqual(cut, ['c9']);
  await r.stop();
});

test('saveRecording: a blob URL to downloads.download without a dialog; no downloads API is a clear error', async () => {
  const calls = [];
  const urls = { made: 0, createObjectURL() { this.made++; return 'blob:x'; }, revokeObjectURL() {} };
  const id = await saveRecording({ download: async (o) => { calls.push(o); return 7; } }, { blob: {}, fileName: 'f.webm' }, urls);
  assert.equal(id, 7);
  assert.deepEqual(calls, [{ url: 'blob:x', filename: 'f.webm', saveAs: false, conflictAction: 'uniquify' }]);
  await assert.rejects(saveRecording(undefined, { blob: {}, fileName: 'f' }, urls), /downloads permission/);
});
