// Access tokens: RFC 9068 JWTs (`typ: at+jwt`) bound to one wiki's MCP URL and carrying the wiki's
// immutable id, so a wiki re-created under the same slug never accepts them.
import { signEs256 } from '../keys/jws.ts';
import type { PlatformKeys } from '../keys/keystore.ts';
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

export async function mintAccessToken(
  keys: PlatformKeys,
  claims: AccessTokenClaims,
  ttlSeconds: number,
  now: number,
): Promise<{ token: string; expiresIn: number }> {
  // RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti; plus our scope, wiki id and grant id.
  const payload = {
    iss: claims.issuer,
    aud: claims.audience,
    sub: claims.subject,
    client_id: claims.clientId,
    scope: claims.scope,
    wiki_id: claims.wikiId,
    gid: claims.grantId,
    jti: randomToken(16),
    iat: now,
    exp: now + ttlSeconds,
  };
  return { token: signEs256(keys.active.privateKey, { kid: keys.active.kid, typ: ACCESS_TOKEN_TYPE }, payload), expiresIn: ttlSeconds };
}
