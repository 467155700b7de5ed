import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  mixPlan, AudioMix, MIC, TONE, callSource, mergeCandidates, mergedAfter, splitOff, holdTargets, heldMembers,
  ANNOUNCE_HZ,
} from '../lib/conference.js';
import { FakeStream, FakeTrack } from './fakertc.js';

// A fake AudioContext that records the graph: every node, what it is connected to.
class FakeNode {
  constructor(ctx, kind, extra = {}) {
    this.ctx = ctx;
    this.kind = kind;
    this.outs = new Set();
    Object.assign(this, extra);
    ctx.nodes.push(this);
  }

  connect(n) { this.outs.add(n); return n; }

  disconnect() { this.outs.clear(); }
}

class FakeAudioContext {
  constructor() {
    this.nodes = [];
    this.state = 'running';
    this.closed = false;
  }

  createMediaStreamSource(stream) { return new FakeNode(this, 'source', { stream }); }

  createMediaStreamDestination() {
    return new FakeNode(this, 'dest', { stream: new FakeStream([new FakeTrack()]) });
  }

  createOscillator() {
    return new FakeNode(this, 'osc', { frequency: { value: 0 }, started: false, start() { this.started = true; }, stop() { this.started = false; } });
  }

  createGain() { return new FakeNode(this, 'gain', { gain: { value: 1 } }); }

  async close() { this.closed = true; }
}

class FakeSender {
  constructor(track) { this.track = track; this.replaced = []; }

  async replaceTrack(t) { this.track = t; this.replaced.push(t); }
}

const flush = () => new Promise((r) => setImmediate(r));

/** What feeds a destination node: the streams (by name) of the sources connected to it. */
function feeds(ctx, dest, names) {
  const out = [];
  for (const n of ctx.nodes) {
    if (!n.outs.has(dest)) continue;
    if (n.kind === 'source') out.push(names.get(n.stream));
    if (n.kind === 'gain') out.push('tone');
  }
  return out.sort();
}

test('mixPlan: each merged party is sent the microphone and the other party; the user hears both', () => {
  const p = mixPlan({ merged: ['a', 'b'] });
  assert.deepEqual([...p.sends.entries()], [['a', [MIC, callSource('b')]], ['b', [MIC, callSource('a')]]]);
  assert.deepEqual(p.playback, [callSource('a'), callSource('b')]);
  assert.equal(p.record, null);
});

test('mixPlan: a muted conference sends each party only the others, and records no microphone; a plain call ignores it', () => {
  const p = mixPlan({ merged: ['a', 'b'], micMuted: true, recording: { callId: 'a' } });
  assert.deepEqual([...p.sends.entries()], [['a', [callSource('b')]], ['b', [callSource('a')]]]);
  assert.deepEqual(p.record, [callSource('a'), callSource('b')]);
  const plain = mixPlan({ merged: ['a'], micMuted: true, recording: { callId: 'a', announce: true } });
  assert.deepEqual(plain.sends.get('a'), [MIC]);
  assert.deepEqual(plain.record, [MIC, callSource('a')]);
});

test('mixPlan: three parties each hear the user and both others', () => {
  const p = mixPlan({ merged: ['a', 'b', 'c'] });
  assert.deepEqual(p.sends.get('b'), [MIC, callSource('a'), callSource('c')]);
  assert.equal(p.playback.length, 3);
});

test('mixPlan: fewer than two merged is no conference: nothing routed, the page plays the call itself', () => {
  for (const merged of [[], ['a'], ['a', 'a']]) {
    const p = mixPlan({ merged });
    assert.equal(p.sends.size, 0, String(merged));
    assert.equal(p.playback, null);
  }
});

test('mixPlan: a recording holds the microphone and the recorded call, or the whole conference', () => {
  assert.deepEqual(mixPlan({ recording: { callId: 'a' } }).record, [MIC, callSource('a')]);
  assert.equal(mixPlan({ recording: { callId: 'a' } }).sends.size, 0, 'an unannounced recording leaves the call on the plain microphone');
  assert.deepEqual(mixPlan({ merged: ['a', 'b'], recording: { callId: 'b' } }).record, [MIC, callSource('a'), callSource('b')]);
});

