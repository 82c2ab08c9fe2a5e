// How many bytes each wiki holds, as one counter per wiki kept in the same transaction as the write
// that changes it, so checking the size limit costs one row whatever the wiki holds (summing the
// wiki's pages on every write grew with the wiki: docs/benchmarks.md). Page texts count today; any
// other stored content that counts toward the limit adds its bytes through `add` in its own write
// transaction.
import type { Sql } from './sql.ts';

/** The wiki would grow past its size limit; nothing was saved. */
export class WikiFullError extends Error {
  override name = 'WikiFullError';
  constructor(
    readonly usedBytes: number,
    readonly limitBytes: number,
  ) {
    super('wiki size limit reached');
  }
}

export interface WikiUsage {
  /** The bytes the wiki holds now, as seen by `tx`. */
  read(tx: Sql, wikiId: string): Promise<number>;
  /**
   * Adds `deltaBytes` (negative when content shrinks or goes) to the wiki's count inside the caller's
   * write transaction. Growth that would pass `limitBytes` throws WikiFullError and changes nothing;
   * shrinking is always allowed, even past the limit (a wiki over a lowered limit can still be trimmed).
   */
  add(tx: Sql, wikiId: string, deltaBytes: number, limitBytes: number): Promise<void>;
}

// One conditional upsert: the row lock (PostgreSQL) or the single writer (SQLite) decides between
// concurrent writers, never a read followed by a write. No row returned means the condition refused.
const ADD = `insert into wiki_usage (wiki_id, bytes) select ?, ? where cast(? as bigint) <= cast(? as bigint)
  on conflict (wiki_id) do update set bytes = wiki_usage.bytes + excluded.bytes
  where excluded.bytes <= 0 or wiki_usage.bytes + excluded.bytes <= ?
  returning bytes`;

export const wikiUsage: WikiUsage = {
  async read(tx, wikiId) {
    const row = await tx.one<{ bytes: number }>('select bytes from wiki_usage where wiki_id = ?', [wikiId]);
    return Number(row?.bytes ?? 0);
  },
  async add(tx, wikiId, deltaBytes, limitBytes) {
    if (deltaBytes === 0) return;
    const added = await tx.one<{ bytes: number }>(ADD, [wikiId, deltaBytes, deltaBytes, limitBytes, limitBytes]);
    if (added === undefined) throw new WikiFullError(await wikiUsage.read(tx, wikiId), limitBytes);
  },
};
