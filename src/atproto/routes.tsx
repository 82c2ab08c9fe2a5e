// /auth/login, /auth/callback and the client's public metadata (atproto OAuth "Client ID Metadata").
import type { OAuthClientMetadataInput } from '@atproto/oauth-client-node';
import { Hono } from 'hono';
import type { JWK } from 'jose';
import type { Config } from '../config/config.ts';
import { AppError } from '../errors/app-error.ts';
import { CLI_CONFIRM_COOKIE, LOGIN_NONCE_COOKIE, SIGNUP_COOKIE, type CookieJar } from '../http/cookies.ts';
import { readForm } from '../http/form.ts';
import { LoginPage } from '../http/pages.tsx';
import { rateLimit, type RateLimit, type RateLimiters } from '../http/rate-limit.ts';
import { safeReturnTo } from '../http/return-to.ts';
import { LOGIN_STATE_TTL_SECONDS } from '../store/atproto-oauth.ts';
import { CLI_LOGIN_TTL_SECONDS } from '../store/cli-logins.ts';
import { newLoginNonce, type AtprotoLogin, type CompletedLogin, type LoginFailure } from './login.ts';
import { completeSignIn, refuseUnadmitted, type SignInDeps } from './sign-in.ts';

const NONCE_SHAPE = /^[A-Za-z0-9_-]{43}$/;
/** Login starts per client address per minute: ample for people, a wall for scripts (SS-07). */
export const LOGIN_RATE_LIMIT = 30;
const LOGIN_LIMIT: RateLimit = { bucket: 'login', limit: LOGIN_RATE_LIMIT, windowSeconds: 60 };

/**
 * The CLI login (src/rpc/cli-logins.ts) a callback may belong to. Handed in rather than imported:
 * the CLI login is built on this feature, so importing it here would close a cycle.
 */
export interface CliLoginHandoff {
  fail(cliLoginId: string): Promise<void>;
  browserSignedIn(completed: CompletedLogin & { cliLoginId: string }): Promise<{ confirmToken: string; isUser: boolean }>;
}

/** What the login routes use; the assembly passes its AppDeps (src/web/deps.ts). */
export interface AtprotoRouteDeps extends SignInDeps {
  config: Config;
  cookies: CookieJar;
  login: AtprotoLogin;
  cliLogins: CliLoginHandoff;
  rateLimits: RateLimiters;
  atprotoClientMetadata: OAuthClientMetadataInput;
  atprotoClientJwks: { keys: JWK[] };
}

export function atprotoRoutes(deps: AtprotoRouteDeps): Hono {
  const { config, cookies, login, sessions, now } = deps;
  const app = new Hono();

  app.get('/auth/client-metadata.json', (c) => {
    // The loopback client's id is not a URL; nothing fetches metadata for it.
    if (config.atprotoClientMode !== 'confidential')
      return c.json({ error: 'not_found', error_description: 'this instance uses the atproto loopback client' }, 404);
    return c.json(deps.atprotoClientMetadata, 200, { 'Cache-Control': 'public, max-age=300' });
  });

  app.get('/auth/jwks.json', (c) => c.json(deps.atprotoClientJwks, 200, { 'Cache-Control': 'public, max-age=300' }));

  app.get('/auth/login', async (c) => {
    const returnTo = safeReturnTo(c.req.query('return_to'), config);
    if (await sessions.current(c, now())) return c.redirect(returnTo ?? '/app/', 303);
    return c.html(<LoginPage returnTo={returnTo} />);
  });

  app.post('/auth/login', rateLimit(deps.rateLimits(LOGIN_LIMIT), config.trustedProxies), async (c) => {
    const form = await readForm(c);
    const handle = form.get('handle') ?? '';
    const returnTo = safeReturnTo(form.get('return_to'), config);
    // One nonce per browser, reused across tabs so two concurrent logins do not void each other.
    const existing = cookies.all(c, LOGIN_NONCE_COOKIE)[0];
    const nonce = existing && NONCE_SHAPE.test(existing) ? existing : newLoginNonce();
    try {
      const url = await login.begin(handle, { browserNonce: nonce }, returnTo);
      cookies.set(c, LOGIN_NONCE_COOKIE, nonce, LOGIN_STATE_TTL_SECONDS);
      return c.redirect(url.href, 303);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return c.html(<LoginPage error={error.message} handle={handle.slice(0, 256)} returnTo={returnTo} />, error.status);
    }
  });

  app.get('/auth/callback', async (c) => {
    const params = new URL(c.req.url).searchParams;
    let completed;
    try {
      completed = await login.complete(params, cookies.all(c, LOGIN_NONCE_COOKIE)[0]);
    } catch (error) {
      const cliLoginId = (error as LoginFailure).cliLoginId;
      if (cliLoginId) await deps.cliLogins.fail(cliLoginId);
      throw error;
    }
    try {
      await refuseUnadmitted(deps, completed);
    } catch (error) {
      if (completed.cliLoginId) await deps.cliLogins.fail(completed.cliLoginId);
      throw error;
    }
    if (completed.cliLoginId) {
      // A CLI login: the browser is bound to its confirmation page; first-time users sign up first.
      const { confirmToken, isUser } = await deps.cliLogins.browserSignedIn({ ...completed, cliLoginId: completed.cliLoginId });
      cookies.set(c, CLI_CONFIRM_COOKIE, confirmToken, CLI_LOGIN_TTL_SECONDS);
      if (isUser) return c.redirect('/auth/cli/confirm', 303);
      completed = { ...completed, returnTo: '/auth/cli/confirm' };
    }
    const next = await completeSignIn(deps, c, completed);
    if (next.kind === 'signup') cookies.set(c, SIGNUP_COOKIE, next.token, next.ttlSeconds);
    // 303 to a clean URL at once, so code and state never reach a sub-resource's Referer (LG-02).
    return c.redirect(next.location, 303);
  });

  return app;
}
