// Access tokens: RFC 9068 JWTs (`typ: at+jwt`) bound to one wiki's MCP URL and carrying the wiki's
// immutable id, so a wiki re-created under the same slug never accepts them.
import { SignJWT } from 'jose';
import type { PlatformKeys } from '../keys/keystore.ts';
import { randomToken } from '../secrets.ts';

/** Several MCP clients fail to refresh (FACTS.md), so access tokens live for hours, not minutes. */
export const ACCESS_TOKEN_TTL_SECONDS = 4 * 60 * 60;
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

export async function mintAccessToken(keys: PlatformKeys, claims: AccessTokenClaims, now: number): Promise<{ token: string; expiresIn: number }> {
  const token = await new SignJWT({ client_id: claims.clientId, scope: claims.scope, wiki_id: claims.wikiId, gid: claims.grantId })
    .setProtectedHeader({ alg: 'ES256', kid: keys.active.kid, typ: ACCESS_TOKEN_TYPE })
    .setIssuer(claims.issuer)
    .setAudience(claims.audience)
    .setSubject(claims.subject)
    .setJti(randomToken(16))
    .setIssuedAt(now)
    .setExpirationTime(now + ACCESS_TOKEN_TTL_SECONDS)
    .sign(keys.active.privateKey);
  return { token, expiresIn: ACCESS_TOKEN_TTL_SECONDS };
}
