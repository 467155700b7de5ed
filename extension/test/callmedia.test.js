import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CallMedia, AUDIO_CONSTRAINTS, MEDIA_WORDS, hasCandidates, micErrorWords } from '../lib/callmedia.js';
import { FakeClock, flush } from './fakes.js';
import {
  FakePC, FakeStream, FakeTrack, FakeMediaStream, OFFER_SDP, CANDIDATE,
} from './fakertc.js';
import { useI18n } from '../lib/i18n.js';
import { fakeI18n } from './fakei18n.js';

useI18n(fakeI18n()); // the English of _locales/en


function setup({ getUserMedia, offerReply = { ok: true, data: {} }, micDeviceId } = {}) {
  FakePC.made = [];
  const clock = new FakeClock();
  const mics = [];
  const gumCalls = [];
  const offers = [];
  const remote = [];
  const problems = [];
  const media = new CallMedia({
    getUserMedia: getUserMedia ?? (async (c) => {
      gumCalls.push(c);
      const s = new FakeStream();
      mics.push(s);
      return s;
    }),
    RTCPeerConnection: FakePC,
    MediaStream: FakeMediaStream,
    sendOffer: async (callId, sdp) => {
      offers.push({ callId, sdp });
      return offerReply;
    },
    onRemoteStream: (s) => remote.push(s),
    onProblem: (callId, words) => problems.push([callId, words]),
    micDeviceId,
    clock,
    log: { warn() {} },
  });
  return { media, clock, mics, gumCalls, offers, remote, problems, pcs: FakePC.made };
}

const call = (id, state = 'calling') => ({ id, state, number: '600' });

test('a new call: mic with echo cancellation, one sendrecv transceiver, offer after gathering completes', async () => {
  const t = setup();
  t.media.update([call('c1')]);
  await flush();
  assert.deepEqual(t.gumCalls, [AUDIO_CONSTRAINTS]);
  assert.deepEqual(t.gumCalls[0].audio, { echoCancellation: true, noiseSuppression: true, autoGainControl: true });
  assert.equal(t.pcs.length, 1);
  const pc = t.pcs[0];
  assert.deepEqual(pc.config, { iceServers: [] });
  assert.equal(pc.transceivers.length, 1);
  assert.equal(pc.transceivers[0].track, t.mics[0].tracks[0]);
  assert.deepEqual(pc.transceivers[0].init, { direction: 'sendrecv' });
  assert.equal(t.offers.length, 0, 'no offer before gathering is complete');
  pc.gather();
  await flush();
  assert.equal(t.offers.length, 1);
  assert.equal(t.offers[0].callId, 'c1');
  assert.equal(t.offers[0].sdp, OFFER_SDP + CANDIDATE);
  assert.equal(pc.listenerCount('icegatheringstatechange'), 0, 'listeners removed');
});

test('the end-of-candidates event (null candidate) also ends the wait', async () => {
  const t = setup();
  t.media.update([call('c1')]);
  await flush();
  t.pcs[0].gather([CANDIDATE], { complete: false });
  t.pcs[0].dispatch('icecandidate', { candidate: { candidate: 'x' } });
  await flush();
  assert.equal(t.offers.length, 0);
  t.pcs[0].dispatch('icecandidate', { candidate: null });
  await flush();
  assert.equal(t.offers.length, 1);
});

test('gathering is capped at 3 s: the offer goes with the candidates found so far', async () => {
  const t = setup();
  t.media.update([call('c1')]);
  await flush();
  t.pcs[0].gather([CANDIDATE], { complete: false });
  t.clock.advance(2_999);
  await flush();
  assert.equal(t.offers.length, 0);
  t.clock.advance(1);
  await flush();
  assert.equal(t.offers.length, 1);
});

test('no local candidates: "No network" and no offer', async () => {
  const t = setup();
  t.media.update([call('c1')]);
  await flush();
  t.clock.advance(3_000);
  await flush();
  assert.equal(t.offers.length, 0);
  assert.deepEqual(t.problems.at(-1), ['c1', MEDIA_WORDS.NO_NETWORK]);
  assert.equal(MEDIA_WORDS.NO_NETWORK, 'No network: the phone needs a network connection');
});

