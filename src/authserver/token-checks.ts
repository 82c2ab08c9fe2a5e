// What the token endpoint checks before it redeems a code or rotates a refresh token (OAuth 2.1
// §4.1.3, §4.3.1; RFC 7636 §4.6; RFC 8707 §2.2), in order. Pure: the code or token has been read, with
// whether its grant still stands, by the store.
import { sha256 } from '../secrets.ts';
import type { AuthorizationCode, Authorized } from '../store/grants.ts';
import type { RefreshTokenRow } from '../store/refresh-tokens.ts';
import { canonicalResource, type Check } from './checks.ts';
import type { Client } from './clients.ts';
import { OAuthError } from './oauth-error.ts';

const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/; // RFC 7636 §4.1

export interface CodeGrantContext {
  client: Client;
  form: Map<string, string>;
  code: Authorized<AuthorizationCode>;
  now: number;
}

export const codeIssuedToThisClient: Check<CodeGrantContext> = ({ client, code }) => {
  if (code.client_id !== client.clientId) throw new OAuthError('invalid_grant', 'the code was issued to another client');
};

/** RFC 7636 §4.6 and OAuth 2.1 §4.1.3: a verifier for a code issued without a challenge is refused. */
export const verifierOnlyWithChallenge: Check<CodeGrantContext> = ({ form, code }) => {
  if (code.code_challenge === '' && form.get('code_verifier') !== undefined)
    throw new OAuthError('invalid_request', 'code_verifier sent for a code issued without PKCE');
};

/** RFC 7636 §4.6, S256 only: every code needs its verifier (catalogue PK-01..03). */
export const verifierMatchesChallenge: Check<CodeGrantContext> = ({ form, code }) => {
  const verifier = form.get('code_verifier');
  if (code.code_challenge === '' || verifier === undefined || !VERIFIER.test(verifier) || sha256(verifier) !== code.code_challenge) {
    throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge');
  }
};

export const sameRedirectUri: Check<CodeGrantContext> = ({ form, code }) => {
  const redirectUri = form.get('redirect_uri');
  if (redirectUri !== undefined && redirectUri !== code.redirect_uri)
    throw new OAuthError('invalid_grant', 'redirect_uri differs from the authorization request');
};

export const codeNotExpired: Check<CodeGrantContext> = ({ code, now }) => {
  if (code.expires_at <= now) throw new OAuthError('invalid_grant', 'the code has expired');
};

/** RFC 8707 §2.2: a token request may name the resource again, but only the one authorized. */
function requireSameResource(form: Map<string, string>, authorized: string): void {
  const resource = form.get('resource');
  if (resource !== undefined && canonicalResource(resource) !== authorized) throw new OAuthError('invalid_target', `resource must be ${authorized}`);
}

export const codeResource: Check<CodeGrantContext> = ({ form, code }) => requireSameResource(form, code.resource);

/** The grant may have been revoked, or the person may have left the wiki, since consent (AC-05). */
export const codeStillAuthorized: Check<CodeGrantContext> = ({ code }) => {
  if (!code.authorized) throw new OAuthError('invalid_grant', 'the authorization is no longer valid');
};

/**
 * Every check that does not depend on the code being unused, in order. The attempt that consumes the
 * code is recorded as valid or not by them (catalogue PK-03: a failed attempt consumes but revokes nothing).
 */
export const CODE_GRANT_CHECKS: readonly Check<CodeGrantContext>[] = [
  codeIssuedToThisClient,
  verifierOnlyWithChallenge,
  verifierMatchesChallenge,
  sameRedirectUri,
  codeNotExpired,
  codeResource,
  codeStillAuthorized,
];

export interface RefreshGrantContext {
  client: Client;
  form: Map<string, string>;
  token: Authorized<RefreshTokenRow>;
  now: number;
}

/** One answer for every kind of dead token, so nothing can be learned from it (catalogue RT-06). */
export const invalidRefreshToken = () => new OAuthError('invalid_grant', 'the refresh token is invalid');

/** RT-03: another client's token is refused without touching it, so a foreign client cannot kill a family. */
export const refreshTokenOfThisClient: Check<RefreshGrantContext> = ({ client, token }) => {
  if (token.client_id !== client.clientId) throw invalidRefreshToken();
};

/** RT-04, RFC 6749 §6: narrower is allowed, wider is not; neither consumes the token. */
export const scopeNotWidened: Check<RefreshGrantContext> = ({ form, token }) => {
  const requested = form.get('scope');
  const granted = token.scope.split(' ');
  if (requested?.split(' ').some((scope) => !granted.includes(scope))) throw new OAuthError('invalid_scope', 'a refresh cannot widen the scope');
};

/** Not idle past its expiry, and its grant still stands (RT-06). */
export const refreshTokenLive: Check<RefreshGrantContext> = ({ token, now }) => {
  if (token.expires_at <= now || !token.authorized) throw invalidRefreshToken();
};

export const refreshResource: Check<RefreshGrantContext> = ({ form, token }) => requireSameResource(form, token.resource);

export const REFRESH_GRANT_CHECKS: readonly Check<RefreshGrantContext>[] = [refreshTokenOfThisClient, scopeNotWidened, refreshResource, refreshTokenLive];
