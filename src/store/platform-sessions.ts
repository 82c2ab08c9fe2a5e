// Server-side record of each platform session, so logout ends a session before its JWT expires
// (catalogue CK-03). Sibling services that only hold the JWKS accept the JWT until `exp`.
import type { Kysely } from 'kysely';
import type { StoreDb } from './database.ts';
import type { Database } from './schema.ts';

export interface PlatformSessionStore {
  create(db: Kysely<Database>, session: { sid: string; did: string; createdAt: number; expiresAt: number }): Promise<void>;
  /**
   * Whether the session is live (neither revoked nor expired), belongs to `did`, and that user still
   * exists: one statement on every signed-in request, so no caller needs a second read for the user.
   */
  isActive(sid: string, did: string, now: number): Promise<boolean>;
  revoke(sid: string, now: number): Promise<void>;
}

export function platformSessionStore(db: StoreDb): PlatformSessionStore {
  return {
    async create(tx, session) {
      await tx
        .insertInto('platform_sessions')
        .values({ sid: session.sid, did: session.did, created_at: session.createdAt, expires_at: session.expiresAt, revoked_at: null })
        .execute();
    },
    async isActive(sid, did, now) {
      const row = await db.sql.one(
        'select 1 as active from platform_sessions s join users u on u.did = s.did where s.sid = ? and s.did = ? and s.revoked_at is null and s.expires_at > ?',
        [sid, did, now],
      );
      return row !== undefined;
    },
    async revoke(sid, now) {
      await db.updateTable('platform_sessions').set({ revoked_at: now }).where('sid', '=', sid).execute();
    },
  };
}
