// What can be done to a wiki's pages, with the rules and the messages a person or an assistant can
// act on: path rules, size limits, optimistic concurrency, not-found. Callers check access first.
import type { PageLimits } from '../config/config.ts';
import { frontMatterLabels } from '../front-matter.ts';
import {
  PathTakenError,
  RevisionConflictError,
  WikiFullError,
  type Page,
  type PageRevision,
  MAX_REVISION,
  type ChangeKey,
  type Committed,
  type PageIndex,
  type PageStore,
  type PageSummary,
  type RevisionSummary,
  type SearchHit,
} from '../store/pages.ts';
import { decodeCursor, paged, type CursorKind, type Paged } from './cursor.ts';
import { rewriteWikiLinks, wikiLinks } from './links.ts';
import { normalizePagePath, PagePathError } from './paths.ts';
import { findSection, sectionName, sectionsOf } from './sections.ts';

export type { Paged } from './cursor.ts';

export type WikiErrorCode = 'invalid_path' | 'not_found' | 'conflict' | 'exists' | 'too_large' | 'no_match' | 'invalid_input';

export class WikiError extends Error {
  override name = 'WikiError';
  constructor(
    readonly code: WikiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface PageContent {
  path: string;
  revision: number;
  /** The page's text, or only the section asked for. */
  content: string;
  /** The heading path of the section returned, when one was asked for. */
  section?: string;
  updatedAt: number;
  updatedBy: string;
}

export interface Links {
  outgoing: { path: string; exists: boolean }[];
  backlinks: string[];
}

export interface ListFilter {
  prefix?: string;
  updatedSince?: number;
  /** Pages whose front matter lists this tag or category (case ignored). */
  tag?: string;
  category?: string;
  /** next_cursor of the previous page of this listing. */
  cursor?: string;
  limit: number;
}

/** A renamed page, and the pages whose links to its old path now point to the new one. */
export type Renamed = Page & { linksRewrittenIn: string[] };

const MAX_MESSAGE_LENGTH = 500;

const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;

export function pathOf(input: string): string {
  try {
    return normalizePagePath(input);
  } catch (error) {
    if (error instanceof PagePathError) throw new WikiError('invalid_path', error.message);
    throw error;
  }
}

export function messageOf(message: string | undefined): string | null {
  const trimmed = message?.trim();
  if (!trimmed) return null;
  if (trimmed.length > MAX_MESSAGE_LENGTH) throw new WikiError('invalid_input', `A change message is at most ${MAX_MESSAGE_LENGTH} characters.`);
  return trimmed;
}

const conflict = (path: string, current: number | undefined, based: number) =>
  new WikiError(
    'conflict',
    current === undefined
      ? `"${path}" was deleted after revision ${based} was read. Nothing was saved.`
      : `"${path}" is now at revision ${current}, but this change was based on revision ${based}. Nothing was saved: read the page again, apply your change to the current text and retry with base_revision ${current}.`,
  );

export interface WikiPages {
  /** The page's text, or with `section` ("A > B") only that section's. */
  read(wikiId: string, path: string, revision?: number, section?: string): Promise<PageContent>;
  /** Creates a page, or replaces its text when `baseRevision` names its current revision. */
  write(wikiId: string, author: string, input: { path: string; content: string; baseRevision?: number; message?: string }): Promise<Page>;
  /** Replaces exactly one occurrence of `oldString` in the current text. */
  edit(wikiId: string, author: string, input: { path: string; oldString: string; newString: string; baseRevision?: number; message?: string }): Promise<Page>;
  /** Moves the page and, in the same transaction, rewrites `[[links]]` to it in every page that has one. */
  rename(wikiId: string, author: string, input: { path: string; newPath: string; message?: string }): Promise<Renamed>;
  remove(wikiId: string, author: string, input: { path: string; message?: string }): Promise<Page>;
  list(wikiId: string, filter: ListFilter): Promise<Paged<PageSummary>>;
  search(wikiId: string, query: string, limit: number, cursor?: string): Promise<Paged<SearchHit>>;
  links(wikiId: string, path: string): Promise<Links>;
  history(wikiId: string, path: string, limit: number, cursor?: string): Promise<Paged<RevisionSummary>>;
  recentChanges(wikiId: string, limit: number, cursor?: string): Promise<Paged<RevisionSummary>>;
  orphans(wikiId: string): Promise<string[]>;
}

const isRevision = (p: unknown): p is number => Number.isInteger(p) && (p as number) > 0 && (p as number) <= MAX_REVISION;
const isChangeKey = (p: unknown): p is ChangeKey => {
  const key = p as Partial<ChangeKey> | null;
  return typeof key === 'object' && key !== null && Number.isSafeInteger(key.createdAt) && isRevision(key.revision) && typeof key.pageId === 'string';
};

export function wikiPages(store: PageStore, limits: PageLimits, now: () => number): WikiPages {
  function checkSize(content: string): void {
    const bytes = Buffer.byteLength(content, 'utf8');
    if (bytes > limits.pageBytes)
      throw new WikiError(
        'too_large',
        `The page would be ${kib(bytes)}; a page is at most ${kib(limits.pageBytes)}. Nothing was saved: split it into several pages.`,
      );
  }

  async function existing(wikiId: string, path: string): Promise<Page> {
    const page = await store.find(wikiId, path);
    if (!page) throw new WikiError('not_found', `There is no page "${path}". list_notes or search_notes shows what exists.`);
    return page;
  }

  /** Store outcomes, in words. */
  async function commit(run: () => Promise<Committed>, basedOn: number | undefined): Promise<Committed> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof RevisionConflictError) throw conflict(error.path, error.currentRevision, basedOn ?? 0);
      if (error instanceof PathTakenError)
        throw new WikiError(
          'exists',
          `A page "${error.path}" already exists. Nothing was saved: read it and pass its revision as base_revision to replace it, or choose another path.`,
        );
      if (error instanceof WikiFullError)
        throw new WikiError(
          'too_large',
          `This wiki holds ${kib(error.usedBytes)} of its ${kib(error.limitBytes)} limit, and the change would pass it. Nothing was saved: delete or shorten pages first.`,
        );
      throw error;
    }
  }

  const base = (wikiId: string, author: string, message: string | undefined) => ({
    wikiId,
    author,
    message: messageOf(message),
    now: now(),
    wikiLimitBytes: limits.wikiBytes,
  });

  /** What the store indexes of a text: its links and its front-matter labels. */
  const indexOf = async (content: string): Promise<PageIndex> => ({ links: wikiLinks(content), labels: await frontMatterLabels(content) });

  async function fullText(wikiId: string, path: string, revision: number | undefined): Promise<PageContent> {
    if (revision === undefined) {
      const page = await existing(wikiId, path);
      return { path: page.path, revision: page.revision, content: page.content, updatedAt: page.updated_at, updatedBy: page.updated_by };
    }
    const old: PageRevision | undefined = await store.revision(wikiId, path, revision);
    if (!old) throw new WikiError('not_found', `"${path}" has no revision ${revision}. get_history lists its revisions.`);
    if (old.content === null)
      throw new WikiError('not_found', `Revision ${revision} of "${path}" is its deletion; read revision ${revision - 1} for its last text.`);
    return { path: old.path, revision: old.revision, content: old.content, updatedAt: old.created_at, updatedBy: old.author_did };
  }

  /** Where a cursor of `kind` says to resume; a cursor from elsewhere is a clear error. */
  function resumeAt<T>(kind: CursorKind, cursor: string | undefined, valid: (position: unknown) => position is T): T | undefined {
    if (cursor === undefined) return undefined;
    const position = decodeCursor(kind, cursor, valid);
    if (position === undefined)
      throw new WikiError(
        'invalid_input',
        'This cursor was not given out by this listing. Pass next_cursor from the previous answer unchanged, or omit it to start over.',
      );
    return position;
  }

  return {
    async read(wikiId, rawPath, revision, section) {
      const page = await fullText(wikiId, pathOf(rawPath), revision);
      if (section === undefined) return page;
      const sections = sectionsOf(page.content);
      const found = findSection(sections, section);
      if (!found)
        throw new WikiError(
          'not_found',
          sections.length === 0
            ? `"${page.path}" has no headings, so no section "${section}". Read it without section.`
            : `"${page.path}" has no section "${section}". Its sections: ${sections.map((s) => `"${sectionName(s)}"`).join(', ')}.`,
        );
      return { ...page, content: found.content, section: sectionName(found) };
    },

    async write(wikiId, author, { path: rawPath, content, baseRevision, message }) {
      const path = pathOf(rawPath);
      checkSize(content);
      const change = base(wikiId, author, message);
      if (baseRevision === undefined) {
        const index = await indexOf(content);
        return (await commit(() => store.commit({ ...change, action: 'create', path, content, ...index }), undefined)).page;
      }
      const page = await store.find(wikiId, path);
      if (!page) throw new WikiError('not_found', `There is no page "${path}" to replace. Omit base_revision to create it.`);
      if (page.revision !== baseRevision) throw conflict(path, page.revision, baseRevision);
      const index = await indexOf(content);
      return (await commit(() => store.commit({ ...change, action: 'edit', page, content, ...index }), baseRevision)).page;
    },

    async edit(wikiId, author, { path: rawPath, oldString, newString, baseRevision, message }) {
      const path = pathOf(rawPath);
      if (oldString === '') throw new WikiError('invalid_input', 'old_string must not be empty.');
      if (oldString === newString) throw new WikiError('invalid_input', 'old_string and new_string are the same, so there is nothing to change.');
      const page = await existing(wikiId, path);
      if (baseRevision !== undefined && page.revision !== baseRevision) throw conflict(path, page.revision, baseRevision);
      const at = page.content.indexOf(oldString);
      if (at === -1)
        throw new WikiError(
          'no_match',
          `old_string does not occur in "${path}" (revision ${page.revision}). Read the page and copy the exact text, including whitespace.`,
        );
      if (page.content.indexOf(oldString, at + 1) !== -1)
        throw new WikiError('no_match', `old_string occurs more than once in "${path}". Include more surrounding text so that it matches exactly one place.`);
      const content = page.content.slice(0, at) + newString + page.content.slice(at + oldString.length);
      checkSize(content);
      // The revision read here guards the write: an edit that raced another fails instead of undoing it.
      const index = await indexOf(content);
      return (await commit(() => store.commit({ ...base(wikiId, author, message), action: 'edit', page, content, ...index }), page.revision)).page;
    },

    async rename(wikiId, author, { path: rawPath, newPath: rawNewPath, message }) {
      const path = pathOf(rawPath);
      const newPath = pathOf(rawNewPath);
      if (newPath === path) throw new WikiError('invalid_input', 'The new path is the same as the old one.');
      const page = await existing(wikiId, path);
      // Runs inside the rename's transaction on each page linking to the old path (WK-01: not in code).
      const apply = async (content: string) => {
        const rewritten = rewriteWikiLinks(content, path, newPath);
        if (rewritten === undefined) return undefined;
        checkSize(rewritten);
        return { content: rewritten, ...(await indexOf(rewritten)) };
      };
      const rewriteLinks = { apply, message: `Links to "${path}" now point to "${newPath}" (renamed).` };
      const done = await commit(() => store.commit({ ...base(wikiId, author, message), action: 'rename', page, newPath, rewriteLinks }), page.revision);
      return { ...done.page, linksRewrittenIn: done.rewritten };
    },

    async remove(wikiId, author, { path: rawPath, message }) {
      const path = pathOf(rawPath);
      const page = await existing(wikiId, path);
      return (await commit(() => store.commit({ ...base(wikiId, author, message), action: 'delete', page }), page.revision)).page;
    },

    async list(wikiId, { cursor, limit, ...filter }) {
      const after = resumeAt('list', cursor, (p): p is string => typeof p === 'string');
      return paged(await store.list(wikiId, { ...filter, after, limit: limit + 1 }), limit, 'list', (last) => last.path);
    },

    async search(wikiId, query, limit, cursor) {
      // Ranked hits have no key to resume from: the cursor is how many were already shown.
      const offset = resumeAt('search', cursor, (p): p is number => Number.isSafeInteger(p) && (p as number) >= 0) ?? 0;
      return paged(await store.search(wikiId, query, limit + 1, offset), limit, 'search', () => offset + limit);
    },

    async links(wikiId, rawPath) {
      const path = pathOf(rawPath);
      const page = await existing(wikiId, path);
      return { outgoing: await store.outgoingLinks(page.id), backlinks: await store.backlinks(wikiId, path) };
    },

    async history(wikiId, rawPath, limit, cursor) {
      const path = pathOf(rawPath);
      const before = resumeAt('history', cursor, isRevision);
      const revisions = await store.history(wikiId, path, limit + 1, before);
      if (revisions.length === 0 && before === undefined) throw new WikiError('not_found', `There is no page "${path}" and never was.`);
      return paged(revisions, limit, 'history', (last) => last.revision);
    },

    async recentChanges(wikiId, limit, cursor) {
      const before = resumeAt('changes', cursor, isChangeKey);
      return paged(await store.recentChanges(wikiId, limit + 1, before), limit, 'changes', (last) => ({
        createdAt: last.created_at,
        revision: last.revision,
        pageId: last.page_id,
      }));
    },
    orphans: (wikiId) => store.orphans(wikiId),
  };
}
