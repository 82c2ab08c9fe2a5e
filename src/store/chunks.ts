// Page chunks with their vectors, and the queue of pages whose chunks are due (migration 012: triggers
// on `pages` fill the queue in every write transaction and drop a deleted page's chunks). Every
// statement names one wiki or one page, so a wiki's search costs what that wiki holds.
import type { Sql } from './sql.ts';

/** A page waiting for fresh chunks, as read from the queue with its current text. */
export interface QueuedPage {
  pageId: string;
  wikiId: string;
  path: string;
  content: string;
  revision: number;
  /** The queue row's version when read: chunks are stored only if no write came since. */
  version: number;
}

export interface NewChunk {
  headingPath: string[];
  content: string;
  vector: Buffer;
}

export interface ChunkVector {
  pageId: string;
  /** The page's current path. */
  path: string;
  ordinal: number;
  vector: Buffer;
}

export interface Passage {
  pageId: string;
  ordinal: number;
  /** The page's current path. */
  path: string;
  headingPath: string[];
  content: string;
}

export interface QueueStatus {
  /** Pages whose chunks are not yet current. */
  pending: number;
  /** Epoch seconds at which the longest-waiting of them fell behind. */
  oldestQueuedAt: number | undefined;
}

export interface ChunkStore {
  /** Queued pages, longest waiting first; of one wiki, or of all. */
  queued(wikiId: string | undefined, limit: number): Promise<QueuedPage[]>;
  /**
   * Replaces the page's chunks and takes it off the queue, in one transaction, if the page is still at
   * the revision and the queue row at the version that were read; false (nothing written) otherwise.
   */
  replace(page: QueuedPage, model: string, chunks: NewChunk[]): Promise<boolean>;
  status(wikiId: string): Promise<QueueStatus>;
  /** Grows with every change to the wiki's chunks (a page re-embedded or deleted); 0 before any. */
  generation(wikiId: string): Promise<number>;
  /** Every vector of the wiki made by `model`, with its page's path; a page's chunks together, in order. */
  vectors(wikiId: string, model: string): Promise<ChunkVector[]>;
  /** The wanted chunks of the wiki's pages made by `model`, with their text, in one query; missing ones are left out. */
  passages(wikiId: string, model: string, wanted: { pageId: string; ordinal: number }[]): Promise<Passage[]>;
  /** Queues every page of the wiki (of all wikis without one); returns how many. */
  queueAll(wikiId: string | undefined, now: number): Promise<number>;
  /** Queues the pages with vectors of any model but `model`; returns how many. */
  queueOtherModels(model: string, now: number): Promise<number>;
}

const UPSERT_QUEUE = 'on conflict (page_id) do update set version = embedding_queue.version + 1';

