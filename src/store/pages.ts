// Pages, their revisions, their links, labels and the full-text index. Every change is one transaction
// guarded by the revision it is based on, so concurrent writers can never silently overwrite each
// other: exactly one wins and the others are told (optimistic concurrency).
//
// Every statement is bounded by the wiki it serves (docs/benchmarks.md, "Wiki store"): rows are found
// by key or by an index that starts with the wiki, the size limit is one counter row (./wiki-usage.ts),
// and every listing is a page of a keyset (or, for ranked search, offset) cursor. The writes are plain
// SQL (./sql.ts): they are the hot path of `write_note`.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { PageLabels } from '../front-matter.ts';
import type { StoreDb } from './database.ts';
import { uniqueViolationColumn } from './errors.ts';
import type { PageAction, PageRevisionsTable, PagesTable } from './schema.ts';
import { keyed, keyedQuery, SEARCH_BLOCK, searchKey, unkeyed } from './search-text.ts';
import type { Sql } from './sql.ts';
import { wikiUsage } from './wiki-usage.ts';

export { WikiFullError } from './wiki-usage.ts';

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

interface ChangeBase {
  wikiId: string;
  author: string;
  message: string | null;
  now: number;
  /** The wiki's total size limit, in bytes (./wiki-usage.ts). */
  wikiLimitBytes: number;
}

/** What the store indexes of a page's text: its `[[link]]` targets and its front-matter labels. */
export interface PageIndex {
  links: string[];
  labels: PageLabels;
}

/** A linking page's new text after a rename, with its index; undefined when nothing changes. */
export type LinkRewrite = (content: string) => Promise<({ content: string } & PageIndex) | undefined>;

export type PageChange = ChangeBase &
  (
    | ({ action: 'create'; path: string; content: string } & PageIndex)
    | ({ action: 'edit'; page: Page; content: string } & PageIndex)
    | {
        action: 'rename';
        page: Page;
        newPath: string;
        /** Rewrites the links to the old path in every page that has one, each as an edit with `message`. */
        rewriteLinks?: { apply: LinkRewrite; message: string };
      }
    | { action: 'delete'; page: Page }
  );

export interface Committed {
  /** The page as it now is (the deleted page for a delete). */
  page: Page;
  /** Paths of the pages whose links a rename rewrote (a new revision each), alphabetically. */
  rewritten: string[];
}

/** Where the next page of recent changes starts: strictly older than this change. */
export interface ChangeKey {
  createdAt: number;
  revision: number;
  pageId: string;
}

export interface ListFilter {
  prefix?: string;
  updatedSince?: number;
  tag?: string;
  category?: string;
  /** Only paths after this one (the last path of the previous page of results). */
  after?: string;
  limit: number;
}

export interface PageStore {
  find(wikiId: string, path: string): Promise<Page | undefined>;
  /** One revision of the page now at `path`, or of the last page that had that path if it was deleted. */
  revision(wikiId: string, path: string, revision: number): Promise<PageRevision | undefined>;
  /** Newest first: the page now at `path`, or the last page that had it; only revisions below `before`. */
  history(wikiId: string, path: string, limit: number, before?: number): Promise<RevisionSummary[]>;
  /** Alphabetically by path. */
  list(wikiId: string, filter: ListFilter): Promise<PageSummary[]>;
  recentChanges(wikiId: string, limit: number, before?: ChangeKey): Promise<RevisionSummary[]>;
  /** Best first, skipping the first `offset` hits. */
  search(wikiId: string, query: string, limit: number, offset?: number): Promise<SearchHit[]>;
  /** The page's link targets, and whether a page exists at each. */
  outgoingLinks(pageId: string): Promise<{ path: string; exists: boolean }[]>;
  backlinks(wikiId: string, path: string): Promise<string[]>;
  /** Pages no other page links to. */
  orphans(wikiId: string): Promise<string[]>;
  /** Applies one change atomically. */
  commit(change: PageChange): Promise<Committed>;
  /** Applies the changes in order, all or none, in one transaction (bulk imports and seeding). */
  commitAll(changes: PageChange[]): Promise<Committed[]>;
}

