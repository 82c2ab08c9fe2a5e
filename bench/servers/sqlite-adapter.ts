// A SQLite adapter for oidc-provider (its documented adapter interface), so that the peer persists
// to the same kind of store as ours: better-sqlite3, WAL, synchronous=NORMAL (as src/store/database.ts).
// Every model lives in one table keyed by (model, id), with the secondary lookups the interface needs.
// Statements are prepared once and run synchronously: the cheapest way to drive SQLite from Node.
import BetterSqlite3 from 'better-sqlite3';

/** Models whose rows carry a grantId and must go when the grant is revoked (as the memory adapter). */
export const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);

export type Payload = Record<string, unknown> & { grantId?: string; userCode?: string; uid?: string; consumed?: number };

const epoch = () => Math.floor(Date.now() / 1000);

/** A stored row back to what oidc-provider saved, with `consumed` (epoch seconds) once consumed. */
export function parsePayload(row: unknown): Payload | undefined {
  if (!row) return undefined;
  const { payload, consumed_at } = row as { payload: string; consumed_at: number | null };
  const value = JSON.parse(payload) as Payload;
  return consumed_at === null ? value : { ...value, consumed: consumed_at };
}

export function sqliteAdapter(file: string) {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`
    CREATE TABLE IF NOT EXISTS oidc (
      model TEXT NOT NULL,
      id TEXT NOT NULL,
      payload TEXT NOT NULL,
      grant_id TEXT,
      user_code TEXT,
      uid TEXT,
      expires_at INTEGER,
      consumed_at INTEGER,
      PRIMARY KEY (model, id)
    );
    CREATE INDEX IF NOT EXISTS oidc_grant_id ON oidc (grant_id) WHERE grant_id IS NOT NULL;
    CREATE INDEX IF NOT EXISTS oidc_user_code ON oidc (model, user_code) WHERE user_code IS NOT NULL;
    CREATE INDEX IF NOT EXISTS oidc_uid ON oidc (model, uid) WHERE uid IS NOT NULL;
  `);
  const live = '(expires_at IS NULL OR expires_at > @now)';
  const statements = {
    upsert: db.prepare(`
      INSERT INTO oidc (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at)
      VALUES (@model, @id, @payload, @grant_id, @user_code, @uid, @expires_at, NULL)
      ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
        user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at, consumed_at = NULL`),
    find: db.prepare(`SELECT payload, consumed_at FROM oidc WHERE model = @model AND id = @id AND ${live}`),
    findByUid: db.prepare(`SELECT payload, consumed_at FROM oidc WHERE model = @model AND uid = @uid AND ${live}`),
    findByUserCode: db.prepare(`SELECT payload, consumed_at FROM oidc WHERE model = @model AND user_code = @user_code AND ${live}`),
    // Marks the row once; a second redemption leaves the first mark (as ./pg-adapter.ts).
    consume: db.prepare('UPDATE oidc SET consumed_at = @now WHERE model = @model AND id = @id AND consumed_at IS NULL'),
    destroy: db.prepare('DELETE FROM oidc WHERE model = @model AND id = @id'),
    revokeByGrantId: db.prepare('DELETE FROM oidc WHERE grant_id = @grant_id'),
  };

  class SqliteAdapter {
    constructor(readonly model: string) {}

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      statements.upsert.run({
        model: this.model,
        id,
        payload: JSON.stringify(payload),
        grant_id: GRANTABLE.has(this.model) ? (payload.grantId ?? null) : null,
        user_code: payload.userCode ?? null,
        uid: payload.uid ?? null,
        expires_at: typeof expiresIn === 'number' ? epoch() + expiresIn : null,
      });
    }

    async find(id: string): Promise<Payload | undefined> {
      return parsePayload(statements.find.get({ model: this.model, id, now: epoch() }));
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      return parsePayload(statements.findByUid.get({ model: this.model, uid, now: epoch() }));
    }

    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      return parsePayload(statements.findByUserCode.get({ model: this.model, user_code: userCode, now: epoch() }));
    }

    async consume(id: string): Promise<void> {
      statements.consume.run({ model: this.model, id, now: epoch() });
    }

    async destroy(id: string): Promise<void> {
      statements.destroy.run({ model: this.model, id });
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      statements.revokeByGrantId.run({ grant_id: grantId });
    }
  }

  return { Adapter: SqliteAdapter, close: () => db.close() };
}
