// Runs softphone/softphone.js against its own markup in a fake DOM with fake WebRTC:
// the whole call flow of the window, with the test playing the background.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseDocument } from './fakedom.js';
import { fakeI18n } from './fakei18n.js';
import {
  FakePort, FakeEvent, FakeStorage, flush,
} from './fakes.js';
import { FakePC, FakeStream, FakeMediaStream, OFFER_SDP, CANDIDATE } from './fakertc.js';
import { FakeAudioContext } from './fakeaudio.js';

const html = readFileSync(new URL('../softphone/softphone.html', import.meta.url), 'utf8');
const account = { id: 'work', user: '1001', domain: '127.0.0.1:5060', registration: 'registered' };
const ports = [];
const mics = [];
const audioContexts = [];
const sinks = [];
const storageChanged = new FakeEvent();
let doc;
let windowClosed = 0;

before(async () => {
  FakePC.made = [];
  doc = parseDocument(html);
  globalThis.document = doc;
  globalThis.window = { addEventListener() {}, close() { windowClosed++; } };
  Object.defineProperty(globalThis, 'navigator', {
    configurable: true,
    value: {
      mediaDevices: {
        getUserMedia: async (c) => {
          const s = new FakeStream();
          s.constraints = c;
          mics.push(s);
          return s;
        },
      },
    },
  });
  doc.getElementById('remote-audio').setSinkId = async (id) => { sinks.push(id); };
  globalThis.RTCPeerConnection = FakePC;
  globalThis.MediaStream = FakeMediaStream;
  globalThis.AudioContext = class extends FakeAudioContext {
    constructor() {
      super();
      audioContexts.push(this);
    }

    // The conference mix (lib/conference.js): stream sources and destinations.
    createMediaStreamSource(stream) {
      const node = { stream, outs: new Set(), connect(n) { this.outs.add(n); return n; }, disconnect() { this.outs.clear(); } };
      (this.sources ??= []).push(node);
      return node;
    }

    createMediaStreamDestination() {
      return { stream: new FakeStream(), connect() {}, disconnect() {} };
    }
  };
  globalThis.Audio = class { play() { return Promise.resolve(); } };
  globalThis.chrome = {
    i18n: fakeI18n(),
    storage: { local: new FakeStorage({ ringVolume: 0.3, speakerDeviceId: 'spk-1' }), onChanged: storageChanged },
    runtime: {
      connect: ({ name }) => {
        const p = new FakePort({ name });
        ports.push(p);
        return p;
      },
    },
  };
  await import('../softphone/softphone.js');
});

const $ = (id) => doc.getElementById(id);
const port = () => ports.at(-1);
const items = () => $('calls').querySelectorAll('li.call');
const c1 = (state) => ({ id: 'c1', number: '600', state, direction: 'outgoing', started_at: 1 });

test('connects as "softphone"; no call yet', () => {
  assert.equal(port().name, 'softphone');
  port().receive({ type: 'host', data: { connected: true, version: '0.1.0' } });
  port().receive({ type: 'state', data: { accounts: [account], status: 'available', calls: [] } });
  assert.equal($('no-calls').hidden, false);
  assert.equal(items().length, 0);
  assert.equal($('closing-warning').hidden, true);
  assert.equal(FakePC.made.length, 0);
});

test('a call: listed with End call, mic opened, offer sent after gathering, answer applied, remote audio played', async () => {
  port().receive({ type: 'call', data: { call: c1('calling') } });
  assert.equal(items().length, 1);
  assert.equal($('no-calls').hidden, true);
  assert.equal(items()[0].querySelector('.call-number').textContent, '600');
  assert.equal(items()[0].querySelector('.call-state').textContent, 'Calling…');
  assert.equal(items()[0].querySelector('button.hangup').textContent, 'End call');
  await flush();
  assert.equal(mics.length, 1);
  assert.deepEqual(mics[0].constraints, { audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true } });
  const pc = FakePC.made[0];
  pc.gather();
  await flush();
  const offer = port().last('webrtc_offer');
  assert.deepEqual(offer.data, { call_id: 'c1', sdp: OFFER_SDP + CANDIDATE });
  port().receive({ type: 'reply', id: offer.id, ok: true, data: {} });
  port().receive({ type: 'webrtc_answer', data: { call_id: 'c1', sdp: 'v=0 answer' } });
  await flush();
  assert.deepEqual(pc.remoteDescription, { type: 'answer', sdp: 'v=0 answer' });
  const remote = new FakeStream();
  pc.dispatch('track', { track: remote.tracks[0], streams: [remote] });
  await flush();
  assert.equal($('remote-audio').srcObject, remote);
});

