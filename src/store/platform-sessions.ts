// Server-side record of each platform session, so logout ends a session before its JWT expires
// (catalogue CK-03). Sibling services that only hold the JWKS accept the JWT until `exp`.
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface PlatformSessionStore {
  create(db: Kysely<Database>, session: { sid: string; did: string; createdAt: number; expiresAt: number }): Promise<void>;
  isActive(sid: string, now: number): Promise<boolean>;
  revoke(sid: string, now: number): Promise<void>;
}

export function platformSessionStore(db: Kysely<Database>): PlatformSessionStore {
  return {
    async create(tx, session) {
      await tx
        .insertInto('platform_sessions')
        .values({ sid: session.sid, did: session.did, created_at: session.createdAt, expires_at: session.expiresAt, revoked_at: null })
        .execute();
    },
    async isActive(sid, now) {
      const row = await db
        .selectFrom('platform_sessions')
        .select('sid')
        .where('sid', '=', sid)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return row !== undefined;
    },
    async revoke(sid, now) {
      await db.updateTable('platform_sessions').set({ revoked_at: now }).where('sid', '=', sid).execute();
    },
  };
}
