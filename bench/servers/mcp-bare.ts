// The bare MCP endpoints of bench/mcp.ts: the same process as mcp-bearer.ts (our platform started the
// same way, same database, same page), plus a second listener with only the wiki's MCP route. It does
// what src/mcp/routes.ts + serveMcp (src/mcp/endpoint.ts) do per request — find the wiki by slug,
// build `wikiTools` on `deps.pages`, hand the request to the SDK leg of its protocol era and let it
// answer — on a bare Hono app: none of the platform's middleware (request id, security headers, URL
// guard, metrics), no Origin check, no scope check. Bench-only: these have no place in src/.
//
// `authenticate: false` ("no auth"): no credentials are parsed; any Authorization header is ignored.
// `authenticate: true` ("token only"): the platform's own bearer verification and nothing else
// (src/mcp/authenticate.ts: the verifier with its verified-token cache, the revocation read, the
// member's role), so the bench can tell the token check's cost from the platform's front door.
import { getRequestListener } from '@hono/node-server';
import { isLegacyRequest } from '@modelcontextprotocol/server';
import { Hono } from 'hono';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authenticateBearer } from '../../src/mcp/authenticate.ts';
import { serveLegacy, serveModern, type Caller } from '../../src/mcp/endpoint.ts';
import { wikiTools } from '../../src/mcp/tools.ts';
import { accessTokenFor } from '../../test/helpers/mcp.ts';
import { startMcpPlatform } from './mcp-fixture.ts';
import { USER } from './platform.ts';
import { serveDriver, type McpReady } from './protocol.ts';

const BEARER = /^Bearer (\S+)$/;

export async function serveBareMcp({ authenticate }: { authenticate: boolean }): Promise<void> {
  const platform = await startMcpPlatform();
  const { deps, base } = platform;
  // This process has its own keys and database, so "token only" mints its own token, as mcp-bearer.ts does.
  const token = authenticate ? (await accessTokenFor(platform.running.platform, platform.wiki, USER.did)).token : undefined;

  const app = new Hono();
  app.post('/w/:slug/mcp', async (c) => {
    const wiki = await deps.wikis.findBySlug(c.req.param('slug'));
    if (!wiki) return c.json({ error: 'not_found' }, 404);
    // Without authentication the tools act as the wiki's owner, the subject the bearer server's token names.
    let caller: Caller = { subject: USER.did, scopes: [] };
    if (authenticate) {
      const presented = BEARER.exec(c.req.header('authorization') ?? '')?.[1];
      const authenticated = presented ? await authenticateBearer(deps, wiki, presented) : { rejected: 'no token' };
      if ('rejected' in authenticated) return c.json({ error: 'invalid_token' }, 401);
      caller = authenticated;
    }
    const server = () =>
      wikiTools({
        wikiId: wiki.id,
        wikiName: wiki.display_name,
        pages: deps.pages,
        metrics: deps.metrics,
        attachments: deps.attachments,
        semantic: deps.semantic,
        caller,
        log: deps.log,
        requestId: undefined,
      });
    // serveMcp parses the body itself (for its era and scope checks) and hands it over; so does this.
    const parsedBody: unknown = await c.req.json();
    const auth = { token: '', clientId: caller.subject, scopes: caller.scopes, extra: { server } };
    return ((await isLegacyRequest(c.req.raw, parsedBody)) ? serveLegacy : serveModern)(c.req.raw, parsedBody, auth);
  });

  // The same HTTP stack as startServer (src/main.ts): node:http with @hono/node-server's listener.
  const server = createServer({ maxHeaderSize: 16 * 1024 }, getRequestListener(app.fetch));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  serveDriver<McpReady>({ type: 'ready', origin, mcpPath: `${base}/mcp`, token }, async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await platform.close();
  });
}
