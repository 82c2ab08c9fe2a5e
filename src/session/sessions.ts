// Platform sessions: mint on login (always a fresh sid, catalogue CK-02), read from the cookie,
// end on logout (server-side revocation, CK-03). The credential a CLI login delivers is recorded the
// same way (so it can be revoked) but is a token of another kind that the cookie never accepts (CL-09).
// Signing needs only the keys; recording is the store's, and where the session must be recorded with
// other writes (signup, CLI delivery) the store operation that owns that transaction records it.
import type { Context } from 'hono';
import type { Logger } from '../log.ts';
import type { PlatformSession, PlatformSessionStore } from '../store/platform-sessions.ts';
import type { User } from '../store/users.ts';
import { SESSION_COOKIE, type CookieJar } from '../http/cookies.ts';
import type { PlatformClaims, PlatformJwt } from './platform-jwt.ts';

type Minted = { token: string; claims: PlatformClaims };
/** A token for a new sid, and the session row that makes it live once a store records it. */
export type SignedSession = Minted & { session: PlatformSession };

export interface SessionService {
  /** Signs a browser session token for a new sid; records nothing. */
  sign(user: User, now: number): Promise<SignedSession>;
  /** Signs the `cli+jwt` credential a CLI login delivers; records nothing. */
  signCli(user: User, now: number): Promise<SignedSession>;
  /** Signs a browser session token and records the session (a returning user's sign-in). */
  mint(user: User, now: number): Promise<Minted>;
  setCookie(c: Context, token: string): void;
  /** The claims of a live session whose user still exists (one statement checks both), or undefined. */
  current(c: Context, now: number): Promise<PlatformClaims | undefined>;
  end(c: Context, now: number): Promise<PlatformClaims | undefined>;
  /**
   * The claims of a live CLI credential presented as a bearer token (the management API): only a
   * `cli+jwt` whose session is recorded, unrevoked and whose user exists. A browser session token is
   * refused here as the CLI credential is refused as a cookie.
   */
  cliBearer(token: string, now: number): Promise<PlatformClaims | undefined>;
  /** Ends one session by its id (`robot logout`). */
  revoke(sid: string, now: number): Promise<void>;
}

/** `browser` mints and verifies `platform+jwt` (the cookie); `cli` mints `cli+jwt`. */
export interface SessionTokens {
  browser: PlatformJwt;
  cli: PlatformJwt;
}

export function sessionService(tokens: SessionTokens, store: PlatformSessionStore, cookies: CookieJar, ttlSeconds: number, log: Logger): SessionService {
  const signed = async (jwt: PlatformJwt, user: User, now: number): Promise<SignedSession> => {
    const minted = await jwt.mint(user, now);
    return { ...minted, session: { sid: minted.claims.sid, did: user.did, createdAt: now, expiresAt: minted.claims.exp } };
  };
  return {
    sign: (user, now) => signed(tokens.browser, user, now),
    signCli: (user, now) => signed(tokens.cli, user, now),
    async mint(user, now) {
      const { token, claims, session } = await signed(tokens.browser, user, now);
      await store.create(session);
      return { token, claims };
    },
    setCookie(c, token) {
      cookies.set(c, SESSION_COOKIE, token, ttlSeconds);
    },
    async current(c, now) {
      const values = cookies.all(c, SESSION_COOKIE);
      if (values.length === 0) return undefined;
      if (values.length > 1) {
        // Cookie tossing (CK-05): a sibling origin planted a second session cookie. Trust neither.
        cookies.clear(c, SESSION_COOKIE);
        log.warn({ event: 'session.duplicate_cookie', count: values.length }, 'duplicate session cookies; treated as anonymous');
        return undefined;
      }
      // Only `platform+jwt` passes: a CLI credential planted as the cookie is anonymous (CL-09).
      const claims = await tokens.browser.verify(values[0]!);
      if (!claims) {
        log.info({ event: 'session.invalid_token' }, 'invalid session token; treated as anonymous');
        return undefined;
      }
      return (await store.isActive(claims.sid, claims.sub, now)) ? claims : undefined;
    },
    async end(c, now) {
      const claims = await this.current(c, now);
      if (claims) await store.revoke(claims.sid, now);
      cookies.clear(c, SESSION_COOKIE);
      return claims;
    },
    async cliBearer(token, now) {
      const claims = await tokens.cli.verify(token);
      return claims && (await store.isActive(claims.sid, claims.sub, now)) ? claims : undefined;
    },
    revoke: (sid, now) => store.revoke(sid, now),
  };
}
