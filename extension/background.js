// The background: owns the one native port to tabphone-host, routes the pages' requests
// to it and its events to the pages (lib/hub.js), watches the tabs for a Dialer/PBX
// session and ties the host's life to it (lib/sessionwatch.js, lib/sessionbinding.js),
// opens the softphone window when a call needs audio or a session starts, brings it up
// with a system notification for an incoming call (lib/callalerts.js), keeps the toolbar
// badge (with the missed calls not looked at yet: lib/missedcalls.js), opens the options
// page on the first install, and runs click-to-call (lib/clicktocall.js: the content
// script's messages and the "Call <selection>" menu; lib/contentscripts.js: the content
// script registered only while the user has it on, and on the Dialer/PBX sites),
// and applies what an administrator set by policy (lib/managedpolicy.js: storage.managed).
// The recent calls are the host's history; the popup reads them (lib/recentcalls.js).
// Every listener is registered synchronously at the top level, so a woken service worker
// gets the event that woke it.

import { browser } from './lib/browser.js';
import {
  HOST_NAME, PAGE, MSG, dial,
} from './lib/protocol.js';
import { NativePort } from './lib/nativeport.js';
import { Hub } from './lib/hub.js';
import { SoftphoneWindow } from './lib/softphonewindow.js';
import { SessionWatch } from './lib/sessionwatch.js';
import { SessionBinding, SITES_KEY } from './lib/sessionbinding.js';
import { badgeFor } from './lib/badge.js';
import { CallAlerts } from './lib/callalerts.js';
import { RETIRED_LOCAL_KEY } from './lib/recentcalls.js';
import { MissedCalls } from './lib/missedcalls.js';
import { WELCOME_KEY } from './lib/localsettings.js';
import { commandRequest } from './lib/shortcuts.js';
import { ClickToCall, menuItem } from './lib/clicktocall.js';
import { ContentScriptSync } from './lib/contentscripts.js';
import { CLICK_TO_CALL_KEY, readClickToCallSettings } from './lib/clicktocallsettings.js';
import {
  ManagedPolicy, clickToCallUnderPolicy, readPolicy, policySites,
} from './lib/managedpolicy.js';

/** The alarm that wakes a stopped worker (see below). */
const WAKE_ALARM = 'tabphone-wake';

const softphoneWindow = new SoftphoneWindow({
  windows: browser.windows,
  storage: browser.storage.session,
});

// Missed calls count on the badge until a popup opens (the popup shows the history).
const missed = new MissedCalls({
  storage: browser.storage.session,
  onChange: () => showBadge(hub),
  looking: () => hub.pageCount(PAGE.POPUP) > 0,
});

let lastBadge = null;
function showBadge(hub) {
  const b = badgeFor(hub.state, hub.hostStatus, missed.count);
  if (lastBadge && lastBadge.text === b.text && lastBadge.color === b.color) return;
  lastBadge = b;
  browser.action.setBadgeText({ text: b.text }).catch(() => {});
  browser.action.setBadgeBackgroundColor({ color: b.color }).catch(() => {});
}

// The hub, the port, the watch and the binding refer to each other; each is set below
// before any event can arrive (events are dispatched after this module has run).
let binding = null;

const hub = new Hub({
  native: null,
  extensionId: browser.runtime.id,
  extensionOrigin: browser.runtime.getURL(''),
  openSoftphone: () => softphoneWindow.open(),
  onChange: showBadge,
  wantHost: () => binding.wantHost(),
  // The options page needs the host to read and save the settings, session or not.
  wantSettings: () => binding.wantSettings(),
  onPageGone: (name) => {
    if (name === PAGE.OPTIONS && hub.pageCount(PAGE.OPTIONS) === 0) binding.settingsDone();
  },
});

// Incoming calls: the window rings, a notification where the window is not in front
// (buttons only where the browser has them: Chrome). The recent calls are the host's
// history, which the popup reads itself.
const alerts = new CallAlerts({
  notifications: browser.notifications ?? null,
  // Firefox defines onButtonClicked but never fires it and shows no buttons; only it has
  // runtime.getBrowserInfo.
  buttons: typeof browser.notifications?.onButtonClicked?.addListener === 'function'
    && typeof browser.runtime.getBrowserInfo !== 'function',
  iconUrl: browser.runtime.getURL('icons/icon-128.png'),
  request: (type, data) => native.request(type, data),
  softphone: {
    // A softphone page that is not our window (opened in a tab) holds the call already.
    attention: () => softphoneWindow.attention({ create: hub.pageCount(PAGE.SOFTPHONE) === 0 }),
    isFocused: () => softphoneWindow.isFocused(),
  },
});

