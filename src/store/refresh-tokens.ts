// Refresh tokens, stored hashed. Rotation is a compare-and-set on `rotated_at` inside the same
// transaction that inserts the successor, so a family never has two live tokens (catalogue RT-05).
import type { Kysely } from 'kysely';
import type { Database, RefreshTokensTable } from './schema.ts';

export type RefreshTokenRow = RefreshTokensTable;

export interface RefreshTokenStore {
  insert(row: RefreshTokenRow, tx?: Kysely<Database>): Promise<void>;
  find(tokenHash: string): Promise<RefreshTokenRow | undefined>;
  /** Retires `tokenHash` and inserts its successor atomically; false if it was already retired. */
  rotate(tokenHash: string, successor: RefreshTokenRow, now: number): Promise<boolean>;
}

export function refreshTokenStore(db: Kysely<Database>): RefreshTokenStore {
  const insert = async (row: RefreshTokenRow, tx: Kysely<Database> = db) => {
    await tx.insertInto('refresh_tokens').values(row).execute();
  };
  return {
    insert,
    find: (tokenHash) => db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst(),
    rotate: (tokenHash, successor, now) =>
      db.transaction().execute(async (tx) => {
        const retired = await tx.updateTable('refresh_tokens').set({ rotated_at: now }).where('token_hash', '=', tokenHash).where('rotated_at', 'is', null).executeTakeFirst();
        if (Number(retired.numUpdatedRows) !== 1) return false;
        await insert(successor, tx);
        return true;
      }),
  };
}