export function chunkStore(db: Sql): ChunkStore {
  // PostgreSQL: the page row is locked so that a concurrent delete (whose trigger drops the chunks)
  // waits for this transaction or has already happened; SQLite has one writer at a time anyway.
  const lockPage = `select revision from pages where id = ?${db.dialect === 'postgres' ? ' for update' : ''}`;
  // A JSON array of {page_id, ordinal} as rows `w`, joined to their chunks by primary key: one statement
  // text for any number of them. SQLite's CROSS JOIN keeps `w` the outer loop; left to itself, the
  // planner scanned the wiki's chunks instead (100 times slower at 10,000 chunks).
  const wantedChunks =
    db.dialect === 'postgres'
      ? 'jsonb_to_recordset(cast(? as jsonb)) as w(page_id text, ordinal integer) join page_chunks c'
      : "(select json_extract(value, '$.page_id') as page_id, json_extract(value, '$.ordinal') as ordinal from json_each(?)) as w cross join page_chunks c";
  return {
    async queued(wikiId, limit) {
      const rows = await db.all<{ page_id: string; wiki_id: string; path: string; content: string; revision: number; version: number }>(
        `select q.page_id, q.wiki_id, p.path, p.content, p.revision, q.version
         from embedding_queue q join pages p on p.id = q.page_id
         where ${wikiId === undefined ? '1 = 1' : 'q.wiki_id = ?'} order by q.queued_at, q.page_id limit ?`,
        wikiId === undefined ? [limit] : [wikiId, limit],
      );
      return rows.map((row) => ({
        pageId: row.page_id,
        wikiId: row.wiki_id,
        path: row.path,
        content: row.content,
        revision: Number(row.revision),
        version: Number(row.version),
      }));
    },
    replace: (page, model, chunks) =>
      db.transaction(async (tx) => {
        const current = await tx.one<{ revision: number }>(lockPage, [page.pageId]);
        if (current === undefined || Number(current.revision) !== page.revision) return false;
        const taken = await tx.run('delete from embedding_queue where page_id = ? and version = ?', [page.pageId, page.version]);
        if (taken !== 1) return false;
        await tx.run('delete from page_chunks where page_id = ?', [page.pageId]);
        await tx.run(
          `insert into chunk_generations (wiki_id, generation) values (?, 1)
           on conflict (wiki_id) do update set generation = chunk_generations.generation + 1`,
          [page.wikiId],
        );
        for (const [ordinal, chunk] of chunks.entries())
          await tx.run('insert into page_chunks (page_id, ordinal, wiki_id, heading_path, content, model, vector) values (?, ?, ?, ?, ?, ?, ?)', [
            page.pageId,
            ordinal,
            page.wikiId,
            JSON.stringify(chunk.headingPath),
            chunk.content,
            model,
            chunk.vector,
          ]);
        return true;
      }),
    async status(wikiId) {
      const row = await db.one<{ pending: number | string; oldest: number | null }>(
        'select count(*) as pending, min(queued_at) as oldest from embedding_queue where wiki_id = ?',
        [wikiId],
      );
      return { pending: Number(row?.pending ?? 0), oldestQueuedAt: row?.oldest == null ? undefined : Number(row.oldest) };
    },
    async generation(wikiId) {
      const row = await db.one<{ generation: number }>('select generation from chunk_generations where wiki_id = ?', [wikiId]);
      return Number(row?.generation ?? 0);
    },
    async vectors(wikiId, model) {
      const rows = await db.all<{ page_id: string; path: string; ordinal: number; vector: Buffer }>(
        'select c.page_id, p.path, c.ordinal, c.vector from page_chunks c join pages p on p.id = c.page_id where c.wiki_id = ? and c.model = ? order by c.page_id, c.ordinal',
        [wikiId, model],
      );
      return rows.map((row) => ({ pageId: row.page_id, path: row.path, ordinal: Number(row.ordinal), vector: row.vector }));
    },
    async passages(wikiId, model, wanted) {
      if (wanted.length === 0) return [];
      const rows = await db.all<{ page_id: string; ordinal: number; path: string; heading_path: string; content: string }>(
        `select c.page_id, c.ordinal, p.path, c.heading_path, c.content from ${wantedChunks}
         on c.page_id = w.page_id and c.ordinal = w.ordinal join pages p on p.id = c.page_id
         where c.wiki_id = ? and c.model = ?`,
        [JSON.stringify(wanted.map(({ pageId, ordinal }) => ({ page_id: pageId, ordinal }))), wikiId, model],
      );
      return rows.map((row) => ({
        pageId: row.page_id,
        ordinal: Number(row.ordinal),
        path: row.path,
        headingPath: JSON.parse(row.heading_path) as string[],
        content: row.content,
      }));
    },
    queueAll: (wikiId, now) =>
      db.run(
        `insert into embedding_queue (page_id, wiki_id, version, queued_at) select id, wiki_id, 1, cast(? as bigint) from pages
         where ${wikiId === undefined ? '1 = 1' : 'wiki_id = ?'} ${UPSERT_QUEUE}`,
        wikiId === undefined ? [now] : [now, wikiId],
      ),
    queueOtherModels: (model, now) =>
      db.run(
        `insert into embedding_queue (page_id, wiki_id, version, queued_at)
         select distinct page_id, wiki_id, 1, cast(? as bigint) from page_chunks where model <> ? ${UPSERT_QUEUE}`,
        [now, model],
      ),
  };
}
