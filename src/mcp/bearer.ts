// Bearer-token verification for a wiki's MCP endpoint (RFC 6750, RFC 9068): our OAuth access tokens
// and the dashboard's per-wiki tokens. Depends only on public keys and lookups, so a wiki server could
// run as its own process with the JWKS and the database. The issuer's revocation and introspection
// endpoints use this same verifier, so they never disagree with the MCP endpoint about a token.
import type { CryptoKey, JWTPayload } from 'jose';
import { CLOCK_SKEW_SECONDS, jwtVerifier } from '../keys/jwt-verifier.ts';
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

/** Far above any token we issue (~700 bytes); bigger ones are refused before parsing (RS-09). */
const MAX_TOKEN_LENGTH = 4096;

type AccessToken = VerifiedToken & { oauth: NonNullable<VerifiedToken['oauth']>; wikiId: string };

export function bearerVerifier(options: BearerVerifierOptions) {
  // `typ` keeps platform session JWTs (signed with the same keys) out (RFC 8725 §3.11, RFC 9068 §4).
  const verifyJwt = jwtVerifier<AccessToken>(
    options.publicKeys,
    {
      typ: 'at+jwt',
      requiredClaims: ['jti'],
      claims(verified) {
        const payload = verified as JWTPayload & { client_id?: unknown; scope?: unknown; wiki_id?: unknown; gid?: unknown };
        if (
          typeof payload.client_id !== 'string' ||
          typeof payload.scope !== 'string' ||
          typeof payload.wiki_id !== 'string' ||
          typeof payload.gid !== 'string'
        )
          return undefined;
        // jose checks exp and nbf; a token issued in the future or living longer than any we mint is forged.
        if (payload.iat! > options.now() + CLOCK_SKEW_SECONDS || payload.exp! - payload.iat! > options.maxLifetimeSeconds) return undefined;
        const oauth = { clientId: payload.client_id, grantId: payload.gid, issuedAt: payload.iat!, jti: payload.jti! };
        return { subject: payload.sub!, scopes: payload.scope.split(' '), oauth, expiresAt: payload.exp!, wikiId: payload.wiki_id };
      },
    },
    options.now,
  );

  async function verifyAccessToken(token: string, expected: ExpectedAudience): Promise<Verification> {
    const verification = await verifyJwt(token, expected);
    if ('rejected' in verification)
      return { rejected: verification.rejected === 'expired' ? 'the access token has expired' : 'the access token is not valid here' };
    // The verifier remembers a token by its string, but the wiki it is presented at must still be the
    // one it names: a wiki re-created under the same slug has a new id (catalogue RS-12).
    const { wikiId, ...accessToken } = verification.claims;
    if (wikiId !== expected.wikiId) return { rejected: 'the access token is not valid here' };
    // Revocation is read on every request (a primary-key lookup), so it takes effect at once (RS-11).
    const active = await options.isGrantActive(accessToken.oauth.grantId);
    return active ? accessToken : { rejected: 'the access token has been revoked' };
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
