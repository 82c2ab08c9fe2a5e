// A first-time user's completed atproto login, waiting for them to choose a username. The row is
// keyed by the hash of a token held only in that browser's cookie (catalogue SU-05). Completing it
// is one store operation that owns its transaction: no caller composes the user, the pending row and
// the session itself.
import type { StoreDb } from './database.ts';
import { recordSession, type PlatformSession } from './platform-sessions.ts';
import { spendInvite } from './invites.ts';
import type { PendingSignupsTable } from './schema.ts';
import type { Sql } from './sql.ts';
import { AlreadySignedUpError, insertUser, UsernameTakenError, type User } from './users.ts';

export type PendingSignup = Omit<PendingSignupsTable, 'token_hash'>;

/**
 * What completing a signup came to. Only `created` wrote anything: the user, the consumed pending
 * row and the session, together. `already_signed_up` means this DID finished signup elsewhere
 * (another tab, catalogue SU-06); `expired`, the pending row was gone or past its time.
 */
export type SignupOutcome = 'created' | 'username_taken' | 'already_signed_up' | 'expired' | 'invite_invalid';

export interface PendingSignupStore {
  create(tokenHash: string, signup: PendingSignup): Promise<void>;
  find(tokenHash: string, now: number): Promise<PendingSignup | undefined>;
  /**
   * In one transaction: inserts `user` (the unique indexes decide races, SU-04), consumes the live
   * pending row (single use), and records `session`, the new user's first session. With
   * `inviteCodeHash` (SIGNUP=invite), also spends that invite, or writes nothing (`invite_invalid`).
   */
  complete(tokenHash: string, user: User, session: PlatformSession, now: number, inviteCodeHash?: string): Promise<SignupOutcome>;
  /**
   * SU-06: the DID already has an account, so this browser signs in to it: in one transaction,
   * consumes the pending row if it is still there and records `session`, one for the existing user.
   */
  completeExisting(tokenHash: string, session: PlatformSession, now: number): Promise<void>;
}

/** Thrown inside the transaction to roll back the user just inserted; never leave this module. */
class PendingSignupGone extends Error {}
class InviteRefused extends Error {}

const consume = async (sql: Sql, tokenHash: string, now: number) =>
  (await sql.run('delete from pending_signups where token_hash = ? and expires_at > ?', [tokenHash, now])) === 1;

export function pendingSignupStore(db: StoreDb): PendingSignupStore {
  return {
    async create(tokenHash, signup) {
      await db
        .insertInto('pending_signups')
        .values({ token_hash: tokenHash, ...signup })
        .execute();
    },
    find: (tokenHash, now) =>
      db
        .selectFrom('pending_signups')
        .select(['did', 'handle', 'csrf', 'return_to', 'expires_at'])
        .where('token_hash', '=', tokenHash)
        .where('expires_at', '>', now)
        .executeTakeFirst(),
    async complete(tokenHash, user, session, now, inviteCodeHash) {
      try {
        // The user first: a second completion of the same signup waits on the first one's DID and
        // then fails as already signed up (SU-06), rather than finding the pending row gone.
        return await db.sql.transaction(async (tx) => {
          await insertUser(tx, user, now);
          if (!(await consume(tx, tokenHash, now))) throw new PendingSignupGone();
          if (inviteCodeHash !== undefined && !(await spendInvite(tx, inviteCodeHash, now))) throw new InviteRefused();
          await recordSession(tx, session);
          return 'created' as const;
        });
      } catch (error) {
        if (error instanceof UsernameTakenError) return 'username_taken';
        if (error instanceof AlreadySignedUpError) return 'already_signed_up';
        if (error instanceof PendingSignupGone) return 'expired';
        if (error instanceof InviteRefused) return 'invite_invalid';
        throw error;
      }
    },
    completeExisting: (tokenHash, session, now) =>
      db.sql.transaction(async (tx) => {
        await consume(tx, tokenHash, now);
        await recordSession(tx, session);
      }),
  };
}
