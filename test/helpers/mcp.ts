// Talking to a wiki's MCP endpoint in tests: tokens of every kind, and the official SDK client
// (in process through the Hono app, or over real HTTP).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Hono } from 'hono';
import { mintAccessToken } from '../../src/authserver/tokens.ts';
import type { Platform } from '../../src/main.ts';
import type { Wiki } from '../../src/store/wikis.ts';
import { newWikiToken } from '../../src/wiki/tokens.ts';
import { wikiUrls } from '../../src/wiki/urls.ts';
import type { WikiFixture } from './wiki-fixture.ts';

/** An OAuth access token for `subject` at `wiki`, backed by a real grant (as the token endpoint issues). */
export async function accessTokenFor(
  platform: Platform,
  wiki: Wiki,
  subject: string,
  scope = 'wiki:read wiki:write',
): Promise<{ token: string; grantId: string }> {
  const { deps } = platform;
  const grant = await deps.grants.approve({ wikiId: wiki.id, clientId: `test-client-${subject}`, userDid: subject, scope }, deps.now());
  const urls = wikiUrls(deps.config, wiki.slug);
  const { token } = await mintAccessToken(
    deps.platformKeys,
    { issuer: urls.issuer, audience: urls.mcp, subject, clientId: grant.client_id, scope, wikiId: wiki.id, grantId: grant.id },
    deps.config.accessTokenTtlSeconds,
    deps.now(),
  );
  return { token, grantId: grant.id };
}

/** A dashboard bearer token, made the way the dashboard makes one. */
export async function wikiTokenFor(platform: Platform, wiki: Wiki, owner: string, scope = 'wiki:read wiki:write'): Promise<string> {
  const { token, hash } = newWikiToken();
  await platform.deps.wikiTokens.create({ wikiId: wiki.id, ownerDid: owner, name: 'test', tokenHash: hash, scope }, platform.deps.now());
  return token;
}

export interface McpSession {
  client: Client;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  /** The parsed JSON of a successful call; throws with the tool's message on a tool error. */
  json(name: string, args?: Record<string, unknown>): Promise<any>;
  close(): Promise<void>;
}

/** An in-process MCP session at the fixture's wiki (`notes`) for `subject`, with an OAuth access token for `scope`. */
export async function connectToWiki(fixture: WikiFixture, wiki: Wiki, subject: string, scope?: string): Promise<McpSession> {
  const { token } = await accessTokenFor(fixture.platform.platform, wiki, subject, scope);
  return connectMcp(fixture.platform.platform.app, `${fixture.issuer}/mcp`, token);
}

/** The official MCP SDK client with a bearer token, against the app in process or a URL over HTTP. */
export async function connectMcp(target: Hono | undefined, mcpUrl: string, token: string): Promise<McpSession> {
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
    ...(target ? { fetch: (url: string | URL, init?: RequestInit) => Promise.resolve(target.request(String(url), init)) } : {}),
  });
  const client = new Client({ name: 'robot-test', version: '1.0.0' });
  await client.connect(transport);
  const call = (name: string, args: Record<string, unknown> = {}) => client.callTool({ name, arguments: args }) as Promise<CallToolResult>;
  return {
    client,
    call,
    async json(name, args) {
      const result = await call(name, args);
      const text = (result.content[0] as { text: string }).text;
      if (result.isError) throw new Error(`${name} failed: ${text}`);
      return JSON.parse(text);
    },
    close: () => client.close(),
  };
}

export const toolText = (result: CallToolResult) => (result.content[0] as { text: string }).text;
