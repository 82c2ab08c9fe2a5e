// CLI login, transport-free: start a login for a native client, let the person finish and confirm
// it in a browser by typing the client's code, and hand the client its command-line credential
// exactly once (catalogue CL-01..09).
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../errors/app-error.ts';
import type { AtprotoLogin, CompletedLogin } from '../atproto/login.ts';
import type { Logger } from '../log.ts';
import type { SessionService } from '../session/sessions.ts';
import { CLI_LOGIN_TTL_SECONDS, type CliLogin, type CliLoginStore } from '../store/cli-logins.ts';
import type { UserStore } from '../store/users.ts';
import type { RateLimit, RateLimiters } from '../http/rate-limit.ts';
import { constantTimeEqual, randomToken, sha256 } from '../secrets.ts';
import { clientLabel } from './client-label.ts';
import { codeHash, codeMatches, newConfirmationCode, normalizeCode } from './confirmation-code.ts';
import type { LoginEvents } from './login-events.ts';

/** Catalogue policy: a confirmed CLI login waits 60 s for its client (a pending one lives CLI_LOGIN_TTL_SECONDS). */
export const CLI_DELIVERY_GRACE_SECONDS = 60;
/** Streams re-read their row this often even without a notification (a missed NOTIFY costs latency, not correctness). */
const RECHECK_MS = 2_000;
const MAX_LIVE_LOGINS = 10_000;
const MAX_OPEN_STREAMS = 1_000;
/** Per client address per minute: login starts (CL-07) and AwaitLogin calls (CL-01: id guessing). */
export const CLI_INITIATE_LIMIT: RateLimit = { bucket: 'cli_initiate', limit: 20, windowSeconds: 60 };
export const CLI_AWAIT_LIMIT: RateLimit = { bucket: 'cli_await', limit: 60, windowSeconds: 60 };
/** Wrong codes a confirmation page takes before the login is denied (CL-03): 5 guesses in 2^40. */
export const MAX_CODE_ATTEMPTS = 5;

export type CliLoginErrorCode = 'invalid_argument' | 'not_found' | 'denied' | 'expired' | 'already_delivered' | 'rate_limited' | 'unavailable';

