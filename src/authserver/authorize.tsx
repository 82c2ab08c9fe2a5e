// The authorization endpoint and the consent form (OAuth 2.1 §4.1.1, RFC 7636, RFC 8707, RFC 9207).
// Checks run in a fixed order (./authorize-checks.ts): until the client and its redirect URI are known
// good and the person is signed in, every failure is a page on our origin and never a redirect (RFC 6749
// §4.1.2.1); after that, failures go back to the client with `error`, `state` and `iss`, always as 303
// (never 307, which replays the POST).
import type { Context } from 'hono';
import { constantTimeEqual, randomToken, sha256 } from '../secrets.ts';
import { isStoreUnavailable } from '../store/errors.ts';
import type { AuthorizationRequest } from '../store/grants.ts';
import type { Wiki } from '../store/wikis.ts';
import { formExpired, forbidden } from '../errors/app-error.ts';
import { readForm } from '../http/form.ts';
import { isFromOrigin } from '../http/same-origin.ts';
import { ConsentDeniedPage, ConsentPage } from '../http/pages.tsx';
import { roleOf } from '../wiki/access.ts';
import { wikiUrls, type WikiUrls } from '../wiki/urls.ts';
import { audit } from './audit.ts';
import { CLIENT_CHECKS, param, REQUEST_CHECKS, type AuthorizeContext } from './authorize-checks.ts';
import { runChecks } from './checks.ts';
import { clientLabel } from './client-label.ts';
import type { AuthorizeDeps } from './deps.ts';
import { asOAuthError, errorRedirectUrl, logUnexpected, OAuthError, pageError, redirectError, redirectToClient, type ClientRedirect } from './oauth-error.ts';

/** Catalogue policy: codes live 60 s; a consent form 10 minutes. */
export const CODE_TTL_SECONDS = 60;
const CONSENT_TTL_SECONDS = 10 * 60;

/**
 * Runs the steps after the redirect URI is trusted: a refusal, or a store briefly out of reach
 * (`temporarily_unavailable`, catalogue DB-02), goes back to the client. Anything else is ours.
 */
async function answeringTheClient(deps: AuthorizeDeps, c: Context, target: ClientRedirect, step: () => Promise<Response>): Promise<Response> {
  try {
    return await step();
  } catch (error) {
    if (!(error instanceof OAuthError) && !isStoreUnavailable(error)) throw error;
    logUnexpected(deps.log, c, error, 'authorization response failed');
    return redirectError(c, target, asOAuthError(error));
  }
}

