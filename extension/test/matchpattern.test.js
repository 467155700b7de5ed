import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseMatchPattern, matchesPattern, globMatch, cookieDomainMatches,
} from '../lib/matchpattern.js';

test('parse: scheme, host, subdomains, path', () => {
  assert.deepEqual(parseMatchPattern('https://pbx.example.com/*'), { scheme: 'https', host: 'pbx.example.com', subdomains: false, path: '/*' });
  assert.deepEqual(parseMatchPattern('*://*.Example.COM/app/*'), { scheme: '*', host: 'example.com', subdomains: true, path: '/app/*' });
  assert.deepEqual(parseMatchPattern('http://*/*'), { scheme: 'http', host: '', subdomains: false, path: '/*' });
  assert.deepEqual(parseMatchPattern('<all_urls>'), { scheme: '*', host: '', subdomains: false, path: '/*' });
  assert.deepEqual(parseMatchPattern('http://[::1]/x'), { scheme: 'http', host: '[::1]', subdomains: false, path: '/x' });
});

test('parse: ports are dropped, not refused', () => {
  assert.equal(parseMatchPattern('http://127.0.0.1:8080/*').host, '127.0.0.1');
  assert.equal(parseMatchPattern('http://127.0.0.1:*/*').host, '127.0.0.1');
  assert.equal(parseMatchPattern('http://[::1]:8080/*').host, '[::1]');
});

test('parse: what is not a web-page match pattern is null', () => {
  for (const bad of [
    '', 'pbx.example.com', 'https://pbx.example.com', 'ftp://x/*', 'file:///tmp/*', 'chrome-extension://x/*',
    'https:///path', 'https://pb*x.example.com/*', 'https://*x.example.com/*', 'https://a.*.com/*',
    'https://x:port/*', 'https://[::1/*', 'https://x.example.com:80:80/*', null, 42, `https://x/${'a'.repeat(3000)}`,
  ]) {
    assert.equal(parseMatchPattern(bad), null, String(bad).slice(0, 60));
  }
});

test('match: scheme "*" is http or https only; an explicit scheme is exact', () => {
  assert.equal(matchesPattern('*://pbx.example.com/*', 'http://pbx.example.com/'), true);
  assert.equal(matchesPattern('*://pbx.example.com/*', 'https://pbx.example.com/'), true);
  assert.equal(matchesPattern('*://pbx.example.com/*', 'ftp://pbx.example.com/'), false);
  assert.equal(matchesPattern('*://*/*', 'chrome-extension://abc/popup/popup.html'), false);
  assert.equal(matchesPattern('*://*/*', 'about:blank'), false);
  assert.equal(matchesPattern('https://pbx.example.com/*', 'http://pbx.example.com/'), false);
  assert.equal(matchesPattern('HTTP://pbx.example.com/*', 'http://pbx.example.com/'), true);
});

test('match: ports are ignored on both sides (as Firefox does)', () => {
  assert.equal(matchesPattern('http://127.0.0.1/*', 'http://127.0.0.1:8080/app/'), true);
  assert.equal(matchesPattern('http://127.0.0.1/*', 'http://127.0.0.1/app/'), true);
  assert.equal(matchesPattern('http://127.0.0.1:9999/*', 'http://127.0.0.1:8080/app/'), true);
  assert.equal(matchesPattern('https://[::1]/*', 'https://[::1]:8443/x'), true);
});

test('match: hosts: exact, "*", "*.domain" (the domain itself and its subdomains)', () => {
  assert.equal(matchesPattern('https://pbx.example.com/*', 'https://PBX.Example.com/x'), true);
  assert.equal(matchesPattern('https://pbx.example.com/*', 'https://www.pbx.example.com/x'), false);
  assert.equal(matchesPattern('https://pbx.example.com/*', 'https://pbx.example.com.evil.net/x'), false);
  assert.equal(matchesPattern('https://*.example.com/*', 'https://example.com/'), true);
  assert.equal(matchesPattern('https://*.example.com/*', 'https://a.b.example.com/'), true);
  assert.equal(matchesPattern('https://*.example.com/*', 'https://badexample.com/'), false);
  assert.equal(matchesPattern('https://*.example.com/*', 'https://example.com.evil.net/'), false);
  assert.equal(matchesPattern('https://*/*', 'https://anything.test/'), true);
  assert.equal(matchesPattern('https://bücher.example/*', 'https://xn--bcher-kva.example/'), true, 'IDN in punycode');
  assert.equal(matchesPattern('https://pbx.example.com/*', 'https://user:pw@pbx.example.com/'), true, 'user info does not count');
});

test('match: the path glob covers path and query, not the fragment', () => {
  const login = 'http://127.0.0.1/login*';
  assert.equal(matchesPattern(login, 'http://127.0.0.1:8080/login'), true);
  assert.equal(matchesPattern(login, 'http://127.0.0.1:8080/login?reason=logout'), true);
  assert.equal(matchesPattern(login, 'http://127.0.0.1:8080/app/login'), false);
  assert.equal(matchesPattern('http://x/app/*', 'http://x/app'), false);
  assert.equal(matchesPattern('http://x/app/*', 'http://x/app/'), true);
  assert.equal(matchesPattern('http://x/app', 'http://x/app?x=1'), false, 'no * means exact, query included');
  assert.equal(matchesPattern('http://x/*?mode=pbx', 'http://x/a/b?mode=pbx'), true);
  assert.equal(matchesPattern('http://x/*?mode=pbx', 'http://x/a/b?mode=pbx#frag'), true);
  assert.equal(matchesPattern('http://x/a*b*c', 'http://x/aXXbYYc'), true);
  assert.equal(matchesPattern('http://x/a*b*c', 'http://x/aXXbYYcZ'), false);
  assert.equal(matchesPattern('http://x/a.b', 'http://x/aXb'), false, 'regex characters are literal');
});

test('match: bad input matches nothing', () => {
  assert.equal(matchesPattern('not a pattern', 'http://x/'), false);
  assert.equal(matchesPattern('http://x/*', 'not a url'), false);
  assert.equal(matchesPattern('http://x/*', undefined), false);
  assert.equal(matchesPattern(null, 'http://x/'), false);
});

test('globMatch: stars, and no blow-up on long inputs', () => {
  assert.equal(globMatch('*', ''), true);
  assert.equal(globMatch('', ''), true);
  assert.equal(globMatch('', 'a'), false);
  assert.equal(globMatch('a**', 'a'), true);
  assert.equal(globMatch('*a*a*a*a*a*a*a*a*b', 'a'.repeat(5000)), false);
});

test('cookieDomainMatches: same host, parent domain, subdomains for "*."', () => {
  assert.equal(cookieDomainMatches('http://127.0.0.1/*', '127.0.0.1'), true);
  assert.equal(cookieDomainMatches('https://pbx.example.com/*', '.example.com'), true);
  assert.equal(cookieDomainMatches('https://pbx.example.com/*', 'other.example.com'), false);
  assert.equal(cookieDomainMatches('https://*.example.com/*', 'a.example.com'), true);
  assert.equal(cookieDomainMatches('https://*/*', 'any.test'), true);
  assert.equal(cookieDomainMatches('https://pbx.example.com/*', ''), false);
});