test('the answer is applied to the call\'s peer connection', async () => {
  const t = setup();
  t.media.update([call('c1')]);
  await flush();
  t.pcs[0].gather();
  await flush();
  await t.media.answer('c1', 'v=0 answer');
  assert.deepEqual(t.pcs[0].remoteDescription, { type: 'answer', sdp: 'v=0 answer' });
  // A second answer (or one for an unknown call) is ignored.
  await t.media.answer('c1', 'v=0 again');
  await t.media.answer('c9', 'v=0');
  assert.deepEqual(t.pcs[0].remoteDescription, { type: 'answer', sdp: 'v=0 answer' });
});

test('webrtc_restart replaces the call\'s peer connection with a new offer, keeping the microphone', async () => {
  const t = setup();
  t.media.update([call('c1', 'early')]);
  await flush();
  t.pcs[0].gather();
  await flush();
  await t.media.answer('c1', 'v=0 answer for PCMA');
  t.media.restart('c1');
  await flush();
  assert.equal(t.pcs[0].closed, true);
  assert.equal(t.pcs.length, 2);
  t.pcs[1].gather();
  await flush();
  assert.equal(t.offers.length, 2);
  assert.equal(t.offers[1].callId, 'c1');
  assert.equal(t.gumCalls.length, 1, 'the microphone was not opened again');
  assert.equal(t.mics[0].tracks[0].stopped, false);
  await t.media.answer('c1', 'v=0 answer for PCMU');
  assert.deepEqual(t.pcs[1].remoteDescription, { type: 'answer', sdp: 'v=0 answer for PCMU' });
  // A restart for a call without media does nothing.
  t.media.restart('c9');
  await flush();
  assert.equal(t.pcs.length, 2);
});

test('a rejected answer is reported', async () => {
  const t = setup();
  t.media.update([call('c1')]);
  await flush();
  t.pcs[0].gather();
  await flush();
  t.pcs[0].failRemote = 'bad sdp';
  await t.media.answer('c1', 'v=0');
  assert.match(t.problems.at(-1)[1], /bad sdp/);
});

test('the remote track goes to onRemoteStream (its stream, or a new MediaStream)', async () => {
  const t = setup();
  t.media.update([call('c1')]);
  await flush();
  const stream = new FakeStream();
  t.pcs[0].dispatch('track', { track: stream.tracks[0], streams: [stream] });
  assert.equal(t.remote.at(-1), stream);
  const track = new FakeTrack();
  t.pcs[0].dispatch('track', { track, streams: [] });
  assert.ok(t.remote.at(-1) instanceof FakeMediaStream);
  assert.deepEqual(t.remote.at(-1).tracks, [track]);
});

test('two calls share one microphone; ending one keeps it, ending the last stops it', async () => {
  const t = setup();
  t.media.update([call('c1'), call('c2')]);
  await flush();
  assert.equal(t.gumCalls.length, 1);
  assert.equal(t.pcs.length, 2);
  t.media.update([call('c2', 'connected')]);
  await flush();
  assert.equal(t.pcs[0].closed, true);
  assert.equal(t.pcs[1].closed, false);
  assert.equal(t.mics[0].tracks[0].stopped, false);
  t.media.update([{ ...call('c2'), state: 'ended' }]);
  await flush();
  assert.equal(t.pcs[1].closed, true);
  assert.equal(t.mics[0].tracks[0].stopped, true);
  assert.deepEqual(t.media.callIds, []);
  // The next call opens the microphone again.
  t.media.update([call('c3')]);
  await flush();
  assert.equal(t.gumCalls.length, 2);
});

test('updating with the same calls does not start media twice', async () => {
  const t = setup();
  t.media.update([call('c1')]);
  t.media.update([call('c1', 'ringing')]);
  await flush();
  t.media.update([call('c1', 'connected')]);
  await flush();
  assert.equal(t.pcs.length, 1);
});

