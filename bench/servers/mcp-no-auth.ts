// "no auth" for bench/mcp.ts: the same process as mcp-bearer.ts (our platform started the same way,
// same database, same page), plus a second listener with the wiki's MCP endpoint minus
// authentication. It does what src/mcp/routes.ts + serveMcp (src/mcp/endpoint.ts) do per request —
// find the wiki by slug, build `wikiTools` on `deps.pages`, hand the request to the SDK leg of its
// protocol era and let it answer — but parses no credentials, verifies no token, looks up no grant or
// role and checks no scope. Any Authorization header is ignored. Bench-only: an endpoint without auth
// has no place in src/.
import { getRequestListener } from '@hono/node-server';
import { isLegacyRequest } from '@modelcontextprotocol/server';
import { Hono } from 'hono';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveLegacy, serveModern } from '../../src/mcp/endpoint.ts';
import { wikiTools } from '../../src/mcp/tools.ts';
import { startMcpPlatform } from './mcp-fixture.ts';
import { USER } from './platform.ts';
import { serveDriver, type McpReady } from './protocol.ts';

const platform = await startMcpPlatform();
const { deps, base } = platform;

// A bare Hono app: none of the platform's middleware (request id, request log, security headers, CORS).
const app = new Hono();
app.post('/w/:slug/mcp', async (c) => {
  const wiki = await deps.wikis.findBySlug(c.req.param('slug'));
  if (!wiki) return c.json({ error: 'not_found' }, 404);
  // The tools act as the wiki's owner, the subject the bearer server's token names.
  const server = () =>
    wikiTools({
      wikiId: wiki.id,
      wikiName: wiki.display_name,
      pages: deps.pages,
      metrics: deps.metrics,
      attachments: deps.attachments,
      semantic: deps.semantic,
      caller: { subject: USER.did },
      log: deps.log,
      requestId: undefined,
    });
  // serveMcp parses the body itself (for its era and scope checks) and hands it over; so does this.
  const parsedBody: unknown = await c.req.json();
  const auth = { token: '', clientId: USER.did, scopes: [], extra: { server } };
  return ((await isLegacyRequest(c.req.raw, parsedBody)) ? serveLegacy : serveModern)(c.req.raw, parsedBody, auth);
});

// The same HTTP stack as startServer (src/main.ts): node:http with @hono/node-server's listener.
const server = createServer({ maxHeaderSize: 16 * 1024 }, getRequestListener(app.fetch));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

serveDriver<McpReady>({ type: 'ready', origin, mcpPath: `${base}/mcp` }, async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await platform.close();
});