test('a host media error for the call is shown on it', () => {
  port().receive({ type: 'error', data: { code: 'media', message: 'Audio could not be connected: x', call_id: 'c1' } });
  assert.equal(items()[0].querySelector('.call-problem').textContent, 'Audio could not be connected: x');
});

test('End call sends hangup; the ended call is removed, its media closed, the mic stopped', async () => {
  items()[0].querySelector('button.hangup').dispatch('click', { detail: 1 });
  const req = port().last('hangup');
  assert.deepEqual(req.data, { call_id: 'c1' });
  port().receive({ type: 'reply', id: req.id, ok: true, data: {} });
  await flush();
  port().receive({ type: 'call', data: { call: { ...c1('ended'), end_reason: { message: 'Bye' } } } });
  await flush();
  assert.equal(items().length, 0);
  assert.equal(FakePC.made[0].closed, true);
  assert.equal(mics[0].tracks[0].stopped, true);
  assert.equal($('remote-audio').srcObject, null);
  assert.equal($('last-call').textContent, '600 · Call ended: Bye');
});

test('no local candidates: the call says "No network"', async () => {
  port().receive({ type: 'call', data: { call: { ...c1('calling'), id: 'c2' } } });
  await flush();
  const pc = FakePC.made[1];
  pc.gather([]); // gathering completes with no candidates
  await flush();
  assert.equal(items()[0].querySelector('.call-problem').textContent, 'No network: the phone needs a network connection');
  port().receive({ type: 'call', data: { call: { ...c1('ended'), id: 'c2' } } });
  await flush();
});


const incoming = (id, extra = {}) => ({
  id, account: 'work', direction: 'incoming', number: '1002', name: 'Alice', state: 'ringing', started_at: Date.now(), ...extra,
});
const item = (id) => items().find((li) => li.dataset.callId === id);
const ringing = () => doc.documentElement.dataset.ringing;
const tones = () => window.__tabphoneTones;
const ctx = () => audioContexts.at(-1);

/** The host announces a new ringing incoming call, as it does: call, then incoming. */
function ring(call) {
  port().receive({ type: 'call', data: { call } });
  port().receive({ type: 'incoming', data: { call } });
}

/** The host ends a call and the page lets its media go. */
async function end(call, message = 'Call ended') {
  port().receive({ type: 'call', data: { call: { ...call, state: 'ended', end_reason: { message } } } });
  await flush();
}

test('before any call: not ringing, no tone played, no AudioContext', () => {
  assert.equal(ringing(), 'false');
  assert.deepEqual(tones(), []);
  assert.equal(audioContexts.length, 0);
  assert.equal($('sound-blocked').hidden, true);
});

test('an incoming call: the caller, "Incoming call", Answer and Decline, the ringtone at the stored volume', async () => {
  const call = incoming('c3');
  const before = Date.now();
  ring(call);
  const li = item('c3');
  assert.equal(li.querySelector('.call-name').textContent, 'Alice');
  assert.equal(li.querySelector('.call-name').hidden, false);
  assert.equal(li.querySelector('.call-number').textContent, '1002');
  assert.equal(li.querySelector('.call-state').textContent, 'Incoming call');
  assert.equal(li.querySelector('button.answer').textContent, 'Answer');
  assert.equal(li.querySelector('button.decline').textContent, 'Decline');
  assert.equal(li.querySelector('button.answer').hidden, false);
  assert.equal(li.querySelector('button.decline').hidden, false);
  assert.equal(li.querySelector('button.hangup').hidden, true, 'Decline, not End call, while it rings');
  assert.equal(li.querySelector('.call-auto-answer').hidden, true);
  assert.equal(li.classList.contains('is-incoming'), true);
  assert.equal(doc.activeElement, li.querySelector('button.answer'), 'Enter or Space answers');
  assert.equal($('call-announce').textContent, 'Alice (1002) is calling');
  // The ringtone.
  assert.equal(ringing(), 'true');
  assert.equal(doc.title, 'Incoming call – Tabphone');
  assert.equal(tones().length, 1);
  assert.equal(tones()[0].kind, 'ring');
  assert.ok(tones()[0].at >= before - 1 && tones()[0].at <= Date.now() + 1, 'wall-clock ms (timeOrigin + now)');
  assert.equal(audioContexts.length, 1);
  assert.equal(ctx().at(659.25).length, 2);
  const envelopes = ctx().gains.filter((g) => g.outputs.includes(ctx().destination));
  assert.ok(envelopes.every((g) => Math.abs(g.gain.peak - 0.5 * 0.3) < 1e-9), 'ringVolume 0.3 from storage.local');
  await flush();
  assert.ok(FakePC.made.at(-1), 'the audio is set up while it rings, so an answer connects at once');
});

