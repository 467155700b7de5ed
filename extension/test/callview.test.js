import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatDuration, callStateWords, callPartyWords, callAnnouncement, registrationWords, registrationIsProblem, errorWords, hostWords,
  dialerUrl, callerName, callerWords, autoAnswerSeconds, autoAnswerWords, missedCallWords,
} from '../lib/callview.js';
import { useI18n, t } from '../lib/i18n.js';
import { fakeI18n } from './fakei18n.js';

useI18n(fakeI18n()); // the English of _locales/en

test('formatDuration', () => {
  assert.equal(formatDuration(0), '00:00');
  assert.equal(formatDuration(42_000), '00:42');
  assert.equal(formatDuration(42_999), '00:42');
  assert.equal(formatDuration(725_000), '12:05');
  assert.equal(formatDuration(3_723_000), '1:02:03');
  assert.equal(formatDuration(-5), '00:00');
  assert.equal(formatDuration(NaN), '00:00');
});

test('call states in words', () => {
  const now = 1_000_000;
  assert.equal(callStateWords({ state: 'calling' }, now), 'Calling…');
  assert.equal(callStateWords({ state: 'ringing' }, now), 'Ringing…');
  assert.equal(callStateWords({ state: 'early' }, now), 'Ringing…');
  assert.equal(callStateWords({ state: 'ringing', direction: 'incoming' }, now), 'Incoming call');
  assert.equal(callStateWords({ state: 'connected', started_at: now - 60_000, answered_at: now - 42_000 }, now), 'Connected 00:42');
  assert.equal(callStateWords({ state: 'connected', answered_at: now - 42_000, no_media: true }, now), 'No audio from the other side 00:42');
  assert.equal(callStateWords({ state: 'connected', answered_at: now - 42_000, no_media: true, held: true }, now), 'On hold 00:42');
  assert.equal(callStateWords({ state: 'ended' }, now), 'Call ended');
  assert.equal(callStateWords({ state: 'ended', end_reason: { sip_code: 486, message: 'Busy' } }, now), 'Call ended: Busy');
  assert.equal(callStateWords(null, now), '');
  assert.equal(callPartyWords({ number: '600' }), '600');
  assert.equal(callPartyWords({}), 'Unknown number');
  // Announcements leave the ticking timer out, so screen readers speak only changes.
  assert.equal(callAnnouncement({ number: '600', state: 'connected', answered_at: 1 }), '600: Connected');
  assert.equal(callAnnouncement({ number: '600', state: 'calling' }), '600: Calling…');
  assert.equal(callAnnouncement(null), '');
});

test('registration in words', () => {
  const acc = { id: 'work', user: '1001', domain: '127.0.0.1:5060' };
  assert.equal(registrationWords({ ...acc, registration: 'registered' }), 'Registered as 1001 at 127.0.0.1:5060');
  assert.equal(registrationWords({ ...acc, registration: 'registering' }), 'Registering…');
  assert.equal(registrationWords({ ...acc, registration: 'failed', error: { code: 'sip', sip_code: 401, message: '401 Unauthorized' } }), 'Wrong password');
  assert.equal(registrationWords({ ...acc, registration: 'failed', error: { code: 'sip', sip_code: 403, message: 'Forbidden' } }), 'Wrong password');
  assert.equal(registrationWords({ ...acc, registration: 'failed', error: { code: 'sip', message: 'No answer from the PBX: timeout' } }), 'No answer from the PBX: timeout');
  assert.equal(registrationWords({ ...acc, registration: 'failed' }), 'Registration failed');
  assert.equal(registrationWords({ ...acc, registration: 'unregistered' }), 'Not registered');
  assert.equal(registrationWords(null), 'No SIP account is set up.');
  assert.equal(registrationIsProblem({ registration: 'failed' }), true);
  assert.equal(registrationIsProblem({ registration: 'registered' }), false);
});

test('errors in words', () => {
  assert.match(errorWords({ code: 'timeout' }), /did not answer/);
  assert.equal(errorWords({ code: 'host_unavailable', message: 'Run tabphone-host install' }), 'Run tabphone-host install');
  assert.match(errorWords({ code: 'not_registered', message: 'phone: not registered: work' }), /not registered yet/);
  assert.equal(errorWords({ code: 'bad_number', message: '"x" has no digits' }), '"x" has no digits');
  assert.match(errorWords({ code: 'weird' }), /weird/);
  assert.match(errorWords(undefined), /Something went wrong/);
});

