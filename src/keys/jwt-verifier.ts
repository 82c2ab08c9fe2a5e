// Verification of the platform's own ES256 JWTs, every kind: browser sessions (`platform+jwt`), CLI
// credentials (`cli+jwt`) and OAuth access tokens (`at+jwt`, RFC 9068), all signed with the platform
// keys (./keystore.ts) and told apart by `typ` alone (RFC 8725 §3.11), so a verifier for one kind
// refuses every other.
import { errors, jwtVerify, type CryptoKey, type JWTPayload } from 'jose';
import { ExpiringCache } from '../cache.ts';
import { keyByKid } from './keystore.ts';

/** Clocks here and wherever our tokens are checked may disagree by up to a minute (catalogue RS-05). */
export const CLOCK_SKEW_SECONDS = 60;

/** Verified tokens remembered per verifier (each until it expires); beyond this many the oldest is forgotten. */
const REMEMBERED_TOKENS = 10_000;

export interface JwtKind<T> {
  typ: string;
  /** Claims beyond `sub`, `iat` and `exp` (which every kind needs) that a token must carry. */
  requiredClaims?: string[];
  /** What callers get from a verified payload, or undefined to refuse it. Called once per token. */
  claims(payload: JWTPayload): T | undefined;
}

/** Who must have issued the token, and for whom (RFC 7519 §4.1.1, §4.1.3). */
export interface JwtAudience {
  issuer: string;
  audience: string;
}

export type JwtVerification<T> = { claims: T } | { rejected: 'expired' | 'invalid' };

export type JwtVerifier<T> = (token: string, expected: JwtAudience) => Promise<JwtVerification<T>>;

/** A verifier for one kind of token, accepting any key in `publicKeys` (kid → key). */
export function jwtVerifier<T>(publicKeys: Map<string, CryptoKey>, kind: JwtKind<T>, now: () => number): JwtVerifier<T> {
  const lookup = keyByKid(publicKeys);
  // A signature check costs ~120–150 µs on every page a signed-in browser loads and every MCP call;
  // the same token string always verifies the same way, so a token is checked once and remembered
  // until it expires. Whatever can end a token earlier (logout, revocation) is a record callers read
  // every time (src/session/sessions.ts, src/mcp/bearer.ts).
  const verified = new ExpiringCache<string, JwtAudience & { claims: T }>(REMEMBERED_TOKENS);
  const requiredClaims = ['sub', 'exp', 'iat', ...(kind.requiredClaims ?? [])];

  return async (token, expected) => {
    const known = verified.get(token, now());
    if (known) {
      // Remembered by the token alone: it must still be presented where it was issued for.
      return known.issuer === expected.issuer && known.audience === expected.audience ? { claims: known.claims } : { rejected: 'invalid' };
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, lookup, {
        // RFC 8725 §3.1: the algorithm is ours to choose, never the token's.
        algorithms: ['ES256'],
        typ: kind.typ,
        issuer: expected.issuer,
        audience: expected.audience,
        requiredClaims,
        clockTolerance: CLOCK_SKEW_SECONDS,
        currentDate: new Date(now() * 1000),
      }));
    } catch (error) {
      return { rejected: error instanceof errors.JWTExpired ? 'expired' : 'invalid' };
    }
    const claims = kind.claims(payload);
    if (claims === undefined) return { rejected: 'invalid' };
    // jose accepts the token while exp + tolerance > now: exactly as long as it is remembered.
    verified.set(token, { issuer: expected.issuer, audience: expected.audience, claims }, payload.exp! + CLOCK_SKEW_SECONDS);
    return { claims };
  };
}
