// The wiki's MCP tools (modelled on the original robot.wtf tools). Each answers JSON text; failures
// are MCP tool errors (`isError`) whose message says what to do next, so an assistant can recover.
//
// The endpoint is stateless, so every request gets its own McpServer, bound to that request's wiki
// and caller. What does not depend on the request is built once per process: the tool definitions
// with their zod schemas (zod compiles a schema on its first parse; building them per request was a
// fifth of a call's CPU) and the JSON Schema validator the SDK would otherwise create, with a fresh
// Ajv, for every server.
//
// A tool that returns data declares an output schema and answers with `structuredContent` as well as
// the same JSON as text (MCP 2025-06-18 "Tools", Structured Content: a server returning structured
// content SHOULD also return it serialised in a text block, for clients that predate it).
import { McpServer, ResourceNotFoundError, ResourceTemplate, type CallToolResult, type ToolAnnotations } from '@modelcontextprotocol/server';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv';
import { z } from 'zod';
import type { Logger } from '../log.ts';
import type { Metrics, ToolOutcome } from '../metrics.ts';
import { isStoreUnavailable } from '../store/errors.ts';
import type { RevisionSummary } from '../store/pages.ts';
import { READ_SCOPE, WRITE_SCOPE } from '../wiki/access.ts';
import { textProblem, type TextKind } from '../http/input-text.ts';
import { WikiError, type Paged, type WikiPages } from '../wiki/pages.ts';
import type { AttachmentInfo, WikiAttachments } from '../wiki/attachments.ts';
import { base64Of, base64Size, withoutWhitespace } from './base64.ts';
import type { WikiSemanticSearch } from '../wiki/semantic-search.ts';

export interface ToolCaller {
  /** The DID the tools act as: authors of revisions. */
  subject: string;
}

export interface ToolContext {
  wikiId: string;
  wikiName: string;
  /** The owner's description of the wiki, told to clients as the server's instructions. */
  wikiDescription?: string;
  pages: WikiPages;
  attachments: WikiAttachments;
  semantic: WikiSemanticSearch;
  caller: ToolCaller;
  log: Logger;
  metrics: Metrics;
  requestId: string | undefined;
}

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

const path = text('line').min(1).max(400).describe('The page path, e.g. "Projects/Robot Arm": names separated by "/", case-sensitive.');
const message = text('multiline').max(500).optional().describe('A short note on why, kept in the page history.');
const baseRevision = z.number().int().positive().optional();

const label = text('line').min(1).max(100).optional();
const cursor = text('line').max(1000).optional().describe('next_cursor from the previous answer, to continue where it stopped.');
const LIST_PAGE_SIZE = 200;

/** In output schemas: present when more results exist. */
const next_cursor = z.string().optional().describe('Pass it as cursor to continue where this answer stopped.');

/** `next_cursor` only when more results exist. */
const nextCursor = (found: Paged<unknown>) => (found.nextCursor === undefined ? {} : { next_cursor: found.nextCursor });

const revisionView = (revision: RevisionSummary) => ({
  path: revision.path,
  revision: revision.revision,
  action: revision.action,
  author: revision.author_did,
  message: revision.message,
  at: iso(revision.created_at),
});

// What the tools return, for their output schemas.
const isoTime = z.string().describe('An ISO 8601 time.');
const revisionNumber = z.number().int().positive();
const savedPage = { path: z.string(), revision: revisionNumber, size: z.number().int().describe('Bytes of UTF-8 text.') };
const revisionOutput = z.object({
  path: z.string(),
  revision: revisionNumber,
  action: z.string().describe('What the revision did: create, update, rename or delete.'),
  author: z.string().describe('The DID of whoever made the change.'),
  message: z.string().nullable(),
  at: isoTime,
});

/** One tool: what clients are told about it, the scope it needs, and what it does. */
interface WikiTool {
  name: string;
  /** The endpoint refuses a call without this scope before any tool runs (RS-10). */
  scope: string;
  config: { description: string; inputSchema: z.ZodObject; outputSchema?: z.ZodObject; annotations: ToolAnnotations };
  /** The answer, sent as JSON text; a WikiError becomes a recoverable tool error. */
  body: (args: Record<string, unknown>, context: ToolContext) => Promise<unknown>;
}

type JsonSchemaOptions = Parameters<z.ZodObject['~standard']['jsonSchema']['input']>[0];

