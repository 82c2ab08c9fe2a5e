// The authorization server's one error path. Handlers and checks throw an OAuthError; how it is
// answered depends only on where the request came from: JSON for the back-channel endpoints (RFC 6749
// §5.2, RFC 7591 §3.2.2, RFC 7009 §2.2.1), a 303 back to the client once its redirect URI is trusted
// (RFC 6749 §4.1.2.1, RFC 9207), or our own HTML page before that (src/web/app.tsx maps AppError).
import type { Context } from 'hono';
import { AppError } from '../errors/app-error.ts';
import type { Logger } from '../log.ts';
import { isStoreUnavailable, RETRY_AFTER_SECONDS } from '../store/errors.ts';

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'access_denied'
  | 'invalid_client_metadata'
  | 'invalid_redirect_uri'
  | 'temporarily_unavailable'
  | 'server_error'
  | 'rate_limited'
  | 'not_found';

export type OAuthStatus = 400 | 401 | 403 | 404 | 405 | 413 | 429 | 500 | 503;

export class OAuthError extends Error {
  override name = 'OAuthError';
  constructor(
    readonly error: OAuthErrorCode,
    /** `error_description`: for the client's developer; as a page, the message a person reads. */
    readonly description: string,
    readonly status: OAuthStatus = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }
}

/** What an unexpected failure becomes: a store briefly out of reach is retryable, anything else is ours. */
export function asOAuthError(error: unknown): OAuthError {
  if (error instanceof OAuthError) return error;
  return isStoreUnavailable(error)
    ? new OAuthError('server_error', 'temporarily unavailable; retry shortly', 503, { 'Retry-After': String(RETRY_AFTER_SECONDS) })
    : new OAuthError('server_error', 'internal error', 500);
}

/** Logs a failure that is not an OAuthError (details in the log only, never in the answer: IN-05). */
export function logUnexpected(log: Logger, c: Context, error: unknown, message = 'unhandled error'): void {
  if (!(error instanceof OAuthError)) log.error({ err: error, requestId: c.get('requestId') as string | undefined }, message);
}

/** RFC 6749 §5.2: `{error, error_description}`, never cached (§5.1). */
export function jsonError(c: Context, error: OAuthError): Response {
  return c.json({ error: error.error, error_description: error.description }, error.status, {
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
    ...error.headers,
  });
}

/** Where an authorization response goes once the client and its redirect URI are trusted. */
export interface ClientRedirect {
  redirectUri: string;
  issuer: string;
  state: string | null | undefined;
}

/** The client's redirect URI with the response's parameters, `state` and `iss` (RFC 9207). */
export function clientRedirectUrl(target: ClientRedirect, params: Record<string, string>): string {
  const url = new URL(target.redirectUri);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  if (target.state) url.searchParams.set('state', target.state);
  url.searchParams.set('iss', target.issuer);
  return url.href;
}

/** A 303 (never 307, which would replay a POST) to the client with `iss` (RFC 9207) and `state`. */
export function redirectToClient(c: Context, target: ClientRedirect, params: Record<string, string>): Response {
  return c.redirect(clientRedirectUrl(target, params), 303);
}

/** RFC 6749 §4.1.2.1: the error's parameters; a store outage is `temporarily_unavailable`. */
function errorParams(error: OAuthError): Record<string, string> {
  const unavailable = error.status === 503;
  return {
    error: unavailable ? 'temporarily_unavailable' : error.error,
    error_description: unavailable ? 'try again in a moment' : error.description,
  };
}

/** The error as the client's redirect URL, for a page that lets the person go back with it. */
export const errorRedirectUrl = (target: ClientRedirect, error: OAuthError): string => clientRedirectUrl(target, errorParams(error));

/** RFC 6749 §4.1.2.1: the error as the client's redirect. */
export function redirectError(c: Context, target: ClientRedirect, error: OAuthError): Response {
  return redirectToClient(c, target, errorParams(error));
}

/** Before the redirect URI is trusted a refused request is a page on our origin (src/web/app.tsx renders it). */
export function pageError(error: OAuthError): AppError {
  return new AppError(error.error, 400, error.description, 'This sign-in link is not valid');
}
