// The authorization endpoint and the consent form (OAuth 2.1 §4.1.1, RFC 7636, RFC 8707, RFC 9207).
// Checks run in a fixed order: until the client and its redirect URI are known good, every failure
// is a page on our origin and never a redirect (RFC 6749 §4.1.2.1); after that, failures go back to
// the client with `error`, `state` and `iss`, always as 303 (never 307, which replays the POST).
import type { Context } from 'hono';
import { AppError } from '../errors/app-error.ts';
import { constantTimeEqual, randomToken, sha256 } from '../secrets.ts';
import { isStoreUnavailable } from '../store/errors.ts';
import type { AuthorizationRequest } from '../store/grants.ts';
import type { Wiki } from '../store/wikis.ts';
import type { AppDeps } from '../web/deps.ts';
import { readForm } from '../http/form.ts';
import { ConsentPage } from '../http/pages.tsx';
import { roleOf, scopesOf } from '../wiki/access.ts';
import { wikiUrls, type WikiUrls } from '../wiki/urls.ts';
import { audit } from './audit.ts';
import { clientLabel } from './client-label.ts';
import { ClientMetadataError, type Client } from './clients.ts';
import { WIKI_SCOPES } from './metadata.ts';
import { redirectUriMatches } from './redirect-uri.ts';

/** Catalogue policy: codes live 60 s; a consent form 10 minutes. */
export const CODE_TTL_SECONDS = 60;
const CONSENT_TTL_SECONDS = 10 * 60;
const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/; // base64url(SHA-256), RFC 7636 §4.2
/**
 * Catalogue IN-01: `state` is opaque to us (RFC 6749 §4.1.1) but we store it and echo it, so it has a
 * documented maximum. 4 KiB is ample for a client's CSRF value or encoded return address.
 */
const STATE_MAX_BYTES = 4 * 1024;

const pageError = (message: string) => new AppError('invalid_request', 400, message, 'This sign-in link is not valid');

/** Where errors go once the client and redirect URI are trusted (RFC 9207: with `iss`). */
function redirectTo(c: Context, redirectUri: string, issuer: string, params: Record<string, string | null | undefined>): Response {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value) url.searchParams.set(name, value);
  url.searchParams.set('iss', issuer);
  return c.redirect(url.href, 303);
}

function canonicalResource(value: string): string {
  return value.endsWith('/') ? value.slice(0, -1) : value;
}

export async function authorize(deps: AppDeps, c: Context, wiki: Wiki): Promise<Response> {
  const { config, grants, sessions, users, now } = deps;
  const urls = wikiUrls(config, wiki.slug);
  const query = new URL(c.req.url).searchParams;
  for (const name of new Set(query.keys())) {
    if (query.getAll(name).length > 1) throw pageError(`The parameter "${name.slice(0, 40)}" appears more than once.`);
  }
  // Before anything is looked up, stored or redirected: a redirect would carry the oversized value on.
  if (Buffer.byteLength(query.get('state') ?? '') > STATE_MAX_BYTES) {
    throw pageError('The "state" parameter is longer than 4 KiB.');
  }
  const param = (name: string) => query.get(name) || undefined;

  // 1. The client, and where it may be sent back to (catalogue RU-01..04).
  const clientId = param('client_id');
  let client: Client | undefined;
  try {
    client = clientId ? await deps.clients.resolve(wiki, clientId, c) : undefined;
  } catch (error) {
    if (error instanceof ClientMetadataError) throw pageError(`The application that sent you here describes itself in a way we cannot use: ${error.message}.`);
    throw error;
  }
  if (!client) throw pageError('The application that sent you here is not registered with this wiki.');
  const requested = param('redirect_uri');
  const redirectUri = requested ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined);
  if (!redirectUri || !client.redirectUris.some((uri) => redirectUriMatches(uri, redirectUri))) {
    throw pageError('The address this application asked to return to is not one it registered, so we stopped here.');
  }
  const state = param('state');
  audit(deps.log, c, 'oauth.authorize.begun', { wikiId: wiki.id, clientId: client.clientId });
  const fail = (error: string, description: string) => redirectTo(c, redirectUri, urls.issuer, { error, error_description: description, state });

  // 2. Who is asking: log in first and come back here. Until the person is authenticated nothing is
  // redirected to the client, so a registered phishing URI cannot use us as a redirector (RU-04).
  const session = await sessions.current(c, now());
  const user = session ? await users.findByDid(session.sub) : undefined;
  if (!user) return c.redirect(`${config.publicUrl}/auth/login?${new URLSearchParams({ return_to: c.req.url })}`, 303);

  // 3. The request itself, then whether this person may grant it (CS-06).
  if (param('response_type') !== 'code') return fail('unsupported_response_type', 'only response_type=code is supported');
  const challenge = param('code_challenge');
  if (!challenge || param('code_challenge_method') !== 'S256') return fail('invalid_request', 'PKCE with code_challenge_method=S256 is required');
  if (!CODE_CHALLENGE.test(challenge)) return fail('invalid_request', 'code_challenge must be 43 base64url characters');
  const resource = param('resource');
  if (resource !== undefined && canonicalResource(resource) !== urls.mcp) return fail('invalid_target', `resource must be ${urls.mcp}`);
  const requestedScopes = param('scope')?.split(' ').filter(Boolean);
  if (requestedScopes && (requestedScopes.length === 0 || requestedScopes.some((scope) => !(WIKI_SCOPES as readonly string[]).includes(scope)))) return fail('invalid_scope', 'scopes are wiki:read and wiki:write');

  // Owners and collaborators may grant what their role allows (CS-06). Without `scope` that is
  // everything they hold; a request for more is narrowed (RFC 6749 §3.3), or refused if nothing is left.
  const allowed = scopesOf(await roleOf(deps.wikis, wiki, user.did));
  if (allowed.length === 0) return fail('access_denied', 'you do not have access to this wiki');
  const scopes = (requestedScopes ?? allowed).filter((scope) => allowed.includes(scope));
  if (scopes.length === 0) return fail('access_denied', `you may only ${allowed.includes('wiki:write') ? 'read and write' : 'read'} this wiki`);

  const scope = [...new Set(scopes)].sort().join(' ');
  const request: AuthorizationRequest = {
    id: randomToken(16),
    wiki_id: wiki.id,
    client_id: client.clientId,
    user_did: user.did,
    redirect_uri: redirectUri,
    state: state ?? null,
    code_challenge: challenge,
    scope,
    resource: urls.mcp,
    csrf: randomToken(24),
    expires_at: now() + CONSENT_TTL_SECONDS,
  };

  // 4. Remembered consent covering every scope asked for: no page (catalogue CS-04 keys it by client).
  const grant = await grants.findActive(wiki.id, client.clientId, user.did);
  if (grant && scopes.every((s) => grant.scope.split(' ').includes(s))) return issueCode(deps, c, urls, request, false);

  await grants.saveRequest(request);
  return c.html(
    <ConsentPage
      clientName={client.clientName}
      verifiedHost={client.verifiedHost}
      redirectHost={clientLabel(new URL(redirectUri).host || redirectUri, redirectUri)}
      wikiName={wiki.display_name}
      wikiUrl={urls.mcp}
      scopes={scope.split(' ')}
      requestId={request.id}
      csrf={request.csrf}
      action={new URL(urls.authorize).pathname.replace(/authorize$/, 'consent')}
    />,
  );
}

