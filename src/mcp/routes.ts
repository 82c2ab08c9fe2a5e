// The wiki's MCP endpoint route: Origin validation and CORS for browser clients on allowed origins
// (origin.ts); bearer verification, then the caller's current role in the wiki.
import { Hono, type Context } from 'hono';
import { isStoreUnavailable, RETRY_AFTER_SECONDS } from '../store/errors.ts';
import type { Wiki } from '../store/wikis.ts';
import { wikiUrls } from '../wiki/urls.ts';
import type { Config } from '../config/config.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { WikiPages } from '../wiki/pages.ts';
import type { WikiAttachments } from '../wiki/attachments.ts';
import type { WikiSemanticSearch } from '../wiki/semantic-search.ts';
import { authenticateBearer, type AuthenticateDeps } from './authenticate.ts';
import { connectPage, isBrowserVisit } from './connect-page.tsx';
import type { Authenticate } from './endpoint.ts';
import { lazily } from '../lazy.ts';
import { mcpOriginPolicy, originRules } from './origin.ts';

type WikiResolver = (c: Context) => Promise<Wiki | undefined>;

/**
 * The MCP SDK and the tools are loaded at the first MCP request, not at startup: the v2 server
 * package alone is ≈ 29 MB of an idle server's memory (docs/benchmarks.md, "Idle memory").
 */
const loadEndpoint = lazily(async () => {
  const [{ serveMcp }, { wikiTools }] = await Promise.all([import('./endpoint.ts'), import('./tools.ts')]);
  return { serveMcp, wikiTools };
});

/** What the MCP route uses: bearer authentication, the origin rules, the pages, the log. */
export interface McpRouteDeps extends AuthenticateDeps {
  config: Config;
  pages: WikiPages;
  attachments: WikiAttachments;
  semantic: WikiSemanticSearch;
  log: Logger;
  metrics: Metrics;
}

export function mcpRoutes(deps: McpRouteDeps, wikiOf: WikiResolver): Hono {
  const app = new Hono();
  const rules = originRules(deps.config);
  app.use('/mcp', mcpOriginPolicy(rules));
  app.on(['GET', 'POST', 'DELETE'], '/mcp', async (c) => {
    let wiki: Wiki | undefined;
    try {
      wiki = await wikiOf(c);
    } catch (error) {
      return unavailable(deps, c, error);
    }
    if (!wiki) return c.json({ error: 'not_found', error_description: 'no such wiki' }, 404);
    const found = wiki;
    const urls = wikiUrls(deps.config, found.slug);
    if (isBrowserVisit(c)) {
      const settingsUrl = `${deps.config.publicUrl}/app/wikis/${found.slug}`;
      const page = { slug: found.slug, wikiName: found.display_name, mcpUrl: urls.mcp, wikiUrl: urls.base, settingsUrl, platform: deps.config.publicUrl };
      return connectPage(c, page);
    }
    const authenticate: Authenticate = (token) => authenticateBearer(deps, found, token);
    const mcpWiki = {
      id: found.id,
      slug: found.slug,
      displayName: found.display_name,
      issuer: urls.issuer,
      mcpUrl: urls.mcp,
      resourceMetadataUrl: urls.resourceMetadata,
    };
    const requestId = c.get('requestId') as string | undefined;
    try {
      const { serveMcp, wikiTools } = await loadEndpoint();
      return await serveMcp(c, mcpWiki, authenticate, (caller) =>
        wikiTools({
          wikiId: found.id,
          wikiName: found.display_name,
          wikiDescription: found.description || undefined,
          pages: deps.pages,
          attachments: deps.attachments,
          semantic: deps.semantic,
          caller,
          log: deps.log,
          metrics: deps.metrics,
          requestId,
        }),
      );
    } catch (error) {
      return unavailable(deps, c, error);
    }
  });
  return app;
}

/**
 * Catalogue DB-06: when the registry or the revocation state cannot be read, fail closed. Only a store
 * that is out of reach is an outage (503 + Retry-After); anything else, such as a data error, is our
 * fault and is not cured by retrying (IN-05).
 */
function unavailable(deps: Pick<McpRouteDeps, 'log'>, c: Context, error: unknown): Response {
  deps.log.error({ err: error, requestId: c.get('requestId') }, 'MCP request failed');
  if (!isStoreUnavailable(error)) {
    return c.json({ error: 'server_error', error_description: 'internal error' }, 500, { 'Cache-Control': 'no-store' });
  }
  return c.json({ error: 'temporarily_unavailable', error_description: 'the wiki cannot be reached right now; try again shortly' }, 503, {
    'Retry-After': String(RETRY_AFTER_SECONDS),
  });
}
