// Access tokens: RFC 9068 JWTs (`typ: at+jwt`) bound to one wiki's MCP URL and carrying the wiki's
// immutable id, so a wiki re-created under the same slug never accepts them.
import { SignJWT, jwtVerify, type JWTPayload } from 'jose';
import { keyByKid, publicKeysByKid, type PlatformKeys } from '../keys/keystore.ts';
import { randomToken } from '../secrets.ts';

export const ACCESS_TOKEN_TYPE = 'at+jwt';

export interface AccessTokenClaims {
  issuer: string;
  audience: string;
  subject: string;
  clientId: string;
  scope: string;
  wikiId: string;
  grantId: string;
}

export async function mintAccessToken(keys: PlatformKeys, claims: AccessTokenClaims, ttlSeconds: number, now: number): Promise<{ token: string; expiresIn: number }> {
  const token = await new SignJWT({ client_id: claims.clientId, scope: claims.scope, wiki_id: claims.wikiId, gid: claims.grantId })
    .setProtectedHeader({ alg: 'ES256', kid: keys.active.kid, typ: ACCESS_TOKEN_TYPE })
    .setIssuer(claims.issuer)
    .setAudience(claims.audience)
    .setSubject(claims.subject)
    .setJti(randomToken(16))
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(keys.active.privateKey);
  return { token, expiresIn: ttlSeconds };
}

/** The claims of one of our access tokens for `issuer`, or undefined for anything else (never throws). */
export async function verifyAccessToken(keys: PlatformKeys, token: string, issuer: string): Promise<(JWTPayload & { client_id?: string; scope?: string; wiki_id?: string; gid?: string }) | undefined> {
  try {
    const { payload } = await jwtVerify(
      token,
      keyByKid(publicKeysByKid(keys)),
      { algorithms: ['ES256'], issuer, typ: ACCESS_TOKEN_TYPE },
    );
    return payload;
  } catch {
    return undefined;
  }
}
