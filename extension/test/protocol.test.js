import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import * as p from '../lib/protocol.js';

test('message type names are the wire strings', () => {
  assert.deepEqual(Object.values(p.MSG).sort(), [
    'answer', 'beep', 'call', 'close', 'closing_soon', 'config_get', 'config_set', 'decline', 'dial', 'dtmf', 'error', 'hangup', 'hello',
    'history_get', 'hold', 'host', 'host_check', 'incoming', 'mute', 'ping', 'reply', 'session', 'set_status', 'state', 'state_get', 'transfer', 'webrtc_answer',
    'webrtc_offer', 'webrtc_restart',
  ]);
  assert.equal(p.PROTOCOL_VERSION, 1);
  assert.equal(p.HOST_NAME, 'com.tabphone.host');
});

test('request builders', () => {
  assert.deepEqual(p.hello('0.1.0'), { type: 'hello', data: { protocol: 1, version: '0.1.0' } });
  assert.deepEqual(p.ping(), { type: 'ping' });
  assert.deepEqual(p.stateGet(), { type: 'state_get' });
  assert.deepEqual(p.dial('600'), { type: 'dial', data: { number: '600' } });
  assert.deepEqual(p.dial('600', 'work'), { type: 'dial', data: { number: '600', account: 'work' } });
  assert.deepEqual(p.hangup('c1'), { type: 'hangup', data: { call_id: 'c1' } });
  assert.deepEqual(p.answer('c1'), { type: 'answer', data: { call_id: 'c1' } });
  assert.deepEqual(p.decline('c1'), { type: 'decline', data: { call_id: 'c1' } });
  assert.deepEqual(p.setStatus('dnd'), { type: 'set_status', data: { status: 'dnd' } });
  assert.deepEqual(p.webrtcOffer('c1', 'v=0'), { type: 'webrtc_offer', data: { call_id: 'c1', sdp: 'v=0' } });
  assert.deepEqual(p.sessionReport(true, 'tab_open'), { type: 'session', data: { active: true, reason: 'tab_open' } });
  assert.deepEqual(p.sessionReport(0, 'logout'), { type: 'session', data: { active: false, reason: 'logout' } });
  assert.deepEqual(p.configGet(), { type: 'config_get' });
  assert.deepEqual(p.historyGet(20), { type: 'history_get', data: { limit: 20 } });
  assert.deepEqual(p.dtmf('c1', '12*#'), { type: 'dtmf', data: { call_id: 'c1', digits: '12*#' } });
  assert.deepEqual(p.mute('c1', true), { type: 'mute', data: { call_id: 'c1', muted: true } });
  assert.deepEqual(p.hold('c1', false), { type: 'hold', data: { call_id: 'c1', hold: false } });
  assert.deepEqual(p.transfer('c1', '700'), { type: 'transfer', data: { call_id: 'c1', target: '700' } });
  assert.deepEqual(p.transferTo('c1', 'c2'), { type: 'transfer', data: { call_id: 'c1', to_call_id: 'c2' } });
  assert.deepEqual(p.configSet({ accounts: [], sites: [] }), { type: 'config_set', data: { accounts: [], sites: [] } });
  assert.deepEqual(p.replyFrame(3, { ok: true }), { type: 'reply', id: 3, ok: true, data: {} });
  assert.deepEqual(p.replyFrame(3, p.failure('timeout')), { type: 'reply', id: 3, ok: false, error: { code: 'timeout' } });
  assert.equal(p.jsonBytes({ a: 'é' }), 10);
});

// The Go side defines the same strings; a rename on one side only must fail a test.
// The host may know more types than this extension uses yet (later issues adopt them).
test('every type the extension uses is known to the host (nativehost/protocol/envelope.go)', (t) => {
  let src;
  try {
    src = readFileSync(new URL('../../nativehost/protocol/envelope.go', import.meta.url), 'utf8');
  } catch {
    t.skip('nativehost sources not present');
    return;
  }
  const goTypes = new Set([...src.matchAll(/^\s*Type\w+\s*=\s*"([a-z_]+)"/gm)].map((m) => m[1]));
  const jsTypes = Object.values(p.MSG).filter((v) => v !== p.MSG.HOST && v !== p.MSG.HOST_CHECK);
  assert.deepEqual(jsTypes.filter((v) => !goTypes.has(v)), [], 'types the host does not know');
  assert.ok(!goTypes.has(p.MSG.HOST), '"host" is the background\'s own message to pages');
  assert.ok(!goTypes.has(p.MSG.HOST_CHECK), '"host_check" is the pages\' own request to the background');
  assert.match(src, new RegExp(`const Version = ${p.PROTOCOL_VERSION}\\b`));
});

// Error codes: the host's are exactly the ones ERR lists before the extension's own.
test('the error codes match the host (nativehost/protocol/errors.go)', (t) => {
  let src;
  try {
    src = readFileSync(new URL('../../nativehost/protocol/errors.go', import.meta.url), 'utf8');
  } catch {
    t.skip('nativehost sources not present');
    return;
  }
  const goCodes = [...src.matchAll(/^\s*Code\w+\s*=\s*"([a-z_]+)"/gm)].map((m) => m[1]).sort();
  const extensionOnly = [p.ERR.TIMEOUT, p.ERR.HOST_UNAVAILABLE, p.ERR.DISCONNECTED];
  const jsCodes = Object.values(p.ERR).filter((c) => !extensionOnly.includes(c)).sort();
  assert.deepEqual(jsCodes, goCodes);
});

