// A wiki's MCP endpoint over stateless Streamable HTTP (the official SDK's web-standard transports),
// behind bearer tokens. Unauthenticated requests get the RFC 9728 challenge that starts an MCP
// client's authorization (MCP authorization spec, "Authorization Server Discovery"); a call without
// the scope it needs gets 403 `insufficient_scope` before anything runs.
//
// One URL serves every protocol revision. 2026-07-28 requests carry their revision in each request's
// `_meta` envelope and have no handshake; they go to the v2 SDK's per-request handler, which answers
// `server/discover` and checks the required headers. Everything else (2024-11-05 to 2025-11-25:
// `initialize`, then plain JSON-RPC) goes to the v2 SDK's stateless Streamable HTTP transport with
// JSON responses, as before. Both are fed by the same per-request server, so the eras cannot drift
// apart. Why not the v2 entry's own legacy leg: it answers 2025 requests as event streams
// (`enableJsonResponse` is not an option there) where this endpoint has always answered plain JSON;
// routing with the SDK's own `isLegacyRequest` keeps the era decision the SDK's.
//
// Why the v2 packages rather than SDK 1.32.2 plus our own 2026-07-28 handling: 2026-07-28 is more
// than a version string (per-request `_meta` envelopes, `server/discover`, the Mcp-Method/Mcp-Name
// header checks, cache hints, its own error codes); the conformance suite's 2026-07-28 scenarios pass
// with the SDK's implementation, and writing our own would mean maintaining a second protocol
// implementation. The price, measured (docs/benchmarks.md, issue 14): 7 % more server CPU per
// authenticated 2025 call and 14 % more per 2026-07-28 call than with SDK 1.32.2.
import { createMcpHandler, isLegacyRequest, WebStandardStreamableHTTPServerTransport, type AuthInfo, type McpServer } from '@modelcontextprotocol/server';
import type { Context } from 'hono';
import { READ_SCOPE } from '../wiki/access.ts';
import { allows } from './authenticate.ts';
import { challenge } from './challenge.ts';
import { invalidParamsResponse } from './request-params.ts';
import { TOOL_SCOPES } from './tools.ts';

export interface McpWiki {
  id: string;
  slug: string;
  displayName: string;
  issuer: string;
  mcpUrl: string;
  resourceMetadataUrl: string;
}

/** An authenticated caller, with the scopes its token grants narrowed to its current role. */
export interface Caller {
  subject: string;
  scopes: string[];
}

export type Authenticate = (token: string) => Promise<Caller | { rejected: string }>;

/** Reading pages as resources needs what reading them with a tool needs. */
const RESOURCE_METHODS = new Set(['resources/list', 'resources/templates/list', 'resources/read']);

/** The scope one JSON-RPC message needs (catalogue RS-10), if any. */
function scopeNeeded(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const { method, params } = message as { method?: unknown; params?: { name?: unknown } };
  if (method === 'tools/call') return typeof params?.name === 'string' ? TOOL_SCOPES.get(params.name) : undefined;
  return typeof method === 'string' && RESOURCE_METHODS.has(method) ? READ_SCOPE : undefined;
}

/** The scopes the request's calls need and the caller lacks (JSON-RPC batches are checked whole). */
function missingScopes(body: unknown, caller: Caller): string[] {
  const messages = Array.isArray(body) ? body : [body];
  const missing = new Set<string>();
  for (const message of messages) {
    const needed = scopeNeeded(message);
    if (needed && !allows(caller.scopes, needed)) missing.add(needed);
  }
  return [...missing];
}

/** The server for this request travels with its AuthInfo: the handler is shared, the server is not. */
export type RequestAuth = AuthInfo & { extra: { server: () => McpServer } };

/**
 * 2026-07-28 requests. The default response mode answers with a plain JSON body unless a handler
 * sends something before its result, which ours never do.
 */
const modern = createMcpHandler(({ authInfo }) => (authInfo as RequestAuth).extra.server(), { legacy: 'reject' });

