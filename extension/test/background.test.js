// background.js itself against a fake browser: its listeners are registered at the top
// level, and bound to a Dialer/PBX it starts the host only with a session and lets it go
// after `close`. The test plays the browser and the host. The scenarios run in order
// (one worker per file: the module keeps its state).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  FakeEvent, FakePort, FakeStorage, flush,
} from './fakes.js';
import { fakeI18n } from './fakei18n.js';

const EXT_ID = 'fofiikfolgbiahjjnmckkiaefainepgm';
const SITE = { url: 'http://127.0.0.1:8080/app/', match: 'http://127.0.0.1/*', login: 'http://127.0.0.1/login*' };
const APP = 'http://127.0.0.1:8080/app/';
const WARNING = 'Window will be closed soon, since there is no active session';

const hostPorts = [];
const windows = {
  created: [], removed: [], updated: [], open: new Set(), focused: new Set(), nextId: 500,
};
const notes = { created: [], cleared: [], shown: new Map() };
let chrome;
let listenersAtImport;

function event() { return new FakeEvent(); }

before(async () => {
  chrome = {
    i18n: fakeI18n(),
    runtime: {
      id: EXT_ID,
      lastError: undefined,
      getURL: (p) => `chrome-extension://${EXT_ID}/${p}`,
      getManifest: () => ({ version: '0.1.0' }),
      connectNative: (name) => {
        assert.equal(name, 'com.tabphone.host');
        const p = new FakePort();
        hostPorts.push(p);
        return p;
      },
      onConnect: event(),
      onStartup: event(),
      onInstalled: event(),
      onMessage: event(),
      optionsOpened: 0,
      async openOptionsPage() { chrome.runtime.optionsOpened++; },
    },
    action: { setBadgeText: async () => {}, setBadgeBackgroundColor: async () => {} },
    storage: {
      local: new FakeStorage({ sessionSites: [SITE] }), // bound since an earlier run
      session: new FakeStorage(),
      onChanged: event(),
    },
    alarms: {
      made: new Map(),
      onAlarm: event(),
      async get(name) { return chrome.alarms.made.get(name); },
      async create(name, info) { chrome.alarms.made.set(name, { name, ...info }); },
    },
    contextMenus: {
      items: [],
      onClicked: event(),
      async removeAll() { chrome.contextMenus.items = []; },
      create(item, done) { chrome.contextMenus.items.push(item); done?.(); return item.id; },
    },
    scripting: {
      registered: [],
      async getRegisteredContentScripts({ ids }) { return chrome.scripting.registered.filter((r) => ids.includes(r.id)); },
      async registerContentScripts(list) { chrome.scripting.registered.push(...list); },
      async unregisterContentScripts({ ids }) { chrome.scripting.registered = chrome.scripting.registered.filter((r) => !ids.includes(r.id)); },
    },
    windows: {
      onRemoved: event(),
      async create(o) {
        const id = windows.nextId++;
        windows.created.push(o);
        windows.open.add(id);
        return { id };
      },
      async update(id, o) {
        if (!windows.open.has(id)) throw new Error(`No window with id: ${id}.`);
        windows.updated.push([id, o]);
        return { id };
      },
      async get(id) {
        if (!windows.open.has(id)) throw new Error(`No window with id: ${id}.`);
        return { id, focused: windows.focused.has(id) };
      },
      async remove(id) {
        if (!windows.open.delete(id)) throw new Error(`No window with id: ${id}.`);
        windows.removed.push(id);
      },
    },
    tabs: {
      list: [{ id: 1, windowId: 1, url: 'https://example.org/', status: 'complete' }],
      async query() { return chrome.tabs.list; },
      onCreated: event(),
      onUpdated: event(),
      onRemoved: event(),
      onReplaced: event(),
    },
    cookies: { onChanged: event() },
    notifications: {
      async create(id, o) { notes.created.push([id, o]); notes.shown.set(id, o); return id; },
      async clear(id) { notes.cleared.push(id); return notes.shown.delete(id); },
      async getAll() { return Object.fromEntries(notes.shown); },
      onButtonClicked: event(),
      onClicked: event(),
    },
    permissions: {
      granted: false, onAdded: event(), onRemoved: event(), async contains() { return chrome.permissions.granted; },
    },
  };
  globalThis.chrome = chrome;
  await import('../background.js');
  listenersAtImport = {
    created: chrome.tabs.onCreated.listeners.length,
    updated: chrome.tabs.onUpdated.listeners.length,
    removed: chrome.tabs.onRemoved.listeners.length,
    windowRemoved: chrome.windows.onRemoved.listeners.length,
    startup: chrome.runtime.onStartup.listeners.length,
    installed: chrome.runtime.onInstalled.listeners.length,
    connect: chrome.runtime.onConnect.listeners.length,
    cookies: chrome.cookies.onChanged.listeners.length,
    notificationButtons: chrome.notifications.onButtonClicked.listeners.length,
    notificationClicks: chrome.notifications.onClicked.listeners.length,
    message: chrome.runtime.onMessage.listeners.length,
    menuClicks: chrome.contextMenus.onClicked.listeners.length,
    alarms: chrome.alarms.onAlarm.listeners.length,
    storageChanged: chrome.storage.onChanged.listeners.length,
    permissionsAdded: chrome.permissions.onAdded.listeners.length,
    permissionsRemoved: chrome.permissions.onRemoved.listeners.length,
  };
  for (let i = 0; i < 5; i++) await flush(); // storage and tabs.query answer
});

