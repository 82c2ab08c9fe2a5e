import type { Kysely } from 'kysely';
import type { StoreDb } from './database.ts';
import { uniqueViolationColumn } from './errors.ts';
import type { Database, UsersTable } from './schema.ts';

export type User = Pick<UsersTable, 'did' | 'username' | 'handle'>;

export class UsernameTakenError extends Error {
  override name = 'UsernameTakenError';
}
export class AlreadySignedUpError extends Error {
  override name = 'AlreadySignedUpError';
}

export interface UserStore {
  findByDid(did: string): Promise<User | undefined>;
  findByUsername(username: string): Promise<User | undefined>;
  /** Inserts a user; the unique index decides races (catalogue SU-04), never a prior read. */
  create(db: Kysely<Database>, user: User, now: number): Promise<void>;
  updateHandle(did: string, handle: string | null, now: number): Promise<void>;
}

export function userStore(db: StoreDb): UserStore {
  const columns = ['did', 'username', 'handle'] as const;
  return {
    findByDid: (did) => db.sql.one<User>('select did, username, handle from users where did = ?', [did]),
    findByUsername: (username) => db.selectFrom('users').select(columns).where('username', '=', username).executeTakeFirst(),
    async create(tx, user, now) {
      try {
        await tx
          .insertInto('users')
          .values({ ...user, created_at: now, updated_at: now })
          .execute();
      } catch (error) {
        const column = uniqueViolationColumn(error);
        if (column === 'username') throw new UsernameTakenError(user.username);
        if (column === 'primary' || column === 'did') throw new AlreadySignedUpError(user.did);
        throw error;
      }
    },
    async updateHandle(did, handle, now) {
      await db.updateTable('users').set({ handle, updated_at: now }).where('did', '=', did).execute();
    },
  };
}
