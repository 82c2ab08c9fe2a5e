// A wiki's costs follow its own size, not the platform's (issue 12, docs/benchmarks.md "Wiki store"):
// - `wiki_usage`: the bytes each wiki holds, kept by every write (./wiki-usage.ts), instead of a sum
//   over the wiki's pages on each write;
// - `page_labels`: tags and categories from front matter, indexed per wiki for `list_notes`;
// - SQLite: the full-text rows are keyed by an integer `pages.search_rowid`, each wiki's pages in a
//   block of their own (`wiki block << 32 | n`), so a write replaces its row by key, and each wiki's
//   words are indexed behind the wiki's key (../search-text.ts), so a search reads only its own wiki's
//   lists. The old table was found by an unindexed `page_id` (every write scanned every page of every
//   wiki) and its searches read every wiki's rows of their words, filtered by an unindexed `wiki_id`.
//   PostgreSQL keeps its generated tsvector; its searches start from the (wiki_id, path) index.
import { SqliteAdapter, sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { frontMatterLabels } from '../../front-matter.ts';
import { keyed, SEARCH_BLOCK, searchKey } from '../search-text.ts';

async function labelExistingPages(db: Kysely<any>): Promise<void> {
  const pages = await db.selectFrom('pages').select(['id', 'wiki_id', 'content']).where('content', 'like', '---%').execute();
  for (const page of pages) {
    const { tags, categories } = await frontMatterLabels(page.content);
    const rows = [
      ...tags.map((value) => ({ wiki_id: page.wiki_id, page_id: page.id, kind: 'tag', value })),
      ...categories.map((value) => ({ wiki_id: page.wiki_id, page_id: page.id, kind: 'category', value })),
    ];
    if (rows.length > 0) await db.insertInto('page_labels').values(rows).execute();
  }
}

async function keySqliteSearch(db: Kysely<any>): Promise<void> {
  await sql`alter table pages add column search_rowid integer`.execute(db);
  await sql`update pages set search_rowid = keyed.rowid_of from (
      select id, dense_rank() over (order by wiki_id) * ${SEARCH_BLOCK} + row_number() over (partition by wiki_id order by id) as rowid_of
      from pages) as keyed
    where keyed.id = pages.id`.execute(db);
  await sql`create unique index pages_search_rowid on pages (search_rowid)`.execute(db);
  await sql`create index pages_wiki_search_rowid on pages (wiki_id, search_rowid)`.execute(db);
  await sql`drop table page_search`.execute(db);
  await sql`create virtual table page_search using fts5(path, content, tokenize = 'porter unicode61 remove_diacritics 2')`.execute(db);
  const pages = await db.selectFrom('pages').select(['search_rowid', 'path', 'content']).execute();
  for (const page of pages) {
    const key = searchKey(page.search_rowid);
    await sql`insert into page_search (rowid, path, content) values (${page.search_rowid}, ${keyed(key, page.path)}, ${keyed(key, page.content)})`.execute(db);
  }
}

export const m010_wiki_scale: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('wiki_usage')
      .addColumn('wiki_id', 'text', (c) => c.primaryKey())
      .addColumn('bytes', 'bigint', (c) => c.notNull())
      .execute();
    await sql`insert into wiki_usage (wiki_id, bytes) select wiki_id, sum(size) from pages group by wiki_id`.execute(db);

    await db.schema
      .createTable('page_labels')
      .addColumn('wiki_id', 'text', (c) => c.notNull())
      .addColumn('page_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('page_labels_pkey', ['page_id', 'kind', 'value'])
      .execute();
    await db.schema.createIndex('page_labels_filter').on('page_labels').columns(['wiki_id', 'kind', 'value', 'page_id']).execute();
    await labelExistingPages(db);

    if (db.getExecutor().adapter instanceof SqliteAdapter) await keySqliteSearch(db);
  },
  async down(db: Kysely<any>) {
    if (db.getExecutor().adapter instanceof SqliteAdapter) {
      await sql`drop table page_search`.execute(db);
      await sql`create virtual table page_search using fts5(path, content, page_id unindexed, wiki_id unindexed, tokenize = 'porter unicode61 remove_diacritics 2')`.execute(
        db,
      );
      await sql`insert into page_search (path, content, page_id, wiki_id) select path, content, id, wiki_id from pages`.execute(db);
      await sql`drop index pages_wiki_search_rowid`.execute(db);
      await sql`drop index pages_search_rowid`.execute(db);
      await sql`alter table pages drop column search_rowid`.execute(db);
    }
    await db.schema.dropTable('page_labels').execute();
    await db.schema.dropTable('wiki_usage').execute();
  },
};
