// Bearer-token verification for a wiki's MCP endpoint (RFC 6750, RFC 9068). Depends only on the
// public keys and a grant lookup, so a wiki server could run as its own process with the JWKS.
import { jwtVerify, type CryptoKey, type JWTPayload } from 'jose';
import { keyByKid } from '../keys/keystore.ts';

export interface VerifiedToken {
  subject: string;
  clientId: string;
  scopes: string[];
  grantId: string;
  expiresAt: number;
}

export interface BearerVerifierOptions {
  /** kid → public key of every key whose tokens may still be live. */
  publicKeys: Map<string, CryptoKey>;
  isGrantActive: (grantId: string) => Promise<boolean>;
  now: () => number;
}

/** How long a grant found active is trusted before asking again: revocation takes effect within this. */
const GRANT_RECHECK_SECONDS = 5;
const CACHE_ENTRIES = 10_000;

export function bearerVerifier(options: BearerVerifierOptions) {
  // Signature checks cost ~150 µs; a token seen before is trusted until its own `exp` (DESIGN.md §6).
  const verified = new Map<string, VerifiedToken & { issuer: string; audience: string; wikiId: string }>();
  const grantCheckedAt = new Map<string, number>();
  const lookup = keyByKid(options.publicKeys);

  async function grantActive(grantId: string): Promise<boolean> {
    const checked = grantCheckedAt.get(grantId);
    if (checked !== undefined && options.now() - checked < GRANT_RECHECK_SECONDS) return true;
    const active = await options.isGrantActive(grantId);
    if (active) grantCheckedAt.set(grantId, options.now());
    else grantCheckedAt.delete(grantId);
    return active;
  }

  return async function verify(token: string, expected: { issuer: string; audience: string; wikiId: string }): Promise<VerifiedToken | undefined> {
    let entry = verified.get(token);
    if (!entry || entry.expiresAt <= options.now()) {
      verified.delete(token);
      let payload: JWTPayload & { client_id?: unknown; scope?: unknown; wiki_id?: unknown; gid?: unknown };
      try {
        ({ payload } = await jwtVerify(
          token,
          lookup,
          // RFC 8725 §3.1: the algorithm is ours to choose, never the token's; `typ` keeps platform
          // session JWTs (signed with the same keys) out.
          { algorithms: ['ES256'], typ: 'at+jwt', issuer: expected.issuer, audience: expected.audience, requiredClaims: ['sub', 'exp', 'jti'] },
        ));
      } catch {
        return undefined;
      }
      if (typeof payload.client_id !== 'string' || typeof payload.scope !== 'string' || typeof payload.wiki_id !== 'string' || typeof payload.gid !== 'string') return undefined;
      entry = { subject: payload.sub!, clientId: payload.client_id, scopes: payload.scope.split(' '), grantId: payload.gid, expiresAt: payload.exp!, issuer: expected.issuer, audience: expected.audience, wikiId: payload.wiki_id };
      if (verified.size >= CACHE_ENTRIES) verified.delete(verified.keys().next().value!);
      verified.set(token, entry);
    }
    // The cache key is the token, but the wiki it is presented at must still be the one it names:
    // a wiki re-created under the same slug has a new id (catalogue decision 6).
    if (entry.issuer !== expected.issuer || entry.audience !== expected.audience || entry.wikiId !== expected.wikiId) return undefined;
    return (await grantActive(entry.grantId)) ? entry : undefined;
  };
}
