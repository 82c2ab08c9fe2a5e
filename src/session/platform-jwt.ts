// The platform session token: an ES256 JWT any sibling service can verify with our JWKS alone.
// Its `typ` differs from access tokens (`at+jwt`, RFC 9068 §2.1), so neither is accepted as the other.
import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify, type JWTPayload } from 'jose';
import { keyByKid, publicKeysByKid, type PlatformKeys } from '../keys/keystore.ts';

export const PLATFORM_JWT_TYPE = 'platform+jwt';
const CLOCK_SKEW_SECONDS = 60;

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

export function platformJwt(keys: PlatformKeys, issuer: string, ttlSeconds: number): PlatformJwt {
  const lookup = keyByKid(publicKeysByKid(keys));
  return {
    async mint(user, now) {
      const claims: PlatformClaims = {
        sub: user.did,
        handle: user.handle,
        username: user.username,
        sid: newSessionId(),
        iat: now,
        exp: now + ttlSeconds,
      };
      const token = await new SignJWT({ handle: claims.handle, username: claims.username, sid: claims.sid })
        .setProtectedHeader({ alg: 'ES256', kid: keys.active.kid, typ: PLATFORM_JWT_TYPE })
        .setIssuer(issuer)
        .setAudience(issuer)
        .setSubject(claims.sub)
        .setJti(claims.sid)
        .setIssuedAt(claims.iat)
        .setExpirationTime(claims.exp)
        .sign(keys.active.privateKey);
      return { token, claims };
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(
          token,
          lookup,
          { algorithms: ['ES256'], issuer, audience: issuer, typ: PLATFORM_JWT_TYPE, clockTolerance: CLOCK_SKEW_SECONDS, requiredClaims: ['sub', 'exp', 'iat'] },
        );
        return asClaims(payload);
      } catch {
        return undefined;
      }
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