// The session words are the host's too: reasons, states, the warning, the no_session code.
test('session reasons, states and the warning match the host (nativehost/session, protocol)', (t) => {
  let sessionSrc;
  let typesSrc;
  try {
    sessionSrc = readFileSync(new URL('../../nativehost/session/session.go', import.meta.url), 'utf8');
    typesSrc = readFileSync(new URL('../../nativehost/protocol/errors.go', import.meta.url), 'utf8');
  } catch {
    t.skip('nativehost sources not present');
    return;
  }
  for (const r of Object.values(p.SESSION_REASON)) assert.match(sessionSrc, new RegExp(`Reason\\w+\\s*=\\s*"${r}"`), r);
  for (const s of Object.values(p.SESSION_STATE)) assert.match(sessionSrc, new RegExp(`\\w+\\s+State = "${s}"`), s);
  assert.match(sessionSrc, new RegExp(`const Message = "${p.CLOSING_MESSAGE}"`));
  assert.match(typesSrc, /CodeNoSession\s*=\s*"no_session"/);
});

// The history's words are the host's: the results, and the end reasons the popup reads.
test('history results and end reasons match the host (nativehost/protocol/data.go)', (t) => {
  let src;
  try {
    src = readFileSync(new URL('../../nativehost/protocol/data.go', import.meta.url), 'utf8');
  } catch {
    t.skip('nativehost sources not present');
    return;
  }
  const goResults = [...src.matchAll(/^\s*Result\w+\s*=\s*"([a-z_]+)"/gm)].map((m) => m[1]).sort();
  assert.deepEqual(Object.values(p.HISTORY_RESULT).sort(), goResults);
  assert.match(src, new RegExp(`EndDNDMissed\\s*=\\s*"${p.DND_MISSED_MESSAGE}"`));
  assert.match(src, new RegExp(`EndDeclined\\s*=\\s*"${p.DECLINED_MESSAGE}"`));
  assert.equal(p.MAX_HISTORY_LIMIT, 200);
});

test('the manifest keeps the names other tools rely on', () => {
  const m = JSON.parse(readFileSync(new URL('../manifest.json', import.meta.url), 'utf8'));
  assert.equal(m.manifest_version, 3);
  assert.equal(m.version, '0.1.0');
  assert.equal(m.browser_specific_settings.gecko.id, 'tabphone@tabphone.dev');
  assert.deepEqual(m.browser_specific_settings.gecko.data_collection_permissions, { required: ['none'] });
  assert.equal(m.action.default_popup, 'popup/popup.html');
  assert.deepEqual(m.background, { service_worker: 'background.js', scripts: ['background.js'], type: 'module' });
  // notifications: incoming and missed calls when the softphone window is not in front.
  // contextMenus: "Call <selection>"; scripting: registering the click-to-call content
  // script once the user has granted the host permission. alarms: wakes a worker the browser
  // stopped by force, so the phone registers again. None adds an install warning.
  assert.deepEqual(m.permissions, ['alarms', 'contextMenus', 'nativeMessaging', 'notifications', 'scripting', 'storage', 'tabs']);
  // No content_scripts and no web_accessible_resources: nothing runs in pages until the
  // user turns click-to-call on, and pages cannot probe for the extension's files.
  assert.equal(m.content_scripts, undefined);
  assert.equal(m.web_accessible_resources, undefined);
  // Asked for later (options page), never at install: the session-cookie watch, and the
  // sites' / click-to-call's host permissions, and downloads when call recording is
  // turned on (recordings are saved to the downloads folder).
  assert.deepEqual(m.optional_permissions, ['cookies', 'downloads']);
  assert.deepEqual(m.optional_host_permissions, ['http://*/*', 'https://*/*']);
  assert.equal(m.host_permissions, undefined);
  // The Chrome extension ID follows from the key: sha256 of the DER key, 32 hex digits as a-p.
  const der = Buffer.from(m.key, 'base64');
  const id = createHash('sha256').update(der).digest('hex').slice(0, 32)
    .replace(/[0-9a-f]/g, (c) => String.fromCharCode(97 + parseInt(c, 16)));
  assert.equal(id, 'fofiikfolgbiahjjnmckkiaefainepgm');
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  assert.equal(m.version, pkg.version, 'extension and package versions agree');
});

test('DTMF keys: 1 to 32 of 0-9 * # A-D', () => {
  for (const ok of ['1', '12*#', 'ABCD', '0'.repeat(32)]) assert.equal(p.isDTMFDigits(ok), true, ok);
  for (const bad of ['', '0'.repeat(33), 'a', '1 2', '+', 'E', null, 5, ['1']]) assert.equal(p.isDTMFDigits(bad), false, String(bad));
});
