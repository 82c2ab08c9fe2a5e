// What a person may type into the login box: `alice.bsky.social`, `@alice.bsky.social`, a DID, or a
// PDS / entryway URL. Bad syntax and reserved TLDs are refused here, before any network I/O
// (catalogue AT-04), with a message the person can act on.

export type LoginInput = { kind: 'handle'; value: string } | { kind: 'did'; value: string } | { kind: 'service'; value: string };

export class LoginInputError extends Error {
  override name = 'LoginInputError';
}

// atproto Handle spec, "Handle Identifier Syntax".
const HANDLE = /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
// atproto Handle spec: TLDs that must never resolve. `.test` is for development networks only.
const DISALLOWED_TLDS = new Set(['alt', 'arpa', 'example', 'internal', 'invalid', 'local', 'localhost', 'onion']);
const DID = /^did:(plc:[a-z2-7]{24}|web:[a-zA-Z0-9._%-]+(%3[aA]\d+)?)$/;
// C0 and C1 controls, DEL, and the invisible format characters (zero-width, bidi overrides).
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]/g;

export function parseLoginInput(raw: string, { allowTestTld }: { allowTestTld: boolean }): LoginInput {
  const input = raw.replace(INVISIBLE, '').trim();
  if (!input) throw new LoginInputError('Enter your handle, for example alice.bsky.social.');
  if (input.length > 2048) throw new LoginInputError('That is far too long to be a handle.');

  if (/^https?:\/\//i.test(input)) {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      throw new LoginInputError('That server address is not a valid URL.');
    }
    if (url.username || url.password) throw new LoginInputError('A server address must not contain a user name or password.');
    if (url.protocol !== 'https:' && !allowTestTld) throw new LoginInputError('Server addresses must start with https://.');
    return { kind: 'service', value: url.origin };
  }

  if (input.startsWith('did:')) {
    if (!DID.test(input)) throw new LoginInputError('That DID is not a valid did:plc or did:web identifier.');
    return { kind: 'did', value: input };
  }

  const handle = input.replace(/^@/, '').replace(/\.$/, '').toLowerCase();
  if (handle.length > 253 || !HANDLE.test(handle)) {
    throw new LoginInputError(`"${truncateForDisplay(handle)}" is not a valid handle. Handles look like alice.bsky.social.`);
  }
  const tld = handle.slice(handle.lastIndexOf('.') + 1);
  if (DISALLOWED_TLDS.has(tld) || (tld === 'test' && !allowTestTld)) {
    throw new LoginInputError(`Handles ending in .${tld} cannot be used to log in.`);
  }
  return { kind: 'handle', value: handle };
}

export function truncateForDisplay(value: string, max = 64): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}
