// WebExtension match patterns ("https://*.example.com/app/*") for the Dialer/PBX sites,
// matched here rather than by the browser because the sites come from the host's config
// at run time. Web pages only: the scheme is "*" (http or https), "http" or "https".
// Ports are ignored on both sides, as Firefox does, so "http://127.0.0.1/*" matches
// http://127.0.0.1:8080/app/ (docs/design.md, "Decided details of the session rule").

const PATTERN_RE = /^(\*|https?):\/\/([^/?#]*)(\/.*)$/i;
const MAX_PATTERN_CHARS = 2048;

/**
 * Parses a pattern.
 * @returns {{scheme: string, host: string, subdomains: boolean, path: string} | null}
 *   host "" means any host; subdomains means "*.host" (the host itself or any subdomain).
 *   null for a pattern that is not a web-page match pattern.
 */
export function parseMatchPattern(pattern) {
  if (typeof pattern !== 'string' || pattern.length === 0 || pattern.length > MAX_PATTERN_CHARS) return null;
  if (pattern === '<all_urls>') return { scheme: '*', host: '', subdomains: false, path: '/*' };
  const m = PATTERN_RE.exec(pattern);
  if (!m) return null;
  const scheme = m[1].toLowerCase();
  let host = stripPort(m[2]);
  if (host === null || host === '') return null;
  const path = m[3];
  if (host === '*') return { scheme, host: '', subdomains: false, path };
  let subdomains = false;
  if (host.startsWith('*.')) {
    subdomains = true;
    host = host.slice(2);
  }
  if (host.includes('*')) return null; // a wildcard only as the whole host or a leading "*."
  const canonical = canonicalHost(host);
  if (canonical === null) return null;
  return { scheme, host: canonical, subdomains, path };
}

/** The host without a ":port" (or ":*"); null when the port part is malformed. */
function stripPort(hostPort) {
  if (hostPort.startsWith('[')) {
    const end = hostPort.indexOf(']');
    if (end < 0) return null;
    const rest = hostPort.slice(end + 1);
    if (rest !== '' && !/^:(\d+|\*)$/.test(rest)) return null;
    return hostPort.slice(0, end + 1);
  }
  const colon = hostPort.indexOf(':');
  if (colon < 0) return hostPort;
  if (!/^:(\d+|\*)$/.test(hostPort.slice(colon))) return null;
  return hostPort.slice(0, colon);
}

/** The host as URL parsing writes it (lower case, punycode, IPv6 in brackets), or null. */
function canonicalHost(host) {
  try {
    const h = new URL(`http://${host}/`).hostname;
    return h === '' ? null : h;
  } catch {
    return null;
  }
}

/**
 * True when the path glob (only "*" is special: any run of characters) matches s.
 * Greedy with one backtrack point, so the time is at most |glob|·|s| (no regex blow-up).
 */
export function globMatch(glob, s) {
  let g = 0;
  let i = 0;
  let star = -1;
  let mark = 0;
  while (i < s.length) {
    if (g < glob.length && glob[g] === '*') {
      star = g++;
      mark = i;
    } else if (g < glob.length && glob[g] === s[i]) {
      g++;
      i++;
    } else if (star >= 0) {
      g = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (g < glob.length && glob[g] === '*') g++;
  return g === glob.length;
}

function hostMatches(p, hostname) {
  if (p.host === '') return true;
  if (hostname === p.host) return true;
  return p.subdomains && hostname.endsWith(`.${p.host}`);
}

/**
 * True when url matches the pattern (a string or parseMatchPattern's result).
 * The path part is matched against the URL's path plus its query ("/login?reason=x");
 * the fragment and the port do not count. Anything unparsable matches nothing.
 */
export function matchesPattern(pattern, url) {
  const p = typeof pattern === 'string' ? parseMatchPattern(pattern) : pattern;
  if (!p || typeof url !== 'string') return false;
  let u;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  const scheme = u.protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https') return false;
  if (p.scheme !== '*' && p.scheme !== scheme) return false;
  if (!hostMatches(p, u.hostname)) return false;
  return globMatch(p.path, u.pathname + u.search);
}

/**
 * True when a cookie's domain ("127.0.0.1", ".example.com") belongs to the pattern's
 * host: the same host, a parent domain of it, or (for "*.host") a subdomain.
 */
export function cookieDomainMatches(pattern, domain) {
  const p = typeof pattern === 'string' ? parseMatchPattern(pattern) : pattern;
  if (!p || typeof domain !== 'string' || domain === '') return false;
  const d = domain.replace(/^\./, '').toLowerCase();
  if (p.host === '') return true;
  if (d === p.host || p.host.endsWith(`.${d}`)) return true;
  return p.subdomains && d.endsWith(`.${p.host}`);
}
