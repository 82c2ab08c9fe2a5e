// Attachments' metadata: the current version of each file on a page, and every upload and deletion
// as a revision (like pages, a deletion is recorded, not forgotten). The bytes are in a BlobStore
// (./attachment-blobs.ts), referred to by key. Every change is one transaction that also decides the
// wiki's size limit; the primary keys decide two concurrent changes of the same attachment.
import type { Transaction } from 'kysely';
import type { Dialect, StoreDb } from './database.ts';
import { uniqueViolationColumn } from './errors.ts';
import { sqlInKyselyTransaction } from './sql.ts';
import { wikiUsage } from './wiki-usage.ts';
import type { Database } from './schema.ts';

export interface AttachmentsTable {
  page_id: string;
  /** The file name, unique on its page. */
  name: string;
  wiki_id: string;
  /** Counts this name's revisions on this page from 1, across deletions. */
  revision: number;
  size: number;
  /** Sniffed from the bytes when uploaded (application/octet-stream when unknown). */
  media_type: string;
  blob_key: string;
  updated_at: number;
  updated_by: string;
}

export type AttachmentAction = 'upload' | 'delete';

export interface AttachmentRevisionsTable {
  page_id: string;
  name: string;
  revision: number;
  wiki_id: string;
  action: AttachmentAction;
  size: number;
  media_type: string;
  /** Null for a deletion. */
  blob_key: string | null;
  author_did: string;
  message: string | null;
  created_at: number;
}

type Tables = Database & { attachments: AttachmentsTable; attachment_revisions: AttachmentRevisionsTable };

export type Attachment = AttachmentsTable;
export type AttachmentRevision = AttachmentRevisionsTable;

/** The attachment changed since it was read (or a concurrent upload took the revision); nothing was saved. */
export class AttachmentConflictError extends Error {
  override name = 'AttachmentConflictError';
  constructor(readonly attachmentName: string) {
    super(`${attachmentName} changed concurrently`);
  }
}

interface ChangeBase {
  wikiId: string;
  pageId: string;
  name: string;
  author: string;
  message: string | null;
  now: number;
  /** The wiki's size limit over current pages and attachments, in bytes. */
  wikiLimitBytes: number;
}

export type AttachmentChange = ChangeBase &
  ({ action: 'upload'; size: number; mediaType: string; blobKey: string } | { action: 'delete'; current: Attachment });

export interface AttachmentStore {
  /** The page's current attachments, by name. */
  list(pageId: string): Promise<Attachment[]>;
  find(pageId: string, name: string): Promise<Attachment | undefined>;
  /** One revision; `undefined` revision means the newest (a deletion, when the file was deleted last). */
  revision(pageId: string, name: string, revision?: number): Promise<AttachmentRevision | undefined>;
  /** What the wiki holds now, in bytes (./wiki-usage.ts). */
  usedBytes(wikiId: string): Promise<number>;
  /** Applies one change atomically and returns the revision it recorded. */
  commit(change: AttachmentChange): Promise<AttachmentRevision>;
}

export function attachmentStore(database: StoreDb, dialect: Dialect): AttachmentStore {
  const db = database.withTables<{ attachments: AttachmentsTable; attachment_revisions: AttachmentRevisionsTable }>();
  const find = (pageId: string, name: string) =>
    db.selectFrom('attachments').selectAll().where('page_id', '=', pageId).where('name', '=', name).executeTakeFirst();

  async function record(tx: Transaction<Tables>, revision: AttachmentRevision): Promise<AttachmentRevision> {
    await tx.insertInto('attachment_revisions').values(revision).execute();
    return revision;
  }

  async function upload(tx: Transaction<Tables>, change: AttachmentChange & { action: 'upload' }): Promise<AttachmentRevision> {
    const current = await tx.selectFrom('attachments').selectAll().where('page_id', '=', change.pageId).where('name', '=', change.name).executeTakeFirst();
    // The wiki's byte counter decides the limit for page texts and files alike, in this transaction:
    // writers to one wiki queue on its row (./wiki-usage.ts), so two changes cannot both pass it.
    await wikiUsage.add(sqlInKyselyTransaction(dialect, tx), change.wikiId, change.size - (current?.size ?? 0), change.wikiLimitBytes);
    const last = await tx
      .selectFrom('attachment_revisions')
      .select((eb) => eb.fn.max<number>('revision').as('revision'))
      .where('page_id', '=', change.pageId)
      .where('name', '=', change.name)
      .executeTakeFirst();
    const revision = Number(last?.revision ?? 0) + 1;
    const row: Attachment = {
      page_id: change.pageId,
      name: change.name,
      wiki_id: change.wikiId,
      revision,
      size: change.size,
      media_type: change.mediaType,
      blob_key: change.blobKey,
      updated_at: change.now,
      updated_by: change.author,
    };
    if (current) {
      const { page_id, name, ...next } = row;
      const updated = await tx
        .updateTable('attachments')
        .set(next)
        .where('page_id', '=', page_id)
        .where('name', '=', name)
        .where('revision', '=', current.revision)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) throw new AttachmentConflictError(change.name);
    } else {
      await tx.insertInto('attachments').values(row).execute();
    }
    const { updated_at, updated_by, ...kept } = row;
    return record(tx, { ...kept, action: 'upload', author_did: updated_by, message: change.message, created_at: updated_at });
  }

  async function remove(tx: Transaction<Tables>, change: AttachmentChange & { action: 'delete' }): Promise<AttachmentRevision> {
    const { current } = change;
    const deleted = await tx
      .deleteFrom('attachments')
      .where('page_id', '=', current.page_id)
      .where('name', '=', current.name)
      .where('revision', '=', current.revision)
      .executeTakeFirst();
    if (Number(deleted.numDeletedRows) !== 1) throw new AttachmentConflictError(change.name);
    await wikiUsage.add(sqlInKyselyTransaction(dialect, tx), current.wiki_id, -current.size, change.wikiLimitBytes);
    return record(tx, {
      page_id: current.page_id,
      name: current.name,
      revision: current.revision + 1,
      wiki_id: current.wiki_id,
      action: 'delete',
      size: 0,
      media_type: current.media_type,
      blob_key: null,
      author_did: change.author,
      message: change.message,
      created_at: change.now,
    });
  }

  return {
    list: (pageId) => db.selectFrom('attachments').selectAll().where('page_id', '=', pageId).orderBy('name').execute(),
    find,
    async revision(pageId, name, revision) {
      let query = db.selectFrom('attachment_revisions').selectAll().where('page_id', '=', pageId).where('name', '=', name);
      query = revision === undefined ? query.orderBy('revision', 'desc').limit(1) : query.where('revision', '=', revision);
      return query.executeTakeFirst();
    },
    usedBytes: (wikiId) => wikiUsage.read(database.sql, wikiId),
    async commit(change) {
      try {
        return await db.transaction().execute((tx) => (change.action === 'upload' ? upload(tx, change) : remove(tx, change)));
      } catch (error) {
        // The primary keys decide a race between two first uploads, or two changes to one revision.
        if (uniqueViolationColumn(error) !== undefined) throw new AttachmentConflictError(change.name);
        throw error;
      }
    },
  };
}
