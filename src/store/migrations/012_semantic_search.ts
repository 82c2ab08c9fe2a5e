// Semantic search: each page's text in section-aware chunks, one vector per chunk, and the durable
// queue of pages whose chunks are out of date (docs/architecture.md, "Storage schema").
//
// Triggers on `pages` fill the queue in the writing transaction itself, whichever statement writes a
// page (create, edit, rename, delete, a wiki's deletion): a page can never change without either fresh
// chunks or a queue row saying they are due. A deleted page loses its chunks at once. Embedding is done
// outside the write (it may call a remote model) by the indexer (src/wiki/semantic-index.ts), which
// replaces a page's chunks and removes its queue row only if the row's version is still the one it read.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { SqliteAdapter, sql } from 'kysely';

export const m012_semantic_search: Migration = {
  async up(db: Kysely<any>) {
    const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
    await db.schema
      .createTable('page_chunks')
      .addColumn('page_id', 'text', (c) => c.notNull())
      .addColumn('ordinal', 'integer', (c) => c.notNull())
      .addColumn('wiki_id', 'text', (c) => c.notNull())
      // JSON array of the headings above the chunk, outermost first.
      .addColumn('heading_path', 'text', (c) => c.notNull())
      .addColumn('content', 'text', (c) => c.notNull())
      // The embedder's model id: vectors of another model are never compared with the query's.
      .addColumn('model', 'text', (c) => c.notNull())
      // Float32 little-endian (no pgvector on the supported PostgreSQL: distances are computed in the process).
      .addColumn('vector', sqlite ? 'blob' : sql`bytea`, (c) => c.notNull())
      .addPrimaryKeyConstraint('page_chunks_pkey', ['page_id', 'ordinal'])
      .execute();
    await db.schema.createIndex('page_chunks_wiki_model').on('page_chunks').columns(['wiki_id', 'model']).execute();

    await db.schema
      .createTable('embedding_queue')
      .addColumn('page_id', 'text', (c) => c.primaryKey())
      .addColumn('wiki_id', 'text', (c) => c.notNull())
      // Bumped by every write while the row waits, so the indexer can tell that the page moved on.
      .addColumn('version', 'integer', (c) => c.notNull())
      // When the page first fell behind: the queue's lag.
      .addColumn('queued_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('embedding_queue_wiki').on('embedding_queue').columns(['wiki_id', 'queued_at']).execute();

    // Counts changes to each wiki's chunks, so a process may keep the wiki's vectors in memory and
    // know, with one indexed read, whether they are still current (wiki/semantic-search.ts).
    await db.schema
      .createTable('chunk_generations')
      .addColumn('wiki_id', 'text', (c) => c.primaryKey())
      .addColumn('generation', 'integer', (c) => c.notNull())
      .execute();

    const now = Math.floor(Date.now() / 1000);
    await sql`insert into embedding_queue (page_id, wiki_id, version, queued_at) select id, wiki_id, 1, ${now} from pages`.execute(db);

    const queue = (epoch: string) => `insert into embedding_queue (page_id, wiki_id, version, queued_at) values (new.id, new.wiki_id, 1, ${epoch})
      on conflict (page_id) do update set version = embedding_queue.version + 1`;
    const forget = `delete from page_chunks where page_id = old.id; delete from embedding_queue where page_id = old.id;
      insert into chunk_generations (wiki_id, generation) values (old.wiki_id, 1)
      on conflict (wiki_id) do update set generation = chunk_generations.generation + 1;`;
    if (sqlite) {
      const epoch = "cast(strftime('%s', 'now') as integer)";
      await sql.raw(`create trigger pages_embedding_insert after insert on pages begin ${queue(epoch)}; end`).execute(db);
      await sql.raw(`create trigger pages_embedding_update after update of path, content on pages begin ${queue(epoch)}; end`).execute(db);
      await sql.raw(`create trigger pages_embedding_delete after delete on pages begin ${forget} end`).execute(db);
    } else {
      await sql
        .raw(`create function pages_embedding() returns trigger language plpgsql as $$
          begin
            if tg_op = 'DELETE' then ${forget} return old; end if;
            ${queue('extract(epoch from now())::bigint')};
            return new;
          end $$`)
        .execute(db);
      await sql
        .raw('create trigger pages_embedding after insert or delete or update of path, content on pages for each row execute function pages_embedding()')
        .execute(db);
    }
  },
  async down(db: Kysely<any>) {
    if (db.getExecutor().adapter instanceof SqliteAdapter) {
      for (const trigger of ['pages_embedding_insert', 'pages_embedding_update', 'pages_embedding_delete'])
        await sql.raw(`drop trigger if exists ${trigger}`).execute(db);
    } else {
      await sql`drop trigger if exists pages_embedding on pages`.execute(db);
      await sql`drop function if exists pages_embedding()`.execute(db);
    }
    await sql`drop table if exists chunk_generations`.execute(db);
    await sql`drop table if exists embedding_queue`.execute(db);
    await sql`drop table if exists page_chunks`.execute(db);
  },
};