test('Answer: sends answer for the call, the ringtone stops at once; connected shows End call', async () => {
  const li = item('c3');
  const ringOscillators = [...ctx().oscillators];
  li.querySelector('button.answer').dispatch('click', { detail: 1 });
  const req = port().last('answer');
  assert.deepEqual(req.data, { call_id: 'c3' });
  assert.equal(ringing(), 'false');
  assert.equal(doc.title, 'Tabphone');
  assert.ok(ringOscillators.every((o) => o.cut), 'the scheduled ring is cut');
  assert.equal(li.querySelector('button.answer').disabled, true, 'one answer');
  port().receive({ type: 'reply', id: req.id, ok: true, data: {} });
  await flush();
  port().receive({ type: 'call', data: { call: incoming('c3', { state: 'connected', answered_at: Date.now() }) } });
  assert.equal(li.querySelector('button.answer').hidden, true);
  assert.equal(li.querySelector('button.decline').hidden, true);
  assert.equal(li.querySelector('button.hangup').hidden, false);
  assert.equal(doc.activeElement, li.querySelector('button.hangup'), 'the focus moves to End call');
  assert.equal(ringing(), 'false');
  await end(incoming('c3'));
  assert.equal(items().length, 0);
});

test('Decline: sends decline; the ring stops; a failed decline rings again', async () => {
  ring(incoming('c4'));
  assert.equal(ringing(), 'true');
  item('c4').querySelector('button.decline').dispatch('click', { detail: 1 });
  let req = port().last('decline');
  assert.deepEqual(req.data, { call_id: 'c4' });
  assert.equal(ringing(), 'false');
  port().receive({ type: 'reply', id: req.id, ok: false, error: { code: 'timeout' } });
  await flush();
  assert.equal(ringing(), 'true', 'still ringing: the ringtone comes back');
  assert.equal(item('c4').querySelector('.call-problem').textContent, 'The Tabphone host did not answer in time.');
  // Escape declines when the window has the focus.
  doc.activeElement = null;
  const sent = port().ofType('decline').length;
  const ev = doc.root.dispatch('keydown', { key: 'Escape' });
  assert.equal(ev.defaultPrevented, true);
  assert.equal(port().ofType('decline').length, sent + 1);
  req = port().last('decline');
  assert.deepEqual(req.data, { call_id: 'c4' });
  assert.equal(ringing(), 'false');
  port().receive({ type: 'reply', id: req.id, ok: true, data: {} });
  await flush();
  await end(incoming('c4'), 'Declined');
  assert.equal($('last-call').textContent, '1002 · Call ended: Declined');
});

test('Enter answers when the focus is free; Enter on a focused button keeps the button\'s meaning', async () => {
  ring(incoming('c5'));
  const li = item('c5');
  li.querySelector('button.decline').focus();
  const answers = port().ofType('answer').length;
  li.querySelector('button.decline').dispatch('keydown', { key: 'Enter' });
  assert.equal(port().ofType('answer').length, answers, 'Enter on Decline does not answer');
  doc.activeElement = null;
  doc.root.dispatch('keydown', { key: 'Enter' });
  const req = port().last('answer');
  assert.equal(port().ofType('answer').length, answers + 1);
  assert.deepEqual(req.data, { call_id: 'c5' });
  port().receive({ type: 'reply', id: req.id, ok: true, data: {} });
  await flush();
  await end(incoming('c5'));
  doc.root.dispatch('keydown', { key: 'Escape' });
  doc.root.dispatch('keydown', { key: 'Enter' });
  assert.equal(port().ofType('answer').length, answers + 1, 'no call rings: the keys do nothing');
});

