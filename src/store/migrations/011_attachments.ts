// Files attached to pages (issue 12). The bytes live in `attachment_chunks`, one row per fixed-size
// piece, so that neither a write nor a read holds a whole file in one statement; the metadata points
// at them by an opaque key, which an object store could hand out instead (store/attachment-blobs.ts).
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { SqliteAdapter, sql } from 'kysely';

export const m011_attachments: Migration = {
  async up(db: Kysely<any>) {
    const bytes = db.getExecutor().adapter instanceof SqliteAdapter ? 'blob' : 'bytea';
    await db.schema
      .createTable('attachment_chunks')
      .addColumn('blob_key', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('data', sql.raw(bytes), (c) => c.notNull())
      .addPrimaryKeyConstraint('attachment_chunks_pkey', ['blob_key', 'seq'])
      .execute();

    // The current version of each attachment; a deleted one has no row here, only revisions.
    await db.schema
      .createTable('attachments')
      .addColumn('page_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('wiki_id', 'text', (c) => c.notNull())
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('media_type', 'text', (c) => c.notNull())
      .addColumn('blob_key', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('attachments_pkey', ['page_id', 'name'])
      .execute();
    await db.schema.createIndex('attachments_wiki').on('attachments').column('wiki_id').execute();

    // Every upload and deletion; the primary key decides two concurrent changes of one attachment.
    await db.schema
      .createTable('attachment_revisions')
      .addColumn('page_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('wiki_id', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('media_type', 'text', (c) => c.notNull())
      // Null for a deletion; older uploads keep theirs, so a deleted file can be downloaded again.
      .addColumn('blob_key', 'text')
      .addColumn('author_did', 'text', (c) => c.notNull())
      .addColumn('message', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('attachment_revisions_pkey', ['page_id', 'name', 'revision'])
      .execute();
  },
  async down(db: Kysely<any>) {
    for (const table of ['attachment_revisions', 'attachments', 'attachment_chunks']) await sql`drop table if exists ${sql.table(table)}`.execute(db);
  },
};