const host = () => hostPorts.at(-1);

/** The host answers every request it has not answered yet. */
async function hostAnswers(p = host(), data = {}) {
  for (const m of p.sent) {
    if (m.id && !m.answered) {
      m.answered = true;
      p.receive({ type: 'reply', id: m.id, ok: true, data: m.type === 'hello' ? { protocol: 1, version: '0.1.0' } : data });
    }
  }
  for (let i = 0; i < 3; i++) await flush();
}

test('every listener is registered when the module has run (before any await)', () => {
  assert.deepEqual(listenersAtImport, {
    created: 1, updated: 1, removed: 1, windowRemoved: 1, startup: 2, installed: 2, connect: 1, cookies: 1,
    notificationButtons: 1, notificationClicks: 1, message: 1, menuClicks: 1, storageChanged: 1,
    permissionsAdded: 2, permissionsRemoved: 1, alarms: 1,
  });
});

test('the wake alarm exists: a worker stopped by force with no page open is woken every 30 s', async () => {
  await flush();
  assert.deepEqual(chrome.alarms.made.get('tabphone-wake'), { name: 'tabphone-wake', periodInMinutes: 0.5 });
});

test('bound, no Dialer/PBX tab at worker start: the host is not started', async () => {
  assert.equal(hostPorts.length, 0);
  chrome.runtime.onStartup.emit();
  for (let i = 0; i < 3; i++) await flush();
  assert.equal(hostPorts.length, 0);
});

test('a Dialer/PBX tab with a session: the host starts, hears tab_open, the window opens with the session', async () => {
  const tab = { id: 2, windowId: 1, url: APP, status: 'complete' };
  chrome.tabs.list.push(tab);
  chrome.tabs.onUpdated.emit(2, { status: 'complete', url: APP }, tab);
  assert.equal(hostPorts.length, 1);
  await hostAnswers(); // hello
  await hostAnswers(); // state_get, session
  assert.deepEqual(host().ofType('session').map((m) => m.data), [{ active: true, reason: 'tab_open' }]);
  host().receive({ type: 'state', data: { accounts: [], status: 'available', calls: [], session: { state: 'active', sites: [SITE] } } });
  for (let i = 0; i < 5; i++) await flush();
  assert.equal(windows.created.length, 1);
  assert.equal(windows.created[0].url, 'softphone/softphone.html');
});

test('the last tab closed: tabs_closed; close: the window is removed, the host closes its port, no reconnect', async () => {
  chrome.tabs.list = chrome.tabs.list.filter((t) => t.id !== 2);
  chrome.tabs.onRemoved.emit(2, { windowId: 1, isWindowClosing: false });
  const p = host();
  assert.deepEqual(p.ofType('session').map((m) => m.data).at(-1), { active: false, reason: 'tabs_closed' });
  await hostAnswers(p);
  p.receive({ type: 'closing_soon', data: { message: WARNING, reason: 'tabs_closed', deadline: Date.now() + 5000, seconds: 5 } });
  p.receive({ type: 'close', data: { reason: 'tabs_closed' } });
  for (let i = 0; i < 5; i++) await flush();
  assert.deepEqual(windows.removed, [500]);
  assert.equal(p.disconnected, false, 'the host is still hanging up and unregistering');
  p.drop('Native host has exited.');
  for (let i = 0; i < 3; i++) await flush();
  assert.equal(hostPorts.length, 1);
  assert.equal(chrome.storage.session.data.hostClosed, true);
});