test('auto-answer: "Auto-answer in 5 s"; the beep event stops the ring and beeps 880 Hz; ring before beep', async () => {
  const call = incoming('c6', { name: undefined, auto_answer_at: Date.now() + 5000 });
  const from = tones().length;
  ring(call);
  const li = item('c6');
  assert.equal(li.querySelector('.call-name').hidden, true, 'no name: only the number');
  assert.equal(li.querySelector('.call-auto-answer').textContent, 'Auto-answer in 5 s');
  assert.equal(li.querySelector('.call-auto-answer').hidden, false);
  assert.equal(ringing(), 'true');
  port().receive({ type: 'beep', data: { call_id: 'c6' } });
  assert.equal(ringing(), 'false', 'picked up: no more ringing');
  assert.deepEqual(tones().slice(from).map((t) => t.kind), ['ring', 'beep']);
  assert.ok(tones().at(-1).at >= tones().at(-2).at);
  const beep = ctx().at(880);
  assert.equal(beep.length, 1);
  assert.ok(Math.abs(beep[0].stops[0] - beep[0].startAt - 0.16) < 1e-9, '150 ms (+ release)');
  port().receive({ type: 'call', data: { call: { ...call, state: 'connected', answered_at: Date.now() } } });
  assert.equal(li.querySelector('.call-auto-answer').hidden, true);
  assert.equal(ringing(), 'false');
  await end(call);
});

test('ringback: an outgoing call in "ringing" plays 425 Hz; early media or an answer stops it', async () => {
  const call = { id: 'c7', number: '604', direction: 'outgoing', state: 'calling', started_at: 1 };
  port().receive({ type: 'call', data: { call } });
  const from = tones().length;
  port().receive({ type: 'call', data: { call: { ...call, state: 'ringing' } } });
  assert.deepEqual(tones().slice(from).map((t) => t.kind), ['ringback']);
  assert.equal(ringing(), 'false', 'data-ringing is about the ringtone only');
  const tone = ctx().at(425);
  assert.equal(tone.length, 1);
  port().receive({ type: 'call', data: { call: { ...call, state: 'early' } } });
  assert.equal(tone[0].cut, true);
  port().receive({ type: 'call', data: { call: { ...call, state: 'ringing' } } });
  port().receive({ type: 'call', data: { call: { ...call, state: 'connected', answered_at: Date.now() } } });
  assert.ok(ctx().at(425).every((o) => o.cut));
  await end(call);
});

test('sound blocked by the browser: "Click to enable sound"; a click starts it', async () => {
  const c = ctx();
  c.state = 'suspended';
  c.resumeMode = 'reject';
  port().receive({ type: 'beep', data: { call_id: 'none' } });
  await flush();
  assert.equal($('sound-blocked').hidden, false);
  assert.equal($('enable-sound').textContent, 'Click to enable sound');
  c.resumeMode = 'run';
  $('enable-sound').dispatch('click', { detail: 1 });
  await flush();
  assert.equal(c.state, 'running');
  assert.equal($('sound-blocked').hidden, true);
});

test('the speaker and microphone chosen on the options page: setSinkId at start and on change; the next call opens the chosen microphone', async () => {
  assert.deepEqual(sinks, ['spk-1'], 'the stored speaker');
  storageChanged.emit({ speakerDeviceId: { newValue: 'spk-2' } }, 'local');
  await flush();
  assert.deepEqual(sinks, ['spk-1', 'spk-2']);
  storageChanged.emit({ micDeviceId: { newValue: 'mic-2' } }, 'local');
  port().receive({ type: 'call', data: { call: { id: 'c9', number: '600', state: 'calling', direction: 'outgoing', started_at: 1 } } });
  await flush();
  assert.deepEqual(mics.at(-1).constraints.audio.deviceId, { exact: 'mic-2' });
  port().receive({ type: 'call', data: { call: { id: 'c9', number: '600', state: 'ended', direction: 'outgoing', started_at: 1 } } });
  await flush();
});