test('the host line', () => {
  assert.equal(hostWords({ connected: true }, { calls: [] }), '');
  assert.equal(hostWords({ connected: false, connecting: true, message: 'Connecting…' }, null), '');
  assert.equal(hostWords({ connected: false, message: 'Run `tabphone-host install`' }, null), 'Run `tabphone-host install`');
  assert.match(hostWords({ connected: true }, { config_error: { code: 'config', message: 'bad JSON' } }), /bad JSON/);
});

test('no session: the words, where "Open the Dialer/PBX" goes, and a stopped host is no problem', () => {
  assert.equal(dialerUrl({ sites: [{ match: 'http://127.0.0.1/*', url: 'http://127.0.0.1:8080/app/' }] }), 'http://127.0.0.1:8080/app/');
  assert.equal(dialerUrl({ sites: [{ match: 'http://127.0.0.1/*' }] }), null, 'nothing is made up from the pattern');
  assert.equal(dialerUrl({ sites: [{ url: 'javascript:alert(1)' }, { url: 'https://pbx.example.com/' }] }), 'https://pbx.example.com/');
  assert.equal(dialerUrl(null), null);
  assert.equal(t('popupLoginHint'), 'Log in to your Dialer/PBX'); // the popup's words (was LOGIN_HINT)
  assert.equal(hostWords({ connected: false, stopped: true, message: 'Open the Dialer/PBX to use the phone' }, null), '');
  assert.equal(errorWords({ code: 'no_session', message: 'x' }), 'Open the Dialer/PBX to use the phone');
});

test('the caller: name and number, the name trimmed and capped, never the number twice', () => {
  assert.equal(callerWords({ number: '1002', name: 'Alice' }), 'Alice (1002)');
  assert.equal(callerWords({ number: '1002' }), '1002');
  assert.equal(callerWords({ number: '1002', name: '1002' }), '1002');
  assert.equal(callerWords({ number: '1002', name: '   ' }), '1002');
  assert.equal(callerName({ number: '1', name: ' Bob\n  Smith ' }), 'Bob Smith');
  assert.equal(callerName({ number: '1', name: 'x'.repeat(100) }).length, 64);
  assert.equal(callerName({ number: '1', name: 7 }), '');
  assert.equal(missedCallWords({ number: '1002', name: 'Alice' }), 'Missed call from Alice (1002)');
  assert.equal(callAnnouncement({ number: '1002', name: 'Alice', direction: 'incoming', state: 'ringing' }), 'Alice (1002) is calling');
  assert.equal(callStateWords({ state: 'ended', end_reason: { message: 'Missed: Do not disturb' } }, 0), 'Call ended: Missed: Do not disturb');
});

test('auto-answer countdown: whole seconds up, "Answering…" at the end, nothing without it', () => {
  const call = { auto_answer_at: 10_000 };
  assert.equal(autoAnswerSeconds(call, 5_000), 5);
  assert.equal(autoAnswerWords(call, 5_000), 'Auto-answer in 5 s');
  assert.equal(autoAnswerWords(call, 5_001), 'Auto-answer in 5 s');
  assert.equal(autoAnswerWords(call, 9_000), 'Auto-answer in 1 s');
  assert.equal(autoAnswerWords(call, 9_001), 'Auto-answer in 1 s');
  assert.equal(autoAnswerWords(call, 10_000), 'Answering…');
  assert.equal(autoAnswerWords(call, 12_000), 'Answering…');
  assert.equal(autoAnswerSeconds({}, 0), null);
  assert.equal(autoAnswerWords({ auto_answer_at: 0 }, 0), '');
});

test('voicemail in words: the new count, "waiting" without one, nothing when none waits', async () => {
  const { voicemailWords } = await import('../lib/callview.js');
  assert.equal(voicemailWords({ voicemail: { waiting: true, new: 2, old: 8 } }), 'Voicemail: 2 new');
  assert.equal(voicemailWords({ voicemail: { waiting: true } }), 'Voicemail waiting');
  assert.equal(voicemailWords({ voicemail: { waiting: false, new: 0, old: 3 } }), '');
  assert.equal(voicemailWords({}), '');
  assert.equal(voicemailWords(null), '');
  assert.equal(voicemailWords({ voicemail: { waiting: true, new: -1 } }), 'Voicemail waiting');
});
