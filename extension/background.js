// The background: owns the one native port to tabphone-host, routes the pages' requests
// to it and its events to the pages (lib/hub.js), opens the softphone window when a call
// needs audio, and keeps the toolbar badge. Every listener is registered synchronously
// at the top level, so a woken service worker gets the event that woke it.

import { browser } from './lib/browser.js';
import { HOST_NAME } from './lib/protocol.js';
import { NativePort } from './lib/nativeport.js';
import { Hub } from './lib/hub.js';
import { SoftphoneWindow } from './lib/softphonewindow.js';
import { badgeFor } from './lib/badge.js';

const softphoneWindow = new SoftphoneWindow({
  windows: browser.windows,
  storage: browser.storage.session,
});

let lastBadge = null;
function showBadge(hub) {
  const b = badgeFor(hub.state, hub.hostStatus);
  if (lastBadge && lastBadge.text === b.text && lastBadge.color === b.color) return;
  lastBadge = b;
  browser.action.setBadgeText({ text: b.text }).catch(() => {});
  browser.action.setBadgeBackgroundColor({ color: b.color }).catch(() => {});
}

const hub = new Hub({
  native: null, // set below; the hub and the port refer to each other
  extensionId: browser.runtime.id,
  extensionOrigin: browser.runtime.getURL(''),
  openSoftphone: () => softphoneWindow.open(),
  onChange: showBadge,
});

const native = new NativePort({
  connect: () => browser.runtime.connectNative(HOST_NAME),
  lastError: () => browser.runtime.lastError,
  version: browser.runtime.getManifest().version,
  onEvent: (msg) => hub.onHostEvent(msg),
  onStatus: (status) => hub.onHostStatus(status),
});
hub.native = native;

browser.runtime.onConnect.addListener((port) => { hub.connectPage(port); });
// These two wake the worker when the browser starts or the extension is (re)installed;
// the phone registers as soon as the browser runs.
browser.runtime.onStartup.addListener(() => { native.start(); });
browser.runtime.onInstalled.addListener(() => { native.start(); });
browser.windows.onRemoved.addListener((windowId) => {
  softphoneWindow.windowRemoved(windowId).catch(() => {});
});

native.start();
