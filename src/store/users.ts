import type { StoreDb } from './database.ts';
import { uniqueViolationColumn } from './errors.ts';
import type { UsersTable } from './schema.ts';
import type { Sql } from './sql.ts';

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
  /** Whether the DID has an account here, and whether an admin has suspended it; undefined when it has none. */
  standing(did: string): Promise<'active' | 'suspended' | undefined>;
  /** Inserts a user; the unique index decides races (catalogue SU-04), never a prior read. */
  create(user: User, now: number): Promise<void>;
  updateHandle(did: string, handle: string | null, now: number): Promise<void>;
}

/**
 * The one insert of a user, also run inside signup's transaction (./pending-signups.ts). A unique
 * violation becomes UsernameTakenError or AlreadySignedUpError (same DID, catalogue SU-06).
 */
export async function insertUser(sql: Sql, user: User, now: number): Promise<void> {
  try {
    await sql.run('insert into users (did, username, handle, created_at, updated_at) values (?, ?, ?, ?, ?)', [user.did, user.username, user.handle, now, now]);
  } catch (error) {
    const column = uniqueViolationColumn(error);
    if (column === 'username') throw new UsernameTakenError(user.username);
    if (column === 'primary' || column === 'did') throw new AlreadySignedUpError(user.did);
    throw error;
  }
}

export function userStore(db: StoreDb): UserStore {
  const columns = ['did', 'username', 'handle'] as const;
  return {
    findByDid: (did) => db.sql.one<User>('select did, username, handle from users where did = ?', [did]),
    async standing(did) {
      const row = await db.sql.one<{ suspended_at: number | null }>('select suspended_at from users where did = ?', [did]);
      return row && (row.suspended_at === null ? 'active' : 'suspended');
    },
    findByUsername: (username) => db.selectFrom('users').select(columns).where('username', '=', username).executeTakeFirst(),
    create: (user, now) => insertUser(db.sql, user, now),
    async updateHandle(did, handle, now) {
      await db.updateTable('users').set({ handle, updated_at: now }).where('did', '=', did).execute();
    },
  };
}