/** Revisions are 32-bit integers on both databases. */
export const MAX_REVISION = 2 ** 31 - 2;

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** `Projects/` matches `Projects/Robot Arm` but not `ProjectsX`; LIKE wildcards in the prefix are literal. */
const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const PAGE_COLUMNS = 'id, wiki_id, path, content, revision, size, updated_at, updated_by';
const REVISION_SUMMARY_COLUMNS = 'page_id, revision, wiki_id, path, action, author_did, message, created_at';

/**
 * SQLite: a new page's full-text row id is the next in its wiki's block, or the first of a new block
 * when the wiki has no page (./migrations/010_wiki_scale.ts). Both maxima are read from an index.
 */
const NEXT_SEARCH_ROWID = `coalesce((select max(search_rowid) from pages where wiki_id = ?) + 1,
  ((select coalesce(max(search_rowid), 0) from pages) / ${SEARCH_BLOCK} + 1) * ${SEARCH_BLOCK} + 1)`;

/** The statements that differ between the dialects. */
function statementsFor(dialect: Sql['dialect']) {
  const sqlite = dialect === 'sqlite';
  // A JSON array parameter expands to rows, so one statement text serves any number of links or labels.
  const jsonRows = sqlite ? 'json_each(?)' : 'jsonb_array_elements_text(cast(? as jsonb)) as value';
  return {
    insertPage: sqlite
      ? `insert into pages (${PAGE_COLUMNS}, search_rowid) values (?, ?, ?, ?, ?, ?, ?, ?, ${NEXT_SEARCH_ROWID}) returning search_rowid`
      : `insert into pages (${PAGE_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?)`,
    /** The conditional update that decides a race; on SQLite it answers the page's full-text row id. */
    advance: `update pages set path = ?, content = ?, revision = ?, size = ?, updated_at = ?, updated_by = ?
      where id = ? and revision = ? returning ${sqlite ? 'search_rowid' : 'null as search_rowid'}`,
    insertLinks: `insert into page_links (wiki_id, from_page_id, to_path) select ?, ?, value from ${jsonRows}`,
    insertLabels: `insert into page_labels (wiki_id, page_id, kind, value) select ?, ?, ?, value from ${jsonRows}`,
    /** Linking pages are locked on PostgreSQL so their rewrite cannot race an edit (SQLite has one writer). */
    linkingPages: `select ${PAGE_COLUMNS} from pages where id in (select from_page_id from page_links where wiki_id = ? and to_path = ?) order by path${sqlite ? '' : ' for update'}`,
  };
}