const WARNING = 'Window will be closed soon, since there is no active session';
test('a connected call: Mute, Hold, Keypad and Transfer talk to the host and follow its state', async () => {
  const call = { id: 'c9', number: '600', state: 'connected', direction: 'outgoing', started_at: 1, answered_at: Date.now() };
  port().receive({ type: 'call', data: { call: { ...call, state: 'calling' } } });
  const li = item('c9');
  assert.equal(li.querySelector('.call-controls').hidden, true, 'no controls before the answer');
  port().receive({ type: 'call', data: { call } });
  assert.equal(li.querySelector('.call-controls').hidden, false);
  const muteButton = li.querySelector('button.mute');
  const holdButton = li.querySelector('button.hold');
  assert.equal(muteButton.getAttribute('aria-pressed'), 'false');

  // Mute: the request, then the host's state decides the button.
  muteButton.dispatch('click', { detail: 1 });
  let req = port().last('mute');
  assert.deepEqual(req.data, { call_id: 'c9', muted: true });
  assert.equal(muteButton.disabled, true, 'one request at a time');
  port().receive({ type: 'reply', id: req.id, ok: true, data: {} });
  await flush();
  port().receive({ type: 'call', data: { call: { ...call, muted: true } } });
  assert.equal(muteButton.textContent, 'Unmute');
  assert.equal(muteButton.getAttribute('aria-pressed'), 'true');
  assert.equal(muteButton.disabled, false);

  // Hold: disabled until the PBX accepted; "On hold" with the timer; a failure in words.
  holdButton.dispatch('click', { detail: 1 });
  req = port().last('hold');
  assert.deepEqual(req.data, { call_id: 'c9', hold: true });
  assert.equal(holdButton.disabled, true);
  port().receive({ type: 'reply', id: req.id, ok: true, data: {} });
  await flush();
  port().receive({ type: 'call', data: { call: { ...call, muted: true, held: true } } });
  assert.equal(holdButton.textContent, 'Resume');
  assert.equal(holdButton.getAttribute('aria-pressed'), 'true');
  assert.match(li.querySelector('.call-state').textContent, /^On hold \d\d:\d\d$/);
  holdButton.dispatch('click', { detail: 1 });
  req = port().last('hold');
  assert.deepEqual(req.data, { call_id: 'c9', hold: false });
  port().receive({ type: 'reply', id: req.id, ok: false, error: { code: 'sip', message: 'The PBX refused to resume the call' } });
  await flush();
  assert.equal(li.querySelector('.call-problem').textContent, 'The PBX refused to resume the call');
  assert.equal(holdButton.disabled, false);
  port().receive({ type: 'call', data: { call } });

  // Keypad: a key plays its DTMF pair here and goes to the host; typed keys too.
  const keypad = li.querySelector('.keypad');
  assert.equal(keypad.hidden, true);
  li.querySelector('button.keypad-toggle').dispatch('click', { detail: 1 });
  assert.equal(keypad.hidden, false);
  assert.equal(li.querySelector('button.keypad-toggle').getAttribute('aria-expanded'), 'true');
  const five = li.querySelectorAll('button.key').find((b) => b.dataset.key === '5');
  five.dispatch('click', { detail: 1 });
  assert.deepEqual(port().last('dtmf').data, { call_id: 'c9', digits: '5' });
  assert.equal(ctx().at(770).length, 1, 'row tone of 5');
  assert.equal(ctx().at(1336).length, 1, 'column tone of 5');
  doc.activeElement = null;
  const ev = doc.root.dispatch('keydown', { key: '#' });
  assert.equal(ev.defaultPrevented, true);
  assert.deepEqual(port().last('dtmf').data, { call_id: 'c9', digits: '#' });
  assert.equal(li.querySelector('.keypad-sent').textContent, 'Sent 5#');
  const typed = port().ofType('dtmf').length;
  const input = li.querySelector('.transfer-target');
  input.dispatch('keydown', { key: '7' });
  assert.equal(port().ofType('dtmf').length, typed, 'a digit typed into a text field is no DTMF');

  // Transfer: checked like a dialed number, then sent.
  li.querySelector('button.transfer-toggle').dispatch('click', { detail: 1 });
  assert.equal(li.querySelector('.transfer-form').hidden, false);
  assert.equal(doc.activeElement, input);
  input.value = 'bob';
  li.querySelector('.transfer-form').dispatch('submit');
  assert.equal(port().ofType('transfer').length, 0);
  assert.match(li.querySelector('.call-problem').textContent, /digits/);
  input.value = '+1 (555) 010-0200';
  const submit = li.querySelector('.transfer-form').dispatch('submit');
  assert.equal(submit.defaultPrevented, true);
  req = port().last('transfer');
  assert.deepEqual(req.data, { call_id: 'c9', target: '+15550100200' });
  assert.equal(li.querySelector('button.transfer-go').disabled, true);
  port().receive({ type: 'reply', id: req.id, ok: true, data: {} });
  await flush();
  await end(call);
  assert.equal(items().length, 0);
});

