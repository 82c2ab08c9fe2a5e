// Bearer-token verification for a wiki's MCP endpoint (RFC 6750, RFC 9068): our OAuth access tokens
// and the dashboard's per-wiki tokens. Depends only on public keys and lookups, so a wiki server could
// run as its own process with the JWKS and the database. The issuer's revocation and introspection
// endpoints use this same verifier, so they never disagree with the MCP endpoint about a token.
import { errors, jwtVerify, type CryptoKey, type JWTPayload } from 'jose';
import { keyByKid } from '../keys/keystore.ts';
import { sha256 } from '../secrets.ts';
import type { WikiToken } from '../store/wiki-tokens.ts';
import { isWikiToken } from '../wiki/tokens.ts';

/** Who presented the token and what it allows, before the holder's current role is applied. */
export interface VerifiedToken {
  subject: string;
  scopes: string[];
  expiresAt: number;
  /** What an OAuth access token says about its issuance (RFC 9068 §2.2); dashboard tokens have none. */
  oauth?: { clientId: string; grantId: string; issuedAt: number; jti: string };
}

export type Verification = VerifiedToken | { rejected: string };

export interface BearerVerifierOptions {
  /** kid → public key of every key whose tokens may still be live. */
  publicKeys: Map<string, CryptoKey>;
  isGrantActive: (grantId: string) => Promise<boolean>;
  findWikiToken: (tokenHash: string) => Promise<WikiToken | undefined>;
  touchWikiToken: (id: string, now: number) => Promise<void>;
  /** The longest access-token lifetime we issue; a token claiming more was not minted by us (RS-05). */
  maxLifetimeSeconds: number;
  now: () => number;
}

export interface ExpectedAudience {
  issuer: string;
  audience: string;
  wikiId: string;
}

const CACHE_ENTRIES = 10_000;
/** Catalogue RS-05: clocks may disagree by up to a minute. */
const CLOCK_SKEW_SECONDS = 60;
/** Far above any token we issue (~700 bytes); bigger ones are refused before parsing (RS-09). */
const MAX_TOKEN_LENGTH = 4096;

type CachedAccessToken = VerifiedToken & ExpectedAudience & { oauth: NonNullable<VerifiedToken['oauth']> };

export function bearerVerifier(options: BearerVerifierOptions) {
  // Signature checks cost ~150 µs; a token seen before is trusted until its own `exp` (DESIGN.md §6).
  const verified = new Map<string, CachedAccessToken>();
  const lookup = keyByKid(options.publicKeys);

  async function verifyAccessToken(token: string, expected: ExpectedAudience): Promise<Verification> {
    let entry = verified.get(token);
    if (!entry || entry.expiresAt <= options.now()) {
      verified.delete(token);
      let payload: JWTPayload & { client_id?: unknown; scope?: unknown; wiki_id?: unknown; gid?: unknown };
      try {
        ({ payload } = await jwtVerify(
          token,
          lookup,
          // RFC 8725 §3.1: the algorithm is ours to choose, never the token's; `typ` keeps platform
          // session JWTs (signed with the same keys) out (RFC 8725 §3.11, RFC 9068 §4).
          { algorithms: ['ES256'], typ: 'at+jwt', issuer: expected.issuer, audience: expected.audience, requiredClaims: ['sub', 'exp', 'iat', 'jti'], clockTolerance: CLOCK_SKEW_SECONDS, currentDate: new Date(options.now() * 1000) },
        ));
      } catch (error) {
        return { rejected: error instanceof errors.JWTExpired ? 'the access token has expired' : 'the access token is not valid here' };
      }
      if (typeof payload.client_id !== 'string' || typeof payload.scope !== 'string' || typeof payload.wiki_id !== 'string' || typeof payload.gid !== 'string') return { rejected: 'the access token is not valid here' };
      // jose checks exp and nbf; a token issued in the future or living longer than any we mint is forged.
      if (payload.iat! > options.now() + CLOCK_SKEW_SECONDS || payload.exp! - payload.iat! > options.maxLifetimeSeconds) return { rejected: 'the access token is not valid here' };
      const oauth = { clientId: payload.client_id, grantId: payload.gid, issuedAt: payload.iat!, jti: payload.jti! };
      const scopes = payload.scope.split(' ');
      entry = { subject: payload.sub!, scopes, oauth, expiresAt: payload.exp!, ...expected, wikiId: payload.wiki_id };
      if (verified.size >= CACHE_ENTRIES) verified.delete(verified.keys().next().value!);
      verified.set(token, entry);
    }
    // The cache key is the token, but the wiki it is presented at must still be the one it names:
    // a wiki re-created under the same slug has a new id (catalogue RS-12).
    if (entry.issuer !== expected.issuer || entry.audience !== expected.audience || entry.wikiId !== expected.wikiId) return { rejected: 'the access token is not valid here' };
    // Revocation is read on every request (a primary-key lookup), so it takes effect at once (RS-11).
    const active = await options.isGrantActive(entry.oauth.grantId);
    return active ? entry : { rejected: 'the access token has been revoked' };
  }

  async function verifyWikiToken(token: string, expected: ExpectedAudience): Promise<Verification> {
    const found = await options.findWikiToken(sha256(token));
    if (!found || found.wiki_id !== expected.wikiId) return { rejected: 'the token is not valid here' };
    await options.touchWikiToken(found.id, options.now());
    return { subject: found.owner_did, scopes: found.scope.split(' '), expiresAt: Number.POSITIVE_INFINITY };
  }

  return async function verify(token: string, expected: ExpectedAudience): Promise<Verification> {
    if (token.length > MAX_TOKEN_LENGTH) return { rejected: 'the access token is not valid here' };
    return isWikiToken(token) ? verifyWikiToken(token, expected) : verifyAccessToken(token, expected);
  };
}
