// Pages, their revisions, their links and the full-text index. Every change is one transaction
// guarded by the revision it is based on, so concurrent writers can never silently overwrite each
// other: exactly one wins and the others are told (optimistic concurrency).
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Dialect } from './database.ts';
import { uniqueViolationColumn } from './errors.ts';
import type { Database, PageAction, PageRevisionsTable, PagesTable } from './schema.ts';
import { wikiUsedBytes } from './wiki-size.ts';

export type Page = PagesTable;
export type PageRevision = PageRevisionsTable;
export type PageSummary = Pick<Page, 'path' | 'revision' | 'size' | 'updated_at' | 'updated_by'>;
export type RevisionSummary = Omit<PageRevision, 'content'>;

export interface SearchHit {
  path: string;
  /** A short excerpt around the match, matched terms between « and ». */
  snippet: string;
}

/** The page changed since the revision the writer read; nothing was saved. */
export class RevisionConflictError extends Error {
  override name = 'RevisionConflictError';
  constructor(
    readonly path: string,
    readonly currentRevision: number | undefined,
  ) {
    super(`${path} changed concurrently`);
  }
}

/** A page already exists at the path a create or rename wanted. */
export class PathTakenError extends Error {
  override name = 'PathTakenError';
  constructor(readonly path: string) {
    super(`${path} exists`);
  }
}

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

interface ChangeBase {
  wikiId: string;
  author: string;
  message: string | null;
  now: number;
  /** The wiki's total size limit over current pages, in bytes. */
  wikiLimitBytes: number;
}

export type PageChange = ChangeBase &
  (
    | { action: 'create'; path: string; content: string; links: string[] }
    | { action: 'edit'; page: Page; content: string; links: string[] }
    | { action: 'rename'; page: Page; newPath: string }
    | { action: 'delete'; page: Page }
  );

export interface PageStore {
  find(wikiId: string, path: string): Promise<Page | undefined>;
  /** One revision of the page now at `path`, or of the last page that had that path if it was deleted. */
  revision(wikiId: string, path: string, revision: number): Promise<PageRevision | undefined>;
  /** Newest first: the page now at `path`, or the last page that had it. */
  history(wikiId: string, path: string, limit: number): Promise<RevisionSummary[]>;
  list(wikiId: string, filter: { prefix?: string; updatedSince?: number; limit: number }): Promise<PageSummary[]>;
  recentChanges(wikiId: string, limit: number): Promise<RevisionSummary[]>;
  search(wikiId: string, query: string, limit: number): Promise<SearchHit[]>;
  /** The page's link targets, and whether a page exists at each. */
  outgoingLinks(pageId: string): Promise<{ path: string; exists: boolean }[]>;
  backlinks(wikiId: string, path: string): Promise<string[]>;
  /** Pages no other page links to. */
  orphans(wikiId: string): Promise<string[]>;
  /** Applies one change atomically and returns the page as it now is (the deleted page for a delete). */
  commit(change: PageChange): Promise<Page>;
}

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** `Projects/` matches `Projects/Robot Arm` but not `ProjectsX`; LIKE wildcards in the prefix are literal. */
const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** User text → an FTS5 query of quoted terms (all must match): no operator or syntax error reaches FTS5. */
function fts5Query(query: string): string {
  return (query.match(/[\p{L}\p{N}_]+/gu) ?? []).map((term) => `"${term}"`).join(' ');
}