/**
 * The same zod schema, but its JSON Schema is computed once per process. The SDK converts a tool's
 * schemas on each server it is registered with, and every request has its own server: converting
 * them was a fifth of a call's CPU (bench:mcp, issue 14).
 */
function convertedOnce<Schema extends z.ZodObject>(schema: Schema): Schema {
  const standard = schema['~standard'];
  const converted = new Map<string, Record<string, unknown>>();
  const once = (io: 'input' | 'output') => (options: JsonSchemaOptions) => {
    const key = `${io} ${options.target}`;
    if (!converted.has(key)) converted.set(key, standard.jsonSchema[io](options));
    return converted.get(key)!;
  };
  const copy = Object.create(schema) as Schema;
  Object.defineProperty(copy, '~standard', { value: { ...standard, jsonSchema: { input: once('input'), output: once('output') } } });
  return copy;
}

/**
 * A tool typed by its own schema; the SDK parses the arguments with that schema before `body` runs.
 * With `output`, what `body` returns is also sent as `structuredContent`, and the SDK checks it
 * against that schema before it leaves.
 */
function tool<Shape extends z.ZodRawShape, Output extends z.ZodRawShape | undefined = undefined>(
  name: string,
  scope: string,
  description: string,
  shape: Shape,
  annotations: ToolAnnotations,
  body: (args: z.output<z.ZodObject<Shape>>, context: ToolContext) => Promise<NoInfer<Output extends z.ZodRawShape ? z.input<z.ZodObject<Output>> : unknown>>,
  output?: Output,
): WikiTool {
  const config = {
    description,
    inputSchema: convertedOnce(z.object(shape)),
    annotations,
    ...(output ? { outputSchema: convertedOnce(z.object(output)) } : {}),
  };
  return { name, scope, config, body: body as WikiTool['body'] };
}

const readOnly: ToolAnnotations = { readOnlyHint: true, openWorldHint: false };
const changesText: ToolAnnotations = { destructiveHint: false, idempotentHint: false, openWorldHint: false };

