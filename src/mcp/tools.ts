// The wiki's MCP tools (modelled on the original robot.wtf tools). Each answers JSON text; failures
// are MCP tool errors (`isError`) whose message says what to do next, so an assistant can recover.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Logger } from '../log.ts';
import { isStoreUnavailable } from '../store/errors.ts';
import type { RevisionSummary } from '../store/pages.ts';
import { READ_SCOPE, WRITE_SCOPE } from '../wiki/access.ts';
import { textProblem, type TextKind } from '../http/input-text.ts';
import { WikiError, type WikiPages } from '../wiki/pages.ts';

export interface ToolCaller {
  /** The DID the tools act as: authors of revisions. */
  subject: string;
}

export interface ToolContext {
  wikiId: string;
  wikiName: string;
  pages: WikiPages;
  caller: ToolCaller;
  log: Logger;
  requestId: string | undefined;
}

/** Which scope each tool needs; the endpoint refuses a call without it before any tool runs (RS-10). */
export const TOOL_SCOPES: Record<string, string> = {
  read_note: READ_SCOPE,
  list_notes: READ_SCOPE,
  search_notes: READ_SCOPE,
  get_links: READ_SCOPE,
  get_recent_changes: READ_SCOPE,
  get_history: READ_SCOPE,
  find_orphaned_notes: READ_SCOPE,
  write_note: WRITE_SCOPE,
  edit_note: WRITE_SCOPE,
  rename_note: WRITE_SCOPE,
  delete_note: WRITE_SCOPE,
};

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/**
 * A string argument under the platform's text rule (catalogue IN-06): NUL, other controls (page text
 * keeps tab and line breaks) or unpaired surrogates are a clear tool error on either database, not a
 * store failure on PostgreSQL and stored text on SQLite.
 */
const text = (kind: TextKind) =>
  z.string().superRefine((value, context) => {
    const problem = textProblem(value, kind);
    if (problem) context.addIssue({ code: 'custom', message: `This text ${problem}.` });
  });

const path = text('line')
  .min(1)
  .max(400)
  .describe('The page path, e.g. "Projects/Robot Arm": names separated by "/", case-sensitive.');
const message = text('multiline').max(500).optional().describe('A short note on why, kept in the page history.');
const baseRevision = z.number().int().positive().optional();

const revisionView = (revision: RevisionSummary) => ({
  path: revision.path,
  revision: revision.revision,
  action: revision.action,
  author: revision.author_did,
  message: revision.message,
  at: iso(revision.created_at),
});