test('when the playing call ends, another call\'s audio plays, else none', async () => {
  const t = setup();
  t.media.update([call('c1'), call('c2')]);
  await flush();
  const s1 = new FakeStream();
  const s2 = new FakeStream();
  t.pcs[0].dispatch('track', { track: s1.tracks[0], streams: [s1] });
  t.pcs[1].dispatch('track', { track: s2.tracks[0], streams: [s2] });
  assert.equal(t.remote.at(-1), s2);
  t.media.update([call('c1')]);
  assert.equal(t.remote.at(-1), s1);
  t.media.update([]);
  assert.equal(t.remote.at(-1), null);
});

test('microphone blocked: words, no peer connection; the next call asks again', async () => {
  let n = 0;
  const t = setup({
    getUserMedia: async () => {
      n++;
      throw Object.assign(new Error('Permission denied'), { name: 'NotAllowedError' });
    },
  });
  t.media.update([call('c1')]);
  await flush();
  assert.equal(t.pcs.length, 0);
  assert.deepEqual(t.problems.at(-1), ['c1', MEDIA_WORDS.MIC_BLOCKED]);
  assert.match(MEDIA_WORDS.MIC_BLOCKED, /^Microphone blocked/);
  t.media.update([]);
  t.media.update([call('c2')]);
  await flush();
  assert.equal(n, 2);
});

test('a call that ends while the microphone opens gets no peer connection, and the mic is released', async () => {
  let release;
  const mic = new FakeStream();
  const t = setup({ getUserMedia: () => new Promise((r) => { release = () => r(mic); }) });
  t.media.update([call('c1')]);
  await flush();
  t.media.update([]);
  release();
  await flush();
  assert.equal(t.pcs.length, 0);
  assert.equal(mic.tracks[0].stopped, true);
});

test('a call that ends during gathering sends no offer', async () => {
  const t = setup();
  t.media.update([call('c1')]);
  await flush();
  t.media.update([]);
  await flush();
  t.clock.advance(3_000);
  await flush();
  assert.equal(t.offers.length, 0);
  assert.equal(t.pcs[0].closed, true);
});

test('a failed webrtc_offer reply and a host media error are shown for the call', async () => {
  const t = setup({ offerReply: { ok: false, error: { code: 'media', message: 'no common codec' } } });
  t.media.update([call('c1')]);
  await flush();
  t.pcs[0].gather();
  await flush();
  assert.deepEqual(t.problems.at(-1), ['c1', 'no common codec']);
  t.media.hostError({ code: 'media', message: 'Audio could not be connected: x', call_id: 'c1' });
  assert.deepEqual(t.problems.at(-1), ['c1', 'Audio could not be connected: x']);
  t.media.hostError({ code: 'media', message: 'other', call_id: 'c9' });
  assert.equal(t.problems.at(-1)[1], 'Audio could not be connected: x');
});

test('connection failure is reported, and cleared when connected', async () => {
  const t = setup();
  t.media.update([call('c1')]);
  await flush();
  t.pcs[0].connectionState = 'failed';
  t.pcs[0].dispatch('connectionstatechange');
  assert.deepEqual(t.problems.at(-1), ['c1', MEDIA_WORDS.FAILED]);
  t.pcs[0].connectionState = 'connected';
  t.pcs[0].dispatch('connectionstatechange');
  assert.deepEqual(t.problems.at(-1), ['c1', null]);
});

test('closeAll closes every call and releases the microphone', async () => {
  const t = setup();
  t.media.update([call('c1'), call('c2')]);
  await flush();
  t.media.closeAll();
  await flush();
  assert.ok(t.pcs.every((pc) => pc.closed));
  assert.equal(t.mics[0].tracks[0].stopped, true);
});