const native = new NativePort({
  connect: () => browser.runtime.connectNative(HOST_NAME),
  lastError: () => browser.runtime.lastError,
  version: browser.runtime.getManifest().version,
  onEvent: (msg) => {
    hub.onHostEvent(msg); // the pages first: the softphone window hears `close` itself
    binding.onHostEvent(msg);
    missed.onHostEvent(msg).catch(() => {});
    alerts.onHostEvent(msg).catch((e) => console.error('tabphone: call alert failed', e));
  },
  onStatus: (status) => {
    hub.onHostStatus(status);
    binding.onHostStatus(status);
    if (!status.connected) alerts.hostGone().catch(() => {});
  },
});
hub.native = native;

const watch = new SessionWatch({
  queryTabs: (q) => browser.tabs.query(q),
  report: (active, reason) => binding.report(active, reason),
});

// Policy (storage.managed): read at the worker's start and on every change; each host
// that says hello has its config brought in line with it.
const policy = new ManagedPolicy({
  area: browser.storage.managed,
  request: (type, data) => native.request(type, data),
});

binding = new SessionBinding({
  native,
  watch,
  local: browser.storage.local,
  session: browser.storage.session,
  softphone: softphoneWindow,
  policy,
});

browser.runtime.onConnect.addListener((port) => {
  hub.connectPage(port);
  if (port?.name === PAGE.POPUP) missed.seen().catch(() => {});
});
// First run: the options page greets the user (allow the microphone, add the account and
// the Dialer/PBX); the flag tells it to show the welcome until the first save.
browser.runtime.onInstalled.addListener((details) => {
  // The recent-calls list the extension kept itself before the host's history was the
  // one source goes; nothing of it is carried over.
  if (details?.reason === 'update') browser.storage.local.remove(RETIRED_LOCAL_KEY).catch(() => {});
  if (details?.reason !== 'install') return;
  browser.storage.local.set({ [WELCOME_KEY]: true })
    .catch(() => {})
    .then(() => browser.runtime.openOptionsPage())
    .catch((e) => console.error('tabphone: could not open the options page', e));
});
// Wakes the worker when the browser starts (tabs may be restored: read them again); the
// worker's start below decides whether the host runs.
browser.runtime.onStartup.addListener(() => { binding.browserStarted(); });

browser.tabs.onCreated.addListener((tab) => { watch.tabCreated(tab); });
browser.tabs.onUpdated.addListener((tabId, changeInfo, tab) => { watch.tabUpdated(tabId, changeInfo, tab); });
browser.tabs.onRemoved.addListener((tabId) => { watch.tabRemoved(tabId); });
browser.tabs.onReplaced?.addListener(() => { watch.sync(); });
browser.notifications?.onButtonClicked?.addListener((id, index) => { alerts.buttonClicked(id, index); });
browser.notifications?.onClicked?.addListener((id) => { alerts.clicked(id); });
// Keyboard shortcuts: answer brings the window with the call's audio to the front.
browser.commands?.onCommand?.addListener((command) => {
  const req = commandRequest(command, hub.state);
  if (!req) return;
  native.request(req.type, req.data).then((reply) => {
    if (!reply.ok) console.warn('tabphone: the shortcut failed', command, reply.error);
    else if (req.type === MSG.ANSWER) softphoneWindow.attention({ create: false }).catch(() => {});
  });
});
browser.windows.onRemoved.addListener((windowId) => {
  watch.windowRemoved(windowId);
  softphoneWindow.windowRemoved(windowId).catch(() => {});
});

