import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TonePlayer, wantedTones, normalizeVolume, RING_PATTERN, RINGBACK_PATTERN, BEEP_PATTERN, DEFAULT_RING_VOLUME,
  RESUME_TIMEOUT_MS,
} from '../lib/tones.js';
import { FakeClock, flush } from './fakes.js';
import { FakeAudioContext } from './fakeaudio.js';

function setup(ctxOptions = {}, playerOptions = {}) {
  const clock = new FakeClock();
  const contexts = [];
  const played = [];
  const blocked = [];
  const player = new TonePlayer({
    createContext: () => {
      const c = new FakeAudioContext(ctxOptions);
      contexts.push(c);
      return c;
    },
    clock,
    now: () => clock.now(),
    onTone: (t) => played.push(t),
    onBlocked: (b) => blocked.push(b),
    log: { warn() {} },
    ...playerOptions,
  });
  return { clock, contexts, played, blocked, player, ctx: () => contexts.at(-1) };
}

const call = (id, direction, state, extra = {}) => ({ id, direction, state, number: '600', started_at: 1, ...extra });

test('wantedTones: ring for a ringing incoming call, ringback for an outgoing 180, nothing else', () => {
  assert.deepEqual(wantedTones([]), { ring: false, ringback: false });
  assert.deepEqual(wantedTones([call('a', 'incoming', 'ringing')]), { ring: true, ringback: false });
  assert.deepEqual(wantedTones([call('a', 'outgoing', 'ringing')]), { ring: false, ringback: true });
  for (const s of ['calling', 'early', 'connected', 'ended']) {
    assert.deepEqual(wantedTones([call('a', 'outgoing', s)]), { ring: false, ringback: false }, `outgoing ${s}`);
  }
  assert.deepEqual(wantedTones([call('a', 'incoming', 'connected')]), { ring: false, ringback: false });
  assert.deepEqual(wantedTones([call('a', 'incoming', 'ringing')], new Set(['a'])), { ring: false, ringback: false }, 'answered here');
  assert.deepEqual(
    wantedTones([call('a', 'incoming', 'connected'), call('b', 'incoming', 'ringing')]),
    { ring: true, ringback: false },
    'a second call rings while one is up',
  );
});

test('normalizeVolume: 0…1 kept, anything else is the default 0.6', () => {
  assert.equal(DEFAULT_RING_VOLUME, 0.6);
  assert.equal(normalizeVolume(0), 0);
  assert.equal(normalizeVolume(1), 1);
  assert.equal(normalizeVolume(0.25), 0.25);
  for (const v of [undefined, null, '0.5', -0.1, 1.5, Number.NaN, Infinity]) assert.equal(normalizeVolume(v), 0.6);
});

test('the patterns: a two-tone ring every 3 s, ringback 425 Hz 1 s on 4 s off, an 880 Hz beep of 150 ms', () => {
  assert.equal(RING_PATTERN.periodMs, 3000);
  assert.equal(new Set(RING_PATTERN.notes.map((n) => n.frequency)).size, 2);
  assert.ok(Math.max(...RING_PATTERN.notes.map((n) => n.offset + n.duration)) * 1000 < RING_PATTERN.periodMs);
  assert.deepEqual(RINGBACK_PATTERN.notes, [{ offset: 0, duration: 1, frequency: 425 }]);
  assert.equal(RINGBACK_PATTERN.periodMs, 5000);
  assert.deepEqual(BEEP_PATTERN.notes, [{ offset: 0, duration: 0.15, frequency: 880 }]);
});

test('no tone, no AudioContext', () => {
  const t = setup();
  t.player.setRinging(false);
  t.player.setRingback(false);
  t.player.stopAll();
  assert.equal(t.contexts.length, 0);
});

test('ring: starts at once, repeats every 3 s at the ring volume, stops cutting what is scheduled', () => {
  const t = setup({}, { ringVolume: 0.5 });
  const start = t.clock.now();
  t.player.setRinging(true);
  t.player.setRinging(true); // idempotent
  assert.equal(t.player.isOn('ring'), true);
  assert.deepEqual(t.played, [{ kind: 'ring', at: start, state: 'running' }]);
  const ctx = t.ctx();
  assert.equal(t.contexts.length, 1);
  assert.ok(ctx.at(659.25).length === 2 && ctx.at(523.25).length === 2, 'E5 and C5, twice');
  for (const o of ctx.oscillators) assert.ok(o.startAt >= 0.02 && o.stops.length === 1, 'scheduled ahead, with an end');
  // The note envelopes peak at level × volume.
  const envPeaks = ctx.gains.filter((g) => g.outputs.includes(ctx.destination)).map((g) => g.gain.peak);
  assert.deepEqual(new Set(envPeaks), new Set([RING_PATTERN.level * 0.5]));
  t.clock.advance(2999);
  assert.equal(t.played.length, 1);
  t.clock.advance(1);
  assert.deepEqual(t.played.map((p) => p.at - start), [0, 3000]);
  t.player.ringVolume = 1;
  t.clock.advance(3000);
  const last = ctx.gains.filter((g) => g.outputs.includes(ctx.destination)).at(-1);
  assert.equal(last.gain.peak, RING_PATTERN.level, 'a new volume applies from the next ring');
  const before = ctx.oscillators.length;
  t.player.setRinging(false);
  assert.equal(t.player.isOn('ring'), false);
  assert.ok(ctx.oscillators.slice(before - 8).every((o) => o.cut), 'the current ring is cut');
  assert.equal(t.clock.pending, 0, 'no timer left');
  t.clock.advance(10_000);
  assert.equal(t.played.length, 3);
});

