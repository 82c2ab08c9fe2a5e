// A PostgreSQL adapter for oidc-provider (its documented adapter interface): the one-table design of
// ./sqlite-adapter.ts on node-postgres, so that on PostgreSQL the peer persists to the same kind of
// store as ours — a pg.Pool of at most 10 connections (as src/store/database.ts), and every statement
// a named (server-side prepared) statement, parsed once per connection.
import pg from 'pg';
import { GRANTABLE, parsePayload, type Payload } from './sqlite-adapter.ts';

const epoch = () => Math.floor(Date.now() / 1000);

const live = '(expires_at IS NULL OR expires_at > $3)';
const STATEMENTS = {
  upsert: `
    INSERT INTO oidc (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)
    ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
      user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at, consumed_at = NULL`,
  find: `SELECT payload, consumed_at FROM oidc WHERE model = $1 AND id = $2 AND ${live}`,
  findByUid: `SELECT payload, consumed_at FROM oidc WHERE model = $1 AND uid = $2 AND ${live}`,
  findByUserCode: `SELECT payload, consumed_at FROM oidc WHERE model = $1 AND user_code = $2 AND ${live}`,
  // Atomic: of two concurrent redemptions only the first marks the row; the mark is never moved.
  consume: 'UPDATE oidc SET consumed_at = $3 WHERE model = $1 AND id = $2 AND consumed_at IS NULL',
  destroy: 'DELETE FROM oidc WHERE model = $1 AND id = $2',
  revokeByGrantId: 'DELETE FROM oidc WHERE grant_id = $1',
} as const;

export async function pgAdapter(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  await pool.query(`
    CREATE TABLE IF NOT EXISTS oidc (
      model TEXT NOT NULL,
      id TEXT NOT NULL,
      payload TEXT NOT NULL,
      grant_id TEXT,
      user_code TEXT,
      uid TEXT,
      expires_at BIGINT,
      consumed_at BIGINT,
      PRIMARY KEY (model, id)
    );
    CREATE INDEX IF NOT EXISTS oidc_grant_id ON oidc (grant_id) WHERE grant_id IS NOT NULL;
    CREATE INDEX IF NOT EXISTS oidc_user_code ON oidc (model, user_code) WHERE user_code IS NOT NULL;
    CREATE INDEX IF NOT EXISTS oidc_uid ON oidc (model, uid) WHERE uid IS NOT NULL;
  `);

  const run = (name: keyof typeof STATEMENTS, values: unknown[]) => pool.query({ name: `oidc_${name}`, text: STATEMENTS[name], values });
  const first = async (name: keyof typeof STATEMENTS, values: unknown[]) => {
    const row = (await run(name, values)).rows[0] as { payload: string; consumed_at: string | null } | undefined;
    // BIGINT arrives as a string.
    return parsePayload(row && { payload: row.payload, consumed_at: row.consumed_at === null ? null : Number(row.consumed_at) });
  };

  class PgAdapter {
    constructor(readonly model: string) {}

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      await run('upsert', [
        this.model,
        id,
        JSON.stringify(payload),
        GRANTABLE.has(this.model) ? (payload.grantId ?? null) : null,
        payload.userCode ?? null,
        payload.uid ?? null,
        typeof expiresIn === 'number' ? epoch() + expiresIn : null,
      ]);
    }

    find(id: string): Promise<Payload | undefined> {
      return first('find', [this.model, id, epoch()]);
    }

    findByUid(uid: string): Promise<Payload | undefined> {
      return first('findByUid', [this.model, uid, epoch()]);
    }

    findByUserCode(userCode: string): Promise<Payload | undefined> {
      return first('findByUserCode', [this.model, userCode, epoch()]);
    }

    async consume(id: string): Promise<void> {
      await run('consume', [this.model, id, epoch()]);
    }

    async destroy(id: string): Promise<void> {
      await run('destroy', [this.model, id]);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await run('revokeByGrantId', [grantId]);
    }
  }

  return { Adapter: PgAdapter, close: () => pool.end() };
}
