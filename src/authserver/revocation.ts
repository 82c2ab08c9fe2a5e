// RFC 7009 token revocation and RFC 7662 introspection at a wiki's issuer. Revoking either kind of
// token revokes its grant, so every token the grant issued stops working (catalogue RV-01). Access
// tokens are read with the MCP endpoint's own verifier (src/mcp/bearer.ts), and introspection calls a
// token active only when the endpoint that takes it would accept it now (catalogue IT-01).
import type { Context } from 'hono';
import { authenticateBearer } from '../mcp/authenticate.ts';
import { sha256 } from '../secrets.ts';
import type { Wiki } from '../store/wikis.ts';
import { isWikiToken } from '../wiki/tokens.ts';
import { wikiUrls } from '../wiki/urls.ts';
import { audit } from './audit.ts';
import { readClientRequest } from './client-request.ts';
import { OAuthError } from './oauth-error.ts';
import type { Client } from './clients.ts';
import type { RevocationDeps } from './deps.ts';

/** One of this wiki's refresh tokens, whatever its state, with whether its grant still stands. */
const refreshTokenOf = (deps: RevocationDeps, wiki: Wiki, token: string) => deps.refreshTokens.find(sha256(token), wiki);

/** Where a token given for revocation came from (the type hint is only a hint, RFC 7009 §2.1). */
async function grantOf(deps: RevocationDeps, wiki: Wiki, token: string): Promise<{ grantId: string; clientId: string } | undefined> {
  const refresh = await refreshTokenOf(deps, wiki, token);
  if (refresh) return { grantId: refresh.grant_id, clientId: refresh.client_id };
  // Dashboard tokens belong to no OAuth client; they are revoked on the dashboard.
  if (isWikiToken(token)) return undefined;
  const urls = wikiUrls(deps.config, wiki.slug);
  const verified = await deps.verifyBearer(token, { issuer: urls.issuer, audience: urls.mcp, wikiId: wiki.id });
  return 'rejected' in verified || !verified.oauth ? undefined : { grantId: verified.oauth.grantId, clientId: verified.oauth.clientId };
}

/** RFC 7662 §2.2: what may be said about a token the token endpoint or the MCP endpoint would accept now. */
async function activeClaims(deps: RevocationDeps, wiki: Wiki, token: string): Promise<({ client_id: string } & Record<string, unknown>) | undefined> {
  const refresh = await refreshTokenOf(deps, wiki, token);
  if (refresh) {
    const live = refresh.rotated_at === null && refresh.expires_at > deps.now() && refresh.authorized;
    if (!live) return undefined;
    return {
      token_type: 'refresh_token',
      client_id: refresh.client_id,
      sub: refresh.user_did,
      scope: refresh.scope,
      aud: refresh.resource,
      exp: refresh.expires_at,
    };
  }
  if (isWikiToken(token)) return undefined;
  const caller = await authenticateBearer(deps, wiki, token);
  if ('rejected' in caller || !caller.token.oauth) return undefined;
  const { oauth, subject, scopes, expiresAt } = caller.token;
  const urls = wikiUrls(deps.config, wiki.slug);
  return {
    token_type: 'access_token',
    client_id: oauth.clientId,
    sub: subject,
    scope: scopes.join(' '),
    aud: urls.mcp,
    iss: urls.issuer,
    exp: expiresAt,
    iat: oauth.issuedAt,
    jti: oauth.jti,
  };
}

/** The authenticated client and the `token` parameter. */
async function readTokenRequest(deps: RevocationDeps, c: Context, wiki: Wiki): Promise<{ client: Client; token: string }> {
  const request = await readClientRequest(deps, c, wiki);
  const token = request.form.get('token');
  if (!token) throw new OAuthError('invalid_request', 'token is required');
  return { client: request.client, token };
}

export async function revoke(deps: RevocationDeps, c: Context, wiki: Wiki): Promise<Response> {
  const request = await readTokenRequest(deps, c, wiki);
  const found = await grantOf(deps, wiki, request.token);
  if (found && found.clientId !== request.client.clientId) {
    // RV-03: never another client's token. A public client learns nothing; an authenticated one is told.
    const notYours = 'this token was not issued to you';
    if (request.client.secretHash !== null) throw new OAuthError('invalid_request', notYours);
  } else if (found) {
    await deps.codes.revokeGrant(found.grantId, deps.now());
    audit(deps.log, c, 'oauth.revoked', { wikiId: wiki.id, clientId: found.clientId, grantId: found.grantId });
  }
  // RFC 7009 §2.2: 200 whether or not the token was valid, so revocation is no validity oracle (RV-02).
  return c.body(null, 200, { 'Cache-Control': 'no-store' });
}

export async function introspect(deps: RevocationDeps, c: Context, wiki: Wiki): Promise<Response> {
  // RFC 7662 §2.1: the caller authenticates as a client (public clients by their client_id alone,
  // confidential ones with their secret; readClientRequest answers 401 invalid_client otherwise).
  const request = await readTokenRequest(deps, c, wiki);
  const claims = await activeClaims(deps, wiki, request.token);
  // RFC 7662 §2.2, §4: only about the caller's own tokens; anything else is simply inactive, so a
  // client_id, which is no secret, tells nobody about someone else's token.
  const visible = claims !== undefined && claims.client_id === request.client.clientId;
  return c.json(visible ? { active: true, ...claims } : { active: false }, 200, { 'Cache-Control': 'no-store' });
}
