import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CallAlerts, buttonRequest, callIdOfIncoming, incomingNotificationId, incomingOptions, missedOptions,
} from '../lib/callalerts.js';
import { useI18n } from '../lib/i18n.js';
import { fakeI18n } from './fakei18n.js';

useI18n(fakeI18n()); // the English of _locales/en

const ICON = 'chrome-extension://x/icons/icon-128.png';

class FakeNotifications {
  constructor() {
    this.shown = new Map();
    this.created = [];
    this.cleared = [];
  }

  async create(id, o) {
    this.shown.set(id, o);
    this.created.push([id, o]);
    return id;
  }

  async clear(id) {
    this.cleared.push(id);
    return this.shown.delete(id);
  }

  async getAll() { return Object.fromEntries(this.shown); }
}

function setup({ focused = false, buttons = true, notifications = new FakeNotifications() } = {}) {
  const requests = [];
  const attention = [];
  const softphone = {
    focused,
    focusOnAttention: false,
    async attention() { attention.push(1); if (this.focusOnAttention) this.focused = true; return 500; },
    async isFocused() { return this.focused; },
  };
  const alerts = new CallAlerts({
    notifications,
    buttons,
    iconUrl: ICON,
    request: async (type, data) => { requests.push({ type, data }); return { ok: true, data: {} }; },
    softphone,
    log: { warn() {}, error() {} },
  });
  return { alerts, notifications, requests, attention, softphone };
}

const ringing = (id = 'c1', extra = {}) => ({
  id, account: 'work', direction: 'incoming', number: '1002', name: 'Alice', state: 'ringing', started_at: 1000, ...extra,
});
const callEvent = (call) => ({ type: 'call', data: { call } });
const incomingEvent = (call) => ({ type: 'incoming', data: { call } });

test('notification ids and buttons: index 0 answers, 1 declines', () => {
  assert.equal(incomingNotificationId('c7'), 'tabphone-incoming:c7');
  assert.equal(callIdOfIncoming('tabphone-incoming:c7'), 'c7');
  assert.equal(callIdOfIncoming('tabphone-missed:c7@1'), null);
  assert.equal(callIdOfIncoming('tabphone-incoming:'), null);
  assert.equal(callIdOfIncoming(undefined), null);
  assert.deepEqual(buttonRequest('tabphone-incoming:c7', 0), { type: 'answer', data: { call_id: 'c7' } });
  assert.deepEqual(buttonRequest('tabphone-incoming:c7', 1), { type: 'decline', data: { call_id: 'c7' } });
  assert.equal(buttonRequest('tabphone-incoming:c7', 2), null);
  assert.equal(buttonRequest('other', 0), null);
});

test('notification options: buttons Answer/Decline in Chrome, a click hint in Firefox', () => {
  const chrome = incomingOptions(ringing(), { iconUrl: ICON, buttons: true });
  assert.deepEqual(chrome, {
    type: 'basic',
    iconUrl: ICON,
    title: 'Incoming call',
    message: 'Alice (1002)',
    buttons: [{ title: 'Answer' }, { title: 'Decline' }],
    requireInteraction: true,
    silent: true,
    priority: 2,
  });
  const firefox = incomingOptions(ringing('c1', { name: undefined }), { iconUrl: ICON, buttons: false });
  assert.deepEqual(firefox, { type: 'basic', iconUrl: ICON, title: 'Incoming call', message: '1002 — click to open Tabphone' });
  assert.equal(missedOptions(ringing(), { iconUrl: ICON }).message, 'Missed call from Alice (1002)');
});

test('incoming, window not focused: window brought up, then a notification; gone when answered', async () => {
  const t = setup();
  await t.alerts.onHostEvent(callEvent(ringing()));
  await t.alerts.onHostEvent(incomingEvent(ringing()));
  assert.equal(t.attention.length, 1);
  assert.deepEqual(t.notifications.created.map(([id]) => id), ['tabphone-incoming:c1']);
  assert.deepEqual(t.notifications.created[0][1].buttons, [{ title: 'Answer' }, { title: 'Decline' }]);
  await t.alerts.onHostEvent(callEvent(ringing('c1', { state: 'connected', answered_at: 2000 })));
  assert.equal(t.notifications.shown.size, 0);
  assert.ok(t.notifications.cleared.includes('tabphone-incoming:c1'));
});

test('incoming, window behind: a notification even though the attention request focused it', async () => {
  const t = setup();
  t.softphone.focusOnAttention = true; // Chromium reports the window focused at once
  await t.alerts.onHostEvent(incomingEvent(ringing()));
  assert.equal(t.attention.length, 1);
  assert.deepEqual(t.notifications.created.map(([id]) => id), ['tabphone-incoming:c1']);
});

test('incoming, window already in front when the call came: no notification', async () => {
  const t = setup({ focused: true });
  await t.alerts.onHostEvent(incomingEvent(ringing()));
  assert.equal(t.attention.length, 1);
  assert.equal(t.notifications.created.length, 0);
});