export function wikiTools(context: ToolContext): McpServer {
  const { wikiId, pages, caller } = context;
  const server = new McpServer({ name: 'robot.wtf', version: '0.1.0' }, { instructions: `Tools for the wiki "${context.wikiName}": Markdown pages addressed by path, linked with [[Page Path]], with full history.` });

  /** Runs a tool body: JSON on success, a recoverable tool error on a wiki rule, a generic one otherwise. */
  const run = async (body: () => Promise<unknown>): Promise<CallToolResult> => {
    try {
      return { content: [{ type: 'text', text: JSON.stringify(await body(), null, 1) }] };
    } catch (error) {
      if (error instanceof WikiError) return { isError: true, content: [{ type: 'text', text: error.message }] };
      context.log.error({ err: error, requestId: context.requestId, wikiId }, 'tool failed');
      const reference = `request ${context.requestId ?? 'unknown'}`;
      // Only an unreachable store is worth retrying; any other failure is a fault on our side (IN-05).
      const text = isStoreUnavailable(error)
        ? `The wiki could not complete this just now (${reference}); try again shortly.`
        : `The wiki failed to complete this (${reference}); this is a fault on its side.`;
      return { isError: true, content: [{ type: 'text', text }] };
    }
  };
  const readOnly = { readOnlyHint: true, openWorldHint: false };

  server.registerTool(
    'read_note',
    { description: 'Read a page: its Markdown text and current revision number (pass that revision as base_revision when you change it). Give a revision to read an older version.', inputSchema: { path, revision: z.number().int().positive().optional().describe('An older revision number from get_history; omit for the current text.') }, annotations: readOnly },
    ({ path, revision }) => run(async () => {
      const page = await pages.read(wikiId, path, revision);
      return { path: page.path, revision: page.revision, updated_at: iso(page.updatedAt), updated_by: page.updatedBy, content: page.content };
    }),
  );

  server.registerTool(
    'write_note',
    {
      description: 'Create a page, or replace the whole text of an existing one. To replace, pass the revision you read as base_revision: if the page changed since, nothing is saved and you are told the current revision. To change part of a page prefer edit_note.',
      inputSchema: { path, content: text('multiline').describe('The full Markdown text. Link to other pages with [[Page Path]].'), base_revision: baseRevision.describe('Required to replace an existing page: the revision your text is based on. Omit to create a new page.'), message },
      annotations: { destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    ({ path, content, base_revision, message }) => run(async () => {
      const page = await pages.write(wikiId, caller.subject, { path, content, baseRevision: base_revision, message });
      return { path: page.path, revision: page.revision, size: page.size };
    }),
  );

  server.registerTool(
    'edit_note',
    {
      description: 'Replace one exact passage of a page: old_string must occur exactly once in the current text (copy it from read_note, whitespace included).',
      inputSchema: { path, old_string: text('multiline').min(1).describe('The exact text to replace; it must occur exactly once.'), new_string: text('multiline').describe('The replacement text (may be empty to delete the passage).'), base_revision: baseRevision.describe('Optional: fail instead of editing if the page is no longer at this revision.'), message },
      annotations: { destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    ({ path, old_string, new_string, base_revision, message }) => run(async () => {
      const page = await pages.edit(wikiId, caller.subject, { path, oldString: old_string, newString: new_string, baseRevision: base_revision, message });
      return { path: page.path, revision: page.revision, size: page.size };
    }),
  );

  server.registerTool(
    'list_notes',
    {
      description: 'List pages (path, revision, size, last change), alphabetically. Filter by path prefix or by change time.',
      inputSchema: {
        prefix: text('line').max(400).optional().describe('Only paths starting with this, e.g. "Projects/".'),
        updated_since: z.iso.datetime({ offset: true }).optional().describe('Only pages changed at or after this ISO 8601 time, e.g. "2026-01-31T00:00:00Z".'),
      },
      annotations: readOnly,
    },
    ({ prefix, updated_since }) => run(async () => {
      const limit = 500;
      const found = await pages.list(wikiId, { prefix, updatedSince: updated_since ? Math.floor(Date.parse(updated_since) / 1000) : undefined, limit: limit + 1 });
      return {
        pages: found.slice(0, limit).map((page) => ({ path: page.path, revision: page.revision, size: page.size, updated_at: iso(page.updated_at), updated_by: page.updated_by })),
        ...(found.length > limit ? { truncated: `only the first ${limit} are listed; narrow with prefix` } : {}),
      };
    }),
  );

  server.registerTool(
    'search_notes',
    { description: 'Full-text search over page paths and text (words are stemmed; all words must match). Returns paths with a short excerpt, best match first.', inputSchema: { query: text('multiline').min(1).max(500).describe('Words to look for.'), limit: z.number().int().min(1).max(50).optional().describe('At most this many results (default 10).') }, annotations: readOnly },
    ({ query, limit }) => run(async () => ({ results: await pages.search(wikiId, query, limit ?? 10) })),
  );

  server.registerTool(
    'get_links',
    { description: 'The [[links]] a page makes (and whether each target exists) and the pages that link to it.', inputSchema: { path }, annotations: readOnly },
    ({ path }) => run(() => pages.links(wikiId, path)),
  );

  server.registerTool(
    'get_recent_changes',
    { description: 'The latest changes across the wiki, newest first: who changed which page, when, how, and why.', inputSchema: { limit: z.number().int().min(1).max(100).optional().describe('At most this many changes (default 20).') }, annotations: readOnly },
    ({ limit }) => run(async () => ({ changes: (await pages.recentChanges(wikiId, limit ?? 20)).map(revisionView) })),
  );

  server.registerTool(
    'get_history',
    { description: 'The revisions of one page, newest first (works for deleted pages too). read_note with a revision shows an old text.', inputSchema: { path, limit: z.number().int().min(1).max(100).optional().describe('At most this many revisions (default 20).') }, annotations: readOnly },
    ({ path, limit }) => run(async () => ({ revisions: (await pages.history(wikiId, path, limit ?? 20)).map(revisionView) })),
  );

  server.registerTool(
    'rename_note',
    { description: 'Move a page to a new path, keeping its history. Links in other pages are not rewritten.', inputSchema: { path, new_path: path.describe('The new path; no page may exist there.'), message }, annotations: { destructiveHint: false, openWorldHint: false } },
    ({ path, new_path, message }) => run(async () => {
      const page = await pages.rename(wikiId, caller.subject, { path, newPath: new_path, message });
      return { path: page.path, revision: page.revision };
    }),
  );

  server.registerTool(
    'delete_note',
    { description: 'Delete a page. Its history is kept: get_history and read_note with a revision still show it.', inputSchema: { path, message }, annotations: { destructiveHint: true, openWorldHint: false } },
    ({ path, message }) => run(async () => {
      const page = await pages.remove(wikiId, caller.subject, { path, message });
      return { deleted: page.path, revision: page.revision };
    }),
  );

  server.registerTool(
    'find_orphaned_notes',
    { description: 'Pages that no other page links to.', inputSchema: {}, annotations: readOnly },
    () => run(async () => ({ orphans: await pages.orphans(wikiId) })),
  );

  return server;
}