test('helpers', () => {
  assert.equal(hasCandidates(OFFER_SDP), false);
  assert.equal(hasCandidates(OFFER_SDP + CANDIDATE), true);
  assert.equal(micErrorWords({ name: 'NotFoundError' }), MEDIA_WORDS.NO_MIC);
  assert.equal(micErrorWords({ name: 'NotReadableError' }), MEDIA_WORDS.MIC_BUSY);
  assert.match(micErrorWords({ name: 'TypeError', message: 'boom' }), /boom/);
});

test('the microphone chosen on the options page is asked for exactly, read at each open', async () => {
  let chosen = 'mic-2';
  const t = setup({ micDeviceId: () => chosen });
  t.media.update([call('c1')]);
  await flush();
  assert.deepEqual(t.gumCalls, [{ audio: { ...AUDIO_CONSTRAINTS.audio, deviceId: { exact: 'mic-2' } } }]);
  t.media.update([]);
  chosen = '';
  t.media.update([call('c2')]);
  await flush();
  assert.deepEqual(t.gumCalls.at(-1), AUDIO_CONSTRAINTS, 'no choice: the default microphone');
});

test('a chosen microphone that is gone: the default one, so the call still has audio', async () => {
  const calls = [];
  const t = setup({
    micDeviceId: () => 'unplugged',
    getUserMedia: async (c) => {
      calls.push(c);
      if (c.audio.deviceId) throw Object.assign(new Error('no such device'), { name: 'OverconstrainedError' });
      return new FakeStream();
    },
  });
  t.media.update([call('c1')]);
  await flush();
  await flush();
  assert.equal(calls.length, 2);
  assert.deepEqual(calls[1], AUDIO_CONSTRAINTS);
  assert.equal(t.pcs.length, 1, 'the call goes on');
  assert.deepEqual(t.problems, []);
});

test('a chosen microphone that is refused is not retried on another one', async () => {
  const calls = [];
  const t = setup({
    micDeviceId: () => 'mic-1',
    getUserMedia: async (c) => {
      calls.push(c);
      throw Object.assign(new Error('denied'), { name: 'NotAllowedError' });
    },
  });
  t.media.update([call('c1')]);
  await flush();
  assert.equal(calls.length, 1);
  assert.deepEqual(t.problems, [['c1', MEDIA_WORDS.MIC_BLOCKED]]);
});

const incoming = (id, state = 'ringing') => ({ id, state, direction: 'incoming', number: '1002' });

test('a ringing incoming call: the connection is made and offered with no microphone opened; the answer puts it on without a new offer', async () => {
  const t = setup();
  t.media.update([incoming('c1')]);
  await flush();
  assert.equal(t.gumCalls.length, 0, 'no microphone while it rings');
  assert.equal(t.pcs.length, 1);
  const pc = t.pcs[0];
  assert.equal(pc.transceivers[0].track, 'audio');
  assert.deepEqual(pc.transceivers[0].init, { direction: 'sendrecv' });
  pc.gather();
  await flush();
  assert.equal(t.offers.length, 1, 'offered while ringing, so the host has the leg up before the answer');
  await t.media.answer('c1', 'v=0 answer');
  t.media.update([incoming('c1')]); // still ringing: nothing changes
  await flush();
  assert.equal(t.gumCalls.length, 0);
  t.media.update([incoming('c1', 'connected')]);
  await flush();
  assert.equal(t.gumCalls.length, 1);
  assert.equal(pc.transceivers[0].sender.track, t.mics[0].tracks[0]);
  assert.equal(t.offers.length, 1, 'no new offer');
  assert.equal(t.pcs.length, 1);
  t.media.update([incoming('c1', 'connected')]);
  await flush();
  assert.equal(t.gumCalls.length, 1, 'attached once');
});

test('an incoming call answered before its connection exists gets the microphone when it is made', async () => {
  const t = setup();
  // The first update makes the entry; the answer arrives in the same turn, before _start ran on.
  t.media.update([incoming('c1')]);
  t.media.update([incoming('c1', 'connected')]);
  await flush();
  assert.equal(t.pcs.length, 1);
  assert.equal(t.gumCalls.length, 1);
  assert.equal(t.pcs[0].transceivers[0].sender.track, t.mics[0].tracks[0]);
});
