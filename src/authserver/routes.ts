// Every wiki's HTTP surface: its authorization server (discovery, registration, authorize and consent,
// token, revocation), its MCP endpoint and its web view. Path mode serves every wiki from PUBLIC_URL
// (`/w/{slug}/…` and the path-inserted well-known URLs); host mode serves `{slug}.$WIKI_DOMAIN` at
// its root. Both resolve the wiki from the registry and build every URL from configuration.
import { randomUUID } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { publishedJwks } from '../keys/keystore.ts';
import { requestMetrics } from '../http/request-metrics.ts';
import { noMetrics, type Metrics } from '../metrics.ts';
import { mcpRoutes, type McpRouteDeps } from '../mcp/routes.ts';
import { AppError } from '../errors/app-error.ts';
import type { PlatformKeys } from '../keys/keystore.ts';
import type { Wiki, WikiStore } from '../store/wikis.ts';
import { slugOfHost, wikiUrls } from '../wiki/urls.ts';
import { wikiViewRoutes, type WikiViewDeps } from '../wiki/web-view.tsx';
import { authorizationServerMetadata, protectedResourceMetadata } from './metadata.ts';
import { authorize, consent } from './authorize.tsx';
import type { AuthorizeDeps, RegistrationDeps, RevocationDeps, TokenDeps } from './deps.ts';
import { tokenBodyLimit } from './client-request.ts';
import { asOAuthError, jsonError, logUnexpected, OAuthError } from './oauth-error.ts';
import { registerClient, registrationBodyLimit } from './registration.ts';
import { introspect, revoke } from './revocation.ts';
import { token } from './token.ts';

const preflight = cors({
  origin: '*',
  allowMethods: ['GET', 'POST', 'OPTIONS'],
  allowHeaders: ['Authorization', 'Content-Type', 'MCP-Protocol-Version'],
  maxAge: 86400,
});

/**
 * MCP Inspector and other browser clients call discovery, registration and token endpoints cross-origin.
 * Preflights are hono's; an actual request gets the one header hono's cors would add, but on the
 * response the route returned: set on the context before the route runs, it makes Hono re-create every
 * response to merge it (as src/mcp/origin.ts explains for the MCP endpoint).
 */
const publicCors: MiddlewareHandler = async (c, next) => {
  if (c.req.method === 'OPTIONS') return preflight(c, next);
  await next();
  c.res.headers.set('Access-Control-Allow-Origin', '*');
};

/** An issuer's endpoints that browser clients (MCP Inspector and others) call from their own origin. */
const CROSS_ORIGIN_PATHS = ['/.well-known/*', '/oauth/jwks.json', '/oauth/register', '/oauth/token', '/oauth/revoke', '/oauth/introspect'];

const notFound = (c: Context) => jsonError(c, new OAuthError('not_found', 'no such wiki', 404));

type WikiResolver = (c: Context) => Promise<Wiki | undefined>;

/** One wiki's whole site: its issuer's handlers, its MCP endpoint and its web view. */
export type WikiSiteDeps = AuthorizeDeps &
  TokenDeps &
  RevocationDeps &
  RegistrationDeps &
  McpRouteDeps &
  WikiViewDeps & { platformKeys: PlatformKeys; wikis: WikiStore; metrics: Metrics };

/** A public JSON document about the wiki the request names, or 404 when there is none. */
function wikiDocument(wikiOf: WikiResolver, document: (wiki: Wiki) => object) {
  return async (c: Context) => {
    const wiki = await wikiOf(c);
    return wiki ? c.json(document(wiki), 200, { 'Cache-Control': 'public, max-age=300' }) : notFound(c);
  };
}

function discoveryDocuments(deps: WikiSiteDeps, wikiOf: WikiResolver) {
  return {
    authorizationServer: wikiDocument(wikiOf, (wiki) => authorizationServerMetadata(wikiUrls(deps.config, wiki.slug))),
    protectedResource: wikiDocument(wikiOf, (wiki) => protectedResourceMetadata(wikiUrls(deps.config, wiki.slug), wiki)),
  };
}