test('ringback: 425 Hz for 1 s every 5 s; ring and ringback are independent', () => {
  const t = setup();
  t.player.setRingback(true);
  const ctx = t.ctx();
  assert.equal(ctx.at(425).length, 1);
  const o = ctx.at(425)[0];
  assert.ok(Math.abs(o.stops[0] - o.startAt - 1.01) < 1e-9, 'one second (plus the release)');
  t.clock.advance(5000);
  assert.equal(ctx.at(425).length, 2);
  assert.deepEqual(t.played.map((p) => p.kind), ['ringback', 'ringback']);
  t.player.setRinging(true);
  t.player.setRingback(false);
  assert.equal(t.player.isOn('ring'), true);
  assert.equal(t.player.isOn('ringback'), false);
  t.player.stopAll();
  assert.equal(t.player.isOn('ring'), false);
  assert.equal(t.clock.pending, 0);
});

test('beep: one 880 Hz tone of 150 ms, recorded', () => {
  const t = setup();
  t.player.beep();
  const ctx = t.ctx();
  assert.equal(ctx.oscillators.length, 1);
  const [o] = ctx.oscillators;
  assert.equal(o.hz, 880);
  assert.ok(Math.abs(o.stops[0] - o.startAt - 0.16) < 1e-9);
  assert.deepEqual(t.played.map((p) => p.kind), ['beep']);
  assert.equal(t.clock.pending, 0);
});

test('ringOnce: one ring cycle at the ringtone volume, no loop; stopAll cuts it', () => {
  const t = setup({}, { ringVolume: 0.4 });
  t.player.ringOnce();
  const ctx = t.ctx();
  assert.deepEqual(t.played.map((p) => p.kind), ['ring']);
  assert.equal(t.player.isOn('ring'), false, 'not a looping ring');
  assert.equal(t.clock.pending, 0, 'nothing repeats it');
  assert.ok(ctx.at(659.25).length === 2 && ctx.at(523.25).length === 2);
  const envPeaks = ctx.gains.filter((g) => g.outputs.includes(ctx.destination)).map((g) => g.gain.peak);
  assert.deepEqual(new Set(envPeaks), new Set([RING_PATTERN.level * 0.4]));
  t.player.stopAll();
  assert.ok(ctx.oscillators.every((o) => o.cut));
});

test('a context that starts suspended and resumes: no notice', async () => {
  const t = setup({ state: 'suspended', resume: 'run' });
  t.player.setRinging(true);
  await flush();
  assert.equal(t.ctx().resumes, 1);
  assert.equal(t.ctx().state, 'running');
  assert.deepEqual(t.blocked, []);
  assert.equal(t.player.blocked, false);
  t.player.setRinging(false);
  assert.equal(t.clock.pending, 0, 'the resume timeout was cleared');
});

test('autoplay blocked (resume stays pending): the notice after the timeout; a click resumes and clears it', async () => {
  const t = setup({ state: 'suspended', resume: 'pending' });
  t.player.setRinging(true);
  await flush();
  assert.deepEqual(t.blocked, []);
  t.clock.advance(RESUME_TIMEOUT_MS);
  assert.deepEqual(t.blocked, [true]);
  assert.equal(t.player.blocked, true);
  assert.equal(t.played[0].state, 'suspended', 'the record says the ring was not heard');
  // Each ring cycle cuts the last one that never sounded: nothing piles up for later.
  t.clock.advance(3000);
  const ctx = t.ctx();
  assert.equal(ctx.uncut.length, 8, 'only the latest cycle is still scheduled');
  assert.equal(ctx.resumes, 2, 'each ring tries again (the microphone may have made sound allowed)');
  // The user clicks: the page calls resume(); the browser lets it run.
  t.player.resume();
  assert.equal(ctx.resumes, 3);
  ctx.setState('running');
  await flush();
  assert.deepEqual(t.blocked, [true, false]);
  t.player.setRinging(false);
  t.clock.advance(RESUME_TIMEOUT_MS);
  assert.deepEqual(t.blocked, [true, false]);
});

test('resume() rejected: blocked at once', async () => {
  const t = setup({ state: 'suspended', resume: 'reject' });
  t.player.beep();
  await flush();
  assert.deepEqual(t.blocked, [true]);
  assert.equal(t.clock.pending, 0);
});

