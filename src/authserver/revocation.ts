// RFC 7009 token revocation and RFC 7662 introspection at a wiki's issuer. Revoking either kind of
// token revokes its grant, so every token the grant issued stops working (catalogue RV-01).
import type { Context } from 'hono';
import { sha256 } from '../secrets.ts';
import type { Wiki } from '../store/wikis.ts';
import type { AppDeps } from '../web/deps.ts';
import { wikiUrls } from '../wiki/urls.ts';
import { audit } from './audit.ts';
import { readClientRequest, tokenError } from './client-request.ts';
import { verifyAccessToken } from './tokens.ts';

interface TokenFacts {
  grantId: string;
  clientId: string;
  active: boolean;
  claims: Record<string, unknown>;
}

/** What the presented token is, whichever kind it is (the type hint is only a hint, RFC 7009 §2.1). */
async function identify(deps: AppDeps, wiki: Wiki, token: string): Promise<TokenFacts | undefined> {
  const refresh = await deps.refreshTokens.find(sha256(token));
  if (refresh && refresh.wiki_id === wiki.id) {
    const active = refresh.rotated_at === null && refresh.expires_at > deps.now() && (await deps.codes.isGrantActive(refresh.grant_id));
    return { grantId: refresh.grant_id, clientId: refresh.client_id, active, claims: { scope: refresh.scope, client_id: refresh.client_id, sub: refresh.user_did, aud: refresh.resource, exp: refresh.expires_at, token_type: 'refresh_token' } };
  }
  const claims = await verifyAccessToken(deps.platformKeys, token, wikiUrls(deps.config, wiki.slug).issuer);
  if (claims?.gid && claims.client_id && claims.wiki_id === wiki.id) {
    return { grantId: claims.gid, clientId: claims.client_id, active: await deps.codes.isGrantActive(claims.gid), claims: { ...claims, token_type: 'access_token' } };
  }
  return undefined;
}

/** The authenticated client and what the `token` parameter names, or the error response to send. */
async function readTokenRequest(deps: AppDeps, c: Context, wiki: Wiki) {
  const request = await readClientRequest(deps, c, wiki);
  if (request instanceof Response) return request;
  const token = request.form.get('token');
  if (!token) return tokenError(c, 400, 'invalid_request', 'token is required');
  return { client: request.client, facts: await identify(deps, wiki, token) };
}

export async function revoke(deps: AppDeps, c: Context, wiki: Wiki): Promise<Response> {
  const request = await readTokenRequest(deps, c, wiki);
  if (request instanceof Response) return request;
  const { facts } = request;
  if (facts && facts.clientId !== request.client.clientId) {
    // RV-03: never another client's token. A public client learns nothing; an authenticated one is told.
    if (request.client.secretHash !== null) return tokenError(c, 400, 'invalid_request', 'this token was not issued to you');
  } else if (facts) {
    await deps.codes.revokeGrant(facts.grantId, deps.now());
    audit(deps.log, c, 'oauth.revoked', { wikiId: wiki.id, clientId: facts.clientId, grantId: facts.grantId });
  }
  // RFC 7009 §2.2: 200 whether or not the token was valid, so revocation is no validity oracle (RV-02).
  return c.body(null, 200, { 'Cache-Control': 'no-store' });
}

export async function introspect(deps: AppDeps, c: Context, wiki: Wiki): Promise<Response> {
  const request = await readTokenRequest(deps, c, wiki);
  if (request instanceof Response) return request;
  const { facts } = request;
  // RFC 7662 §2.2: anything the caller may not see is simply inactive.
  const visible = facts && facts.active && facts.clientId === request.client.clientId;
  return c.json(visible ? { active: true, ...facts.claims } : { active: false }, 200, { 'Cache-Control': 'no-store' });
}
