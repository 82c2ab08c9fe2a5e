// The token endpoint (OAuth 2.1 §3.2, §4.1.3): client authentication, then the code grant with
// single-use codes and PKCE. Every response is JSON with `Cache-Control: no-store` (RFC 6749 §5.1).
import { createHmac, randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { randomToken, sha256 } from '../secrets.ts';
import type { RefreshTokenRow } from '../store/refresh-tokens.ts';
import type { Wiki } from '../store/wikis.ts';
import type { AppDeps } from '../web/deps.ts';
import { roleOf } from '../wiki/access.ts';
import { wikiUrls } from '../wiki/urls.ts';
import { audit } from './audit.ts';
import { readClientRequest } from './client-request.ts';
import { OAuthError, type OAuthErrorCode } from './oauth-error.ts';
import type { Client } from './clients.ts';
import { mintAccessToken } from './tokens.ts';

/** Catalogue policy: refresh tokens idle out after 30 days and end 90 days after their family began. */
export const REFRESH_IDLE_SECONDS = 30 * 24 * 60 * 60;
export const REFRESH_ABSOLUTE_SECONDS = 90 * 24 * 60 * 60;
/** A replay of a just-rotated refresh token within this window gets the same successor (DESIGN.md §3). */
export const REFRESH_GRACE_SECONDS = 60;

const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/; // RFC 7636 §4.1

export async function token(deps: AppDeps, c: Context, wiki: Wiki): Promise<Response> {
  const request = await readClientRequest(deps, c, wiki);
  const { form, client } = request;

  const grantType = form.get('grant_type');
  if (grantType === 'refresh_token') return refreshGrant(deps, c, wiki, client, form);
  if (grantType !== 'authorization_code') throw new OAuthError('unsupported_grant_type', 'grant_type must be authorization_code or refresh_token');
  return codeGrant(deps, c, wiki, client, form);
}

async function codeGrant(deps: AppDeps, c: Context, wiki: Wiki, client: Client, form: Map<string, string>): Promise<Response> {
  const { codes, log, now } = deps;
  const code = form.get('code');
  const verifier = form.get('code_verifier');
  if (!code) throw new OAuthError('invalid_request', 'code is required');
  const codeHash = sha256(code);
  const row = await codes.find(codeHash);
  if (!row || row.wiki_id !== wiki.id) throw new OAuthError('invalid_grant', 'the code is invalid');

  // Every check that does not depend on the code being unused, so that the attempt that consumes
  // it is recorded as valid or not (catalogue PK-03: a failed attempt consumes but revokes nothing).
  const redirectUri = form.get('redirect_uri');
  const resource = form.get('resource');
  const problem: [OAuthErrorCode, string] | undefined =
    row.client_id !== client.clientId ? ['invalid_grant', 'the code was issued to another client']
    : row.code_challenge === '' && verifier !== undefined ? ['invalid_request', 'code_verifier sent for a code issued without PKCE']
    : row.code_challenge === '' || verifier === undefined || !VERIFIER.test(verifier) || sha256(verifier) !== row.code_challenge ? ['invalid_grant', 'code_verifier does not match the code_challenge']
    : redirectUri !== undefined && redirectUri !== row.redirect_uri ? ['invalid_grant', 'redirect_uri differs from the authorization request']
    : row.expires_at <= now() ? ['invalid_grant', 'the code has expired']
    : resource !== undefined && resource.replace(/\/$/, '') !== row.resource ? ['invalid_target', `resource must be ${row.resource}`]
    : !(await stillAuthorized(deps, wiki, row)) ? ['invalid_grant', 'the authorization is no longer valid']
    : undefined;

  // Consuming the code and writing what it issues commit together (catalogue DB-01): a store failure
  // leaves the code unconsumed for the client's retry, and never a refresh family for a code not spent.
  const refreshToken = problem === undefined && wantsRefreshTokens(client) ? randomToken() : undefined;
  const consumed = await deps.database.db.transaction().execute(async (tx) => {
    if (!(await codes.consume(codeHash, problem === undefined, now(), tx))) return false;
    if (problem === undefined) await deps.oauthClients.markUsed(client.clientId, now(), tx);
    if (refreshToken) await deps.refreshTokens.insert(refreshFamily(wiki, client, row, refreshToken, now()), tx);
    return true;
  });
  if (!consumed) {
    // A replay. If the code's rightful client made a valid request and the code was first redeemed
    // validly, the code leaked: revoke what it issued (AC-01, AC-06). Otherwise revoke nothing (AC-02).
    const first = await codes.find(codeHash);
    if (problem === undefined && first?.validly_consumed_at) {
      await codes.revokeGrant(row.grant_id, now());
      audit(log, c, 'oauth.code.replayed', { wikiId: wiki.id, clientId: client.clientId, grantId: row.grant_id });
    }
    throw new OAuthError('invalid_grant', 'the code was already used');
  }
  if (problem) throw new OAuthError(...problem);

  audit(log, c, 'oauth.code.redeemed', { wikiId: wiki.id, clientId: client.clientId, grantId: row.grant_id });
  return tokenResponse(deps, c, wiki, client, row, row.scope, refreshToken);
}

/** The grant may have been revoked, or the person may have left the wiki, since consent (AC-05, RT-06). */
export async function stillAuthorized(deps: AppDeps, wiki: Wiki, authorization: Authorization): Promise<boolean> {
  return (await deps.codes.isGrantActive(authorization.grant_id)) && (await roleOf(deps.wikis, wiki, authorization.user_did)) !== undefined;
}

/** Whether the client registered for refresh tokens (no `offline_access` needed: FACTS.md, Claude.ai). */
function wantsRefreshTokens(client: Client): boolean {
  return client.grantTypes.includes('refresh_token');
}

interface Authorization {
  grant_id: string;
  user_did: string;
  scope: string;
  resource: string;
}

/** The first refresh token of the family a redeemed code starts. */
function refreshFamily(wiki: Wiki, client: Client, authorization: Authorization, token: string, now: number): RefreshTokenRow {
  return {
    token_hash: sha256(token),
    family_id: randomUUID(),
    grant_id: authorization.grant_id,
    wiki_id: wiki.id,
    client_id: client.clientId,
    user_did: authorization.user_did,
    scope: authorization.scope,
    resource: authorization.resource,
    family_started_at: now,
    expires_at: now + REFRESH_IDLE_SECONDS,
    rotated_at: null,
  };
}

async function tokenResponse(deps: AppDeps, c: Context, wiki: Wiki, client: Client, authorization: Authorization, scope: string, refreshToken: string | undefined): Promise<Response> {
  const urls = wikiUrls(deps.config, wiki.slug);
  const access = await mintAccessToken(deps.platformKeys, { issuer: urls.issuer, audience: authorization.resource, subject: authorization.user_did, clientId: client.clientId, scope, wikiId: wiki.id, grantId: authorization.grant_id }, deps.config.accessTokenTtlSeconds, deps.now());
  return c.json(
    { access_token: access.token, token_type: 'Bearer', expires_in: access.expiresIn, scope, ...(refreshToken ? { refresh_token: refreshToken } : {}) },
    200,
    { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
  );
}

/**
 * The successor of a refresh token is derived from it (HMAC with a server key), so a client that
 * lost the response to a rotation and retries within the grace window gets the very same successor
 * back, and no second live token is ever created.
 */
function successorOf(deps: AppDeps, token: string): string {
  return createHmac('sha256', deps.refreshKey).update(token).digest('base64url');
}

async function refreshGrant(deps: AppDeps, c: Context, wiki: Wiki, client: Client, form: Map<string, string>): Promise<Response> {
  const { refreshTokens, codes, log, now } = deps;
  const presented = form.get('refresh_token');
  if (!presented) throw new OAuthError('invalid_request', 'refresh_token is required');
  // One answer for every kind of dead token, so nothing can be learned from it (catalogue RT-06).
  const invalid = () => new OAuthError('invalid_grant', 'the refresh token is invalid');
  const row = await refreshTokens.find(sha256(presented));
  // RT-03: another client's token is refused without touching it, so a foreign client cannot kill a family.
  if (!row || row.wiki_id !== wiki.id || row.client_id !== client.clientId) throw invalid();

  // RT-04: narrower is allowed, wider or elsewhere is not; neither consumes the token.
  const requestedScope = form.get('scope');
  const granted = row.scope.split(' ');
  if (requestedScope !== undefined && requestedScope.split(' ').some((s) => !granted.includes(s))) throw new OAuthError('invalid_scope', 'a refresh cannot widen the scope');
  const resource = form.get('resource');
  if (resource !== undefined && resource.replace(/\/$/, '') !== row.resource) throw new OAuthError('invalid_target', `resource must be ${row.resource}`);
  const scope = requestedScope ?? row.scope;

  if (row.expires_at <= now() || !(await stillAuthorized(deps, wiki, row))) throw invalid();

  const successor = successorOf(deps, presented);
  const rotated = await refreshTokens.rotate(
    row.token_hash,
    { ...row, token_hash: sha256(successor), expires_at: Math.min(now() + REFRESH_IDLE_SECONDS, row.family_started_at + REFRESH_ABSOLUTE_SECONDS), rotated_at: null },
    now(),
  );
  if (rotated) {
    audit(log, c, 'oauth.refresh.rotated', { wikiId: wiki.id, clientId: client.clientId, grantId: row.grant_id });
    return tokenResponse(deps, c, wiki, client, row, scope, successor);
  }

  // Already rotated. Inside the grace window, while its successor is still the live token, this is a
  // client retrying a lost response: the same successor again. Anything else is reuse of a stolen
  // token: the whole grant goes (catalogue RT-02).
  const current = await refreshTokens.find(row.token_hash);
  const next = await refreshTokens.find(sha256(successor));
  if (current?.rotated_at && now() - current.rotated_at <= REFRESH_GRACE_SECONDS && next && next.rotated_at === null) {
    audit(log, c, 'oauth.refresh.grace', { wikiId: wiki.id, clientId: client.clientId, grantId: row.grant_id });
    return tokenResponse(deps, c, wiki, client, row, scope, successor);
  }
  await codes.revokeGrant(row.grant_id, now());
  audit(log, c, 'oauth.refresh.replayed', { wikiId: wiki.id, clientId: client.clientId, grantId: row.grant_id });
  throw invalid();
}

