// Secure media on the PBX leg, end to end in real Chromium with the host: one call over
// SDES-SRTP (Kamailio as a plain proxy, a baresip that requires SDES) and one to a
// WebRTC PBX (the host over WS to Kamailio + rtpengine, a plain baresip behind it).
// The peers are the Go tests' own (bin/tabphone-securepeers). Each call: baresip's
// 440 Hz is heard in the softphone window, baresip hears the fake microphone's 1000 Hz,
// and the host's SDP as Kamailio received it is the secure kind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  startSecurePeers, toneWav, launchWithPopup, tempDir, waitFor, waitRegistered, root, waitToneInWindow,
} from './harness.mjs';

const micTone = 1000; // the fake microphone
const peerTone = 440; // what baresip sends

let tmp; let peers; let b; let popup; let skip;

before(async () => {
  tmp = tempDir();
  peers = await startSecurePeers();
  if (peers.skip) { skip = peers.skip; return; }
  const dir = join(tmp.dir, 'phone');
  const account = { password: peers.password, codecs: ['pcmu'], auto_answer: { enabled: false, seconds: 5 } };
  const cfg = {
    accounts: [
      { ...account, id: 'sdes', user: '1001', domain: peers.plain.udp, transport: 'udp', srtp: 'sdes' },
      { ...account, id: 'webrtc', user: '1002', domain: peers.gateway.ws, transport: 'ws', srtp: 'auto' },
    ],
    default_account: 'sdes',
    status: 'available',
  };
  ({ b, popup } = await launchWithPopup({ dir, cfg, wav: toneWav(tmp.dir, micTone) }));
});

after(async () => {
  await b?.close();
  await peers?.stop?.();
  tmp?.remove();
});

/** On failure: ends a call left up, leaves every peer's log in e2e/out/securemedia/<name>/. */
function keepLogsOnFailure(name, fn) {
  return peers.keepLogsOnFailure(join(root, 'e2e', 'out', 'securemedia', name), fn,
    () => popup.getByRole('button', { name: 'End call' }).click({ timeout: 2000 }));
}

/** Picks the account in the popup and waits until it shows registered. */
async function useAccount(id, user) {
  await waitFor(() => popup.getByLabel('Call from').isVisible(), { what: 'the account picker' });
  await popup.getByLabel('Call from').selectOption(id);
  await waitRegistered(popup, user);
}

/** Dials from the popup and waits for the connected call in the softphone window. */
async function dial(digits) {
  await popup.getByRole('textbox', { name: 'Number' }).fill(digits);
  await popup.getByRole('button', { name: 'Dial', exact: true }).click();
  const win = await waitFor(() => b.ctx.pages().find((p) => p.url().includes('/softphone/softphone.html')), { what: 'softphone window' });
  await waitFor(() => win.locator('li.call').getByText(/^Connected \d\d:\d\d$/).isVisible(), { timeout: 15000, what: `call to ${digits} connected` });
  return win;
}

/** Polls baresip's recording of the call until the microphone's tone is in it. */
async function heardByBaresip(user, freq) {
  let l;
  await waitFor(async () => {
    l = await peers.command(`tone ${user} ${freq}`);
    return l.present;
  }, { timeout: 15000, interval: 200, what: `${freq} Hz at baresip ${user}` }).catch((e) => {
    throw new Error(`${e.message}: ${JSON.stringify(l)}`);
  });
  return l;
}

/** The newest INVITE Kamailio (plain or gateway) received from the host, over proto. */
async function inviteFromHost(kamailio, proto) {
  const { messages } = await peers.command(`sdps ${kamailio}`);
  const invites = messages.filter((m) => !m.sent && m.method === 'INVITE' && m.status === 0 && m.proto === proto);
  assert.ok(invites.length > 0, `${kamailio} Kamailio received no INVITE with SDP over ${proto}`);
  return invites.at(-1);
}

async function hangUp() {
  await popup.getByRole('button', { name: 'End call' }).click();
  await waitFor(async () => !(await popup.getByRole('button', { name: 'End call' }).isVisible()), { what: 'call gone from popup' });
}

function levels(m, l) {
  return `window ${m.dbfs.toFixed(1)} dBFS (${peerTone} Hz ${(m.power[peerTone] / Math.max(m.power[700], m.power[1300], m.power[1700], m.power[2500])).toExponential(1)}× the probes); ` +
    `baresip ${micTone} Hz ratio ${l.ratio.toFixed(3)} over ${l.signal_blocks} blocks, loudest ${l.max_dbfs.toFixed(1)} dBFS`;
}

test('SDES-SRTP: srtp "sdes" over UDP calls a baresip that requires SDES; the tone crosses both ways', async (t) => {
  if (skip) { t.skip(skip); return; }
  await keepLogsOnFailure('sdes', async () => {
    await useAccount('sdes', '1001');
    const win = await dial('2002');
    const m = await waitToneInWindow(win, peerTone);
    const l = await heardByBaresip('2002', micTone);
    const invite = await inviteFromHost('plain', 'udp');
    assert.match(invite.sdp, /^m=audio \d+ RTP\/SAVP /m);
    assert.match(invite.sdp, /^a=crypto:\d+ AES_CM_128_HMAC_SHA1_80 inline:/m);
    console.log(`sdes: ${levels(m, l)}`);
    await hangUp();
  });
});

test('WebRTC PBX: srtp "auto" over WS through Kamailio + rtpengine calls a plain baresip; the tone crosses both ways', async (t) => {
  if (skip) { t.skip(skip); return; }
  await keepLogsOnFailure('webrtc', async () => {
    await useAccount('webrtc', '1002');
    const win = await dial('2001');
    const m = await waitToneInWindow(win, peerTone);
    const l = await heardByBaresip('2001', micTone);
    const invite = await inviteFromHost('gateway', 'ws');
    for (const want of [/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF /m, /^a=fingerprint:sha-256 /m, /^a=setup:/m, /^a=ice-ufrag:/m,
      /^a=ice-pwd:/m, /^a=candidate:/m, /^a=rtcp-mux/m, /^a=mid:/m]) {
      assert.match(invite.sdp, want);
    }
    console.log(`webrtc: ${levels(m, l)}`);
    await hangUp();
  });
});