export function pageStore(db: StoreDb): PageStore {
  const dialect = db.sql.dialect;
  const statements = statementsFor(dialect);
  const find = (wikiId: string, path: string) => db.sql.one<Page>(`select ${PAGE_COLUMNS} from pages where wiki_id = ? and path = ?`, [wikiId, path]);

  /** The page id whose history `path` names: the live page, else the most recently deleted one. */
  async function pageIdFor(wikiId: string, path: string): Promise<string | undefined> {
    const live = await db.sql.one<{ id: string }>('select id from pages where wiki_id = ? and path = ?', [wikiId, path]);
    if (live) return live.id;
    const last = await db.sql.one<{ page_id: string }>(
      'select page_id from page_revisions where wiki_id = ? and path = ? order by created_at desc, revision desc limit 1',
      [wikiId, path],
    );
    return last?.page_id;
  }

  /** SQLite: the page's full-text row, its words behind its wiki's key (./search-text.ts). */
  async function indexText(tx: Sql, searchRowid: number | null, page: Page, created: boolean): Promise<void> {
    if (searchRowid === null) return; // PostgreSQL keeps its tsvector column current by itself.
    const key = searchKey(searchRowid);
    const values = [keyed(key, page.path), keyed(key, page.content), searchRowid];
    if (created) await tx.run('insert into page_search (path, content, rowid) values (?, ?, ?)', values);
    else await tx.run('update page_search set path = ?, content = ? where rowid = ?', values);
  }

  async function replaceIndex(tx: Sql, page: Page, index: PageIndex, created: boolean): Promise<void> {
    if (!created) {
      await tx.run('delete from page_links where from_page_id = ?', [page.id]);
      await tx.run('delete from page_labels where page_id = ?', [page.id]);
    }
    if (index.links.length > 0) await tx.run(statements.insertLinks, [page.wiki_id, page.id, JSON.stringify(index.links)]);
    for (const [kind, values] of [
      ['tag', index.labels.tags],
      ['category', index.labels.categories],
    ] as const)
      if (values.length > 0) await tx.run(statements.insertLabels, [page.wiki_id, page.id, kind, JSON.stringify(values)]);
  }

  async function recordRevision(tx: Sql, page: Page, action: PageAction, author: string, message: string | null, now: number): Promise<void> {
    await tx.run(
      'insert into page_revisions (page_id, revision, wiki_id, path, content, action, author_did, message, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [page.id, page.revision, page.wiki_id, page.path, action === 'delete' ? null : page.content, action, author, message, now],
    );
  }

  /**
   * The conditional update that decides a race: only a writer holding the current revision succeeds.
   * Resolves to the page's full-text row id on SQLite, null on PostgreSQL.
   */
  async function advance(tx: Sql, current: Page, next: Page): Promise<number | null> {
    const updated = await tx.one<{ search_rowid: number | null }>(statements.advance, [
      next.path,
      next.content,
      next.revision,
      next.size,
      next.updated_at,
      next.updated_by,
      current.id,
      current.revision,
    ]);
    if (updated === undefined) {
      const now = await tx.one<{ revision: number }>('select revision from pages where id = ?', [current.id]);
      throw new RevisionConflictError(current.path, now?.revision);
    }
    return updated.search_rowid;
  }

  /** A new text for an existing page: counted, guarded, recorded and indexed. */
  async function edit(tx: Sql, change: ChangeBase, page: Page, content: string, index: PageIndex, message: string | null): Promise<Page> {
    const size = utf8Bytes(content);
    await wikiUsage.add(tx, page.wiki_id, size - page.size, change.wikiLimitBytes);
    const next: Page = { ...page, content, size, revision: page.revision + 1, updated_at: change.now, updated_by: change.author };
    const searchRowid = await advance(tx, page, next);
    await recordRevision(tx, next, 'edit', change.author, message, change.now);
    await replaceIndex(tx, next, index, false);
    await indexText(tx, searchRowid, next, false);
    return next;
  }

  /** After a rename: each page linking to the old path gets its links rewritten, as an edit of its own. */
  async function rewriteLinks(tx: Sql, change: ChangeBase, oldPath: string, rewrite: { apply: LinkRewrite; message: string }): Promise<string[]> {
    const linking = await tx.all<Page>(statements.linkingPages, [change.wikiId, oldPath]);
    const rewritten: string[] = [];
    for (const page of linking) {
      const next = await rewrite.apply(page.content);
      if (!next || next.content === page.content) continue;
      await edit(tx, change, page, next.content, next, rewrite.message);
      rewritten.push(page.path);
    }
    return rewritten;
  }

  async function apply(tx: Sql, change: PageChange): Promise<Committed> {
    const touched = { updated_at: change.now, updated_by: change.author };
    switch (change.action) {
      case 'create': {
        const size = utf8Bytes(change.content);
        await wikiUsage.add(tx, change.wikiId, size, change.wikiLimitBytes);
        const page: Page = { id: randomUUID(), wiki_id: change.wikiId, path: change.path, content: change.content, revision: 1, size, ...touched };
        const values = [page.id, page.wiki_id, page.path, page.content, page.revision, page.size, page.updated_at, page.updated_by];
        const inserted = await tx.one<{ search_rowid: number }>(statements.insertPage, dialect === 'sqlite' ? [...values, page.wiki_id] : values);
        await recordRevision(tx, page, 'create', change.author, change.message, change.now);
        await replaceIndex(tx, page, change, true);
        await indexText(tx, inserted?.search_rowid ?? null, page, true);
        return { page, rewritten: [] };
      }
      case 'edit':
        return { page: await edit(tx, change, change.page, change.content, change, change.message), rewritten: [] };
      case 'rename': {
        const page: Page = { ...change.page, path: change.newPath, revision: change.page.revision + 1, ...touched };
        const searchRowid = await advance(tx, change.page, page);
        await recordRevision(tx, page, 'rename', change.author, change.message, change.now);
        await indexText(tx, searchRowid, page, false);
        const rewritten = change.rewriteLinks ? await rewriteLinks(tx, change, change.page.path, change.rewriteLinks) : [];
        // The renamed page may have linked to itself: its rewrite is its newest revision.
        const current = rewritten.includes(page.path) ? ((await tx.one<Page>(`select ${PAGE_COLUMNS} from pages where id = ?`, [page.id])) ?? page) : page;
        return { page: current, rewritten };
      }
      case 'delete': {
        const page: Page = { ...change.page, revision: change.page.revision + 1, ...touched };
        const searchRowid = await advance(tx, change.page, page);
        // The page's files go with it (their revisions stay in attachment_revisions), and so do their bytes.
        const files = await tx.one<{ bytes: number }>('select coalesce(sum(size), 0) as bytes from attachments where page_id = ?', [page.id]);
        await tx.run('delete from attachments where page_id = ?', [page.id]);
        await wikiUsage.add(tx, page.wiki_id, -page.size - Number(files?.bytes ?? 0), change.wikiLimitBytes);
        if (searchRowid !== null) await tx.run('delete from page_search where rowid = ?', [searchRowid]);
        await tx.run('delete from page_links where from_page_id = ?', [page.id]);
        await tx.run('delete from page_labels where page_id = ?', [page.id]);
        await tx.run('delete from pages where id = ?', [page.id]);
        await recordRevision(tx, page, 'delete', change.author, change.message, change.now);
        return { page, rewritten: [] };
      }
    }
  }

  async function search(wikiId: string, query: string, limit: number, offset = 0): Promise<SearchHit[]> {
    if (dialect === 'sqlite') {
      // The wiki's newest row id names its block, hence its key and its range of row ids.
      const newest = await db.sql.one<{ top: number | null }>('select max(search_rowid) as top from pages where wiki_id = ?', [wikiId]);
      if (newest?.top == null) return [];
      const key = searchKey(newest.top);
      const match = keyedQuery(key, query);
      if (!match) return [];
      const first = Math.floor(newest.top / SEARCH_BLOCK) * SEARCH_BLOCK;
      const hits = await db.sql.all<SearchHit>(
        `select path, snippet(page_search, 1, '«', '»', '…', 16) as snippet from page_search
         where page_search match ? and rowid between ? and ?
         order by bm25(page_search, 10.0, 1.0), rowid limit ? offset ?`,
        [match, first, newest.top, limit, offset],
      );
      return hits.map((hit) => ({ path: unkeyed(key, hit.path), snippet: unkeyed(key, hit.snippet) }));
    }
    // Not a named prepared statement: PostgreSQL plans this one for the wiki and words given, starting
    // from the (wiki_id, path) index when the wiki is the smaller set, and only the hits shown get a headline.
    const { rows } = await sql<SearchHit>`
      select path, ts_headline('english', content, q, 'StartSel=«, StopSel=», MaxWords=16, MinWords=6, MaxFragments=1') as snippet
      from (
        select path, content, q, ts_rank(search, q) as rank
        from pages, websearch_to_tsquery('english', ${query}) as q
        where wiki_id = ${wikiId} and search @@ q
        order by rank desc, path limit ${limit} offset ${offset}
      ) as hits
      order by rank desc, path`.execute(db);
    return rows;
  }

  async function commitAll(changes: PageChange[]): Promise<Committed[]> {
    const done: Committed[] = [];
    let current: PageChange | undefined;
    try {
      return await db.sql.transaction(async (tx) => {
        for (current of changes) done.push(await apply(tx, current));
        return done;
      });
    } catch (error) {
      // The unique (wiki_id, path) constraint decides a race between two creates or renames.
      if (uniqueViolationColumn(error) !== undefined && (current?.action === 'create' || current?.action === 'rename')) {
        throw new PathTakenError(current.action === 'create' ? current.path : current.newPath);
      }
      throw error;
    }
  }

  return {
    find,
    async revision(wikiId, path, revision) {
      const pageId = await pageIdFor(wikiId, path);
      if (!pageId) return undefined;
      return db.sql.one<PageRevision>(`select ${REVISION_SUMMARY_COLUMNS}, content from page_revisions where page_id = ? and revision = ?`, [pageId, revision]);
    },
    async history(wikiId, path, limit, before) {
      const pageId = await pageIdFor(wikiId, path);
      if (!pageId) return [];
      return db.sql.all<RevisionSummary>(
        `select ${REVISION_SUMMARY_COLUMNS} from page_revisions where page_id = ? and revision < ? order by revision desc limit ?`,
        [pageId, before ?? MAX_REVISION + 1, limit],
      );
    },
    async list(wikiId, { prefix, updatedSince, tag, category, after, limit }) {
      let query = db.selectFrom('pages').select(['path', 'revision', 'size', 'updated_at', 'updated_by']).where('wiki_id', '=', wikiId);
      if (prefix) query = query.where(sql<boolean>`path like ${likePrefix(prefix)} escape '\\'`);
      if (updatedSince !== undefined) query = query.where('updated_at', '>=', updatedSince);
      if (after !== undefined) query = query.where('path', '>', after);
      for (const [kind, value] of [
        ['tag', tag],
        ['category', category],
      ] as const) {
        if (value === undefined) continue;
        const labelled = db
          .selectFrom('page_labels')
          .select('page_id')
          .where('wiki_id', '=', wikiId)
          .where('kind', '=', kind)
          .where('value', '=', value.toLowerCase());
        query = query.where('id', 'in', labelled);
      }
      return query.orderBy('path').limit(limit).execute();
    },
    recentChanges: (wikiId, limit, before) =>
      before
        ? db.sql.all<RevisionSummary>(
            `select ${REVISION_SUMMARY_COLUMNS} from page_revisions where wiki_id = ? and (created_at, revision, page_id) < (?, ?, ?)
             order by created_at desc, revision desc, page_id desc limit ?`,
            [wikiId, before.createdAt, before.revision, before.pageId, limit],
          )
        : db.sql.all<RevisionSummary>(
            `select ${REVISION_SUMMARY_COLUMNS} from page_revisions where wiki_id = ? order by created_at desc, revision desc, page_id desc limit ?`,
            [wikiId, limit],
          ),
    search,
    async outgoingLinks(pageId) {
      const rows = await db.sql.all<{ path: string; target_id: string | null }>(
        `select l.to_path as path, target.id as target_id from page_links l
         left join pages target on target.wiki_id = l.wiki_id and target.path = l.to_path
         where l.from_page_id = ? order by l.to_path`,
        [pageId],
      );
      return rows.map((row) => ({ path: row.path, exists: row.target_id !== null }));
    },
    async backlinks(wikiId, path) {
      const rows = await db.sql.all<{ path: string }>(
        `select source.path from page_links l join pages source on source.id = l.from_page_id
         where l.wiki_id = ? and l.to_path = ? and source.path != ? order by source.path`,
        [wikiId, path, path],
      );
      return rows.map((row) => row.path);
    },
    async orphans(wikiId) {
      // Links are rows of live pages only (a delete removes its page's), so a link from any page but
      // the target itself is enough; each page is one probe of the (wiki_id, to_path) index.
      const rows = await db.sql.all<{ path: string }>(
        `select p.path from pages p where p.wiki_id = ?
           and not exists (select 1 from page_links l where l.wiki_id = p.wiki_id and l.to_path = p.path and l.from_page_id != p.id)
         order by p.path`,
        [wikiId],
      );
      return rows.map((row) => row.path);
    },
    commit: async (change) => (await commitAll([change]))[0]!,
    commitAll,
  };
}