export class CliLoginError extends Error {
  override name = 'CliLoginError';
  constructor(
    readonly code: CliLoginErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type CliStage = 'waiting_for_browser' | 'signing_up' | 'awaiting_confirmation';
export type AwaitEvent = { stage: CliStage } | { completed: { token: string; did: string; handle: string; username: string; expiresAt: number } };

const STAGES: Partial<Record<CliLogin['status'], CliStage>> = {
  pending: 'waiting_for_browser',
  signing_up: 'signing_up',
  authenticated: 'awaiting_confirmation',
};

/** What typing the code and pressing Approve came to. */
export type Approval = { kind: 'approved' } | { kind: 'empty' } | { kind: 'wrong'; attemptsLeft: number } | { kind: 'burned' } | { kind: 'gone' };

/** A denied login whose wrong codes reached the limit was burned, not refused by the person. */
export const burned = (login: CliLogin) => login.status === 'denied' && login.failed_attempts >= MAX_CODE_ATTEMPTS;

export interface CliLoginDeps {
  store: CliLoginStore;
  events: LoginEvents;
  login: AtprotoLogin;
  users: UserStore;
  sessions: SessionService;
  log: Logger;
  rateLimits: RateLimiters;
  now: () => number;
}

export class CliLogins {
  private openStreams = 0;
  private readonly allowInitiate;
  private readonly allowAwait;

  constructor(private readonly deps: CliLoginDeps) {
    this.allowInitiate = deps.rateLimits(CLI_INITIATE_LIMIT);
    this.allowAwait = deps.rateLimits(CLI_AWAIT_LIMIT);
  }

  async initiate(request: { identifier: string; secretHash: string; clientName: string; clientAddress: string }) {
    const { store, login, log, now } = this.deps;
    if (!(await this.allowInitiate(request.clientAddress))) {
      throw new CliLoginError('rate_limited', 'too many logins started from this address; wait a minute');
    }
    if (!/^[A-Za-z0-9_-]{43}$/.test(request.secretHash)) throw new CliLoginError('invalid_argument', 'secret_hash must be base64url(SHA-256(secret))');
    if ((await store.countLive(now())) >= MAX_LIVE_LOGINS) throw new CliLoginError('rate_limited', 'too many logins in progress; try again shortly');

    const id = randomToken(16);
    let url: URL;
    try {
      url = await login.begin(request.identifier, { cliLoginId: id }, undefined);
    } catch (error) {
      if (error instanceof AppError) throw new CliLoginError(error.status >= 500 ? 'unavailable' : 'invalid_argument', error.message);
      throw error;
    }
    const code = newConfirmationCode();
    const row: CliLogin = {
      id,
      secret_hash: request.secretHash,
      code_hash: codeHash(code),
      failed_attempts: 0,
      client_name: clientLabel(request.clientName),
      client_address: request.clientAddress,
      status: 'pending',
      did: null,
      handle: null,
      browser_hash: null,
      csrf: null,
      created_at: now(),
      expires_at: now() + CLI_LOGIN_TTL_SECONDS,
    };
    await store.create(row);
    log.info({ event: 'cli_login.initiated', clientAddress: row.client_address }, 'CLI login initiated');
    // Only the CLI ever sees the code: the browser's links and pages carry none.
    return { oauthUrl: url.href, sessionId: id, confirmationCode: code, expiresAt: row.expires_at };
  }

  /**
   * Streams the login's progress, then its token. Unknown, expired, and wrong-secret ids are one
   * answer (CL-02, CL-04); exactly one caller ever receives the token (CL-05).
   */
  async *watch(id: string, secret: string, clientAddress: string, signal: AbortSignal): AsyncGenerator<AwaitEvent> {
    const { store, events, now } = this.deps;
    if (!(await this.allowAwait(clientAddress))) {
      throw new CliLoginError('rate_limited', 'too many attempts from this address; wait a minute');
    }
    const notFound = () => new CliLoginError('not_found', 'unknown or expired login; run robot login again');
    const first = await store.find(id, now());
    if (!first || !constantTimeEqual(sha256(secret), first.secret_hash) || first.status === 'delivered') throw notFound();
    if (this.openStreams >= MAX_OPEN_STREAMS) throw new CliLoginError('rate_limited', 'server busy; try again shortly');

    this.openStreams += 1;
    let wake = () => {};
    const unsubscribe = events.subscribe(id, () => wake());
    try {
      let lastStage: CliStage | undefined;
      for (;;) {
        const changed = new Promise<void>((resolve) => (wake = resolve));
        const login = await store.find(id, now());
        if (!login) throw new CliLoginError('expired', 'the login expired before it was completed; run robot login again');
        if (burned(login)) {
          const message = 'the login was cancelled after too many wrong codes in the browser; run robot login again';
          throw new CliLoginError('denied', message);
        }
        if (login.status === 'denied') throw new CliLoginError('denied', 'the login was denied in the browser');
        if (login.status === 'delivered') throw new CliLoginError('already_delivered', 'this login was already delivered to another client');
        if (login.status === 'confirmed') {
          const completed = await this.deliver(login);
          if (completed) {
            yield { completed };
            return;
          }
          continue;
        }
        const stage = STAGES[login.status]!;
        if (stage !== lastStage) {
          yield { stage };
          lastStage = stage;
        }
        const untilExpiry = Math.max(0, (login.expires_at - now()) * 1000);
        await Promise.race([changed, sleep(Math.min(RECHECK_MS, untilExpiry + 10), undefined, { signal }).catch(() => {})]);
        if (signal.aborted) return;
      }
    } finally {
      unsubscribe();
      this.openStreams -= 1;
    }
  }

  /** confirmed → delivered and a new CLI credential, together; undefined if another stream won. */
  private async deliver(login: CliLogin) {
    const { store, users, sessions, log, now } = this.deps;
    try {
      const user = await users.findByDid(login.did!);
      if (!user) throw new Error('confirmed CLI login without a user');
      // A `cli+jwt`, never a browser session: a phished approval must not yield a cookie (CL-09).
      const minted = await sessions.signCli(user, now());
      if (!(await store.deliver(login.id, now(), minted.session))) return undefined;
      log.info({ event: 'cli_login.delivered', did: user.did }, 'CLI login delivered');
      return { token: minted.token, did: user.did, handle: user.handle ?? '', username: user.username, expiresAt: minted.claims.exp };
    } catch (error) {
      // The row stays confirmed, so the client's retry within the grace period still gets its token (DB-07).
      log.error({ err: error }, 'CLI login delivery failed');
      throw new CliLoginError('unavailable', 'could not complete the login right now; retry');
    }
  }

  /** The browser finished the atproto login: bind the confirmation page to this browser. */
  async browserSignedIn(completed: CompletedLogin & { cliLoginId: string }): Promise<{ confirmToken: string; isUser: boolean }> {
    const { store, users, events, now } = this.deps;
    const user = await users.findByDid(completed.did);
    const confirmToken = randomToken();
    const moved = await store.transition(
      completed.cliLoginId,
      ['pending'],
      user ? 'authenticated' : 'signing_up',
      { did: completed.did, handle: completed.handle, browser_hash: sha256(confirmToken), csrf: randomToken(24) },
      now(),
    );
    // CL-06: the login was swept or already used: mint nothing.
    if (!moved)
      throw new AppError('cli_login_expired', 400, 'This command-line login has expired or was already used. Run robot login again.', 'Login expired');
    await events.publish(completed.cliLoginId);
    return { confirmToken, isUser: user !== undefined };
  }

  /** The login this browser may confirm, advanced past signup once the user exists. */
  async forBrowser(confirmToken: string | undefined): Promise<CliLogin | undefined> {
    const { store, users, events, now } = this.deps;
    if (!confirmToken) return undefined;
    const login = await store.findByBrowser(sha256(confirmToken), now());
    if (login?.status === 'signing_up' && (await users.findByDid(login.did!))) {
      if (await store.transition(login.id, ['signing_up'], 'authenticated', {}, now())) await events.publish(login.id);
      return store.find(login.id, now());
    }
    return login;
  }

  /** The browser leg failed or was denied at the account server: end the CLI's wait now. */
  async fail(id: string): Promise<void> {
    const { store, events, log, now } = this.deps;
    if (await store.transition(id, ['pending'], 'denied', {}, now())) {
      await events.publish(id);
      log.info({ event: 'cli_login.failed' }, 'CLI login failed in the browser');
    }
  }

  /**
   * The person typed `typed` and pressed Approve. The right code confirms the login; a wrong one is
   * counted in the database, and the last allowed one denies the login (CL-03).
   */
  async approve(login: CliLogin, typed: string): Promise<Approval> {
    const { store, events, log, now } = this.deps;
    if (!normalizeCode(typed)) return { kind: 'empty' };
    if (codeMatches(typed, login.code_hash)) {
      const grace = { expires_at: now() + CLI_DELIVERY_GRACE_SECONDS };
      const moved = await store.transition(login.id, ['authenticated'], 'confirmed', grace, now());
      if (!moved) return { kind: 'gone' };
      await events.publish(login.id);
      log.info({ event: 'cli_login.confirmed', did: login.did }, 'CLI login confirmed in the browser');
      return { kind: 'approved' };
    }
    const counted = await store.recordWrongCode(login.id, MAX_CODE_ATTEMPTS, now());
    if (!counted) return { kind: 'gone' };
    const attempts = counted.failed_attempts;
    log.info({ event: 'cli_login.wrong_code', did: login.did, attempts }, 'wrong CLI login code typed');
    if (counted.status !== 'denied') return { kind: 'wrong', attemptsLeft: MAX_CODE_ATTEMPTS - attempts };
    await events.publish(login.id);
    log.warn({ event: 'cli_login.burned', did: login.did }, 'CLI login denied after too many wrong codes');
    return { kind: 'burned' };
  }

  async deny(login: CliLogin): Promise<boolean> {
    const { store, events, log, now } = this.deps;
    const moved = await store.transition(login.id, ['authenticated', 'signing_up'], 'denied', {}, now());
    if (moved) {
      await events.publish(login.id);
      log.info({ event: 'cli_login.denied', did: login.did }, 'CLI login denied in the browser');
    }
    return moved;
  }
}
