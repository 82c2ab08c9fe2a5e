// The platform's own tokens: ES256 JWTs any sibling service can verify with our JWKS alone. Two kinds,
// told apart by `typ` (RFC 8725 §3.11, explicit typing), and neither is an access token (`at+jwt`,
// RFC 9068 §2.1):
// - `platform+jwt`, the browser session in the `platform_token` cookie;
// - `cli+jwt`, what `robot login` receives. A CLI login can be phished (RFC 8628 §5.4: the person
//   approves a login someone else started), so its credential must never work as a browser session:
//   every cookie check verifies `typ: platform+jwt` and refuses it.
import { randomBytes } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { signEs256 } from '../keys/jws.ts';
import { jwtVerifier } from '../keys/jwt-verifier.ts';
import { publicKeysByKid, type PlatformKeys } from '../keys/keystore.ts';

export const PLATFORM_JWT_TYPE = 'platform+jwt';
export const CLI_JWT_TYPE = 'cli+jwt';

export interface TokenKind {
  typ: typeof PLATFORM_JWT_TYPE | typeof CLI_JWT_TYPE;
  ttlSeconds: number;
}

export interface PlatformClaims {
  /** The user's DID. */
  sub: string;
  handle: string | null;
  username: string;
  /** Session id: the server-side record logout revokes (catalogue CK-03). */
  sid: string;
  iat: number;
  exp: number;
}

export interface PlatformJwt {
  mint(user: { did: string; handle: string | null; username: string }, now: number): Promise<{ token: string; claims: PlatformClaims }>;
  /** Returns the claims of a valid token, or undefined for anything else (never throws). */
  verify(token: string): Promise<PlatformClaims | undefined>;
}

export function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}

/** Mints and verifies tokens of one kind: a verifier for one `typ` refuses the other. */
export function platformJwt(keys: PlatformKeys, issuer: string, kind: TokenKind, now: () => number): PlatformJwt {
  // Verifications are remembered until `exp`; logout is enforced by the session record, which
  // callers still read every time (src/session/sessions.ts).
  const verifyJwt = jwtVerifier(publicKeysByKid(keys), { typ: kind.typ, claims: asClaims }, now);
  return {
    async mint(user, now) {
      const claims: PlatformClaims = {
        sub: user.did,
        handle: user.handle,
        username: user.username,
        sid: newSessionId(),
        iat: now,
        exp: now + kind.ttlSeconds,
      };
      const payload = {
        handle: claims.handle,
        username: claims.username,
        sid: claims.sid,
        iss: issuer,
        aud: issuer,
        sub: claims.sub,
        jti: claims.sid,
        iat: claims.iat,
        exp: claims.exp,
      };
      return { token: signEs256(keys.active.privateKey, { kid: keys.active.kid, typ: kind.typ }, payload), claims };
    },
    async verify(token) {
      const verification = await verifyJwt(token, { issuer, audience: issuer });
      return 'claims' in verification ? verification.claims : undefined;
    },
  };
}

function asClaims(payload: JWTPayload): PlatformClaims | undefined {
  const { sub, handle, username, sid, iat, exp } = payload as Record<string, unknown>;
  if (typeof sub !== 'string' || !sub.startsWith('did:')) return undefined;
  if (typeof username !== 'string' || typeof sid !== 'string') return undefined;
  if (typeof iat !== 'number' || typeof exp !== 'number') return undefined;
  return { sub, handle: typeof handle === 'string' ? handle : null, username, sid, iat, exp };
}
