// The token endpoint (OAuth 2.1 §3.2, §4.1.3, §4.3): client authentication, then the code grant with
// single-use codes and PKCE, or the refresh grant with rotation. Every response is JSON with
// `Cache-Control: no-store` (RFC 6749 §5.1); refusals are OAuthErrors (./oauth-error.ts).
import { createHmac, randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { randomToken, sha256 } from '../secrets.ts';
import type { RefreshTokenRow } from '../store/refresh-tokens.ts';
import type { Wiki } from '../store/wikis.ts';
import { wikiUrls } from '../wiki/urls.ts';
import { audit } from './audit.ts';
import { firstRefusal, runChecks } from './checks.ts';
import { readClientRequest } from './client-request.ts';
import type { Client } from './clients.ts';
import type { TokenDeps } from './deps.ts';
import { OAuthError } from './oauth-error.ts';
import { CODE_GRANT_CHECKS, invalidRefreshToken, REFRESH_GRANT_CHECKS } from './token-checks.ts';
import { mintAccessToken } from './tokens.ts';

/** Catalogue policy: refresh tokens idle out after 30 days and end 90 days after their family began. */
export const REFRESH_IDLE_SECONDS = 30 * 24 * 60 * 60;
export const REFRESH_ABSOLUTE_SECONDS = 90 * 24 * 60 * 60;
/** A replay of a just-rotated refresh token within this window gets the same successor (DESIGN.md §3). */
export const REFRESH_GRACE_SECONDS = 60;

type Form = Map<string, string>;

export async function token(deps: TokenDeps, c: Context, wiki: Wiki): Promise<Response> {
  const { form, client } = await readClientRequest(deps, c, wiki);
  const grantType = form.get('grant_type');
  if (grantType === 'refresh_token') return refreshGrant(deps, c, wiki, client, form);
  if (grantType !== 'authorization_code') throw new OAuthError('unsupported_grant_type', 'grant_type must be authorization_code or refresh_token');
  return codeGrant(deps, c, wiki, client, form);
}

async function codeGrant(deps: TokenDeps, c: Context, wiki: Wiki, client: Client, form: Form): Promise<Response> {
  const { codes, log, now } = deps;
  const presented = form.get('code');
  if (!presented) throw new OAuthError('invalid_request', 'code is required');
  const codeHash = sha256(presented);
  const row = await codes.find(codeHash, wiki);
  if (!row) throw new OAuthError('invalid_grant', 'the code is invalid');

  // The checks that do not depend on the code being unused decide whether this attempt, which consumes
  // the code either way, is recorded as valid (catalogue PK-03).
  const refusal = await firstRefusal(CODE_GRANT_CHECKS, { client, form, code: row, now: now() });
  const refreshToken = refusal === undefined && wantsRefreshTokens(client) ? randomToken() : undefined;
  const outcome = await codes.redeem(
    {
      codeHash,
      valid: refusal === undefined,
      firstUseOf: client.lastUsedAt === null ? client.clientId : undefined,
      refreshToken: refreshToken ? refreshFamily(wiki, client, row, refreshToken, now()) : undefined,
    },
    now(),
  );
  const ids = { wikiId: wiki.id, clientId: client.clientId, grantId: row.grant_id };
  // A replay. If the code's rightful client made a valid request and the code was first redeemed
  // validly, the code leaked and the store revoked what it issued (AC-01, AC-06); otherwise nothing (AC-02).
  if (outcome === 'replayed_and_revoked') audit(log, c, 'oauth.code.replayed', ids);
  if (outcome === 'replayed' || outcome === 'replayed_and_revoked') throw new OAuthError('invalid_grant', 'the code was already used');
  if (refusal) throw refusal;

  audit(log, c, 'oauth.code.redeemed', ids);
  return tokenResponse(deps, c, wiki, client, row, row.scope, refreshToken);
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

async function tokenResponse(
  deps: TokenDeps,
  c: Context,
  wiki: Wiki,
  client: Client,
  authorization: Authorization,
  scope: string,
  refreshToken: string | undefined,
): Promise<Response> {
  const urls = wikiUrls(deps.config, wiki.slug);
  const access = await mintAccessToken(
    deps.platformKeys,
    {
      issuer: urls.issuer,
      audience: authorization.resource,
      subject: authorization.user_did,
      clientId: client.clientId,
      scope,
      wikiId: wiki.id,
      grantId: authorization.grant_id,
    },
    deps.config.accessTokenTtlSeconds,
    deps.now(),
  );
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
function successorOf(refreshKey: Buffer, token: string): string {
  return createHmac('sha256', refreshKey).update(token).digest('base64url');
}

async function refreshGrant(deps: TokenDeps, c: Context, wiki: Wiki, client: Client, form: Form): Promise<Response> {
  const { refreshTokens, log, now } = deps;
  const presented = form.get('refresh_token');
  if (!presented) throw new OAuthError('invalid_request', 'refresh_token is required');
  const current = await refreshTokens.find(sha256(presented), wiki);
  if (!current) throw invalidRefreshToken();
  await runChecks(REFRESH_GRANT_CHECKS, { client, form, token: current, now: now() });
  const scope = form.get('scope') ?? current.scope;

  const successor = successorOf(deps.refreshKey, presented);
  const { authorized: _, ...row } = current;
  const next: RefreshTokenRow = {
    ...row,
    token_hash: sha256(successor),
    expires_at: Math.min(now() + REFRESH_IDLE_SECONDS, row.family_started_at + REFRESH_ABSOLUTE_SECONDS),
    rotated_at: null,
  };
  const rotation = await refreshTokens.rotate(row, next, now(), REFRESH_GRACE_SECONDS);
  const ids = { wikiId: wiki.id, clientId: client.clientId, grantId: row.grant_id };
  if (rotation === 'replayed') {
    // Reuse of a stolen token: the store revoked the whole grant (catalogue RT-02).
    audit(log, c, 'oauth.refresh.replayed', ids);
    throw invalidRefreshToken();
  }
  // 'grace': a client retrying a lost response gets the same successor again.
  audit(log, c, rotation === 'rotated' ? 'oauth.refresh.rotated' : 'oauth.refresh.grace', ids);
  return tokenResponse(deps, c, wiki, client, row, scope, successor);
}