test('after close a page opening does not start the host (bound); the cookie API is fed to the watch', async () => {
  const page = new FakePort({ name: 'popup', sender: { id: EXT_ID, url: `chrome-extension://${EXT_ID}/popup/popup.html` } });
  chrome.runtime.onConnect.emit(page);
  const status = page.last('host').data;
  assert.equal(status.stopped, true);
  assert.equal(status.code, 'no_session');
  assert.equal(status.session.state, 'closed');
  assert.deepEqual(status.session.sites, [SITE]);
  assert.equal(hostPorts.length, 1, "still the one closed host");
  chrome.cookies.onChanged.emit({ removed: true, cause: 'explicit', cookie: { name: 'X', domain: '127.0.0.1' } });
  page.drop();
});

test('a session again: a new host', async () => {
  const tab = { id: 3, windowId: 1, url: APP, status: 'loading' };
  chrome.tabs.list.push(tab);
  chrome.tabs.onCreated.emit(tab);
  assert.equal(hostPorts.length, 2);
  await hostAnswers();
  await hostAnswers();
  assert.deepEqual(host().ofType('session').map((m) => m.data), [{ active: true, reason: 'tab_open' }]);
});

test('an incoming call: the window comes up and is focused, a notification with Answer/Decline; its Answer answers', async () => {
  const ringing = { id: 'c1', account: 'work', direction: 'incoming', number: '1002', name: 'Alice', state: 'ringing', started_at: 1000 };
  host().receive({ type: 'state', data: { accounts: [], status: 'available', calls: [], session: { state: 'active', sites: [SITE] } } });
  for (let i = 0; i < 5; i++) await flush();
  const windowsBefore = windows.created.length;
  host().receive({ type: 'call', data: { call: ringing } });
  host().receive({ type: 'incoming', data: { call: ringing } });
  for (let i = 0; i < 8; i++) await flush();
  const id = [...windows.open].at(-1);
  assert.ok(windows.created.length >= windowsBefore, 'the window is open');
  assert.deepEqual(windows.updated.filter(([, o]) => o.drawAttention).at(-1), [id, { focused: true, drawAttention: true }]);
  assert.deepEqual(notes.created.map(([nid]) => nid), ['tabphone-incoming:c1'], 'the window is not focused (the window manager said no)');
  assert.deepEqual(notes.created[0][1].buttons, [{ title: 'Answer' }, { title: 'Decline' }]);
  assert.equal(notes.created[0][1].iconUrl, `chrome-extension://${EXT_ID}/icons/icon-128.png`);
  chrome.notifications.onButtonClicked.emit('tabphone-incoming:c1', 0);
  for (let i = 0; i < 3; i++) await flush();
  assert.deepEqual(host().last('answer').data, { call_id: 'c1' });
  assert.equal(notes.shown.size, 0);
  await hostAnswers();
  host().receive({ type: 'call', data: { call: { ...ringing, state: 'connected', answered_at: 2000 } } });
  host().receive({ type: 'call', data: { call: { ...ringing, state: 'ended', answered_at: 2000, ended_at: 3000 } } });
  for (let i = 0; i < 5; i++) await flush();
  assert.equal(chrome.storage.local.data.recentCalls, undefined, 'the recent calls are the host\'s history, not kept here');
});

test('a missed call: "Missed call from …"', async () => {
  const call = { id: 'c2', account: 'work', direction: 'incoming', number: '1003', state: 'ringing', started_at: 5000 };
  windows.focused.add([...windows.open].at(-1));
  host().receive({ type: 'call', data: { call } });
  host().receive({ type: 'incoming', data: { call } });
  for (let i = 0; i < 8; i++) await flush();
  assert.equal(notes.created.length, 1, 'the window has the focus: no incoming notification');
  host().receive({ type: 'call', data: { call: { ...call, state: 'ended', end_reason: { message: 'Missed call' } } } });
  for (let i = 0; i < 5; i++) await flush();
  assert.deepEqual(notes.created.at(-1), ['tabphone-missed:c2@5000', {
    type: 'basic', iconUrl: `chrome-extension://${EXT_ID}/icons/icon-128.png`, title: 'Tabphone', message: 'Missed call from 1003',
  }]);
  assert.equal(chrome.storage.local.data.recentCalls, undefined);
  // Let this worker end: the host closes once more.
  chrome.tabs.onRemoved.emit(3, { windowId: 1, isWindowClosing: false });
  await hostAnswers();
  host().receive({ type: 'close', data: { reason: 'tabs_closed' } });
  host().drop();
  for (let i = 0; i < 3; i++) await flush();
});

