// Personal access tokens for the management API. Only a hash is stored; the token itself is shown
// once when it is made. A token of a person who no longer exists finds nothing.
import { randomUUID } from 'node:crypto';
import type { StoreDb } from './database.ts';
import type { PersonalAccessTokensTable } from './schema.ts';

export type PersonalToken = Omit<PersonalAccessTokensTable, 'token_hash'>;

/** Last-use times are written at most this often per token (as for wiki tokens). */
const LAST_USED_RESOLUTION_SECONDS = 60;

export interface PersonalTokenStore {
  create(token: { userDid: string; name: string; tokenHash: string }, now: number): Promise<PersonalToken>;
  /** The token with this hash whose person still has an account, or undefined. */
  findByHash(tokenHash: string): Promise<PersonalToken | undefined>;
  listForUser(userDid: string): Promise<PersonalToken[]>;
  /** Revokes (deletes) one of this person's tokens; false when they have none with that id. */
  revoke(userDid: string, id: string): Promise<boolean>;
  touch(id: string, now: number): Promise<void>;
}

const COLUMNS = ['id', 'user_did', 'name', 'created_at', 'last_used_at'] as const;
// Every API request with a personal token: plain SQL (./sql.ts), the user's existence checked in the same statement.
const FIND_BY_HASH = `select t.id, t.user_did, t.name, t.created_at, t.last_used_at from personal_access_tokens t
  where t.token_hash = ? and exists (select 1 from users u where u.did = t.user_did and u.suspended_at is null)`;

export function personalTokenStore(db: StoreDb): PersonalTokenStore {
  return {
    async create({ userDid, name, tokenHash }, now) {
      const token: PersonalToken = { id: randomUUID(), user_did: userDid, name, created_at: now, last_used_at: null };
      await db
        .insertInto('personal_access_tokens')
        .values({ ...token, token_hash: tokenHash })
        .execute();
      return token;
    },
    findByHash: (tokenHash) => db.sql.one<PersonalToken>(FIND_BY_HASH, [tokenHash]),
    listForUser: (userDid) => db.selectFrom('personal_access_tokens').select(COLUMNS).where('user_did', '=', userDid).orderBy('created_at').execute(),
    async revoke(userDid, id) {
      const result = await db.deleteFrom('personal_access_tokens').where('user_did', '=', userDid).where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },
    async touch(id, now) {
      await db
        .updateTable('personal_access_tokens')
        .set({ last_used_at: now })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', now - LAST_USED_RESOLUTION_SECONDS)]))
        .execute();
    },
  };
}