// The session cookie is watched only where the user granted the optional "cookies"
// permission (and the site's host permission): without it there is no cookies API.
// A grant made while the worker runs takes effect at once; later workers see the API.
let cookieListener = null;
function watchCookies() {
  if (cookieListener || !browser.cookies?.onChanged) return;
  cookieListener = (info) => { watch.cookieChanged(info); };
  browser.cookies.onChanged.addListener(cookieListener);
}
watchCookies();
browser.permissions?.onAdded?.addListener(() => { watchCookies(); });

// Click-to-call. A page's message is a request to dial from an untrusted source: the
// ClickToCall checks it, then it takes the popup's dial path (a stopped host is started
// if the session rules allow, and the softphone window opens with the call).
// The user's switches, with the ones the policy forces in their place.
const readClickToCall = async () => {
  const [settings, managed] = await Promise.all([readClickToCallSettings(browser.storage.local), readPolicy(browser.storage.managed)]);
  return clickToCallUnderPolicy(settings, managed);
};
// The configured Dialer/PBX sites (the policy's, else the ones last cached from the
// host): call links there work without the switch, unless the policy turns links off.
const readDialerSites = async () => {
  const [managed, local] = await Promise.all([readPolicy(browser.storage.managed), browser.storage.local.get(SITES_KEY)]);
  if (managed?.clickToCall?.links === false) return [];
  const sites = policySites(managed) ?? local?.[SITES_KEY];
  return Array.isArray(sites) ? sites.map((s) => s?.match).filter((m) => typeof m === 'string') : [];
};
const clickToCall = new ClickToCall({
  extensionId: browser.runtime.id,
  readSettings: readClickToCall,
  readDialerSites,
  dial: (number) => {
    if (!hub.hostStatus.connected) binding.wantHost();
    const req = dial(number);
    return native.request(req.type, req.data);
  },
  notify: (message) => {
    Promise.resolve(browser.notifications?.create(`tabphone-call-${Date.now()}`, {
      type: 'basic', iconUrl: browser.runtime.getURL('icons/icon-128.png'), title: 'Tabphone', message,
    })).catch(() => {});
  },
});
const contentScripts = new ContentScriptSync({
  scripting: browser.scripting,
  permissions: browser.permissions,
  readSettings: readClickToCall,
  readDialerSites,
});
// No answer goes back to the page (returning nothing closes the channel at once).
browser.runtime.onMessage?.addListener((msg, sender) => {
  clickToCall.onContentMessage(msg, sender).catch(() => {});
});
browser.contextMenus?.onClicked?.addListener((info) => {
  clickToCall.onMenuClick(info).catch(() => {});
});
function createMenu() {
  const menus = browser.contextMenus;
  if (!menus) return;
  Promise.resolve(menus.removeAll())
    .then(() => menus.create(menuItem(), () => { void browser.runtime.lastError; }))
    .catch((e) => console.error('tabphone: no "Call" menu item', e));
}
browser.runtime.onInstalled.addListener(() => { createMenu(); });
browser.runtime.onStartup.addListener(() => { createMenu(); });
browser.storage.onChanged?.addListener((changes, area) => {
  if (area === 'local' && changes && (Object.hasOwn(changes, CLICK_TO_CALL_KEY) || Object.hasOwn(changes, SITES_KEY))) contentScripts.sync();
  if (area === 'managed') {
    contentScripts.sync();
    binding.policyChanged().catch((e) => console.error('tabphone: the new policy was not applied', e));
  }
});
browser.permissions?.onAdded?.addListener(() => { contentScripts.sync(); });
browser.permissions?.onRemoved?.addListener(() => { contentScripts.sync(); });
contentScripts.sync();

missed.load();
// A worker the browser stopped by force (it does not stop one with an open native port on
// its own) while no page of ours was open has no host behind it, and nothing else may
// wake it: this alarm does, within 30 s, and the worker's start (binding.init below)
// brings the phone back as the session rules allow. An existing alarm keeps its times.
browser.alarms?.onAlarm?.addListener(() => {});
Promise.resolve(browser.alarms?.get(WAKE_ALARM))
  .then((a) => a || browser.alarms?.create(WAKE_ALARM, { periodInMinutes: 0.5 }))
  .catch((e) => console.warn('tabphone: no wake alarm', e));

binding.init().catch((e) => {
  console.error('tabphone: session binding failed to start; starting the phone unbound', e);
  native.start();
});
