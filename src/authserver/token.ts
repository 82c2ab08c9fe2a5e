// The token endpoint (OAuth 2.1 §3.2, §4.1.3): client authentication, then the code grant with
// single-use codes and PKCE. Every response is JSON with `Cache-Control: no-store` (RFC 6749 §5.1).
import type { Context } from 'hono';
import { constantTimeEqual, sha256 } from '../secrets.ts';
import type { OAuthClientRow } from '../store/oauth-clients.ts';
import type { Wiki } from '../store/wikis.ts';
import type { AppDeps } from '../web/deps.ts';
import { wikiUrls } from '../wiki/urls.ts';
import { mintAccessToken } from './tokens.ts';

/** Catalogue "Body caps": /token 8 KiB. */
export const TOKEN_BODY_LIMIT = 8 * 1024;
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/; // RFC 7636 §4.1

type TokenError = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type' | 'invalid_target';

function tokenError(c: Context, status: 400 | 401 | 413, error: TokenError, description: string, headers: Record<string, string> = {}): Response {
  return c.json({ error, error_description: description }, status, { 'Cache-Control': 'no-store', Pragma: 'no-cache', ...headers });
}

/** Parses the form body with plain URLSearchParams semantics; a repeated parameter is an error (IN-03). */
async function readTokenForm(c: Context): Promise<Map<string, string> | string> {
  if (!(c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded')) return 'the request must be application/x-www-form-urlencoded';
  const body = await c.req.text();
  if (Buffer.byteLength(body) > TOKEN_BODY_LIMIT) return 'too large';
  const params = new URLSearchParams(body);
  const form = new Map<string, string>();
  for (const [name, value] of params) {
    if (form.has(name)) return `the parameter ${name.slice(0, 40)} is repeated`;
    if (value !== '') form.set(name, value);
  }
  return form;
}

/** RFC 6749 §2.3.1: HTTP Basic with form-urlencoded id and secret, or both in the body. */
function presentedCredentials(c: Context, form: Map<string, string>): { clientId?: string; secret?: string; basic: boolean } {
  const header = c.req.header('authorization');
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { clientId: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)), basic: true };
  }
  return { clientId: form.get('client_id'), secret: form.get('client_secret'), basic: false };
}

/** The client, if the presented credentials match its registration; public clients present none. */
async function authenticateClient(deps: AppDeps, wiki: Wiki, credentials: { clientId?: string; secret?: string }): Promise<OAuthClientRow | undefined> {
  if (!credentials.clientId) return undefined;
  const client = await deps.oauthClients.find(wiki.id, credentials.clientId);
  if (!client) return undefined;
  if (client.secret_hash === null) return credentials.secret === undefined ? client : undefined;
  return credentials.secret !== undefined && constantTimeEqual(sha256(credentials.secret), client.secret_hash) ? client : undefined;
}

export async function token(deps: AppDeps, c: Context, wiki: Wiki): Promise<Response> {
  const { codes, log, now } = deps;
  const length = Number(c.req.header('content-length') ?? 0);
  if (length > TOKEN_BODY_LIMIT) return tokenError(c, 413, 'invalid_request', 'the request is larger than 8 KiB');
  const form = await readTokenForm(c);
  if (typeof form === 'string') return tokenError(c, form === 'too large' ? 413 : 400, 'invalid_request', form);

  const credentials = presentedCredentials(c, form);
  const client = await authenticateClient(deps, wiki, credentials);
  if (!client) {
    return tokenError(c, 401, 'invalid_client', 'client authentication failed', credentials.basic ? { 'WWW-Authenticate': 'Basic realm="token"' } : {});
  }

  const grantType = form.get('grant_type');
  if (grantType !== 'authorization_code') return tokenError(c, 400, 'unsupported_grant_type', 'grant_type must be authorization_code');

  const code = form.get('code');
  const verifier = form.get('code_verifier');
  if (!code) return tokenError(c, 400, 'invalid_request', 'code is required');
  const codeHash = sha256(code);
  const row = await codes.find(codeHash);
  if (!row || row.wiki_id !== wiki.id) return tokenError(c, 400, 'invalid_grant', 'the code is invalid');

  // Every check that does not depend on the code being unused, so that the attempt that consumes
  // it is recorded as valid or not (catalogue PK-03: a failed attempt consumes but revokes nothing).
  const redirectUri = form.get('redirect_uri');
  const resource = form.get('resource');
  const problem: [TokenError, string] | undefined =
    row.client_id !== client.client_id ? ['invalid_grant', 'the code was issued to another client']
    : row.code_challenge === '' && verifier !== undefined ? ['invalid_request', 'code_verifier sent for a code issued without PKCE']
    : row.code_challenge === '' || verifier === undefined || !VERIFIER.test(verifier) || sha256(verifier) !== row.code_challenge ? ['invalid_grant', 'code_verifier does not match the code_challenge']
    : redirectUri !== undefined && redirectUri !== row.redirect_uri ? ['invalid_grant', 'redirect_uri differs from the authorization request']
    : row.expires_at <= now() ? ['invalid_grant', 'the code has expired']
    : resource !== undefined && resource.replace(/\/$/, '') !== row.resource ? ['invalid_target', `resource must be ${row.resource}`]
    : undefined;

  if (!(await codes.consume(codeHash, problem === undefined, now()))) {
    // A replay. If the code's rightful client made a valid request and the code was first redeemed
    // validly, the code leaked: revoke what it issued (AC-01, AC-06). Otherwise revoke nothing (AC-02).
    const consumed = await codes.find(codeHash);
    if (problem === undefined && consumed?.validly_consumed_at) {
      await codes.revokeGrant(row.grant_id, now());
      log.warn({ event: 'oauth.code.replayed', wikiId: wiki.id, clientId: client.client_id, grantId: row.grant_id }, 'authorization code replayed; grant revoked');
    }
    return tokenError(c, 400, 'invalid_grant', 'the code was already used');
  }
  if (problem) return tokenError(c, 400, ...problem);
  // The grant may have been revoked, or the person may have lost the wiki, since consent (AC-05).
  if (!(await codes.isGrantActive(row.grant_id)) || (await deps.wikis.findBySlug(wiki.slug))?.owner_did !== row.user_did) {
    return tokenError(c, 400, 'invalid_grant', 'the authorization is no longer valid');
  }

  const urls = wikiUrls(deps.config, wiki.slug);
  const access = await mintAccessToken(deps.platformKeys, { issuer: urls.issuer, audience: row.resource, subject: row.user_did, clientId: client.client_id, scope: row.scope, wikiId: wiki.id, grantId: row.grant_id }, now());
  log.info({ event: 'oauth.code.redeemed', wikiId: wiki.id, clientId: client.client_id, grantId: row.grant_id }, 'authorization code redeemed');
  return c.json({ access_token: access.token, token_type: 'Bearer', expires_in: access.expiresIn, scope: row.scope }, 200, { 'Cache-Control': 'no-store', Pragma: 'no-cache' });
}