test('Answer button: answer sent for that call, the window focused, the notification cleared', async () => {
  const t = setup();
  await t.alerts.onHostEvent(incomingEvent(ringing('c9')));
  t.attention.length = 0;
  await t.alerts.buttonClicked('tabphone-incoming:c9', 0);
  assert.deepEqual(t.requests, [{ type: 'answer', data: { call_id: 'c9' } }]);
  assert.equal(t.attention.length, 1);
  assert.equal(t.notifications.shown.size, 0);
});

test('Decline button: decline sent, the window left alone', async () => {
  const t = setup();
  await t.alerts.onHostEvent(incomingEvent(ringing('c9')));
  t.attention.length = 0;
  await t.alerts.buttonClicked('tabphone-incoming:c9', 1);
  assert.deepEqual(t.requests, [{ type: 'decline', data: { call_id: 'c9' } }]);
  assert.equal(t.attention.length, 0);
  await t.alerts.buttonClicked('tabphone-missed:c9@1', 0);
  assert.equal(t.requests.length, 1, 'other notifications have no buttons to act on');
});

test('Firefox (no buttons): clicking the notification focuses the window', async () => {
  const t = setup({ buttons: false });
  await t.alerts.onHostEvent(incomingEvent(ringing()));
  assert.equal(t.notifications.created[0][1].buttons, undefined);
  t.attention.length = 0;
  await t.alerts.clicked('tabphone-incoming:c1');
  assert.equal(t.attention.length, 1);
  assert.equal(t.notifications.shown.size, 0);
  assert.equal(t.requests.length, 0, 'a click does not answer');
});

test('the caller hangs up: the incoming notification goes, a missed-call one comes', async () => {
  const t = setup();
  await t.alerts.onHostEvent(incomingEvent(ringing()));
  await t.alerts.onHostEvent(callEvent(ringing('c1', { state: 'ended', ended_at: 5000, end_reason: { message: 'Missed call' } })));
  assert.deepEqual([...t.notifications.shown.keys()], ['tabphone-missed:c1@1000']);
  assert.equal(t.notifications.shown.get('tabphone-missed:c1@1000').message, 'Missed call from Alice (1002)');
  await t.alerts.clicked('tabphone-missed:c1@1000');
  assert.equal(t.notifications.shown.size, 0);
});

test('declined or answered calls: no missed-call notification; DND (quiet on purpose): none either', async () => {
  const t = setup();
  await t.alerts.onHostEvent(callEvent(ringing('a', { state: 'ended', end_reason: { sip_code: 486, message: 'Declined' } })));
  await t.alerts.onHostEvent(callEvent(ringing('b', { state: 'ended', answered_at: 1500, end_reason: { message: 'Call ended' } })));
  await t.alerts.onHostEvent(callEvent(ringing('c', { state: 'ended', started_at: 3000, end_reason: { sip_code: 486, message: 'Missed: Do not disturb' } })));
  await t.alerts.onHostEvent(callEvent({ id: 'd', direction: 'outgoing', number: '600', state: 'ended', started_at: 4000 }));
  assert.equal(t.notifications.created.length, 0);
});

test('a call that stops ringing while the notification is being made: cleared after all', async () => {
  const t = setup();
  const create = t.notifications.create.bind(t.notifications);
  t.notifications.create = async (id, o) => {
    await t.alerts.onHostEvent(callEvent(ringing('c1', { state: 'connected', answered_at: 2 })));
    return create(id, o);
  };
  await t.alerts.onHostEvent(incomingEvent(ringing()));
  assert.equal(t.notifications.shown.size, 0);
});

test('a state snapshot without the ringing call clears its notification (e.g. after a worker restart)', async () => {
  const t = setup();
  await t.alerts.onHostEvent(incomingEvent(ringing('c1')));
  await t.alerts.onHostEvent(incomingEvent(ringing('c2')));
  await t.alerts.onHostEvent({ type: 'state', data: { accounts: [], status: 'available', calls: [ringing('c2')] } });
  assert.deepEqual([...t.notifications.shown.keys()], ['tabphone-incoming:c2']);
  await t.alerts.hostGone();
  assert.equal(t.notifications.shown.size, 0);
});

test('no notifications API: the window still comes up', async () => {
  const t = setup({ notifications: null });
  await t.alerts.onHostEvent(incomingEvent(ringing()));
  await t.alerts.onHostEvent(callEvent(ringing('c1', { state: 'ended', end_reason: { message: 'Missed call' } })));
  assert.equal(t.attention.length, 1);
});

test('events that are not calls are ignored', async () => {
  const t = setup();
  await t.alerts.onHostEvent({ type: 'incoming', data: { call: { id: 'x', direction: 'outgoing', state: 'ringing' } } });
  await t.alerts.onHostEvent({ type: 'incoming' });
  await t.alerts.onHostEvent(null);
  await t.alerts.onHostEvent({ type: 'beep', data: { call_id: 'c1' } });
  assert.equal(t.attention.length, 0);
  assert.equal(t.notifications.created.length, 0);
});
