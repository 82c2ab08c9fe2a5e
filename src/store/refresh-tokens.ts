// Refresh tokens, stored hashed. Rotation is a compare-and-set on `rotated_at` committed together with
// the successor's insert (./grants.ts, insertRefreshTokenIf), so a family never has two live tokens
// (catalogue RT-05).
import type { DatabaseHandle } from './database.ts';
import { insertRefreshTokenIf, revokeGrant, STILL_AUTHORIZED, toAuthorized, type Authorized, type WikiRef } from './grants.ts';
import type { RefreshTokensTable } from './schema.ts';

export type RefreshTokenRow = RefreshTokensTable;

/** How a rotation ended (DESIGN.md §3, catalogue RT-02, RT-05). */
export type Rotation = 'rotated' | 'grace' | 'replayed';

export interface RefreshTokenStore {
  /** The token, if it was issued at this wiki, and whether its grant still stands (STILL_AUTHORIZED). One SELECT. */
  find(tokenHash: string, wiki: WikiRef): Promise<Authorized<RefreshTokenRow> | undefined>;
  /**
   * Retires `current` and inserts `successor` in one transaction; exactly one of any number of
   * concurrent rotations wins. When `current` was already retired: a replay within `graceSeconds` of
   * its rotation while `successor` is still the live token is a client retrying a lost response
   * ('grace'); anything else is reuse of a stolen token, and the whole grant is revoked ('replayed').
   */
  rotate(current: RefreshTokenRow, successor: RefreshTokenRow, now: number, graceSeconds: number): Promise<Rotation>;
}

const COLUMNS = 'token_hash, family_id, grant_id, wiki_id, client_id, user_did, scope, resource, family_started_at, expires_at, rotated_at';
const FIND = `select ${COLUMNS.replace(/(\w+)/g, 'x.$1')}, ${STILL_AUTHORIZED} from refresh_tokens x where x.token_hash = ? and x.wiki_id = ?`;
const ROTATED_AT = 'select rotated_at from refresh_tokens where token_hash = ?';

export function refreshTokenStore({ sql }: Pick<DatabaseHandle, 'sql'>): RefreshTokenStore {
  return {
    find: async (tokenHash, wiki) => toAuthorized(await sql.one<RefreshTokenRow & { authorized: number }>(FIND, [wiki.owner_did, tokenHash, wiki.id])),
    async rotate(current, successor, now, graceSeconds) {
      let rotatedAt = current.rotated_at;
      if (rotatedAt === null) {
        const retire = { text: 'update refresh_tokens set rotated_at = ? where token_hash = ? and rotated_at is null', params: [now, current.token_hash] };
        if (await insertRefreshTokenIf(sql, retire, successor)) return 'rotated';
        // Another request rotated it between our read and our write.
        rotatedAt = (await sql.one<{ rotated_at: number | null }>(ROTATED_AT, [current.token_hash]))?.rotated_at ?? null;
      }
      if (rotatedAt !== null && now - rotatedAt <= graceSeconds) {
        const next = await sql.one<{ rotated_at: number | null }>(ROTATED_AT, [successor.token_hash]);
        if (next && next.rotated_at === null) return 'grace';
      }
      await revokeGrant(sql, current.grant_id, now);
      return 'replayed';
    },
  };
}
