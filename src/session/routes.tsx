// Signup, logout and /auth/me.
import { Hono, type Context } from 'hono';
import { AppError, formExpired } from '../errors/app-error.ts';
import { constantTimeEqual, sha256 } from '../secrets.ts';
import type { Logger } from '../log.ts';
import type { PendingSignupStore } from '../store/pending-signups.ts';
import { AlreadySignedUpError, type UserStore } from '../store/users.ts';
import { readForm } from '../http/form.ts';
import { LoggedOutPage, LogoutPage, SignupPage } from '../http/pages.tsx';
import { SIGNUP_COOKIE, type CookieJar } from '../http/cookies.ts';
import { isSessionCsrf, sessionCsrf } from './csrf.ts';
import type { SessionService } from './sessions.ts';
import { checkUsername, suggestUsername } from './username.ts';
import type { Config } from '../config/config.ts';
import { maySignUp, needsInvite, signupNotAllowed } from './admission.ts';
import { inviteCodeHash } from './invites.ts';

const signupExpired = () =>
  new AppError('signup_expired', 401, 'Your signup session has expired or was already used. Please log in again to finish signing up.', 'Signup expired');

/** What the signup, logout and /auth/me routes use; the assembly passes its AppDeps (src/web/deps.ts). */
export interface SessionRouteDeps {
  config: Pick<Config, 'signup' | 'adminDids'>;
  users: UserStore;
  pendingSignups: PendingSignupStore;
  sessions: SessionService;
  cookies: CookieJar;
  log: Logger;
  /** Ends the atproto session at logout (src/atproto/login.ts); atproto builds on session, so it is handed in. */
  login: { revoke(did: string): Promise<void> };
  now: () => number;
}

export function sessionRoutes(deps: SessionRouteDeps): Hono {
  const { users, pendingSignups, sessions, cookies, log, now } = deps;
  const app = new Hono();

  const pendingFor = async (c: Context) => {
    const token = cookies.all(c, SIGNUP_COOKIE)[0];
    const tokenHash = token ? sha256(token) : undefined;
    const pending = tokenHash ? await pendingSignups.find(tokenHash, now()) : undefined;
    return pending && tokenHash ? { pending, tokenHash } : undefined;
  };

  app.get('/auth/signup', async (c) => {
    const found = await pendingFor(c);
    if (!found) {
      if (await sessions.current(c, now())) return c.redirect('/app/', 303);
      throw signupExpired();
    }
    const { pending } = found;
    const invite = needsInvite(deps.config, pending.did) ? { code: '' } : undefined;
    return c.html(<SignupPage handle={pending.handle} did={pending.did} username={suggestUsername(pending.handle)} csrf={pending.csrf} invite={invite} />);
  });

  app.post('/auth/signup', async (c) => {
    const form = await readForm(c);
    const found = await pendingFor(c);
    if (!found) throw signupExpired();
    const { pending, tokenHash } = found;
    if (!constantTimeEqual(form.get('csrf') ?? '', pending.csrf)) {
      throw formExpired();
    }

    // The policy may have changed since the login came back (src/atproto/sign-in.ts checked it then).
    if (!maySignUp(deps.config, pending.did, pending.handle)) throw signupNotAllowed(pending.handle, pending.did);
    const rawUsername = form.get('username') ?? '';
    const rawInvite = needsInvite(deps.config, pending.did) ? (form.get('invite') ?? '').trim() : undefined;
    // Everything typed comes back, so a wrong invite code or a taken name loses nothing.
    const rerender = (status: 403 | 409 | 422, error?: string, inviteError?: string) =>
      c.html(
        <SignupPage
          handle={pending.handle}
          did={pending.did}
          username={rawUsername.slice(0, 64)}
          csrf={pending.csrf}
          error={error}
          invite={rawInvite === undefined ? undefined : { code: rawInvite.slice(0, 64), error: inviteError }}
        />,
        status,
      );

    const check = checkUsername(rawUsername);
    if (!check.ok) return rerender(422, check.message!);
    const inviteHash = rawInvite === undefined ? undefined : inviteCodeHash(rawInvite);
    if (inviteHash === null) return rerender(422, undefined, 'Enter the invite code you were given, e.g. ABCD-EFGH-JKMN-PQRS.');

    const user = { did: pending.did, username: check.normalized, handle: pending.handle };
    // The user, the consumed pending row and the first session are written together or not at all.
    const signed = await sessions.sign(user, now());
    let token = signed.token;
    switch (await pendingSignups.complete(tokenHash, user, signed.session, now(), inviteHash)) {
      case 'created':
        break;
      case 'username_taken':
        return rerender(409, `"${check.normalized}" is already taken. Please choose another name.`);
      case 'invite_invalid':
        return rerender(403, undefined, 'That invite code is not valid: it was mistyped, already used, revoked or expired.');
      case 'expired':
        throw signupExpired();
      case 'already_signed_up': {
        // The same DID finished signup in another tab (SU-06): sign in to the existing account.
        const existing = await users.findByDid(pending.did);
        if (!existing) throw new AlreadySignedUpError(pending.did);
        const again = await sessions.sign(existing, now());
        await pendingSignups.completeExisting(tokenHash, again.session, now());
        token = again.token;
      }
    }
    log.info({ event: 'signup.completed', did: user.did }, 'user signed up');
    cookies.clear(c, SIGNUP_COOKIE);
    sessions.setCookie(c, token);
    return c.redirect(pending.return_to ?? '/app/', 303);
  });

  app.get('/auth/logout', async (c) => {
    const session = await sessions.current(c, now());
    return c.html(<LogoutPage csrf={session ? sessionCsrf(session.sid) : undefined} />);
  });

  app.post('/auth/logout', async (c) => {
    // Catalogue CS-02: a forced logout from a sibling origin is refused like any other session form.
    // Without a session there is nothing to protect, and the cookie is cleared all the same.
    const form = await readForm(c);
    const session = await sessions.current(c, now());
    if (session && !isSessionCsrf(session.sid, form.get('csrf'))) {
      throw formExpired();
    }
    const ended = await sessions.end(c, now());
    if (ended) {
      log.info({ event: 'session.ended', did: ended.sub }, 'user logged out');
      await deps.login.revoke(ended.sub);
    }
    return c.html(<LoggedOutPage />);
  });

  app.get('/auth/me', async (c) => {
    const claims = await sessions.current(c, now());
    if (!claims) return c.json({ error: 'unauthenticated', error_description: 'no valid platform session' }, 401);
    const user = await users.findByDid(claims.sub);
    if (!user) return c.json({ error: 'unauthenticated', error_description: 'no valid platform session' }, 401);
    return c.json({ did: user.did, handle: user.handle, username: user.username });
  });

  return app;
}
