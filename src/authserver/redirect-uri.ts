// Redirect URIs: what a client may register (RFC 7591 §2, OAuth 2.1 "Registration Requirements")
// and how a request's redirect_uri is matched against the registration (exact string comparison,
// RFC 3986 §6.2.1, except that a loopback redirect may use any port, RFC 8252 §7.3).

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Why a redirect URI cannot be registered, or undefined when it can (catalogue DC-01, DC-02). */
export function redirectUriProblem(value: string): string | undefined {
  if (value.length > 2000) return 'is longer than 2000 characters';
  if (/[\u0000-\u0020\u007f]/.test(value)) return 'contains whitespace or control characters';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not an absolute URI';
  }
  if (url.hash || value.includes('#')) return 'must not contain a fragment';
  if (url.username || url.password) return 'must not contain credentials';
  if (url.hostname.includes('*')) return 'must not contain wildcards';
  // Port 0 asks the OS for any free port when listening; as a destination it names no listener.
  if (url.port === '0') return 'must not use port 0';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') return LOOPBACK_HOSTS.has(url.hostname) ? undefined : 'must use https unless it is a loopback address';
  // RFC 8252 §7.1: private-use schemes are reverse domain names, so they contain a period.
  const scheme = url.protocol.slice(0, -1);
  if (['javascript', 'data', 'file', 'vbscript', 'about', 'blob', 'ftp', 'ws', 'wss'].includes(scheme)) return `must not use the ${scheme}: scheme`;
  return scheme.includes('.') ? undefined : 'private-use schemes must be reverse domain names (com.example.app:/callback)';
}

/** Whether `requested` may receive the authorization response of a client registered with `registered`. */
export function redirectUriMatches(registered: string, requested: string): boolean {
  let a: URL;
  let b: URL;
  try {
    a = new URL(registered);
    b = new URL(requested);
  } catch {
    return false;
  }
  // Checked before the exact match too: a registration made before port 0 was refused must not use it.
  if (b.port === '0') return false;
  if (registered === requested) return true;
  // RFC 8252 §7.3: for loopback redirects only the port may differ; the host must be the same
  // literal (no localhost ↔ 127.0.0.1 cross-matching) and everything else byte-equal.
  if (a.protocol !== 'http:' || b.protocol !== 'http:' || !LOOPBACK_HOSTS.has(a.hostname)) return false;
  const withoutPort = (url: URL, raw: string) => raw.replace(`${url.protocol}//${url.host}`, `${url.protocol}//${url.hostname}`);
  return a.hostname === b.hostname && withoutPort(a, registered) === withoutPort(b, requested) && rawHost(requested) === b.host;
}

/** The authority exactly as written, so `127.000.000.001` (which URL normalises) never matches. */
function rawHost(value: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(value)?.[1] ?? '';
}
