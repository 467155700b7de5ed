// The pages' markup contract: the names end-to-end tests and users rely on, and the MV3
// rules (no inline script, no inline handlers, no remote code).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ext = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (p) => readFileSync(join(ext, p), 'utf8');
const messages = JSON.parse(read('_locales/en/messages.json'));

/**
 * The markup as a user of the English locale gets it: each data-i18n* key replaced by its
 * message (what localizePage does), so the names below are checked in English.
 */
function english(html) {
  const msg = (key) => {
    assert.ok(messages[key], `message ${key} exists`);
    return messages[key].message;
  };
  return html
    .replace(/<([a-z0-9]+)([^>]*?)\sdata-i18n="([^"]+)"([^>]*)><\/\1>/g, (m, tag, a, key, b) => `<${tag}${a}${b}>${msg(key)}</${tag}>`)
    .replace(/\sdata-i18n-(aria-label|title|placeholder)="([^"]+)"/g, (m, attr, key) => ` ${attr}="${msg(key)}"`);
}

const popupSource = read('popup/popup.html');
const softphoneSource = read('softphone/softphone.html');
const popup = english(popupSource);
const softphone = english(softphoneSource);
const options = english(read('options/options.html'));

/** The opening tag of the element with this id. */
function tagWithId(html, id) {
  const m = html.match(new RegExp(`<[a-z]+[^>]*\\sid="${id}"[^>]*>`, 'i'));
  assert.ok(m, `#${id} exists`);
  return m[0];
}

test('popup: a textbox labelled "Number"', () => {
  assert.match(popup, /<label for="number"[^>]*>Number<\/label>/);
  assert.match(tagWithId(popup, 'number'), /^<input[^>]*type="text"/);
});

