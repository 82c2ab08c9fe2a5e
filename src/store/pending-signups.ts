// A first-time user's completed atproto login, waiting for them to choose a username. The row is
// keyed by the hash of a token held only in that browser's cookie (catalogue SU-05).
import type { Kysely } from 'kysely';
import type { Database, PendingSignupsTable } from './schema.ts';

export type PendingSignup = Omit<PendingSignupsTable, 'token_hash'>;

export interface PendingSignupStore {
  create(tokenHash: string, signup: PendingSignup): Promise<void>;
  find(tokenHash: string, now: number): Promise<PendingSignup | undefined>;
  /** Deletes the row if it is still live; true when this caller consumed it (single use). */
  consume(db: Kysely<Database>, tokenHash: string, now: number): Promise<boolean>;
}

export function pendingSignupStore(db: Kysely<Database>): PendingSignupStore {
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
    async consume(tx, tokenHash, now) {
      const result = await tx.deleteFrom('pending_signups').where('token_hash', '=', tokenHash).where('expires_at', '>', now).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },
  };
}
