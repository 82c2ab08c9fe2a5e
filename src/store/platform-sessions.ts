// Server-side record of each platform session, so logout ends a session before its JWT expires
// (catalogue CK-03). Sibling services that only hold the JWKS accept the JWT until `exp`.
import type { StoreDb } from './database.ts';
import type { Sql } from './sql.ts';

/** The row a signed session token is recorded as: its `sid`, whose it is, and until when. */
export interface PlatformSession {
  sid: string;
  did: string;
  createdAt: number;
  expiresAt: number;
}

export interface PlatformSessionStore {
  /** Records a returning user's session (its own statement). */
  create(session: PlatformSession): Promise<void>;
  /**
   * Whether the session is live (neither revoked nor expired), belongs to `did`, and that user still
   * exists and is not suspended: one statement on every signed-in request, so no caller needs a
   * second read for the user, and a suspension ends every session (browser and CLI) at once.
   */
  isActive(sid: string, did: string, now: number): Promise<boolean>;
  revoke(sid: string, now: number): Promise<void>;
}

/** The one insert of a session row, for the store operations that record a session in their own transaction. */
export async function recordSession(sql: Sql, session: PlatformSession): Promise<void> {
  await sql.run('insert into platform_sessions (sid, did, created_at, expires_at, revoked_at) values (?, ?, ?, ?, null)', [
    session.sid,
    session.did,
    session.createdAt,
    session.expiresAt,
  ]);
}

export function platformSessionStore(db: StoreDb): PlatformSessionStore {
  return {
    create: (session) => recordSession(db.sql, session),
    async isActive(sid, did, now) {
      const row = await db.sql.one(
        'select 1 as active from platform_sessions s where s.sid = ? and s.did = ? and s.revoked_at is null and s.expires_at > ? and exists (select 1 from users u where u.did = s.did and u.suspended_at is null)',
        [sid, did, now],
      );
      return row !== undefined;
    },
    async revoke(sid, now) {
      await db.updateTable('platform_sessions').set({ revoked_at: now }).where('sid', '=', sid).execute();
    },
  };
}