test('mixPlan: an announced recording routes the call through the mix, and the tone goes to every send while it sounds', () => {
  const quiet = mixPlan({ recording: { callId: 'a', announce: true } });
  assert.deepEqual(quiet.sends.get('a'), [MIC]);
  const loud = mixPlan({ recording: { callId: 'a', announce: true }, announcing: true });
  assert.deepEqual(loud.sends.get('a'), [MIC, TONE]);
  const conf = mixPlan({ merged: ['a', 'b'], recording: { callId: 'a', announce: true }, announcing: true });
  assert.deepEqual(conf.sends.get('b'), [MIC, callSource('a'), TONE]);
});

test('conference rules: merge candidates, ended parties, split, hold of a conference', () => {
  const c = (id, state = 'connected', more = {}) => ({ id, state, ...more });
  assert.deepEqual(mergeCandidates([c('a'), c('b', 'ringing')]), [], 'one connected call: nothing to merge');
  assert.deepEqual(mergeCandidates([c('a', 'connected', { held: true }), c('b')]), ['a', 'b'], 'a held call joins');
  assert.deepEqual(mergeCandidates([c('a'), c('b', 'connected', { transferring: true })]), []);
  assert.deepEqual(mergeCandidates([c('a'), c('b')], ['a', 'b']), [], 'already merged');
  assert.deepEqual(mergeCandidates([c('a'), c('b'), c('c')], ['a', 'b']), ['a', 'b', 'c'], 'a third call can join');
  assert.deepEqual(mergedAfter(['a', 'b', 'c'], [c('a'), c('c')]), ['a', 'c']);
  assert.deepEqual(mergedAfter(['a', 'b'], [c('a'), c('b', 'ended')]), [], 'the last party is a plain call again');
  assert.deepEqual(splitOff(['a', 'b'], 'a'), []);
  assert.deepEqual(splitOff(['a', 'b', 'c'], 'a'), ['b', 'c']);
  assert.deepEqual(holdTargets('a', ['a', 'b']), ['a', 'b']);
  assert.deepEqual(holdTargets('c', ['a', 'b']), ['c']);
  assert.deepEqual(heldMembers(['a', 'b'], [c('a', 'connected', { held: true }), c('b')]), ['a']);
});

function mixWith() {
  const made = [];
  const kept = [];
  const mix = new AudioMix({
    createContext: () => { const ctx = new FakeAudioContext(); made.push(ctx); return ctx; },
    keepAlive: (s) => kept.push(s),
    log: { warn() {} },
  });
  const mic = new FakeStream();
  const ra = new FakeStream();
  const rb = new FakeStream();
  const names = new Map([[mic, 'mic'], [ra, 'a'], [rb, 'b']]);
  const senders = new Map([['a', new FakeSender(mic.tracks[0])], ['b', new FakeSender(mic.tracks[0])]]);
  mix.setInput(MIC, mic);
  mix.setInput(callSource('a'), ra);
  mix.setInput(callSource('b'), rb);
  return { mix, made, kept, mic, ra, rb, names, senders };
}

test('AudioMix wires a merge: each sender gets its own mix track (mic + the other), playback holds both', async () => {
  const t = mixWith();
  assert.equal(t.made.length, 0, 'no AudioContext before the first plan');
  const out = t.mix.apply(mixPlan({ merged: ['a', 'b'] }), { senders: t.senders, micTrack: t.mic.tracks[0] });
  await flush();
  const ctx = t.made[0];
  const dests = ctx.nodes.filter((n) => n.kind === 'dest');
  assert.equal(dests.length, 3, 'a send per party and the playback');
  const sendA = dests.find((d) => d.stream.tracks[0] === t.senders.get('a').track);
  const sendB = dests.find((d) => d.stream.tracks[0] === t.senders.get('b').track);
  assert.ok(sendA && sendB && sendA !== sendB, 'each sender switched to its own mixed track');
  assert.deepEqual(feeds(ctx, sendA, t.names), ['b', 'mic'], 'a hears the user and b');
  assert.deepEqual(feeds(ctx, sendB, t.names), ['a', 'mic'], 'b hears the user and a');
  const play = dests.find((d) => d.stream === out.playback);
  assert.deepEqual(feeds(ctx, play, t.names), ['a', 'b'], 'the user hears both, not themself');
  assert.deepEqual(t.kept, [t.ra, t.rb], 'remote streams kept playing (muted) so WebAudio gets their samples');
});