test('popup: 12 dialpad buttons named by their digit (letters are aria-hidden)', () => {
  const keys = [...popup.matchAll(/<button type="button" class="key" data-key="([^"]+)">([^<]*)(<span[^>]*>[^<]*<\/span>)?<\/button>/g)];
  assert.deepEqual(keys.map((k) => k[1]), ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#']);
  for (const [, key, text, span] of keys) {
    assert.equal(text, key, 'the visible name is the digit');
    if (span) assert.match(span, /aria-hidden="true"/);
  }
});

test('popup: Dial, End call (hidden until a call), Delete', () => {
  assert.match(popup, /<button type="submit" id="dial"[^>]*>Dial<\/button>/);
  assert.match(popup, /<button type="button" id="hangup"[^>]*hidden[^>]*>End call<\/button>/);
  assert.match(tagWithId(popup, 'delete'), /aria-label="Delete"/);
  for (const id of ['registration', 'call-state', 'host-problem', 'dial-error']) tagWithId(popup, id);
});

test('softphone: one #remote-audio element, the closing warning area, End call per call', () => {
  assert.equal([...softphone.matchAll(/<audio\b/g)].length, 1);
  assert.match(tagWithId(softphone, 'remote-audio'), /^<audio[^>]*autoplay/);
  assert.match(tagWithId(softphone, 'closing-warning'), /hidden/);
  assert.match(softphone, /<template id="call-template">[\s\S]*<button type="button" class="hangup">End call<\/button>[\s\S]*<\/template>/);
});

test('softphone and popup: the close-soon warning in its own element, a countdown timer', () => {
  for (const html of [softphone, popup]) {
    assert.match(tagWithId(html, 'closing-warning'), /\shidden\b/);
    assert.match(tagWithId(html, 'closing-message'), /role="alert"/);
    const timer = tagWithId(html, 'closing-countdown');
    assert.match(timer, /role="timer"/);
    assert.match(timer, /aria-live="polite"/);
  }
});

test('popup: the no-session notice with its button named "Open the Dialer/PBX"', () => {
  assert.match(tagWithId(popup, 'no-session'), /\shidden\b/);
  assert.match(popup, /<p id="no-session-message">Open the Dialer\/PBX to use the phone<\/p>/);
  assert.match(popup, /<button type="button" id="open-dialer"[^>]*>Open the Dialer\/PBX<\/button>/);
  assert.match(popup, /<p id="no-session-login" hidden>Log in to your Dialer\/PBX<\/p>/);
});

test('pages: module scripts from the package only, no inline code', () => {
  for (const [name, html] of [['popup', popup], ['softphone', softphone], ['options', options]]) {
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.ok(scripts.length > 0);
    for (const [, attrs, body] of scripts) {
      assert.equal(body.trim(), '', `${name}: no inline script`);
      const src = attrs.match(/src="([^"]+)"/)?.[1];
      assert.ok(src && !/^[a-z]+:/i.test(src) && !src.startsWith('//'), `${name}: local src`);
      assert.match(attrs, /type="module"/);
      assert.ok(existsSync(join(ext, name, src)), `${name}: ${src} exists`);
    }
    assert.doesNotMatch(html, /\son[a-z]+=/i, `${name}: no inline event handlers`);
    assert.doesNotMatch(html, /\b(?:src|href)="(?:https?:)?\/\//i, `${name}: nothing remote`);
  }
});

test('no eval or Function constructor anywhere in the extension code', () => {
  const files = [];
  const walk = (dir) => {
    for (const e of readdirSync(join(ext, dir), { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory() && !['test', 'tools'].includes(e.name)) walk(p);
      else if (e.name.endsWith('.js')) files.push(p);
    }
  };
  walk('.');
  assert.ok(files.length > 5);
  for (const f of files) {
    const src = read(f);
    assert.doesNotMatch(src, /\beval\s*\(|new Function\s*\(|\bimportScripts\s*\(/, f);
    assert.doesNotMatch(src, /import\s[^;]*from\s+['"]https?:/, f);
  }
});

test('popup: a "Do not disturb" switch, Answer and Decline (hidden until a call rings), the recent-calls list', () => {
  const dnd = tagWithId(popup, 'dnd');
  assert.match(dnd, /^<button type="button"[^>]*role="switch"[^>]*aria-checked="false"/);
  assert.match(popup, /<button type="button" id="dnd"[^>]*>[\s\S]*?<span class="switch-track" aria-hidden="true">[\s\S]*?<span class="switch-label">Do not disturb<\/span>\s*<\/button>/);
  assert.match(popup, /<button type="button" id="answer" class="answer" hidden>Answer<\/button>/);
  assert.match(popup, /<button type="button" id="decline" class="decline" hidden>Decline<\/button>/);
  assert.match(tagWithId(popup, 'recent'), /^<ul /);
  assert.match(popup, /<h2 id="recent-heading"[^>]*>Recent calls<\/h2>/);
  assert.match(popup, /<template id="recent-template">[\s\S]*<button type="button" class="recent-call">[\s\S]*<\/template>/);
});

test('softphone: Answer and Decline per call; the sound notice says "Click to enable sound"', () => {
  assert.match(softphone, /<template id="call-template">[\s\S]*<button type="button" class="answer" hidden>Answer<\/button>[\s\S]*<\/template>/);
  assert.match(softphone, /<template id="call-template">[\s\S]*<button type="button" class="decline" hidden>Decline<\/button>[\s\S]*<\/template>/);
  assert.match(tagWithId(softphone, 'sound-blocked'), /\shidden\b/);
  assert.match(softphone, /<button type="button" id="enable-sound">Click to enable sound<\/button>/);
});

test('options: in the manifest, opened in a tab', () => {
  const manifest = JSON.parse(read('manifest.json'));
  assert.deepEqual(manifest.options_ui, { page: 'options/options.html', open_in_tab: true });
  assert.ok(manifest.optional_permissions.includes('cookies'));
  assert.deepEqual(manifest.optional_host_permissions, ['http://*/*', 'https://*/*']);
});

test('options: every field has a visible label with the agreed name', () => {
  const labelled = {
    'display-name': 'Display name',
    user: 'User',
    'auth-user': 'Auth user',
    password: 'Password',
    domain: 'Domain',
    registrar: 'Registrar',
    'outbound-proxy': 'Outbound proxy',
    transport: 'Transport',
    'auto-answer': 'Auto-answer',
    'auto-answer-seconds': 'Auto-answer after (seconds)',
    'dnd-code': 'DND reject code',
    region: 'Default region',
    'close-without-session': 'Close the softphone when no Dialer/PBX session is active',
    'open-with-session': 'Open the softphone with the Dialer/PBX',
    'ring-volume': 'Ringtone volume',
    'mic-device': 'Microphone',
    'speaker-device': 'Speaker',
    'mic-level': 'Microphone level',
  };
  for (const [id, name] of Object.entries(labelled)) {
    assert.match(options, new RegExp(`<label for="${id}">${name.replace(/[()/]/g, '\\$&')}</label>`), id);
    tagWithId(options, id);
  }
  assert.match(tagWithId(options, 'password'), /type="password"/);
  assert.doesNotMatch(tagWithId(options, 'password'), /\svalue=/, 'never prefilled');
  assert.match(tagWithId(options, 'auto-answer-seconds'), /type="number" min="0" max="60"/);
  assert.match(tagWithId(options, 'ring-volume'), /type="range" min="0" max="1"/);
  assert.match(tagWithId(options, 'transport'), /^<select/);
  assert.match(tagWithId(options, 'dnd-code'), /^<select/);
  assert.match(tagWithId(options, 'mic-level'), /^<meter/);
  assert.match(tagWithId(options, 'close-without-session'), /type="checkbox" role="switch"/);
  assert.match(options, /<fieldset id="codecs-field"[^>]*>\s*<legend>Codecs<\/legend>/);
  for (const legend of ['SIP account', 'Dialer/PBX', 'Softphone', 'Microphone and speaker']) {
    assert.match(options, new RegExp(`<legend>${legend.replace('/', '\\/')}</legend>`), legend);
  }
});

test('options: the site row template labels "Dialer/PBX address", "Match pattern", "Login page pattern", "Session cookie", and has Remove', () => {
  const tpl = options.match(/<template id="site-template">([\s\S]*?)<\/template>/)[1];
  for (const [cls, name] of [['site-url', 'Dialer/PBX address'], ['site-match', 'Match pattern'], ['site-login', 'Login page pattern'], ['site-cookie', 'Session cookie']]) {
    assert.match(tpl, new RegExp(`<label class="${cls}-label">${name.replace('/', '\\/')}</label>`), name);
  }
  assert.match(tpl, /<input type="url" class="site-url"/);
  assert.match(tpl, /<button type="button" class="site-remove">Remove<\/button>/);
  assert.match(tpl, /<fieldset class="site-fieldset">\s*<legend/);
});

test('options: Save, Test registration, Add site, Allow microphone, Play; the status lines and the welcome', () => {
  assert.match(options, /<button type="submit" id="save"[^>]*>Save<\/button>/);
  assert.match(options, /<button type="button" id="test-registration">Test registration<\/button>/);
  assert.match(options, /<button type="button" id="add-site">Add site<\/button>/);
  assert.match(options, /<button type="button" id="allow-mic">Allow microphone<\/button>/);
  assert.match(options, /<button type="button" id="play-ringtone">Play<\/button>/);
  for (const id of ['save-status', 'registration-result', 'mic-status']) assert.match(tagWithId(options, id), /role="status"/);
  assert.match(options, /<p id="welcome" class="welcome" hidden>Welcome to Tabphone: allow the microphone, then add your SIP account and your Dialer\/PBX\.<\/p>/);
});