const TOOLS: readonly WikiTool[] = [
  tool(
    'read_note',
    READ_SCOPE,
    'Read a page: its Markdown text and current revision number (pass that revision as base_revision when you change it). Give a revision to read an older version, or a section to read only the part under one heading.',
    {
      path,
      revision: z.number().int().positive().optional().describe('An older revision number from get_history; omit for the current text.'),
      section: text('line')
        .min(1)
        .max(400)
        .optional()
        .describe(
          'Only the text under this heading, as its heading path, e.g. "Setup > Linux" (or "Linux" when that heading is unique). If there is no such section, the error lists the sections.',
        ),
    },
    readOnly,
    async ({ path, revision, section }, { wikiId, pages }) => {
      const page = await pages.read(wikiId, path, revision, section);
      return {
        path: page.path,
        revision: page.revision,
        updated_at: iso(page.updatedAt),
        updated_by: page.updatedBy,
        ...(page.section === undefined ? {} : { section: page.section }),
        content: page.content,
      };
    },
    {
      path: z.string(),
      revision: revisionNumber,
      updated_at: isoTime,
      updated_by: z.string(),
      section: z.string().optional().describe('The heading path of the section read, when one was asked for.'),
      content: z.string(),
    },
  ),
  tool(
    'write_note',
    WRITE_SCOPE,
    'Create a page, or replace the whole text of an existing one. To replace, pass the revision you read as base_revision: if the page changed since, nothing is saved and you are told the current revision. To change part of a page prefer edit_note.',
    {
      path,
      content: text('multiline').describe('The full Markdown text. Link to other pages with [[Page Path]].'),
      base_revision: baseRevision.describe('Required to replace an existing page: the revision your text is based on. Omit to create a new page.'),
      message,
    },
    changesText,
    async ({ path, content, base_revision, message }, { wikiId, pages, caller }) => {
      const page = await pages.write(wikiId, caller.subject, { path, content, baseRevision: base_revision, message });
      return { path: page.path, revision: page.revision, size: page.size };
    },
    savedPage,
  ),
  tool(
    'edit_note',
    WRITE_SCOPE,
    'Replace one exact passage of a page: old_string must occur exactly once in the current text (copy it from read_note, whitespace included).',
    {
      path,
      old_string: text('multiline').min(1).describe('The exact text to replace; it must occur exactly once.'),
      new_string: text('multiline').describe('The replacement text (may be empty to delete the passage).'),
      base_revision: baseRevision.describe('Optional: fail instead of editing if the page is no longer at this revision.'),
      message,
    },
    changesText,
    async ({ path, old_string, new_string, base_revision, message }, { wikiId, pages, caller }) => {
      const page = await pages.edit(wikiId, caller.subject, { path, oldString: old_string, newString: new_string, baseRevision: base_revision, message });
      return { path: page.path, revision: page.revision, size: page.size };
    },
    savedPage,
  ),
  tool(
    'list_notes',
    READ_SCOPE,
    `List pages (path, revision, size, last change), alphabetically, ${LIST_PAGE_SIZE} at a time. Filter by path prefix, change time, or a tag or category from the pages' YAML front matter. When more exist the answer has next_cursor: pass it as cursor for the next ones.`,
    {
      prefix: text('line').max(400).optional().describe('Only paths starting with this, e.g. "Projects/".'),
      updated_since: z.iso.datetime({ offset: true }).optional().describe('Only pages changed at or after this ISO 8601 time, e.g. "2026-01-31T00:00:00Z".'),
      tag: label.describe('Only pages whose front matter lists this tag (`tags: [a, b]`); case is ignored.'),
      category: label.describe('Only pages whose front matter lists this category (`categories: [a]` or `category: a`); case is ignored.'),
      cursor,
    },
    readOnly,
    async ({ prefix, updated_since, tag, category, cursor }, { wikiId, pages }) => {
      const updatedSince = updated_since ? Math.floor(Date.parse(updated_since) / 1000) : undefined;
      const found = await pages.list(wikiId, { prefix, updatedSince, tag, category, cursor, limit: LIST_PAGE_SIZE });
      return {
        pages: found.items.map((page) => ({
          path: page.path,
          revision: page.revision,
          size: page.size,
          updated_at: iso(page.updated_at),
          updated_by: page.updated_by,
        })),
        ...nextCursor(found),
      };
    },
    {
      pages: z.array(z.object({ ...savedPage, updated_at: isoTime, updated_by: z.string() })),
      next_cursor,
    },
  ),
  tool(
    'search_notes',
    READ_SCOPE,
    'Full-text search over page paths and text (words are stemmed; all words must match). Returns paths with a short excerpt, best match first.',
    {
      query: text('multiline').min(1).max(500).describe('Words to look for.'),
      limit: z.number().int().min(1).max(50).optional().describe('At most this many results (default 10).'),
      cursor,
    },
    readOnly,
    async ({ query, limit, cursor }, { wikiId, pages }) => {
      const found = await pages.search(wikiId, query, limit ?? 10, cursor);
      return { results: found.items, ...nextCursor(found) };
    },
    { results: z.array(z.object({ path: z.string(), snippet: z.string().describe('An excerpt, matched words between « and ».') })), next_cursor },
  ),
  tool(
    'get_links',
    READ_SCOPE,
    'The [[links]] a page makes (and whether each target exists) and the pages that link to it.',
    { path },
    readOnly,
    ({ path }, { wikiId, pages }) => pages.links(wikiId, path),
    { outgoing: z.array(z.object({ path: z.string(), exists: z.boolean() })), backlinks: z.array(z.string()) },
  ),
  tool(
    'get_recent_changes',
    READ_SCOPE,
    'The latest changes across the wiki, newest first: who changed which page, when, how, and why.',
    { limit: z.number().int().min(1).max(100).optional().describe('At most this many changes (default 20).'), cursor },
    readOnly,
    async ({ limit, cursor }, { wikiId, pages }) => {
      const found = await pages.recentChanges(wikiId, limit ?? 20, cursor);
      return { changes: found.items.map(revisionView), ...nextCursor(found) };
    },
    { changes: z.array(revisionOutput), next_cursor },
  ),
  tool(
    'get_history',
    READ_SCOPE,
    'The revisions of one page, newest first (works for deleted pages too). read_note with a revision shows an old text.',
    { path, limit: z.number().int().min(1).max(100).optional().describe('At most this many revisions (default 20).'), cursor },
    readOnly,
    async ({ path, limit, cursor }, { wikiId, pages }) => {
      const found = await pages.history(wikiId, path, limit ?? 20, cursor);
      return { revisions: found.items.map(revisionView), ...nextCursor(found) };
    },
    { revisions: z.array(revisionOutput), next_cursor },
  ),
  tool(
    'rename_note',
    WRITE_SCOPE,
    'Move a page to a new path, keeping its history. Every [[link]] to the old path in other pages (and the page itself) is rewritten to the new one in the same change, as a new revision of each; links inside code are left as written.',
    { path, new_path: path.describe('The new path; no page may exist there.'), message },
    { destructiveHint: false, openWorldHint: false },
    async ({ path, new_path, message }, { wikiId, pages, caller }) => {
      const page = await pages.rename(wikiId, caller.subject, { path, newPath: new_path, message });
      return { path: page.path, revision: page.revision, links_rewritten: page.linksRewrittenIn.length, rewritten_pages: page.linksRewrittenIn };
    },
    {
      path: z.string(),
      revision: revisionNumber,
      links_rewritten: z.number().int().describe('How many other pages had their [[links]] rewritten.'),
      rewritten_pages: z.array(z.string()),
    },
  ),
  tool(
    'delete_note',
    WRITE_SCOPE,
    'Delete a page. Its history is kept: get_history and read_note with a revision still show it.',
    { path, message },
    { destructiveHint: true, openWorldHint: false },
    async ({ path, message }, { wikiId, pages, caller }) => {
      const page = await pages.remove(wikiId, caller.subject, { path, message });
      return { deleted: page.path, revision: page.revision };
    },
    { deleted: z.string(), revision: revisionNumber },
  ),
  tool(
    'find_orphaned_notes',
    READ_SCOPE,
    'Pages that no other page links to.',
    {},
    readOnly,
    async (_args, { wikiId, pages }) => ({ orphans: await pages.orphans(wikiId) }),
    { orphans: z.array(z.string()) },
  ),
  ...attachmentTools(),
  tool(
    'semantic_search',
    READ_SCOPE,
    'Search by meaning: finds passages about what the query describes even when they use other words, ranked together with the full-text matches. Returns the page path, the headings above each passage, an excerpt and a score, best first; `index.pending` counts pages changed too recently to be searched by meaning yet.',
    {
      query: text('multiline').min(1).max(500).describe('What you are looking for, in your own words.'),
      limit: z.number().int().min(1).max(50).optional().describe('At most this many passages (default 10).'),
      max_chunks_per_page: z.number().int().min(1).max(10).optional().describe('At most this many passages of one page (default 2).'),
    },
    readOnly,
    async ({ query, limit, max_chunks_per_page }, { wikiId, semantic }) => {
      const answer = await semantic.search(wikiId, query, { limit: limit ?? 10, maxChunksPerPage: max_chunks_per_page ?? 2 });
      return {
        results: answer.results.map((hit) => ({ path: hit.path, heading_path: hit.headingPath, snippet: hit.snippet, score: Number(hit.score.toFixed(6)) })),
        index: { pending: answer.index.pending, lag_seconds: answer.index.lagSeconds },
        ...(answer.warning ? { warning: answer.warning } : {}),
      };
    },
    {
      results: z.array(
        z.object({
          path: z.string(),
          heading_path: z.array(z.string()).describe('The headings above the passage, outermost first.'),
          snippet: z.string(),
          score: z.number().describe('Higher is better; comparable only within one answer.'),
        }),
      ),
      index: z.object({
        pending: z.number().int().describe('Pages changed too recently to be searched by meaning yet.'),
        lag_seconds: z.number().describe('How long the oldest of them has waited.'),
      }),
      warning: z.string().optional().describe('Present when the search fell back to words only.'),
    },
  ),
];