export function pageStore(db: Kysely<Database>, dialect: Dialect): PageStore {
  const find = (wikiId: string, path: string) => db.selectFrom('pages').selectAll().where('wiki_id', '=', wikiId).where('path', '=', path).executeTakeFirst();

  /** The page id whose history `path` names: the live page, else the most recently deleted one. */
  async function pageIdFor(wikiId: string, path: string): Promise<string | undefined> {
    const live = await find(wikiId, path);
    if (live) return live.id;
    const last = await db
      .selectFrom('page_revisions')
      .select('page_id')
      .where('wiki_id', '=', wikiId)
      .where('path', '=', path)
      .orderBy('created_at', 'desc')
      .orderBy('revision', 'desc')
      .limit(1)
      .executeTakeFirst();
    return last?.page_id;
  }

  async function replaceIndex(tx: Transaction<Database>, page: Page, links: string[] | undefined): Promise<void> {
    if (links) {
      await tx.deleteFrom('page_links').where('from_page_id', '=', page.id).execute();
      if (links.length > 0)
        await tx
          .insertInto('page_links')
          .values(links.map((to) => ({ wiki_id: page.wiki_id, from_page_id: page.id, to_path: to })))
          .execute();
    }
    // PostgreSQL keeps its tsvector column current by itself.
    if (dialect === 'sqlite') {
      await sql`delete from page_search where page_id = ${page.id}`.execute(tx);
      await sql`insert into page_search (path, content, page_id, wiki_id) values (${page.path}, ${page.content}, ${page.id}, ${page.wiki_id})`.execute(tx);
    }
  }

  async function removeIndex(tx: Transaction<Database>, pageId: string): Promise<void> {
    await tx.deleteFrom('page_links').where('from_page_id', '=', pageId).execute();
    if (dialect === 'sqlite') await sql`delete from page_search where page_id = ${pageId}`.execute(tx);
  }

  /** `replaced`: the page whose text the change replaces (its revision is checked by `advance`). */
  async function checkLimit(tx: Transaction<Database>, change: ChangeBase, replaced: Page | undefined, newSize: number): Promise<void> {
    // Attachments count too (./wiki-size.ts).
    const used = (await wikiUsedBytes(tx, change.wikiId)) - (replaced?.size ?? 0);
    if (used + newSize > change.wikiLimitBytes) throw new WikiFullError(used, change.wikiLimitBytes);
  }

  async function recordRevision(tx: Transaction<Database>, page: Page, action: PageAction, change: ChangeBase): Promise<void> {
    await tx
      .insertInto('page_revisions')
      .values({
        page_id: page.id,
        revision: page.revision,
        wiki_id: page.wiki_id,
        path: page.path,
        content: action === 'delete' ? null : page.content,
        action,
        author_did: change.author,
        message: change.message,
        created_at: change.now,
      })
      .execute();
  }

  /** The conditional update that decides a race: only a writer holding the current revision succeeds. */
  async function advance(tx: Transaction<Database>, current: Page, next: Page): Promise<void> {
    const result = await tx
      .updateTable('pages')
      .set({ path: next.path, content: next.content, revision: next.revision, size: next.size, updated_at: next.updated_at, updated_by: next.updated_by })
      .where('id', '=', current.id)
      .where('revision', '=', current.revision)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1)
      throw new RevisionConflictError(
        current.path,
        (await tx.selectFrom('pages').select('revision').where('id', '=', current.id).executeTakeFirst())?.revision,
      );
  }

  async function apply(tx: Transaction<Database>, change: PageChange): Promise<Page> {
    const touched = { updated_at: change.now, updated_by: change.author };
    switch (change.action) {
      case 'create': {
        const size = utf8Bytes(change.content);
        await checkLimit(tx, change, undefined, size);
        const page: Page = { id: randomUUID(), wiki_id: change.wikiId, path: change.path, content: change.content, revision: 1, size, ...touched };
        await tx.insertInto('pages').values(page).execute();
        await recordRevision(tx, page, 'create', change);
        await replaceIndex(tx, page, change.links);
        return page;
      }
      case 'edit': {
        const size = utf8Bytes(change.content);
        await checkLimit(tx, change, change.page, size);
        const page: Page = { ...change.page, content: change.content, size, revision: change.page.revision + 1, ...touched };
        await advance(tx, change.page, page);
        await recordRevision(tx, page, 'edit', change);
        await replaceIndex(tx, page, change.links);
        return page;
      }
      case 'rename': {
        const page: Page = { ...change.page, path: change.newPath, revision: change.page.revision + 1, ...touched };
        await advance(tx, change.page, page);
        await recordRevision(tx, page, 'rename', change);
        await replaceIndex(tx, page, undefined);
        return page;
      }
      case 'delete': {
        const page: Page = { ...change.page, revision: change.page.revision + 1, ...touched };
        await advance(tx, change.page, page);
        await tx.deleteFrom('pages').where('id', '=', page.id).execute();
        await recordRevision(tx, page, 'delete', change);
        await removeIndex(tx, page.id);
        return page;
      }
    }
  }

  const summaryColumns = ['path', 'revision', 'size', 'updated_at', 'updated_by'] as const;
  const revisionSummaryColumns = ['page_id', 'revision', 'wiki_id', 'path', 'action', 'author_did', 'message', 'created_at'] as const;

  return {
    find,
    async revision(wikiId, path, revision) {
      const pageId = await pageIdFor(wikiId, path);
      if (!pageId) return undefined;
      return db.selectFrom('page_revisions').selectAll().where('page_id', '=', pageId).where('revision', '=', revision).executeTakeFirst();
    },
    async history(wikiId, path, limit) {
      const pageId = await pageIdFor(wikiId, path);
      if (!pageId) return [];
      return db.selectFrom('page_revisions').select(revisionSummaryColumns).where('page_id', '=', pageId).orderBy('revision', 'desc').limit(limit).execute();
    },
    async list(wikiId, { prefix, updatedSince, limit }) {
      let query = db.selectFrom('pages').select(summaryColumns).where('wiki_id', '=', wikiId);
      if (prefix) query = query.where(sql<boolean>`path like ${likePrefix(prefix)} escape '\\'`);
      if (updatedSince !== undefined) query = query.where('updated_at', '>=', updatedSince);
      return query.orderBy('path').limit(limit).execute();
    },
    recentChanges: (wikiId, limit) =>
      db
        .selectFrom('page_revisions')
        .select(revisionSummaryColumns)
        .where('wiki_id', '=', wikiId)
        .orderBy('created_at', 'desc')
        .orderBy('revision', 'desc')
        .limit(limit)
        .execute(),
    async search(wikiId, query, limit) {
      if (dialect === 'sqlite') {
        const match = fts5Query(query);
        if (!match) return [];
        const { rows } = await sql<SearchHit>`
          select path, snippet(page_search, 1, '«', '»', '…', 16) as snippet
          from page_search where page_search match ${match} and wiki_id = ${wikiId}
          order by bm25(page_search, 10.0, 1.0) limit ${limit}`.execute(db);
        return rows;
      }
      const { rows } = await sql<SearchHit>`
        select path, ts_headline('english', content, q, 'StartSel=«, StopSel=», MaxWords=16, MinWords=6, MaxFragments=1') as snippet
        from pages, websearch_to_tsquery('english', ${query}) as q
        where wiki_id = ${wikiId} and search @@ q
        order by ts_rank(search, q) desc, path limit ${limit}`.execute(db);
      return rows;
    },
    async outgoingLinks(pageId) {
      const rows = await db
        .selectFrom('page_links as l')
        .leftJoin('pages as target', (join) => join.onRef('target.wiki_id', '=', 'l.wiki_id').onRef('target.path', '=', 'l.to_path'))
        .select(['l.to_path as path', 'target.id as targetId'])
        .where('l.from_page_id', '=', pageId)
        .orderBy('l.to_path')
        .execute();
      return rows.map((row) => ({ path: row.path, exists: row.targetId !== null }));
    },
    async backlinks(wikiId, path) {
      const rows = await db
        .selectFrom('page_links')
        .innerJoin('pages', 'pages.id', 'page_links.from_page_id')
        .select('pages.path')
        .where('page_links.wiki_id', '=', wikiId)
        .where('page_links.to_path', '=', path)
        .where('pages.path', '!=', path)
        .orderBy('pages.path')
        .execute();
      return rows.map((row) => row.path);
    },
    async orphans(wikiId) {
      const rows = await db
        .selectFrom('pages')
        .select('path')
        .where('wiki_id', '=', wikiId)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('page_links as l')
                .innerJoin('pages as source', 'source.id', 'l.from_page_id')
                .select('l.to_path')
                .whereRef('l.to_path', '=', 'pages.path')
                .whereRef('l.wiki_id', '=', 'pages.wiki_id')
                .whereRef('source.id', '!=', 'pages.id'),
            ),
          ),
        )
        .orderBy('path')
        .execute();
      return rows.map((row) => row.path);
    },
    async commit(change) {
      try {
        return await db.transaction().execute((tx) => apply(tx, change));
      } catch (error) {
        // The unique (wiki_id, path) constraint decides a race between two creates or renames.
        if (uniqueViolationColumn(error) !== undefined && (change.action === 'create' || change.action === 'rename')) {
          throw new PathTakenError(change.action === 'create' ? change.path : change.newPath);
        }
        throw error;
      }
    },
  };
}
