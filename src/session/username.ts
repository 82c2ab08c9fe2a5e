// Username rules (catalogue SU-01..03), also the rules for wiki addresses (slugs). Usernames may become subdomains, so they follow DNS label
// rules (RFC 1035 §2.3.1) narrowed to lower-case ASCII, and never the RFC 5891 §4.2.3.1 "--" at 3–4
// (the IDNA/punycode marker).

/** One central list, checked on the normalised value. Infrastructure names and role accounts. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  'abuse',
  'account',
  'accounts',
  'admin',
  'administrator',
  'api',
  'app',
  'apps',
  'assets',
  'atproto',
  'auth',
  'billing',
  'blog',
  'cdn',
  'dashboard',
  'dev',
  'docs',
  'email',
  'ftp',
  'grpc',
  'help',
  'hostmaster',
  'imap',
  'info',
  'localhost',
  'login',
  'logout',
  'mail',
  'mcp',
  'me',
  'media',
  'metrics',
  'mx',
  'news',
  'noc',
  'ns',
  'ns1',
  'ns2',
  'oauth',
  'owner',
  'pop',
  'postmaster',
  'register',
  'robot',
  'root',
  'rpc',
  'security',
  'settings',
  'signin',
  'signup',
  'smtp',
  'staging',
  'static',
  'status',
  'support',
  'system',
  'test',
  'user',
  'users',
  'w',
  'webmaster',
  'well-known',
  'wiki',
  'wikis',
  'www',
]);

const USERNAME = /^[a-z0-9][a-z0-9-]{1,28}[a-z0-9]$/;

export type UsernameProblem = 'username_invalid' | 'username_reserved';

export interface UsernameCheck {
  ok: boolean;
  normalized: string;
  problem?: UsernameProblem;
  message?: string;
}

/**
 * Trims and lower-cases ASCII only: anything outside [a-z0-9-] (full-width, Cyrillic, Turkish İ,
 * zero-width) stays in the string and fails the pattern, instead of being folded into a look-alike.
 */
export function checkUsername(input: string, noun: 'username' | 'wiki address' = 'username'): UsernameCheck {
  const normalized = input.trim().replace(/[A-Z]/g, (c) => c.toLowerCase());
  const fail = (problem: UsernameProblem, message: string): UsernameCheck => ({ ok: false, normalized, problem, message });
  const plural = noun === 'username' ? 'Usernames' : 'Wiki addresses';
  if (normalized.length < 3 || normalized.length > 30) return fail('username_invalid', `${plural} are 3 to 30 characters long.`);
  if (!USERNAME.test(normalized)) {
    return fail('username_invalid', 'Use lower-case letters a–z, digits and hyphens; no hyphen at the start or end.');
  }
  if (normalized.slice(2, 4) === '--') return fail('username_invalid', `A ${noun} cannot have "--" as its third and fourth characters.`);
  if (RESERVED_NAMES.has(normalized)) return fail('username_reserved', `"${normalized}" is reserved. Please choose another name.`);
  return { ok: true, normalized };
}

/** A suggestion derived from the handle: `sderle` from `sderle.bsky.social` (seed 000). */
export function suggestUsername(handle: string | null): string {
  if (!handle) return '';
  const label = handle.toLowerCase().split('.')[0] ?? '';
  const candidate = label
    .replace(/[^a-z0-9-]/g, '')
    .replace(/^-+|-+$/g, '')
    .slice(0, 30)
    .replace(/-+$/, '');
  return checkUsername(candidate).ok ? candidate : '';
}