test('an outgoing call refused as busy plays the busy tone once; other ends do not', async () => {
  const call = { id: 'c10', number: '603', state: 'ringing', direction: 'outgoing', started_at: 1 };
  port().receive({ type: 'call', data: { call } });
  const before = ctx().at(425).length; // the ringback is 425 Hz too
  port().receive({ type: 'call', data: { call: { ...call, state: 'ended', end_reason: { sip_code: 486, message: 'Busy' } } } });
  await flush();
  assert.equal(ctx().at(425).length - before, 3, 'three 0.5 s bursts');
  assert.equal(tones().at(-1).kind, 'busy');
  port().receive({ type: 'call', data: { call: { ...call, state: 'ended', end_reason: { sip_code: 486, message: 'Busy' } } } });
  assert.equal(ctx().at(425).length - before, 3, 'a repeated ended event plays nothing');
  port().receive({ type: 'call', data: { call: { ...call, id: 'c11' } } });
  const n = ctx().at(425).length;
  port().receive({ type: 'call', data: { call: { ...call, id: 'c11', state: 'ended', end_reason: { sip_code: 404, message: 'Not found' } } } });
  assert.equal(tones().at(-1).kind === 'busy', false);
  assert.equal(ctx().at(425).length, n);
});

test('attended transfer: with a second call connected, "Transfer to" joins the two; a followed REFER says who transferred', async () => {
  const first = { id: 'c20', number: '2001', state: 'connected', direction: 'outgoing', started_at: 1, answered_at: Date.now(), held: true };
  const second = { id: 'c21', number: '2002', state: 'connected', direction: 'outgoing', started_at: 2, answered_at: Date.now() };
  port().receive({ type: 'call', data: { call: first } });
  const li = item('c20');
  assert.equal(li.querySelector('button.transfer-other').hidden, true, 'one call: blind only');
  port().receive({ type: 'call', data: { call: second } });
  const other = li.querySelector('button.transfer-other');
  assert.equal(other.hidden, false);
  assert.equal(other.textContent, 'Transfer to 2002');
  other.dispatch('click', { detail: 1 });
  const req = port().last('transfer');
  assert.deepEqual(req.data, { call_id: 'c20', to_call_id: 'c21' });
  port().receive({ type: 'reply', id: req.id, ok: true, data: {} });
  await flush();
  await end(first);
  await end(second);
  const followed = { id: 'c22', number: '2003', state: 'calling', direction: 'outgoing', started_at: 3, transferred_by: '2001' };
  port().receive({ type: 'call', data: { call: followed } });
  const note = item('c22').querySelector('.call-note');
  assert.equal(note.hidden, false);
  assert.equal(note.textContent, 'Transferred by 2001');
  await end(followed);
});