/** Routes of one wiki's issuer, mounted at its base path (`/w/{slug}` or a wiki host's root). */
function issuerRoutes(deps: WikiSiteDeps, wikiOf: WikiResolver): Hono {
  const app = new Hono();
  // CORS on the JSON endpoints only. The MCP endpoint grants it itself, to allowed origins only
  // (mcp/origin.ts); the authorization page and the wiki's pages get none.
  for (const path of CROSS_ORIGIN_PATHS) app.use(path, publicCors);
  // These are JSON endpoints, so failures are OAuth JSON too, never the HTML error page (IN-05); a store
  // that is briefly out of reach is 503 + Retry-After (./oauth-error.ts).
  // Caught here rather than by onError: a sub-app's onError also wraps its `*` CORS middleware, so it
  // would take over errors (and the 404) of every later route under the same path.
  const withWiki = (handler: (c: Context, wiki: Wiki) => Promise<Response>) => async (c: Context) => {
    try {
      const wiki = await wikiOf(c);
      return wiki ? await handler(c, wiki) : notFound(c);
    } catch (error) {
      logUnexpected(deps.log, c, error);
      return jsonError(c, asOAuthError(error));
    }
  };
  const asMetadata = discoveryDocuments(deps, wikiOf).authorizationServer;
  // Clients append the well-known suffix to the issuer instead of inserting it (RFC 8414 §5 allows
  // that as legacy); answering there too saves them a 404 loop.
  app.get('/.well-known/oauth-authorization-server', asMetadata);
  app.get('/.well-known/openid-configuration', asMetadata);
  app.get('/oauth/jwks.json', (c) => c.json(publishedJwks(deps.platformKeys), 200, { 'Cache-Control': 'public, max-age=300' }));
  app.post(
    '/oauth/register',
    registrationBodyLimit,
    withWiki((c, wiki) => registerClient(deps, c, wiki)),
  );
  app.post(
    '/oauth/token',
    tokenBodyLimit,
    withWiki((c, wiki) => token(deps, c, wiki)),
  );
  app.post(
    '/oauth/revoke',
    tokenBodyLimit,
    withWiki((c, wiki) => revoke(deps, c, wiki)),
  );
  app.post(
    '/oauth/introspect',
    tokenBodyLimit,
    withWiki((c, wiki) => introspect(deps, c, wiki)),
  );
  // Catalogue IN-04, RV-02: these endpoints answer only POST.
  app.on(['GET', 'PUT', 'DELETE', 'PATCH'], ['/oauth/token', '/oauth/revoke', '/oauth/introspect'], (c) =>
    jsonError(c, new OAuthError('invalid_request', 'use POST', 405, { Allow: 'POST' })),
  );
  return app;
}

/** Browser-facing issuer routes: no CORS, our security headers, and HTML errors. */
function browserRoutes(deps: WikiSiteDeps, wikiOf: WikiResolver): Hono {
  const app = new Hono();
  const withWiki = (handler: (c: Context, wiki: Wiki) => Promise<Response>) => async (c: Context) => {
    const wiki = await wikiOf(c);
    if (!wiki) throw new AppError('not_found', 404, 'There is no wiki at this address.', 'Not found');
    return handler(c, wiki);
  };
  app.get(
    '/oauth/authorize',
    withWiki((c, wiki) => authorize(deps, c, wiki)),
  );
  app.post(
    '/oauth/consent',
    bodyLimit({
      maxSize: 4 * 1024,
      onError: () => {
        throw new AppError('payload_too_large', 413, 'That request is too large.', 'Too large');
      },
    }),
    withWiki((c, wiki) => consent(deps, c, wiki)),
  );
  return app;
}