/** Files attached to pages (issue 12): list, upload and download as base64, delete (kept in history). */
function attachmentTools(): WikiTool[] {
  const filename = text('line').min(1).max(200).describe('The file name on that page, e.g. "diagram.png"; pages show it with ![](diagram.png).');
  const attachmentOutput = {
    name: z.string(),
    size: z.number().int().describe('Bytes.'),
    type: z.string().describe('The media type, sniffed from the content.'),
    revision: revisionNumber,
    updated_at: isoTime,
    updated_by: z.string(),
  };
  const attachmentView = (info: AttachmentInfo) => ({
    name: info.name,
    size: info.size,
    type: info.type,
    revision: info.revision,
    updated_at: iso(info.updatedAt),
    updated_by: info.updatedBy,
  });
  return [
    tool(
      'list_attachments',
      READ_SCOPE,
      'The files attached to a page: name, size in bytes, media type (sniffed from the content) and revision.',
      { path },
      readOnly,
      async ({ path }, { wikiId, attachments }) => ({ attachments: (await attachments.list(wikiId, path)).map(attachmentView) }),
      { attachments: z.array(z.object(attachmentOutput)) },
    ),
    tool(
      'upload_attachment',
      WRITE_SCOPE,
      "Attach a file to a page, or replace the file of that name (a new revision; the old one stays in history). content is the file in base64. Counts toward the wiki's size limit.",
      { path, filename, content: z.string().describe("The file's bytes, base64-encoded (RFC 4648)."), message },
      changesText,
      async ({ path, filename, content, message }, { wikiId, attachments, caller }) => {
        const encoded = withoutWhitespace(content);
        const size = base64Size(encoded);
        if (size === undefined)
          throw new WikiError('invalid_input', 'content is not valid base64 (RFC 4648, standard alphabet with = padding). Nothing was saved.');
        // Decoded only when the store reads it: a file refused by its size or a missing page never is.
        const bytes = (async function* () {
          yield Buffer.from(encoded, 'base64');
        })();
        const info = await attachments.upload(wikiId, caller.subject, { path, filename, size, bytes, message });
        return { path, ...attachmentView(info) };
      },
      { path: z.string(), ...attachmentOutput },
    ),
    tool(
      'download_attachment',
      READ_SCOPE,
      'Download a file attached to a page: its bytes in base64, with its media type. Give a revision for an older version, also of a deleted file.',
      { path, filename, revision: z.number().int().positive().optional().describe('An older revision; omit for the current file.') },
      readOnly,
      async ({ path, filename, revision }, { wikiId, attachments }) => {
        const file = await attachments.open(wikiId, path, filename, revision);
        return { path, ...attachmentView(file.info), content: await base64Of(file.chunks()) };
      },
      { path: z.string(), ...attachmentOutput, content: z.string().describe("The file's bytes, base64-encoded.") },
    ),
    tool(
      'delete_attachment',
      WRITE_SCOPE,
      'Delete a file attached to a page. Its history is kept: download_attachment with an earlier revision still returns it.',
      { path, filename, message },
      { destructiveHint: true, openWorldHint: false },
      async ({ path, filename, message }, { wikiId, attachments, caller }) => {
        const deleted = await attachments.remove(wikiId, caller.subject, { path, filename, message });
        return { path, deleted: deleted.name, revision: deleted.revision };
      },
      { path: z.string(), deleted: z.string(), revision: revisionNumber },
    ),
  ];
}