test('Merge calls: with two connected calls, Merge resumes the held one and sends each party the mix; Hold holds both; Split takes one out', async () => {
  const first = { id: 'm1', number: '2001', state: 'connected', direction: 'outgoing', started_at: 1, answered_at: Date.now(), held: true };
  const second = { id: 'm2', number: '2002', state: 'connected', direction: 'outgoing', started_at: 2, answered_at: Date.now() };
  const pcsBefore = FakePC.made.length;
  port().receive({ type: 'call', data: { call: first } });
  assert.equal($('merge-calls').hidden, true, 'one call: nothing to merge');
  port().receive({ type: 'call', data: { call: second } });
  await flush();
  const [pc1, pc2] = FakePC.made.slice(pcsBefore);
  const mic = pc1.transceivers[0].track;
  const r1 = new FakeStream();
  const r2 = new FakeStream();
  pc1.dispatch('track', { track: r1.tracks[0], streams: [r1] });
  pc2.dispatch('track', { track: r2.tracks[0], streams: [r2] });
  assert.equal($('merge-calls').hidden, false);
  assert.equal(item('m1').querySelector('button.record').hidden, true, 'recording is off by default: no Record button');

  $('merge-calls').dispatch('click', { detail: 1 });
  await flush();
  await flush();
  const resume = port().last('hold');
  assert.deepEqual(resume.data, { call_id: 'm1', hold: false }, 'Merge takes the held party off hold');
  port().receive({ type: 'reply', id: resume.id, ok: true, data: {} });
  port().receive({ type: 'call', data: { call: { ...first, held: false } } });
  await flush();
  const s1 = pc1.transceivers[0].sender;
  const s2 = pc2.transceivers[0].sender;
  assert.notEqual(s1.track, mic, 'party 1 is sent the mix');
  assert.notEqual(s2.track, mic, 'party 2 is sent the mix');
  assert.notEqual(s1.track, s2.track, 'each its own mix');
  const fed = new Set(ctx().sources.filter((n) => n.outs.size > 0).map((n) => n.stream));
  assert.ok(fed.has(r1) && fed.has(r2), 'both parties feed the mix');
  assert.ok(![r1, r2].includes($('remote-audio').srcObject), 'the window plays the mix, not one party');
  assert.equal($('conference-words').textContent, 'Conference: 2001, 2002');
  assert.equal(doc.documentElement.dataset.conference, 'm1,m2');
  assert.equal($('merge-calls').hidden, true);
  assert.equal(item('m1').querySelector('button.split').hidden, false);

  // Hold on one party holds the conference.
  const sent = port().sent.length;
  item('m1').querySelector('button.hold').dispatch('click', { detail: 1 });
  const holds = port().sent.slice(sent).filter((m) => m.type === 'hold').map((m) => m.data);
  assert.deepEqual(holds, [{ call_id: 'm1', hold: true }, { call_id: 'm2', hold: true }]);
  for (const m of port().sent.slice(sent)) port().receive({ type: 'reply', id: m.id, ok: true, data: {} });
  await flush();

  // Split: party 2 goes on hold, party 1 is a plain call again with the plain microphone.
  const before = port().sent.length;
  item('m2').querySelector('button.split').dispatch('click', { detail: 1 });
  await flush();
  await flush();
  const split = port().sent.slice(before).filter((m) => m.type === 'hold').map((m) => m.data);
  assert.deepEqual(split, [{ call_id: 'm2', hold: true }]);
  assert.equal(s1.track, mic);
  assert.equal(s2.track, mic);
  assert.equal($('remote-audio').srcObject, r1, 'the user stays with party 1');
  assert.equal(doc.documentElement.dataset.conference, '');
  assert.equal($('conference-words').textContent, '');
  for (const m of port().sent.slice(before)) port().receive({ type: 'reply', id: m.id, ok: true, data: {} });
  await flush();
  await end(first);
  await end(second);
});

