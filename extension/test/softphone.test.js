// Runs softphone/softphone.js against its own markup in a fake DOM with fake WebRTC:
// the whole call flow of the window, with the test playing the background.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseDocument } from './fakedom.js';
import { FakePort, flush } from './fakes.js';
import { FakePC, FakeStream, FakeMediaStream, OFFER_SDP, CANDIDATE } from './fakertc.js';

const html = readFileSync(new URL('../softphone/softphone.html', import.meta.url), 'utf8');
const account = { id: 'work', user: '1001', domain: '127.0.0.1:5060', registration: 'registered' };
const ports = [];
const mics = [];
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
  globalThis.RTCPeerConnection = FakePC;
  globalThis.MediaStream = FakeMediaStream;
  globalThis.chrome = {
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

const WARNING = 'Window will be closed soon, since there is no active session';
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