/** Which scope each tool needs; the endpoint refuses a call without it before any tool runs (RS-10). */
export const TOOL_SCOPES: ReadonlyMap<string, string> = new Map(TOOLS.map((definition) => [definition.name, definition.scope]));

/**
 * The SDK validates JSON Schema only for what a server asks of a client (elicitation), which these
 * tools never do; one validator serves every server instead of a new Ajv with formats per request.
 */
const jsonSchemaValidator = new AjvJsonSchemaValidator();

/** Runs a tool, counted by outcome in the metrics. */
async function answer(definition: WikiTool, args: Record<string, unknown>, context: ToolContext): Promise<CallToolResult> {
  const started = performance.now();
  const [outcome, result] = await run(definition, args, context);
  context.metrics.toolCall(definition.name, outcome, (performance.now() - started) / 1000);
  return result;
}

/** A tool body's answer: JSON on success, a recoverable tool error on a wiki rule, a generic one otherwise. */
async function run(definition: WikiTool, args: Record<string, unknown>, context: ToolContext): Promise<[ToolOutcome, CallToolResult]> {
  try {
    const result = await definition.body(args, context);
    const content: CallToolResult['content'] = [{ type: 'text', text: JSON.stringify(result, null, 1) }];
    return ['ok', definition.config.outputSchema ? { content, structuredContent: result as Record<string, unknown> } : { content }];
  } catch (error) {
    if (error instanceof WikiError) return ['refused', { isError: true, content: [{ type: 'text', text: error.message }] }];
    return ['failed', { isError: true, content: [{ type: 'text', text: failure(error, context) }] }];
  }
}