test('Mute in a conference silences the microphone in the mix, not a party at the host; a conference that ends muted leaves the survivors muted at the host', async () => {
  const first = { id: 'q1', number: '2001', state: 'connected', direction: 'outgoing', started_at: 1, answered_at: Date.now(), muted: true };
  const second = { id: 'q2', number: '2002', state: 'connected', direction: 'outgoing', started_at: 2, answered_at: Date.now() };
  const pcsBefore = FakePC.made.length;
  port().receive({ type: 'call', data: { call: first } });
  port().receive({ type: 'call', data: { call: second } });
  await flush();
  const [pc1, pc2] = FakePC.made.slice(pcsBefore);
  const micStream = pc1.transceivers[0].track;
  const r1 = new FakeStream();
  const r2 = new FakeStream();
  pc1.dispatch('track', { track: r1.tracks[0], streams: [r1] });
  pc2.dispatch('track', { track: r2.tracks[0], streams: [r2] });
  const micFed = () => ctx().sources.some((n) => n.outs.size > 0 && n.stream?.getAudioTracks?.()[0] === micStream);

  // Merge with party 1 muted at the host: it is unmuted there, the mute moves into the mix.
  let at = port().sent.length;
  $('merge-calls').dispatch('click', { detail: 1 });
  await flush();
  await flush();
  assert.deepEqual(port().sent.slice(at).filter((m) => m.type === 'mute').map((m) => m.data), [{ call_id: 'q1', muted: false }]);
  for (const m of port().sent.slice(at)) port().receive({ type: 'reply', id: m.id, ok: true, data: {} });
  port().receive({ type: 'call', data: { call: { ...first, muted: false } } });
  await flush();
  assert.equal(item('q1').querySelector('button.mute').getAttribute('aria-pressed'), 'true');
  assert.equal(item('q2').querySelector('button.mute').getAttribute('aria-pressed'), 'true', 'the whole conference shows muted');
  assert.equal(micFed(), false, 'the microphone feeds no party');
  const fed = new Set(ctx().sources.filter((n) => n.outs.size > 0).map((n) => n.stream));
  assert.ok(fed.has(r1) && fed.has(r2), 'the parties still hear each other');

  // Unmute: no request to the host, the microphone is back in the mix.
  at = port().sent.length;
  item('q2').querySelector('button.mute').dispatch('click', { detail: 1 });
  await flush();
  await flush();
  assert.equal(port().sent.slice(at).some((m) => m.type === 'mute'), false);
  assert.equal(item('q1').querySelector('button.mute').getAttribute('aria-pressed'), 'false');
  assert.equal(micFed(), true);

  // Mute again, then party 2 hangs up: party 1 stays muted, now at the host.
  item('q1').querySelector('button.mute').dispatch('click', { detail: 1 });
  await flush();
  assert.equal(micFed(), false);
  at = port().sent.length;
  await end(second);
  await flush();
  assert.deepEqual(port().sent.slice(at).filter((m) => m.type === 'mute').map((m) => m.data), [{ call_id: 'q1', muted: true }]);
  for (const m of port().sent.slice(at)) port().receive({ type: 'reply', id: m.id, ok: true, data: {} });
  await end({ ...first, muted: true });
});

const session = (state, extra = {}) => ({ type: 'state', data: { accounts: [account], status: 'available', calls: [], session: { state, sites: [], ...extra } } });

test('the close-soon warning: the exact words, a countdown timer from the deadline; hidden again when cancelled', () => {
  port().receive(session('active'));
  assert.equal($('closing-warning').hidden, true);
  port().receive({ type: 'closing_soon', data: { message: WARNING, reason: 'tabs_closed', deadline: Date.now() + 5000, seconds: 5 } });
  assert.equal($('closing-warning').hidden, false);
  assert.equal($('closing-message').textContent, WARNING);
  assert.equal($('closing-message').getAttribute('role'), 'alert');
  assert.equal($('closing-countdown').textContent, '5');
  assert.equal($('closing-countdown').getAttribute('role'), 'timer');
  assert.equal($('closing-countdown').getAttribute('aria-live'), 'polite');
  port().receive(session('active', { reason: 'tab_open' }));
  assert.equal($('closing-warning').hidden, true);
});

test('a window that opens during the warning shows it from the state, with the seconds left', () => {
  port().receive(session('closing_soon', { reason: 'logout', deadline: Date.now() + 2300, message: WARNING }));
  assert.equal($('closing-warning').hidden, false);
  assert.equal($('closing-message').textContent, WARNING);
  assert.equal($('closing-countdown').textContent, '3');
});

test('close: the window closes itself and lets go of the background', () => {
  const p = port();
  port().receive({ type: 'close', data: { reason: 'logout' } });
  assert.equal(windowClosed, 1);
  assert.equal(p.disconnected, true);
  assert.equal($('closing-warning').hidden, true, 'no countdown timer left running');
});
