// Database-backed stores and lock for @atproto/oauth-client-node, so a login begun on one instance
// can finish on another, and a restart loses nothing.
import type { NodeSavedSession, NodeSavedSessionStore, NodeSavedState, NodeSavedStateStore, RuntimeLock } from '@atproto/oauth-client-node';
import { sql, type Kysely } from 'kysely';
import type { Dialect } from './database.ts';
import type { Database } from './schema.ts';

/** Login transaction (`state`) lifetime: catalogue policy, 10 min (ST-01). */
export const LOGIN_STATE_TTL_SECONDS = 10 * 60;

type KvTable = 'atproto_states' | 'atproto_sessions';

function kvStore<V>(db: Kysely<Database>, table: KvTable, ttlSeconds: number | null, now: () => number) {
  return {
    async get(key: string): Promise<V | undefined> {
      const row = await db
        .selectFrom(table)
        .select('value')
        .where('key', '=', key)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now())]))
        .executeTakeFirst();
      return row ? (JSON.parse(row.value) as V) : undefined;
    },
    async set(key: string, value: V): Promise<void> {
      const row = { key, value: JSON.stringify(value), expires_at: ttlSeconds === null ? null : now() + ttlSeconds };
      await db
        .insertInto(table)
        .values(row)
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: row.value, expires_at: row.expires_at }))
        .execute();
    },
    async del(key: string): Promise<void> {
      await db.deleteFrom(table).where('key', '=', key).execute();
    },
  };
}

export function atprotoStateStore(db: Kysely<Database>, now: () => number): NodeSavedStateStore {
  return kvStore<NodeSavedState>(db, 'atproto_states', LOGIN_STATE_TTL_SECONDS, now);
}

export function atprotoSessionStore(db: Kysely<Database>, now: () => number): NodeSavedSessionStore {
  return kvStore<NodeSavedSession>(db, 'atproto_sessions', null, now);
}

/**
 * The client refreshes atproto tokens under this lock; two instances refreshing one session at once
 * would make the AS revoke it. PostgreSQL: a transaction-scoped advisory lock, released on commit or
 * on a dropped connection. SQLite is one process, so the library's in-process lock suffices (imported
 * when first taken, so that this module does not load the library: it is loaded by then anyway).
 */
export function atprotoRequestLock(db: Kysely<Database>, dialect: Dialect): RuntimeLock {
  if (dialect === 'sqlite') return async (name, fn) => (await import('@atproto/oauth-client-node')).requestLocalLock(name, fn);
  return <T>(name: string, fn: () => T | PromiseLike<T>) =>
    db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtextextended(${`atproto:${name}`}, 0))`.execute(trx);
      return fn();
    });
}