test('first install: the options page opens with the welcome; an update opens nothing and drops the old recent-calls list', async () => {
  await chrome.storage.local.set({ recentCalls: [{ key: 'c1@1', number: '600', direction: 'outgoing', at: 1, missed: false }] });
  chrome.runtime.onInstalled.emit({ reason: 'update', previousVersion: '0.0.9' });
  for (let i = 0; i < 3; i++) await flush();
  assert.equal(chrome.runtime.optionsOpened, 0);
  assert.equal(Object.hasOwn(chrome.storage.local.data, 'recentCalls'), false, 'removed, not carried over');
  assert.deepEqual(chrome.storage.local.data.sessionSites, [SITE], 'the other settings stay');
  chrome.runtime.onInstalled.emit({ reason: 'install' });
  for (let i = 0; i < 3; i++) await flush();
  assert.equal(chrome.runtime.optionsOpened, 1);
  assert.equal(chrome.storage.local.data.showWelcome, true);
});

test('the options page reading the settings starts the host without a session; closing it stops the host again', async () => {
  // Bound (cached sites) and no Dialer/PBX tab: after the scenarios above nothing runs.
  chrome.tabs.list.length = 0;
  for (const id of [2, 3, 4]) chrome.tabs.onRemoved.emit(id);
  for (let i = 0; i < 3; i++) await flush();
  const before = hostPorts.length;
  const options = new FakePort({ name: 'options', sender: { id: EXT_ID, url: `chrome-extension://${EXT_ID}/options/options.html` } });
  chrome.runtime.onConnect.emit(options);
  assert.equal(hostPorts.length, before, 'opening the page alone starts nothing');
  options.receive({ type: 'config_get', id: 1 });
  assert.equal(hostPorts.length, before + 1, 'the host starts for the settings');
  await hostAnswers(host(), { accounts: [], sites: [SITE] }); // hello
  host().receive({ type: 'state', data: { accounts: [], status: 'available', calls: [], session: { state: 'waiting', sites: [SITE] } } });
  await hostAnswers(host(), { accounts: [], sites: [SITE] });
  assert.equal(options.last('reply').id, 1);
  assert.equal(options.last('reply').ok, true);
  assert.deepEqual(host().ofType('session').map((m) => m.data.active), [false], 'no session: nothing registers');
  const settingsHost = host();
  options.drop();
  assert.equal(settingsHost.disconnected, true, 'the host goes with the last options page');
});

test('click-to-call: the menu item is made on install; turning it on with the permission registers the content script', async () => {
  assert.deepEqual(chrome.contextMenus.items.map((i) => i.id), ['tabphone-call-selection']);
  assert.deepEqual(chrome.scripting.registered, []);
  await chrome.storage.local.set({ clickToCall: { links: true, detect: false, region: '' } });
  chrome.storage.onChanged.emit({ clickToCall: { newValue: { links: true } } }, 'local');
  for (let i = 0; i < 5; i++) await flush();
  assert.deepEqual(chrome.scripting.registered, [], 'no host permission yet');
  chrome.permissions.granted = true;
  chrome.permissions.onAdded.emit({ origins: ['http://*/*', 'https://*/*'] });
  for (let i = 0; i < 8; i++) await flush();
  assert.deepEqual(chrome.scripting.registered.map((r) => [r.id, r.js]), [['tabphone-clicktocall', ['content/clicktocall.js']]]);
});

test('click-to-call: a link message from a content script dials through the host; a forged sender does not', async () => {
  const tab = { id: 5, windowId: 1, url: APP, status: 'complete' };
  chrome.tabs.list.push(tab);
  chrome.tabs.onUpdated.emit(5, { status: 'complete', url: APP }, tab);
  await hostAnswers(); // hello
  await hostAnswers(); // state_get, session
  const sender = { id: EXT_ID, url: 'https://crm.example.com/', tab: { id: 9 }, frameId: 0 };
  chrome.runtime.onMessage.emit({ type: 'call_link', data: { uri: 'tel:600' } }, { ...sender, tab: undefined });
  chrome.runtime.onMessage.emit({ type: 'call_link', data: { uri: 'tel:600' } }, { ...sender, id: 'another-extension' });
  chrome.runtime.onMessage.emit({ type: 'call_number', data: { number: '+442079460958' } }, sender); // detection is off
  for (let i = 0; i < 8; i++) await flush();
  assert.equal(host().ofType('dial').length, 0);
  chrome.runtime.onMessage.emit({ type: 'call_link', data: { uri: 'tel:600' } }, sender);
  for (let i = 0; i < 8; i++) await flush();
  assert.deepEqual(host().ofType('dial').map((m) => m.data), [{ number: '600' }]);
  // Let this worker end: the tab goes, the host closes.
  chrome.tabs.list.length = 0;
  chrome.tabs.onRemoved.emit(5, { windowId: 1, isWindowClosing: false });
  await hostAnswers();
  host().receive({ type: 'close', data: { reason: 'tabs_closed' } });
  host().drop();
  for (let i = 0; i < 3; i++) await flush();
});
