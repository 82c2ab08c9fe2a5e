// After a verified atproto login: a returning user gets a session; a first-time user gets a pending
// signup bound to this browser (catalogue SU-05). If anything here fails, the atproto tokens just
// received are revoked and no platform session exists (DB-05).
import type { Context } from 'hono';
import type { Logger } from '../log.ts';
import { randomToken, sha256 } from '../secrets.ts';
import type { Config } from '../config/config.ts';
import { accountSuspended, maySignUp, signupNotAllowed } from '../session/admission.ts';
import type { SessionService } from '../session/sessions.ts';
import type { PendingSignupStore } from '../store/pending-signups.ts';
import type { UserStore } from '../store/users.ts';
import type { AtprotoLogin, CompletedLogin } from './login.ts';

export const SIGNUP_TTL_SECONDS = 15 * 60;

export type SignInOutcome = { kind: 'session'; location: string } | { kind: 'signup'; location: string; token: string; ttlSeconds: number };

/** What completing a sign-in uses; the assembly passes its AppDeps (src/web/deps.ts). */
export interface SignInDeps {
  config: Pick<Config, 'signup' | 'adminDids'>;
  users: UserStore;
  pendingSignups: PendingSignupStore;
  sessions: SessionService;
  log: Logger;
  login: Pick<AtprotoLogin, 'revoke'>;
  now: () => number;
}

/**
 * Refuses, with a page saying why, a login whose person may not be here: a suspended account, or a
 * newcomer the signup policy leaves out. Runs before anything is created for the login (a session,
 * a pending signup, a CLI credential); the atproto tokens just received are revoked.
 */
export async function refuseUnadmitted(deps: SignInDeps, login: CompletedLogin): Promise<void> {
  const standing = await deps.users.standing(login.did);
  const refusal =
    standing === 'suspended'
      ? accountSuspended()
      : standing === undefined && !maySignUp(deps.config, login.did, login.handle)
        ? signupNotAllowed(login.handle, login.did)
        : undefined;
  if (!refusal) return;
  deps.log.info({ event: standing ? 'login.refused_suspended' : 'signup.refused', did: login.did }, 'login refused');
  await deps.login.revoke(login.did);
  throw refusal;
}

export async function completeSignIn(deps: SignInDeps, c: Context, login: CompletedLogin): Promise<SignInOutcome> {
  const { users, pendingSignups, sessions, log, now } = deps;
  try {
    const user = await users.findByDid(login.did);
    if (user) {
      const current = { ...user, handle: login.handle ?? user.handle };
      if (login.handle && login.handle !== user.handle) await users.updateHandle(user.did, login.handle, now());
      const { token } = await sessions.mint(current, now());
      sessions.setCookie(c, token);
      log.info({ event: 'session.created', did: user.did }, 'returning user signed in');
      return { kind: 'session', location: login.returnTo ?? '/app/' };
    }
    const token = randomToken();
    await pendingSignups.create(sha256(token), {
      did: login.did,
      handle: login.handle,
      csrf: randomToken(24),
      return_to: login.returnTo ?? null,
      expires_at: now() + SIGNUP_TTL_SECONDS,
    });
    log.info({ event: 'signup.pending', did: login.did }, 'first-time user sent to signup');
    return { kind: 'signup', location: '/auth/signup', token, ttlSeconds: SIGNUP_TTL_SECONDS };
  } catch (error) {
    await deps.login.revoke(login.did);
    throw error;
  }
}