/** 2026-07-28: the SDK's per-request handler. */
export function serveModern(request: Request, parsedBody: unknown, auth: RequestAuth): Promise<Response> {
  return modern.fetch(request, { parsedBody, authInfo: auth });
}

/** 2024-11-05 … 2025-11-25: a fresh stateless transport per request (no sessions, JSON answers). */
export async function serveLegacy(request: Request, parsedBody: unknown, auth: RequestAuth): Promise<Response> {
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await auth.extra.server().connect(transport);
  return transport.handleRequest(request, { parsedBody, authInfo: auth });
}

type Credentials = { token: string } | { none: true } | { conflict: string };

/** RFC 6750 §2: the Authorization header only; MCP forbids tokens in the query string (RS-09). */
function credentialsOf(c: Context): Credentials {
  const header = c.req.header('authorization');
  const inQuery = c.req.query('access_token') !== undefined;
  if (header === undefined) return { none: true };
  // Two Authorization headers arrive joined by a comma; neither our tokens nor JWTs contain one.
  if (header.includes(',') || inQuery) return { conflict: 'send one bearer token, in the Authorization header only' };
  const match = /^bearer(?: +(\S*))?$/i.exec(header.trim());
  if (!match) return { none: true };
  return { token: match[1] ?? '' };
}

export async function serveMcp(c: Context, wiki: McpWiki, authenticate: Authenticate, serverFor: (caller: Caller) => McpServer): Promise<Response> {
  const credentials = credentialsOf(c);
  if ('conflict' in credentials) return c.json({ error: 'invalid_request', error_description: credentials.conflict }, 400);
  if ('none' in credentials)
    return c.json({ error: 'unauthorized', error_description: 'a bearer token is required' }, 401, { 'WWW-Authenticate': challenge(wiki) });

  const caller = credentials.token ? await authenticate(credentials.token) : { rejected: 'the bearer token is empty' };
  if ('rejected' in caller) {
    return c.json({ error: 'invalid_token', error_description: caller.rejected }, 401, {
      'WWW-Authenticate': challenge(wiki, { code: 'invalid_token', description: caller.rejected }),
    });
  }

  // Stateless (no sessions): there are no server-initiated messages to stream, so a GET stream would
  // hold a connection open for nothing, and there is no session for a DELETE to end. MCP transports
  // ("Listening for Messages from the Server", "Session Management") allow 405 for both.
  if (c.req.method !== 'POST') {
    const error = { code: -32000, message: 'Method not allowed: send JSON-RPC messages with POST' };
    return c.json({ jsonrpc: '2.0', id: null, error }, 405, { Allow: 'POST' });
  }

  let parsedBody: unknown;
  try {
    parsedBody = await c.req.json();
  } catch {
    const error = { code: -32700, message: 'Parse error: the body is not JSON' };
    return c.json({ jsonrpc: '2.0', id: null, error }, 400);
  }
  // The SDK's legacy leg answers a params mismatch with -32603 (request-params.ts); its 2026-07-28
  // leg validates the envelope and params itself, with the error codes that revision prescribes.
  const legacy = await isLegacyRequest(c.req.raw, parsedBody);
  const invalid = legacy ? invalidParamsResponse(parsedBody) : undefined;
  if (invalid) return c.json(invalid, invalid.id === null ? 400 : 200);
  const missing = missingScopes(parsedBody, caller);
  if (missing.length > 0) {
    const description = `this call needs ${missing.join(' and ')}`;
    const header = challenge(wiki, { code: 'insufficient_scope', description, scopes: missing });
    return c.json({ error: 'insufficient_scope', error_description: description }, 403, { 'WWW-Authenticate': header });
  }

  // The SDK only passes AuthInfo through; the tools act as `caller`, bound in `serverFor`.
  const auth: RequestAuth = { token: credentials.token, clientId: caller.subject, scopes: caller.scopes, extra: { server: () => serverFor(caller) } };
  return (legacy ? serveLegacy : serveModern)(c.req.raw, parsedBody, auth);
}