/** Logs an unexpected failure and says, without its details, whether retrying may help. */
function failure(error: unknown, context: ToolContext): string {
  context.log.error({ err: error, requestId: context.requestId, wikiId: context.wikiId }, 'tool failed');
  const reference = `request ${context.requestId ?? 'unknown'}`;
  // Only an unreachable store is worth retrying; any other failure is a fault on our side (IN-05).
  return isStoreUnavailable(error)
    ? `The wiki could not complete this just now (${reference}); try again shortly.`
    : `The wiki failed to complete this (${reference}); this is a fault on its side.`;
}

const LIST_CAPABILITIES = { tools: { listChanged: false }, resources: { listChanged: false } };

/** Server title and instructions: the wiki's own name and description, then how its tools work. */
function instructionsFor(context: ToolContext): string {
  const usage = `Tools for the wiki "${context.wikiName}": Markdown pages addressed by path, linked with [[Page Path]], with full history. Its pages are also resources (${PAGE_URI_TEMPLATE}).`;
  const description = context.wikiDescription?.trim();
  return description ? `${description}\n\n${usage}` : usage;
}

/** A server for one request: the shared tool definitions and the pages as resources, bound to this request's wiki and caller. */
export function wikiTools(context: ToolContext): McpServer {
  // The tool list never changes while a client is connected, and page changes are not published
  // (see docs/architecture.md, MCP): no list-changed notification is promised for either.
  const server = new McpServer(
    { name: 'robot.wtf', title: context.wikiName, version: '0.1.0' },
    { instructions: instructionsFor(context), jsonSchemaValidator, capabilities: LIST_CAPABILITIES },
  );
  for (const definition of TOOLS) server.registerTool(definition.name, definition.config, (args: Record<string, unknown>) => answer(definition, args, context));
  registerPages(server, context);
  return server;
}

/**
 * Pages as resources, so clients that attach context can offer them: a template for any page path
 * and a bounded list. The URI scheme is our own, not the page's https URL: a client could not fetch
 * that without the wiki's login (MCP "Resources", Common URI Schemes: https only for what the client
 * can fetch itself).
 */
const PAGE_URI_TEMPLATE = 'wiki:///{+path}';
const LISTED_PAGES = 500;

export function pageUri(path: string): string {
  return `wiki:///${path.split('/').map(encodeURIComponent).join('/')}`;
}

function registerPages(server: McpServer, context: ToolContext): void {
  const { wikiId, pages } = context;
  const list = async () => {
    const found = await pages.list(wikiId, { limit: LISTED_PAGES });
    return {
      resources: found.items.map((page) => ({
        uri: pageUri(page.path),
        name: page.path,
        mimeType: 'text/markdown',
        size: page.size,
        annotations: { lastModified: iso(page.updated_at) },
      })),
    };
  };
  // Completing the `path` variable offers existing pages that start with what was typed.
  const complete = { path: async (typed: string) => (await pages.list(wikiId, { prefix: typed, limit: 100 })).items.map((page) => page.path) };
  const template = new ResourceTemplate(PAGE_URI_TEMPLATE, { list, complete });
  const metadata = {
    title: 'Wiki page',
    description: `A page of "${context.wikiName}": its current Markdown text. Lists at most ${LISTED_PAGES} pages.`,
    mimeType: 'text/markdown',
  };
  server.registerResource('page', template, metadata, async (uri) => {
    const path = pathOfUri(uri.href);
    try {
      const page = path === undefined ? undefined : await pages.read(wikiId, path);
      if (!page) throw new ResourceNotFoundError(uri.href);
      return { contents: [{ uri: pageUri(page.path), mimeType: 'text/markdown', text: page.content }] };
    } catch (error) {
      if (error instanceof WikiError) throw new ResourceNotFoundError(uri.href, error.message);
      if (error instanceof ResourceNotFoundError) throw error;
      throw new Error(failure(error, context));
    }
  });
}

/** The page path a `wiki:///…` URI names, or undefined if it is not one (or not validly encoded). */
function pathOfUri(uri: string): string | undefined {
  if (!uri.startsWith('wiki:///')) return undefined;
  try {
    return uri.slice('wiki:///'.length).split('/').map(decodeURIComponent).join('/');
  } catch {
    return undefined;
  }
}
