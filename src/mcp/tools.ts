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
  /** The owner's description of the wiki, told to clients as the server's instructions. */
  wikiDescription?: string;
  pages: WikiPages;
  caller: ToolCaller;
  log: Logger;
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
    'Read a page: its Markdown text and current revision number (pass that revision as base_revision when you change it). Give a revision to read an older version.',
    { path, revision: z.number().int().positive().optional().describe('An older revision number from get_history; omit for the current text.') },
    readOnly,
    async ({ path, revision }, { wikiId, pages }) => {
      const page = await pages.read(wikiId, path, revision);
      return { path: page.path, revision: page.revision, updated_at: iso(page.updatedAt), updated_by: page.updatedBy, content: page.content };
    },
    { path: z.string(), revision: revisionNumber, updated_at: isoTime, updated_by: z.string(), content: z.string() },
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
    'List pages (path, revision, size, last change), alphabetically. Filter by path prefix or by change time.',
    {
      prefix: text('line').max(400).optional().describe('Only paths starting with this, e.g. "Projects/".'),
      updated_since: z.iso.datetime({ offset: true }).optional().describe('Only pages changed at or after this ISO 8601 time, e.g. "2026-01-31T00:00:00Z".'),
    },
    readOnly,
    async ({ prefix, updated_since }, { wikiId, pages }) => {
      const limit = 500;
      const found = await pages.list(wikiId, {
        prefix,
        updatedSince: updated_since ? Math.floor(Date.parse(updated_since) / 1000) : undefined,
        limit: limit + 1,
      });
      return {
        pages: found
          .slice(0, limit)
          .map((page) => ({ path: page.path, revision: page.revision, size: page.size, updated_at: iso(page.updated_at), updated_by: page.updated_by })),
        ...(found.length > limit ? { truncated: `only the first ${limit} are listed; narrow with prefix` } : {}),
      };
    },
    {
      pages: z.array(z.object({ ...savedPage, updated_at: isoTime, updated_by: z.string() })),
      truncated: z.string().optional().describe('Present when more pages match than are listed.'),
    },
  ),
  tool(
    'search_notes',
    READ_SCOPE,
    'Full-text search over page paths and text (words are stemmed; all words must match). Returns paths with a short excerpt, best match first.',
    {
      query: text('multiline').min(1).max(500).describe('Words to look for.'),
      limit: z.number().int().min(1).max(50).optional().describe('At most this many results (default 10).'),
    },
    readOnly,
    async ({ query, limit }, { wikiId, pages }) => ({ results: await pages.search(wikiId, query, limit ?? 10) }),
    { results: z.array(z.object({ path: z.string(), snippet: z.string().describe('An excerpt, matched words between « and ».') })) },
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
    { limit: z.number().int().min(1).max(100).optional().describe('At most this many changes (default 20).') },
    readOnly,
    async ({ limit }, { wikiId, pages }) => ({ changes: (await pages.recentChanges(wikiId, limit ?? 20)).map(revisionView) }),
    { changes: z.array(revisionOutput) },
  ),
  tool(
    'get_history',
    READ_SCOPE,
    'The revisions of one page, newest first (works for deleted pages too). read_note with a revision shows an old text.',
    { path, limit: z.number().int().min(1).max(100).optional().describe('At most this many revisions (default 20).') },
    readOnly,
    async ({ path, limit }, { wikiId, pages }) => ({ revisions: (await pages.history(wikiId, path, limit ?? 20)).map(revisionView) }),
    { revisions: z.array(revisionOutput) },
  ),
  tool(
    'rename_note',
    WRITE_SCOPE,
    'Move a page to a new path, keeping its history. Links in other pages are not rewritten.',
    { path, new_path: path.describe('The new path; no page may exist there.'), message },
    { destructiveHint: false, openWorldHint: false },
    async ({ path, new_path, message }, { wikiId, pages, caller }) => {
      const page = await pages.rename(wikiId, caller.subject, { path, newPath: new_path, message });
      return { path: page.path, revision: page.revision };
    },
    { path: z.string(), revision: revisionNumber },
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
];

/** Which scope each tool needs; the endpoint refuses a call without it before any tool runs (RS-10). */
export const TOOL_SCOPES: ReadonlyMap<string, string> = new Map(TOOLS.map((definition) => [definition.name, definition.scope]));

/**
 * The SDK validates JSON Schema only for what a server asks of a client (elicitation), which these
 * tools never do; one validator serves every server instead of a new Ajv with formats per request.
 */
const jsonSchemaValidator = new AjvJsonSchemaValidator();

/** Runs a tool body: JSON (and structured content) on success, a recoverable tool error on a wiki rule, a generic one otherwise. */
async function answer(definition: WikiTool, args: Record<string, unknown>, context: ToolContext): Promise<CallToolResult> {
  try {
    const result = await definition.body(args, context);
    const content: CallToolResult['content'] = [{ type: 'text', text: JSON.stringify(result, null, 1) }];
    return definition.config.outputSchema ? { content, structuredContent: result as Record<string, unknown> } : { content };
  } catch (error) {
    if (error instanceof WikiError) return { isError: true, content: [{ type: 'text', text: error.message }] };
    return { isError: true, content: [{ type: 'text', text: failure(error, context) }] };
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
      resources: found.map((page) => ({
        uri: pageUri(page.path),
        name: page.path,
        mimeType: 'text/markdown',
        size: page.size,
        annotations: { lastModified: iso(page.updated_at) },
      })),
    };
  };
  // Completing the `path` variable offers existing pages that start with what was typed.
  const complete = { path: async (typed: string) => (await pages.list(wikiId, { prefix: typed, limit: 100 })).map((page) => page.path) };
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
