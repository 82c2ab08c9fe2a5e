// A wiki's MCP endpoint over stateless Streamable HTTP (the official SDK's web-standard transport),
// behind OAuth bearer tokens. Unauthenticated requests get the RFC 9728 challenge that starts an MCP
// client's authorization (MCP authorization spec, "Authorization Server Discovery").
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Context } from 'hono';
import { z } from 'zod';
import type { VerifiedToken } from './bearer.ts';

export interface McpWiki {
  id: string;
  slug: string;
  displayName: string;
  issuer: string;
  mcpUrl: string;
  resourceMetadataUrl: string;
}

export const MCP_SCOPES = 'wiki:read wiki:write';

function challenge(wiki: McpWiki, error?: 'invalid_token'): string {
  // RFC 6750 §3: no `error` when the request carried no credentials.
  return `Bearer resource_metadata="${wiki.resourceMetadataUrl}", scope="${MCP_SCOPES}"${error ? `, error="${error}"` : ''}`;
}

function tools(wiki: McpWiki, caller: VerifiedToken): McpServer {
  const server = new McpServer({ name: 'robot.wtf', version: '0.1.0' });
  server.registerTool(
    'wiki_info',
    { description: 'Describe this wiki and who is connected to it.', inputSchema: { verbose: z.boolean().optional().describe('Include the granted scopes.') } },
    async ({ verbose }) => ({
      content: [{ type: 'text', text: JSON.stringify({ wiki: wiki.displayName, slug: wiki.slug, user: caller.subject, ...(verbose ? { scopes: caller.scopes } : {}) }) }],
    }),
  );
  return server;
}

export async function serveMcp(c: Context, wiki: McpWiki, verify: (token: string) => Promise<VerifiedToken | undefined>): Promise<Response> {
  const authorization = c.req.header('authorization');
  const token = authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : undefined;
  if (!token) return c.json({ error: 'unauthorized', error_description: 'a bearer token is required' }, 401, { 'WWW-Authenticate': challenge(wiki) });
  const caller = await verify(token);
  if (!caller) return c.json({ error: 'invalid_token', error_description: 'the access token is not valid here' }, 401, { 'WWW-Authenticate': challenge(wiki, 'invalid_token') });

  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await tools(wiki, caller).connect(transport);
  return transport.handleRequest(c.req.raw);
}