export async function consent(deps: AppDeps, c: Context, wiki: Wiki): Promise<Response> {
  const { config, grants, sessions, now, log } = deps;
  const urls = wikiUrls(config, wiki.slug);
  // Catalogue CS-02: sibling wiki origins are same-site, so SameSite is no defence; the form must
  // come from this issuer's own origin.
  // Browsers send `Origin: null` from our pages (they are served with Referrer-Policy: no-referrer),
  // so Sec-Fetch-Site decides where the browser sends it, and Origin where it does not.
  const issuerOrigin = new URL(urls.issuer).origin;
  const origin = c.req.header('origin');
  const fetchSite = c.req.header('sec-fetch-site');
  const sameOrigin = fetchSite ? fetchSite === 'same-origin' : origin === issuerOrigin;
  if (!sameOrigin || (origin !== undefined && origin !== 'null' && origin !== issuerOrigin)) {
    throw new AppError('forbidden', 403, 'This approval did not come from this page, so it was refused.', 'Request refused');
  }
  const form = await readForm(c);
  const session = await sessions.current(c, now());
  const pending = await grants.findRequest(form.get('request_id') ?? '', now());
  if (!session || !pending || pending.wiki_id !== wiki.id || pending.user_did !== session.sub || !constantTimeEqual(form.get('csrf') ?? '', pending.csrf)) {
    throw new AppError('csrf_failed', 403, 'This approval form expired or was already used. Go back to the application and connect again.', 'Form expired');
  }
  const request = await grants.takeRequest(pending.id, now());
  if (!request) throw new AppError('csrf_failed', 403, 'This approval form was already used.', 'Form expired');
  if (form.get('decision') !== 'approve') {
    audit(log, c, 'oauth.consent.denied', { wikiId: wiki.id, clientId: request.client_id });
    return redirectTo(c, request.redirect_uri, urls.issuer, { error: 'access_denied', error_description: 'the user denied the request', state: request.state });
  }
  return issueCode(deps, c, urls, request, true);
}

/** Records (or widens) the grant and sends the client its code; `approved`: the person just consented. */
async function issueCode(deps: AppDeps, c: Context, urls: WikiUrls, request: AuthorizationRequest, approved: boolean): Promise<Response> {
  const { grants, log, now } = deps;
  const ids = { wikiId: request.wiki_id, clientId: request.client_id };
  const code = randomToken();
  let grantId: string;
  try {
    // Catalogue DB-02: the consent and the code are stored together or not at all, and a code is
    // sent only once it is stored.
    grantId = await deps.database.db.transaction().execute(async (tx) => {
      const grant = await grants.approve({ wikiId: request.wiki_id, clientId: request.client_id, userDid: request.user_did, scope: request.scope }, now(), tx);
      await grants.saveCode(
        {
          code_hash: sha256(code),
          grant_id: grant.id,
          wiki_id: request.wiki_id,
          client_id: request.client_id,
          user_did: request.user_did,
          redirect_uri: request.redirect_uri,
          code_challenge: request.code_challenge,
          scope: request.scope,
          resource: request.resource,
          expires_at: now() + CODE_TTL_SECONDS,
          consumed_at: null,
          validly_consumed_at: null,
        },
        tx,
      );
      return grant.id;
    });
  } catch (error) {
    if (!isStoreUnavailable(error)) throw error;
    log.error({ err: error, requestId: c.get('requestId') as string | undefined, ...ids }, 'authorization code could not be stored');
    // RFC 6749 §4.1.2.1: the redirect URI is trusted by now, so the client is told to try again later.
    return redirectTo(c, request.redirect_uri, urls.issuer, { error: 'temporarily_unavailable', error_description: 'try again in a moment', state: request.state });
  }
  if (approved) audit(log, c, 'oauth.consent.approved', { ...ids, grantId });
  audit(log, c, 'oauth.code.issued', { ...ids, grantId });
  return redirectTo(c, request.redirect_uri, urls.issuer, { code, state: request.state });
}
