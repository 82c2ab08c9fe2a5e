// A wiki's MCP endpoint over stateless Streamable HTTP (the official SDK's web-standard transport),
// behind bearer tokens. Unauthenticated requests get the RFC 9728 challenge that starts an MCP
// client's authorization (MCP authorization spec, "Authorization Server Discovery"); a tool call
// without the scope it needs gets 403 `insufficient_scope` before any tool runs.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Context } from 'hono';
import { READ_SCOPE, WRITE_SCOPE } from '../wiki/access.ts';
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

/** `wiki:write` includes reading: a client that stepped up to it must not lose read access. */
export function allows(scopes: string[], needed: string): boolean {
  return scopes.includes(needed) || (needed === READ_SCOPE && scopes.includes(WRITE_SCOPE));
}

/** The scopes the request's tool calls need and the caller lacks (JSON-RPC batches are checked whole). */
function missingScopes(body: unknown, caller: Caller): string[] {
  const messages = Array.isArray(body) ? body : [body];
  const missing = new Set<string>();
  for (const message of messages) {
    if (typeof message !== 'object' || message === null || (message as { method?: unknown }).method !== 'tools/call') continue;
    const name = (message as { params?: { name?: unknown } }).params?.name;
    const needed = typeof name === 'string' ? TOOL_SCOPES.get(name) : undefined;
    if (needed && !allows(caller.scopes, needed)) missing.add(needed);
  }
  return [...missing];
}

type Credentials = { token: string } | { none: true } | { conflict: string };

/** RFC 6750 §2: the Authorization header only; MCP forbids tokens in the query string (RS-09). */
function credentialsOf(c: Context): Credentials {
  const header = c.req.header('authorization');
  const inQuery = new URL(c.req.url).searchParams.has('access_token');
  if (header === undefined) return { none: true };
  // Two Authorization headers arrive joined by a comma; neither our tokens nor JWTs contain one.
  if (header.includes(',') || inQuery) return { conflict: 'send one bearer token, in the Authorization header only' };
  const match = /^bearer(?: +(\S*))?$/i.exec(header.trim());
  if (!match) return { none: true };
  return { token: match[1] ?? '' };
}

export async function serveMcp(c: Context, wiki: McpWiki, authenticate: Authenticate, toolsFor: (caller: Caller) => McpServer): Promise<Response> {
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
  const invalid = invalidParamsResponse(parsedBody);
  if (invalid) return c.json(invalid, invalid.id === null ? 400 : 200);
  const missing = missingScopes(parsedBody, caller);
  if (missing.length > 0) {
    const description = `this call needs ${missing.join(' and ')}`;
    const header = challenge(wiki, { code: 'insufficient_scope', description, scopes: missing });
    return c.json({ error: 'insufficient_scope', error_description: description }, 403, { 'WWW-Authenticate': header });
  }

  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await toolsFor(caller).connect(transport);
  return transport.handleRequest(c.req.raw, { parsedBody });
}
