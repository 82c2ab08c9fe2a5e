// What the authorization endpoint checks, as ordered lists of named checks (./checks.ts). The order is
// the security rule of RFC 6749 §4.1.2.1: until the client and its redirect URI are known good (and the
// person is signed in, so a registered phishing URI cannot use us as a redirector: catalogue RU-04),
// a refusal is a page on our origin; only the checks after that may send the client an error.
import type { Wiki } from '../store/wikis.ts';
import { quotedName, repeatedParameter } from '../http/form.ts';
import { scopesOf, type Role } from '../wiki/access.ts';
import type { WikiUrls } from '../wiki/urls.ts';
import { canonicalResource, type Check } from './checks.ts';
import { ClientMetadataError, type Client } from './clients.ts';
import { WIKI_SCOPES } from './metadata.ts';
import { OAuthError } from './oauth-error.ts';
import { redirectUriMatches } from './redirect-uri.ts';

const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/; // base64url(SHA-256), RFC 7636 §4.2
/**
 * Catalogue IN-01: `state` is opaque to us (RFC 6749 §4.1.1) but we store it and echo it, so it has a
 * documented maximum. 4 KiB is ample for a client's CSRF value or encoded return address.
 */
export const STATE_MAX_BYTES = 4 * 1024;

export interface AuthorizeContext {
  wiki: Wiki;
  urls: WikiUrls;
  /** The query string; a repeated parameter is refused before anything reads it. */
  query: URLSearchParams;
  /** The client a client_id names (./clients.ts); throws ClientMetadataError for a bad document. */
  resolveClient: (clientId: string) => Promise<Client | undefined>;
  /** The person's role in this wiki (src/wiki/access.ts). */
  roleOf: (did: string) => Promise<Role | undefined>;
  client?: Client;
  redirectUri?: string;
  /** The signed-in person (their DID), once known. */
  did?: string;
  /** The scopes the code will carry, once decided. */
  scopes?: string[];
}

/** A parameter's value; empty counts as absent (RFC 6749 §3.1). */
export const param = (context: Pick<AuthorizeContext, 'query'>, name: string) => context.query.get(name) || undefined;

// — Until the client and its redirect URI are trusted: refusals are pages. —

/** RFC 6749 §3.1: request parameters must not be included more than once. */
export const parametersOnce: Check<AuthorizeContext> = ({ query }) => {
  const repeated = repeatedParameter(query);
  if (repeated !== undefined) throw new OAuthError('invalid_request', `The parameter ${quotedName(repeated)} appears more than once.`);
};

/** Before anything is looked up, stored or redirected: a redirect would carry the oversized value on. */
export const stateWithinLimit: Check<AuthorizeContext> = ({ query }) => {
  if (Buffer.byteLength(query.get('state') ?? '') > STATE_MAX_BYTES) throw new OAuthError('invalid_request', 'The "state" parameter is longer than 4 KiB.');
};

/** The client the request names: registered here, or described by its metadata document (RU-01..04). */
export const knownClient: Check<AuthorizeContext> = async (context) => {
  const clientId = param(context, 'client_id');
  try {
    context.client = clientId ? await context.resolveClient(clientId) : undefined;
  } catch (error) {
    if (error instanceof ClientMetadataError)
      throw new OAuthError('invalid_request', `The application that sent you here describes itself in a way we cannot use: ${error.message}.`);
    throw error;
  }
  if (!context.client) throw new OAuthError('invalid_request', 'The application that sent you here is not registered with this wiki.');
};

/** RFC 6749 §3.1.2.3: one the client registered; it may be left out when the client registered only one. */
export const registeredRedirectUri: Check<AuthorizeContext> = (context) => {
  const { redirectUris } = context.client!;
  const redirectUri = param(context, 'redirect_uri') ?? (redirectUris.length === 1 ? redirectUris[0] : undefined);
  if (!redirectUri || !redirectUris.some((uri) => redirectUriMatches(uri, redirectUri))) {
    throw new OAuthError('invalid_request', 'The address this application asked to return to is not one it registered, so we stopped here.');
  }
  context.redirectUri = redirectUri;
};

// — Once the person is signed in: refusals go back to the client (with state and iss). —

export const responseTypeCode: Check<AuthorizeContext> = (context) => {
  if (param(context, 'response_type') !== 'code') throw new OAuthError('unsupported_response_type', 'only response_type=code is supported');
};

/** OAuth 2.1 §4.1.1, RFC 7636: PKCE with S256 on every request (catalogue PK-01). */
export const pkceS256: Check<AuthorizeContext> = (context) => {
  const challenge = param(context, 'code_challenge');
  if (!challenge || param(context, 'code_challenge_method') !== 'S256')
    throw new OAuthError('invalid_request', 'PKCE with code_challenge_method=S256 is required');
  if (!CODE_CHALLENGE.test(challenge)) throw new OAuthError('invalid_request', 'code_challenge must be 43 base64url characters');
};

/** RFC 8707: the only resource a wiki's issuer serves is the wiki's MCP endpoint. */
export const resourceIsThisWiki: Check<AuthorizeContext> = (context) => {
  const resource = param(context, 'resource');
  if (resource !== undefined && canonicalResource(resource) !== context.urls.mcp)
    throw new OAuthError('invalid_target', `resource must be ${context.urls.mcp}`);
};

/** The scopes asked for, if any were; each must be one of ours. */
function requestedScopes(context: AuthorizeContext): string[] | undefined {
  return param(context, 'scope')?.split(' ').filter(Boolean);
}

export const knownScopes: Check<AuthorizeContext> = (context) => {
  const requested = requestedScopes(context);
  if (requested && (requested.length === 0 || requested.some((scope) => !(WIKI_SCOPES as readonly string[]).includes(scope))))
    throw new OAuthError('invalid_scope', 'scopes are wiki:read and wiki:write');
};

/**
 * Owners and collaborators may grant what their role allows (CS-06). Without `scope` that is
 * everything they hold; a request for more is narrowed (RFC 6749 §3.3), or refused if nothing is left.
 */
export const grantableScopes: Check<AuthorizeContext> = async (context) => {
  const allowed = scopesOf(await context.roleOf(context.did!));
  if (allowed.length === 0) throw new OAuthError('access_denied', 'you do not have access to this wiki');
  const scopes = (requestedScopes(context) ?? allowed).filter((scope) => allowed.includes(scope));
  if (scopes.length === 0) throw new OAuthError('access_denied', `you may only ${allowed.includes('wiki:write') ? 'read and write' : 'read'} this wiki`);
  context.scopes = [...new Set(scopes)].sort();
};

/** Failures are pages: nothing is trusted yet. Each check may rely on those before it. */
export const CLIENT_CHECKS: readonly Check<AuthorizeContext>[] = [parametersOnce, stateWithinLimit, knownClient, registeredRedirectUri];
/** Failures go back to the client; `context.did` is the signed-in person. */
export const REQUEST_CHECKS: readonly Check<AuthorizeContext>[] = [responseTypeCode, pkceS256, resourceIsThisWiki, knownScopes, grantableScopes];
