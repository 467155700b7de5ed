import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SoftphoneWindow, WINDOW_KEY } from '../lib/softphonewindow.js';

class FakeStorage {
  constructor() { this.data = {}; }

  async get(k) { return k in this.data ? { [k]: this.data[k] } : {}; }

  async set(o) { Object.assign(this.data, o); }

  async remove(k) { delete this.data[k]; }
}

class FakeWindows {
  constructor() {
    this.open = new Set();
    this.created = [];
    this.updated = [];
    this.nextId = 100;
  }

  async create(o) {
    const id = this.nextId++;
    this.created.push(o);
    this.open.add(id);
    return { id };
  }

  async update(id, o) {
    if (!this.open.has(id)) throw new Error(`No window with id: ${id}.`);
    this.updated.push([id, o]);
    return { id };
  }
}

test('opens a popup window with the softphone page and keeps its id in storage.session', async () => {
  const windows = new FakeWindows();
  const storage = new FakeStorage();
  const sw = new SoftphoneWindow({ windows, storage });
  assert.deepEqual(await sw.open(), { id: 100, created: true });
  assert.deepEqual(windows.created, [{ url: 'softphone/softphone.html', type: 'popup', width: 380, height: 600 }]);
  assert.equal(storage.data[WINDOW_KEY], 100);
});

test('a second open (even from a restarted worker) focuses the window instead', async () => {
  const windows = new FakeWindows();
  const storage = new FakeStorage();
  await new SoftphoneWindow({ windows, storage }).open();
  const restarted = new SoftphoneWindow({ windows, storage });
  assert.deepEqual(await restarted.open(), { id: 100, created: false });
  assert.equal(windows.created.length, 1);
  assert.deepEqual(windows.updated, [[100, { focused: true }]]);
});

test('concurrent opens share one window', async () => {
  const windows = new FakeWindows();
  const sw = new SoftphoneWindow({ windows, storage: new FakeStorage() });
  await Promise.all([sw.open(), sw.open(), sw.open()]);
  assert.equal(windows.created.length, 1);
});

test('a stored window that was closed meanwhile is replaced', async () => {
  const windows = new FakeWindows();
  const storage = new FakeStorage();
  storage.data[WINDOW_KEY] = 7; // closed while the worker slept
  const sw = new SoftphoneWindow({ windows, storage });
  assert.deepEqual(await sw.open(), { id: 100, created: true });
  assert.equal(storage.data[WINDOW_KEY], 100);
});

test('windowRemoved forgets only our window', async () => {
  const windows = new FakeWindows();
  const storage = new FakeStorage();
  const sw = new SoftphoneWindow({ windows, storage });
  await sw.open();
  await sw.windowRemoved(55);
  assert.equal(storage.data[WINDOW_KEY], 100);
  await sw.windowRemoved(100);
  assert.equal(WINDOW_KEY in storage.data, false);
});

test('ensureOpen opens the window once and does not steal the focus from an open one', async () => {
  const windows = new FakeWindows();
  const storage = new FakeStorage();
  const sw = new SoftphoneWindow({ windows, storage });
  assert.deepEqual(await sw.ensureOpen(), { id: 100, created: true });
  assert.deepEqual(await sw.ensureOpen(), { id: 100, created: false });
  assert.equal(windows.created.length, 1);
  assert.deepEqual(windows.updated, [[100, {}]]);
});

test('close removes our window and forgets it; closing twice is harmless', async () => {
  const windows = new FakeWindows();
  windows.removed = [];
  windows.remove = async (id) => {
    if (!windows.open.delete(id)) throw new Error(`No window with id: ${id}.`);
    windows.removed.push(id);
  };
  const storage = new FakeStorage();
  const sw = new SoftphoneWindow({ windows, storage });
  assert.equal(await sw.close(), false, 'nothing open');
  await sw.open();
  assert.equal(await sw.close(), true);
  assert.deepEqual(windows.removed, [100]);
  assert.equal(WINDOW_KEY in storage.data, false);
  assert.equal(await sw.close(), false);
  storage.data[WINDOW_KEY] = 100; // the page closed itself first
  assert.equal(await sw.close(), false);
  assert.equal(WINDOW_KEY in storage.data, false);
});

test('attention: an open window is focused and draws attention; none open: it opens', async () => {
  const windows = new FakeWindows();
  const storage = new FakeStorage();
  const sw = new SoftphoneWindow({ windows, storage });
  assert.equal(await sw.attention(), 100, 'opened');
  assert.equal(windows.created.length, 1);
  assert.equal(await sw.attention(), 100);
  assert.deepEqual(windows.updated.at(-1), [100, { focused: true, drawAttention: true }]);
  windows.open.delete(100); // closed while the worker slept
  assert.equal(await sw.attention({ create: false }), null, 'a softphone page elsewhere holds the call');
  assert.equal(WINDOW_KEY in storage.data, false);
  assert.equal(await sw.attention(), 101);
});

test('attention waits for an open in flight instead of opening a second window', async () => {
  const windows = new FakeWindows();
  const sw = new SoftphoneWindow({ windows, storage: new FakeStorage() });
  const [opened, id] = await Promise.all([sw.open(), sw.attention()]);
  assert.equal(opened.id, id);
  assert.equal(windows.created.length, 1);
});

test('isFocused: the window\'s focused flag; false when none is open or it is gone', async () => {
  const windows = new FakeWindows();
  const focused = new Set();
  windows.get = async (id) => {
    if (!windows.open.has(id)) throw new Error(`No window with id: ${id}.`);
    return { id, focused: focused.has(id) };
  };
  const storage = new FakeStorage();
  const sw = new SoftphoneWindow({ windows, storage });
  assert.equal(await sw.isFocused(), false);
  await sw.open();
  assert.equal(await sw.isFocused(), false);
  focused.add(100);
  assert.equal(await sw.isFocused(), true);
  windows.open.delete(100);
  assert.equal(await sw.isFocused(), false);
  delete windows.get;
  assert.equal(await new SoftphoneWindow({ windows: new FakeWindows(), storage }).isFocused(), false);
});