test('no WebAudio: tones are recorded as unavailable, nothing throws', () => {
  const clock = new FakeClock();
  const played = [];
  const player = new TonePlayer({ createContext: () => null, clock, now: () => 5, onTone: (x) => played.push(x) });
  player.setRinging(true);
  player.beep();
  assert.deepEqual(played, [{ kind: 'ring', at: 5, state: 'unavailable' }, { kind: 'beep', at: 5, state: 'unavailable' }]);
  player.setRinging(false);
  const throwing = new TonePlayer({ createContext: () => { throw new Error('no audio'); }, clock, log: { warn() {} } });
  throwing.beep();
});

test('close: stops everything and closes the context', () => {
  const t = setup();
  t.player.setRinging(true);
  t.player.beep();
  const ctx = t.ctx();
  t.player.close();
  assert.equal(ctx.closed, true);
  assert.ok(ctx.oscillators.every((o) => o.cut));
  assert.equal(t.clock.pending, 0);
  t.player.beep();
  assert.equal(t.contexts.length, 2, 'a later tone makes a new context');
});

test('retry: restarts a held-back context (the microphone opened), never makes one', async () => {
  const t = setup({ state: 'suspended', resume: 'pending' });
  t.player.retry();
  assert.equal(t.contexts.length, 0);
  t.player.setRinging(true);
  const ctx = t.ctx();
  assert.equal(ctx.resumes, 1);
  ctx.resumeMode = 'run';
  t.player.retry();
  assert.equal(ctx.resumes, 2);
  await flush();
  assert.equal(ctx.state, 'running');
  t.player.retry();
  assert.equal(ctx.resumes, 2, 'running: nothing to do');
  assert.deepEqual(t.blocked, []);
  t.player.setRinging(false);
  t.clock.advance(RESUME_TIMEOUT_MS);
  assert.deepEqual(t.blocked, [], 'the first attempt\'s timeout is void');
});

test('key tones: the DTMF pair of each keypad key, nothing for other keys', async () => {
  const { keyTonePattern } = await import('../lib/tones.js');
  const pairs = {
    1: [697, 1209], 5: [770, 1336], 9: [852, 1477], '*': [941, 1209], 0: [941, 1336], '#': [941, 1477],
  };
  for (const [key, want] of Object.entries(pairs)) {
    assert.deepEqual(keyTonePattern(key).notes.map((n) => n.frequency), want, key);
  }
  for (const bad of ['A', '+', '', 'x', undefined]) assert.equal(keyTonePattern(bad), null, String(bad));
});

test('ringtones: three built-in, chosen by name; unknown names give the chime', async () => {
  const {
    RINGTONES, normalizeRingtone, RING_PATTERN: chime, CLASSIC_RING_PATTERN, PIPS_RING_PATTERN,
  } = await import('../lib/tones.js');
  assert.deepEqual(Object.keys(RINGTONES), ['chime', 'classic', 'pips']);
  assert.equal(RINGTONES.chime.pattern, chime);
  for (const p of [CLASSIC_RING_PATTERN, PIPS_RING_PATTERN]) {
    assert.equal(p.kind, 'ring');
    assert.ok(Math.max(...p.notes.map((n) => n.offset + n.duration)) * 1000 < p.periodMs, 'a pause between rings');
  }
  for (const bad of ['', 'Chime', '__proto__', 5, null]) assert.equal(normalizeRingtone(bad), 'chime');
  const ctx = new FakeAudioContext();
  const player = new TonePlayer({ createContext: () => ctx, clock: new FakeClock(), ringtone: 'classic' });
  player.setRinging(true);
  assert.equal(ctx.at(440).length, 1);
  assert.equal(ctx.at(480).length, 1);
  assert.equal(ctx.at(659.25).length, 0, 'not the chime');
  player.setRinging(false);
  player.ringtone = 'pips';
  player.ringOnce();
  assert.equal(ctx.at(1318.5).length, 1);
});

test('busy tone: 425 Hz three times after an outgoing call refused as busy', async () => {
  const { isBusyEnd, BUSY_PATTERN } = await import('../lib/tones.js');
  assert.deepEqual(BUSY_PATTERN.notes.map((n) => [n.offset, n.duration, n.frequency]), [[0, 0.5, 425], [1, 0.5, 425], [2, 0.5, 425]]);
  const ended = (code, direction = 'outgoing') => ({ state: 'ended', direction, end_reason: { sip_code: code, message: 'x' } });
  assert.equal(isBusyEnd(ended(486)), true);
  assert.equal(isBusyEnd(ended(600)), true);
  for (const c of [ended(404), ended(486, 'incoming'), { state: 'connected', end_reason: { sip_code: 486 } }, null]) {
    assert.equal(isBusyEnd(c), false, JSON.stringify(c));
  }
  const ctx = new FakeAudioContext();
  const player = new TonePlayer({ createContext: () => ctx, clock: new FakeClock() });
  player.busy();
  assert.equal(ctx.at(425).length, 3);
});
