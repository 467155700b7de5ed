// `make demo`: the dev PBX and demo Dialer/PBX app, the phone's config for user 1001,
// and Chromium with the extension, logged in and ready to call 600 (echo) or 601 (tone).
import { mkdirSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  root, startDevpbx, writeHostConfig, launch, randomPassword, EXTENSION_ID,
} from './harness.mjs';
import { prepareDemoProfile } from './demoprofile.mjs';

const dir = join(root, '.demo');
mkdirSync(dir, { recursive: true, mode: 0o700 });

// Passwords are made once per checkout and kept in .demo/ (ignored by git).
const secrets = join(dir, 'passwords.json');
const users = existsSync(secrets)
  ? JSON.parse(readFileSync(secrets, 'utf8'))
  : { 1001: randomPassword(), 1002: randomPassword() };
writeFileSync(secrets, JSON.stringify(users), { mode: 0o600 });

const headless = !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
if (headless) {
  console.error('demo: no display found (DISPLAY is not set): Chromium runs headless; run `make demo` in a desktop session to use it.');
}

// The usual ports when they are free, any free ports otherwise.
const pbx = await startDevpbx(dir, users, { sip: '127.0.0.1:5060', http: '127.0.0.1:8080' })
  .catch(() => startDevpbx(dir, users));
console.log(`Dev PBX: SIP ${pbx.sip}, Dialer/PBX app ${pbx.base}/`);
for (const [u, p] of Object.entries(users)) console.log(`  user ${u} password ${p}`);
console.log('Call 600 for the echo test, 601 for a 1 kHz tone.');

writeHostConfig(join(dir, 'config'), { user: '1001', password: users[1001], sip: pbx.sip, codecs: ['opus', 'g722', 'pcmu', 'pcma'] });
// A second run must not greet with "Restore pages?" (a demo usually ends with Ctrl-C,
// which Chromium records as a crash), and the Tabphone button is pinned.
prepareDemoProfile(join(dir, 'profile'), EXTENSION_ID);
const b = await launch({ dir, headless, args: ['--hide-crash-restore-bubble'] });

// Log in to the demo Dialer/PBX app, as the agent would at the start of a shift.
const app = b.ctx.pages()[0] ?? await b.ctx.newPage();
await app.goto(`${pbx.base}/login`);
await app.locator('input[name=user]').fill('1001');
await app.locator('input[name=password]').fill(users[1001]);
await Promise.all([app.waitForURL('**/app/**'), app.locator('form').evaluate((f) => f.requestSubmit())]);
const popup = await b.ctx.newPage();
await popup.goto(b.url('popup/popup.html'));
console.log('Chromium is open: use the Tabphone button in the toolbar (the popup is also open in a tab).');

const stop = async () => {
  await b.close();
  pbx.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
b.ctx.on('close', () => { pbx.stop(); process.exit(0); });
if (headless) {
  await popup.screenshot({ path: join(dir, 'popup.png') });
  console.log(`Headless: a screenshot of the popup is in ${join(dir, 'popup.png')}; Ctrl-C to stop.`);
}