export async function authorize(deps: AuthorizeDeps, c: Context, wiki: Wiki): Promise<Response> {
  const { config, sessions, now } = deps;
  const urls = wikiUrls(config, wiki.slug);
  const context: AuthorizeContext = {
    wiki,
    urls,
    query: new URL(c.req.url).searchParams,
    resolveClient: (clientId) => deps.clients.resolve(wiki, clientId, c),
    roleOf: (did) => roleOf(deps.wikis, wiki, did),
  };
  try {
    await runChecks(CLIENT_CHECKS, context);
  } catch (error) {
    throw error instanceof OAuthError ? pageError(error) : error;
  }
  const client = context.client!;
  const redirectUri = context.redirectUri!;
  audit(deps.log, c, 'oauth.authorize.begun', { wikiId: wiki.id, clientId: client.clientId });

  // Who is asking: log in first and come back here. The session names the person by DID, and a
  // session exists only for a signed-up user.
  const did = (await sessions.current(c, now()))?.sub;
  if (!did) return c.redirect(`${config.publicUrl}/auth/login?${new URLSearchParams({ return_to: c.req.url })}`, 303);
  context.did = did;

  const state = param(context, 'state');
  const target: ClientRedirect = { redirectUri, issuer: urls.issuer, state };
  return answeringTheClient(deps, c, target, async () => {
    try {
      await runChecks(REQUEST_CHECKS, context);
    } catch (error) {
      // The person cannot give this wiki to the app: say so here, where they are, and let them take the
      // error back to the app themselves (it still gets access_denied, RFC 6749 §4.1.2.1).
      if (error instanceof OAuthError && error.error === 'access_denied') {
        audit(deps.log, c, 'oauth.authorize.refused', { wikiId: wiki.id, clientId: client.clientId });
        return c.html(
          <ConsentDeniedPage
            clientName={client.clientName}
            verifiedHost={client.verifiedHost}
            wikiName={wiki.display_name}
            reason={error.description}
            backUrl={errorRedirectUrl(target, error)}
            platform={config.publicUrl}
          />,
          403,
        );
      }
      throw error;
    }
    const scopes = context.scopes!;
    const request: AuthorizationRequest = {
      id: randomToken(16),
      wiki_id: wiki.id,
      client_id: client.clientId,
      user_did: did,
      redirect_uri: redirectUri,
      state: state ?? null,
      code_challenge: param(context, 'code_challenge')!,
      scope: scopes.join(' '),
      resource: urls.mcp,
      csrf: randomToken(24),
      expires_at: now() + CONSENT_TTL_SECONDS,
    };

    // Remembered consent covering every scope asked for: no page, and the live grant just read is the
    // one the code is issued under (catalogue CS-04 keys it by client).
    const grant = await deps.grants.findActive(wiki.id, client.clientId, did);
    if (grant && scopes.every((scope) => grant.scope.split(' ').includes(scope))) return issueCode(deps, c, urls, request, grant.id);

    await deps.grants.saveRequest(request);
    return c.html(
      <ConsentPage
        clientName={client.clientName}
        verifiedHost={client.verifiedHost}
        redirectHost={clientLabel(new URL(redirectUri).host || redirectUri, redirectUri)}
        wikiName={wiki.display_name}
        wikiUrl={urls.mcp}
        scopes={scopes}
        requestId={request.id}
        csrf={request.csrf}
        action={new URL(urls.authorize).pathname.replace(/authorize$/, 'consent')}
        platform={config.publicUrl}
      />,
    );
  });
}

export async function consent(deps: AuthorizeDeps, c: Context, wiki: Wiki): Promise<Response> {
  const { config, grants, sessions, now, log } = deps;
  const urls = wikiUrls(config, wiki.slug);
  // Catalogue CS-02: the form must come from this issuer's own origin.
  if (!isFromOrigin(c, new URL(urls.issuer).origin)) {
    throw forbidden('This approval did not come from this page, so it was refused.');
  }
  const form = await readForm(c);
  const session = await sessions.current(c, now());
  const pending = await grants.findRequest(form.get('request_id') ?? '', now());
  if (!session || !pending || pending.wiki_id !== wiki.id || pending.user_did !== session.sub || !constantTimeEqual(form.get('csrf') ?? '', pending.csrf)) {
    throw formExpired('This approval form expired or was already used. Go back to the application and connect again.');
  }
  const request = await grants.takeRequest(pending.id, now());
  if (!request) throw formExpired('This approval form was already used.');
  return answeringTheClient(deps, c, { redirectUri: request.redirect_uri, issuer: urls.issuer, state: request.state }, async () => {
    if (form.get('decision') !== 'approve') {
      audit(log, c, 'oauth.consent.denied', { wikiId: wiki.id, clientId: request.client_id });
      throw new OAuthError('access_denied', 'the user denied the request');
    }
    return issueCode(deps, c, urls, request);
  });
}

/**
 * Sends the client its code, once it is stored: under `grantId`, the live grant that already covers
 * the request, or else with the consent just given recorded in the same transaction (catalogue DB-02).
 */
async function issueCode(deps: AuthorizeDeps, c: Context, urls: WikiUrls, request: AuthorizationRequest, grantId?: string): Promise<Response> {
  const { grants, log, now } = deps;
  const code = randomToken();
  const stored = {
    code_hash: sha256(code),
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
  };
  const ids = { wikiId: request.wiki_id, clientId: request.client_id };
  if (grantId) {
    await grants.issueCode({ ...stored, grant_id: grantId });
  } else {
    grantId = await grants.approveWithCode(stored, now());
    audit(log, c, 'oauth.consent.approved', { ...ids, grantId });
  }
  audit(log, c, 'oauth.code.issued', { ...ids, grantId });
  return redirectToClient(c, { redirectUri: request.redirect_uri, issuer: urls.issuer, state: request.state }, { code });
}