export const wikiSuspended = () => new AppError('wiki_suspended', 403, 'This wiki has been suspended by the administrators of this server.', 'Wiki suspended');

/** One wiki's site, mounted at its base path (`/w/{slug}` or a wiki host's root). */
function wikiSite(deps: WikiSiteDeps, wikiOf: WikiResolver): Hono {
  const app = new Hono();
  // The wiki is looked up once, here, so a suspended one answers nothing else (JSON on the MCP and
  // OAuth endpoints, a page in the browser: web/app.tsx) and the routes below reuse the lookup.
  const lookedUp = new WeakMap<Request, Wiki | undefined>();
  app.use('*', async (c, next) => {
    let wiki: Wiki | undefined;
    try {
      wiki = await wikiOf(c);
    } catch {
      // Each route answers a store that is out of reach its own way (DB-06); it looks again.
      return next();
    }
    if (wiki?.suspended_at) throw wikiSuspended();
    lookedUp.set(c.req.raw, wiki);
    return next();
  });
  const resolved: WikiResolver = (c) => (lookedUp.has(c.req.raw) ? Promise.resolve(lookedUp.get(c.req.raw)) : wikiOf(c));
  app.route('/', issuerRoutes(deps, resolved));
  app.route('/', browserRoutes(deps, resolved));
  app.route('/', mcpRoutes(deps, resolved));
  app.route('/', wikiViewRoutes(deps, resolved));
  return app;
}

export function wikiRoutes(deps: WikiSiteDeps): Hono {
  const app = new Hono();
  const bySlugParam = (c: Context) => deps.wikis.findBySlug(c.req.param('slug') ?? '');
  const documents = discoveryDocuments(deps, bySlugParam);
  app.use('/.well-known/*', publicCors);
  // RFC 8414 §3.1 path insertion for the issuer `$PUBLIC_URL/w/{slug}`, and the OIDC variant.
  app.get('/.well-known/oauth-authorization-server/w/:slug', documents.authorizationServer);
  app.get('/.well-known/openid-configuration/w/:slug', documents.authorizationServer);
  // RFC 9728 §3.1 path insertion for the resource `$PUBLIC_URL/w/{slug}/mcp`.
  app.get('/.well-known/oauth-protected-resource/w/:slug/mcp', documents.protectedResource);
  app.route('/w/:slug', wikiSite(deps, bySlugParam));
  app.get('/w/:slug/', (c) => c.redirect(`/w/${encodeURIComponent(c.req.param('slug'))}`, 301));
  return app;
}

/** Host mode: requests whose Host is `{slug}.$WIKI_DOMAIN` are served by that wiki's site. */
export function wikiHostRoutes(deps: WikiSiteDeps): Hono | undefined {
  const { config, wikis } = deps;
  if (!config.wikiDomain) return undefined;
  const wikiOf = async (c: Context) => {
    const slug = slugOfHost(config, new URL(c.req.url).hostname);
    return slug ? wikis.findBySlug(slug) : undefined;
  };
  const app = new Hono();
  // The platform app hands this request's id over with it (src/web/app.tsx).
  app.use((c, next) => {
    c.set('requestId', (c.env as { requestId?: string } | undefined)?.requestId ?? randomUUID());
    return next();
  });
  if (deps.metrics !== noMetrics) app.use(requestMetrics(deps.metrics));
  const { protectedResource } = discoveryDocuments(deps, wikiOf);
  app.use('/.well-known/*', publicCors);
  app.get('/.well-known/oauth-protected-resource/mcp', protectedResource);
  app.get('/.well-known/oauth-protected-resource', protectedResource);
  app.route('/', wikiSite(deps, wikiOf));
  return app;
}

export function isWikiHost(deps: WikiSiteDeps, c: Context): boolean {
  return Boolean(deps.config.wikiDomain && new URL(c.req.url).hostname.endsWith(`.${deps.config.wikiDomain}`));
}
