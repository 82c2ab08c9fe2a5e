// The bytes a wiki holds, as its size limit (WIKI_MAX_BYTES) counts them: its current pages and the
// current attachments of those pages. Old revisions are history and do not count. Summed here, in
// one function, so that the per-wiki usage counter (store/wiki-usage.ts, issue 12) replaces it in
// one spot.
import { sql, type QueryExecutorProvider } from 'kysely';

/** `db`: the database or a transaction, to count inside the write that is being decided. */
export async function wikiUsedBytes(db: QueryExecutorProvider, wikiId: string): Promise<number> {
  const { rows } = await sql<{ used: number | string | null }>`
    select (select coalesce(sum(size), 0) from pages where wiki_id = ${wikiId})
         + (select coalesce(sum(a.size), 0) from attachments a join pages p on p.id = a.page_id where a.wiki_id = ${wikiId}) as used`.execute(db);
  return Number(rows[0]?.used ?? 0);
}
