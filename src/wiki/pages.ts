// What can be done to a wiki's pages, with the rules and the messages a person or an assistant can
// act on: path rules, size limits, optimistic concurrency, not-found. Callers check access first.
import type { PageLimits } from '../config/config.ts';
import {
  PathTakenError,
  RevisionConflictError,
  WikiFullError,
  type Page,
  type PageRevision,
  type PageStore,
  type PageSummary,
  type RevisionSummary,
  type SearchHit,
} from '../store/pages.ts';
import { wikiLinks } from './links.ts';
import { normalizePagePath, PagePathError } from './paths.ts';

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
  content: string;
  updatedAt: number;
  updatedBy: string;
}

export interface Links {
  outgoing: { path: string; exists: boolean }[];
  backlinks: string[];
}

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
  read(wikiId: string, path: string, revision?: number): Promise<PageContent>;
  /** Creates a page, or replaces its text when `baseRevision` names its current revision. */
  write(wikiId: string, author: string, input: { path: string; content: string; baseRevision?: number; message?: string }): Promise<Page>;
  /** Replaces exactly one occurrence of `oldString` in the current text. */
  edit(wikiId: string, author: string, input: { path: string; oldString: string; newString: string; baseRevision?: number; message?: string }): Promise<Page>;
  rename(wikiId: string, author: string, input: { path: string; newPath: string; message?: string }): Promise<Page>;
  remove(wikiId: string, author: string, input: { path: string; message?: string }): Promise<Page>;
  list(wikiId: string, filter: { prefix?: string; updatedSince?: number; limit: number }): Promise<PageSummary[]>;
  search(wikiId: string, query: string, limit: number): Promise<SearchHit[]>;
  links(wikiId: string, path: string): Promise<Links>;
  history(wikiId: string, path: string, limit: number): Promise<RevisionSummary[]>;
  recentChanges(wikiId: string, limit: number): Promise<RevisionSummary[]>;
  orphans(wikiId: string): Promise<string[]>;
}

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
  async function commit(run: () => Promise<Page>, basedOn: number | undefined): Promise<Page> {
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

  return {
    async read(wikiId, rawPath, revision) {
      const path = pathOf(rawPath);
      if (revision === undefined) {
        const page = await existing(wikiId, path);
        return { path: page.path, revision: page.revision, content: page.content, updatedAt: page.updated_at, updatedBy: page.updated_by };
      }
      const old: PageRevision | undefined = await store.revision(wikiId, path, revision);
      if (!old) throw new WikiError('not_found', `"${path}" has no revision ${revision}. get_history lists its revisions.`);
      if (old.content === null)
        throw new WikiError('not_found', `Revision ${revision} of "${path}" is its deletion; read revision ${revision - 1} for its last text.`);
      return { path: old.path, revision: old.revision, content: old.content, updatedAt: old.created_at, updatedBy: old.author_did };
    },

    async write(wikiId, author, { path: rawPath, content, baseRevision, message }) {
      const path = pathOf(rawPath);
      checkSize(content);
      const change = base(wikiId, author, message);
      if (baseRevision === undefined) {
        return commit(() => store.commit({ ...change, action: 'create', path, content, links: wikiLinks(content) }), undefined);
      }
      const page = await store.find(wikiId, path);
      if (!page) throw new WikiError('not_found', `There is no page "${path}" to replace. Omit base_revision to create it.`);
      if (page.revision !== baseRevision) throw conflict(path, page.revision, baseRevision);
      return commit(() => store.commit({ ...change, action: 'edit', page, content, links: wikiLinks(content) }), baseRevision);
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
      return commit(() => store.commit({ ...base(wikiId, author, message), action: 'edit', page, content, links: wikiLinks(content) }), page.revision);
    },

    async rename(wikiId, author, { path: rawPath, newPath: rawNewPath, message }) {
      const path = pathOf(rawPath);
      const newPath = pathOf(rawNewPath);
      if (newPath === path) throw new WikiError('invalid_input', 'The new path is the same as the old one.');
      const page = await existing(wikiId, path);
      return commit(() => store.commit({ ...base(wikiId, author, message), action: 'rename', page, newPath }), page.revision);
    },

    async remove(wikiId, author, { path: rawPath, message }) {
      const path = pathOf(rawPath);
      const page = await existing(wikiId, path);
      return commit(() => store.commit({ ...base(wikiId, author, message), action: 'delete', page }), page.revision);
    },

    list: (wikiId, filter) => store.list(wikiId, filter),
    search: (wikiId, query, limit) => store.search(wikiId, query, limit),

    async links(wikiId, rawPath) {
      const path = pathOf(rawPath);
      const page = await existing(wikiId, path);
      return { outgoing: await store.outgoingLinks(page.id), backlinks: await store.backlinks(wikiId, path) };
    },

    async history(wikiId, rawPath, limit) {
      const path = pathOf(rawPath);
      const revisions = await store.history(wikiId, path, limit);
      if (revisions.length === 0) throw new WikiError('not_found', `There is no page "${path}" and never was.`);
      return revisions;
    },

    recentChanges: (wikiId, limit) => store.recentChanges(wikiId, limit),
    orphans: (wikiId) => store.orphans(wikiId),
  };
}