test('AudioMix: splitting gives the senders the plain microphone back and drops the playback mix', async () => {
  const t = mixWith();
  t.mix.apply(mixPlan({ merged: ['a', 'b'] }), { senders: t.senders, micTrack: t.mic.tracks[0] });
  await flush();
  const out = t.mix.apply(mixPlan({ merged: [] }), { senders: t.senders, micTrack: t.mic.tracks[0] });
  await flush();
  assert.equal(out.playback, null);
  assert.equal(t.senders.get('a').track, t.mic.tracks[0]);
  assert.equal(t.senders.get('b').track, t.mic.tracks[0]);
  const ctx = t.made[0];
  for (const n of ctx.nodes.filter((x) => x.kind === 'source')) assert.equal(n.outs.size, 0, 'no source feeds anything');
});

test('AudioMix: a recording keeps its stream across a split, and the announcement tone reaches the far party only while it sounds', async () => {
  const t = mixWith();
  const rec = { callId: 'a', announce: true };
  const o1 = t.mix.apply(mixPlan({ merged: ['a', 'b'], recording: rec, announcing: true }), { senders: t.senders, micTrack: t.mic.tracks[0] });
  await flush();
  const ctx = t.made[0];
  const recDest = ctx.nodes.find((n) => n.kind === 'dest' && n.stream === o1.record);
  assert.deepEqual(feeds(ctx, recDest, t.names), ['a', 'b', 'mic']);
  const osc = ctx.nodes.find((n) => n.kind === 'osc');
  assert.equal(osc.frequency.value, ANNOUNCE_HZ);
  assert.ok(osc.started);
  const sendA = ctx.nodes.find((d) => d.kind === 'dest' && d.stream.tracks[0] === t.senders.get('a').track);
  assert.ok(feeds(ctx, sendA, t.names).includes('tone'));
  // The tone ends; then a split: the recording goes on with the same stream, a alone.
  t.mix.apply(mixPlan({ merged: ['a', 'b'], recording: rec }), { senders: t.senders, micTrack: t.mic.tracks[0] });
  assert.equal(osc.started, false, 'the oscillator stops after the announcement');
  const o3 = t.mix.apply(mixPlan({ merged: [], recording: rec }), { senders: t.senders, micTrack: t.mic.tracks[0] });
  await flush();
  assert.equal(o3.record, o1.record, 'the recorder keeps recording the same stream');
  assert.deepEqual(feeds(ctx, recDest, t.names), ['a', 'mic']);
  assert.notEqual(t.senders.get('a').track, t.mic.tracks[0], 'an announced recording keeps a on the mix');
  assert.equal(t.senders.get('b').track, t.mic.tracks[0], 'b is back on the microphone');
  t.mix.close();
  await flush();
  assert.equal(t.senders.get('a').track, t.mic.tracks[0], 'close gives every sender the microphone back');
  assert.equal(ctx.closed, true);
});

test('AudioMix.removeCall: a party that ended leaves the mix and its sender is restored', async () => {
  const t = mixWith();
  t.mix.apply(mixPlan({ merged: ['a', 'b'] }), { senders: t.senders, micTrack: t.mic.tracks[0] });
  await flush();
  t.mix.removeCall('b');
  await flush();
  assert.equal(t.senders.get('b').track, t.mic.tracks[0]);
});
