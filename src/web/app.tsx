// Assembles the web application: middleware, routes, and the ONE error → response mapper.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Hono, type Context, type ErrorHandler, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { contextStorage } from 'hono/context-storage';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { sql } from 'kysely';
import { atprotoRoutes } from '../atproto/routes.tsx';
import { publishedJwks } from '../keys/keystore.ts';
import { isWikiHost, wikiHostRoutes, wikiRoutes } from '../authserver/routes.ts';
import { AppError, internalError, storeUnavailable } from '../errors/app-error.ts';
import { redactUrl } from '../log.ts';
import { cliConfirmRoutes } from '../rpc/confirm-routes.tsx';
import { isStoreUnavailable } from '../store/errors.ts';
import { sessionRoutes } from '../session/routes.tsx';
import { dashboardRoutes } from '../dashboard/routes.tsx';
import { apiRoutes } from '../api/routes.ts';
import { adminRoutes } from '../admin/routes.tsx';
import { accountRoutes } from '../account/routes.tsx';
import type { AppDeps } from './deps.ts';
import { refuseHostileUrls } from '../http/input-guard.ts';
import { requestTarget } from '../http/request-target.ts';
import { requestMetrics } from '../http/request-metrics.ts';
import { noMetrics } from '../metrics.ts';
import { responseEnvelope, type HeaderList } from '../http/response-envelope.ts';
import { slugOfHost } from '../wiki/urls.ts';
import { ErrorPage } from '../http/pages.tsx';
import { provideViewer, type Viewer } from '../http/viewer.ts';
import { sessionCsrf } from '../session/csrf.ts';
import { LandingPage } from './landing-page.tsx';

const require = createRequire(import.meta.url);
const CSS = 'text/css; charset=utf-8';
const STATIC_FILES: Record<string, { body: string; type: string }> = {
  'pico.min.css': { body: readFileSync(require.resolve('@picocss/pico/css/pico.min.css'), 'utf8'), type: CSS },
  'app.css': { body: readFileSync(new URL('./static/app.css', import.meta.url), 'utf8'), type: CSS },
  'app.js': { body: readFileSync(new URL('./static/app.js', import.meta.url), 'utf8'), type: 'text/javascript; charset=utf-8' },
  'wiki.css': { body: readFileSync(new URL('./static/wiki.css', import.meta.url), 'utf8'), type: CSS },
};

/**
 * On every answer unless its route set its own (catalogue CS-03). The policy allows our own files only:
 * src/web/static/app.js and the wiki editor's bundle (src/wiki/editor-bundle.ts), which also fetches its
 * previews from us; no inline script, no other origin. The login form's answer is a redirect to the
 * user's account server, which may be anywhere.
 */
function securityHeaders(config: AppDeps['config']): HeaderList {
  const formAction = ["'self'", 'https:', ...(config.atproto.allowInsecure ? ['http:'] : [])].join(' ');
  const policy = `default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`;
  return [
    ['Content-Security-Policy', policy],
    ['Cross-Origin-Opener-Policy', 'same-origin'],
    ['Cross-Origin-Resource-Policy', 'same-origin'],
    ['Origin-Agent-Cluster', '?1'],
    ['Referrer-Policy', 'no-referrer'],
    ['Strict-Transport-Security', 'max-age=15552000; includeSubDomains'],
    ['X-Content-Type-Options', 'nosniff'],
    ['X-DNS-Prefetch-Control', 'off'],
    ['X-Download-Options', 'noopen'],
    ['X-Frame-Options', 'DENY'],
    ['X-Permitted-Cross-Domain-Policies', 'none'],
    ['X-XSS-Protection', '0'],
  ];
}

/** Catalogue "Body caps": form posts are small; anything bigger is refused before parsing (IN-01). */
const FORM_BODY_LIMIT = 4 * 1024;

const nothingHere = () => new AppError('not_found', 404, 'There is nothing at this address.', 'Not found');

export function createApp(deps: AppDeps): Hono {
  const { config, log } = deps;
  const app = new Hono();
  const onError: ErrorHandler = (error, c) => {
    const appError =
      error instanceof AppError
        ? error
        : error instanceof HTTPException
          ? fromHttpException(error)
          : isStoreUnavailable(error)
            ? storeUnavailable()
            : internalError();
    const requestId = c.get('requestId') as string | undefined;
    if (appError.code === 'server_error') {
      // Details go to the log only; the response carries just a correlation id (catalogue IN-05).
      log.error({ err: error, requestId }, 'unhandled error');
    }
    return respondWithError(c, appError, requestId, config.publicUrl);
  };
  // Answered, not thrown: Hono calls the not-found handler below the middleware, so a throw would
  // unwind through the response envelope and the page would go out without its framing headers (CS-03).
  const notFound = (c: Context) => onError(nothingHere(), c);

  // Outermost, so every answer carries its request id and the security headers, errors included.
  app.use(responseEnvelope(securityHeaders(config)));
  // Pages read who is looking (the header bar) from the request being answered (src/http/viewer.ts).
  // A POST to a machine endpoint (MCP, the OAuth back channel) renders no page, so it skips both.
  const storeContext = contextStorage();
  app.use((c, next) => {
    if (c.req.method === 'POST' && isMachineEndpoint(c.req.path)) return next();
    // The header bar is not worth an error page: if the session cannot be read (a store outage while
    // the error page itself renders), the page shows "Log in" and the request's own answer stands.
    provideViewer(c, () =>
      viewerOf(deps, c).catch((error: unknown) => {
        log.warn({ err: error, requestId: c.get('requestId') }, 'header bar: the session could not be read');
        return undefined;
      }),
    );
    return storeContext(c, next);
  });
  const wikiHost = wikiHostRoutes(deps);
  // Layers that would only call next() are not installed: each costs every request a few µs
  // (docs/benchmarks.md). Without METRICS_PORT nothing is counted.
  if (deps.metrics !== noMetrics) app.use(requestMetrics(deps.metrics, wikiHost && ((c) => isWikiHost(deps, c))));
  // The access line is info level, and LOG_LEVEL is fixed at startup: below it (warn) there is no layer.
  const accessLog: MiddlewareHandler = async (c, next) => {
    const started = performance.now();
    await next();
    const { pathname, search } = requestTarget(c.req.url);
    log.info(
      {
        event: 'http',
        method: c.req.method,
        url: redactUrl(`${pathname}${search}`),
        status: c.res.status,
        ms: Math.round(performance.now() - started),
        requestId: c.get('requestId'),
      },
      'request',
    );
  };
  if (log.isLevelEnabled('info')) app.use(accessLog);
  // Before any route, the wiki host's included: a path or query that is not clean text is a 400 (IN-06).
  app.use(refuseHostileUrls);
  // Styles first: wiki hosts (host mode) render pages with them too.
  app.get('/static/:file', (c) => {
    const file = STATIC_FILES[c.req.param('file')];
    if (file === undefined) throw nothingHere();
    return c.body(file.body, 200, { 'Content-Type': file.type, 'Cache-Control': 'public, max-age=86400' });
  });
  // Host mode: a wiki's own origin serves only that wiki (issuer, MCP endpoint, web view). It
  // is its own Hono app, so it is handed this request's id (its audit events carry it, DESIGN.md §5)
  // and maps errors like everything else.
  if (wikiHost) {
    wikiHost.notFound(notFound);
    wikiHost.onError(onError);
    app.use(async (c, next) =>
      isWikiHost(deps, c) ? wikiHost.fetch(c.req.raw, { ...(c.env as Record<string, unknown>), requestId: c.get('requestId') }) : next(),
    );
  }
  // Cookie-authenticated POSTs must come from our own pages (Origin check, catalogue decision 4).
  app.use('/auth/*', csrf({ origin: config.publicUrl }));
  app.use('/app/*', csrf({ origin: config.publicUrl }));
  app.use('/admin/*', csrf({ origin: config.publicUrl }));
  app.on(
    'POST',
    ['/auth/*', '/app/*', '/admin/*'],
    bodyLimit({
      maxSize: FORM_BODY_LIMIT,
      onError: () => {
        throw new AppError('payload_too_large', 413, 'That request is too large.', 'Too large');
      },
    }),
  );

  app.get('/healthz', async (c) => {
    await sql`select 1`.execute(deps.database.db);
    return c.json({ status: 'ok' }, 200, { 'Cache-Control': 'no-store' });
  });

  // Caddy's on-demand TLS asks before it obtains a certificate for a name (deploy/Caddyfile): the
  // platform's own host and the hosts of wikis that exist get one, nothing else under the domain.
  app.get('/tls/allowed', async (c) => {
    const domain = c.req.query('domain') ?? '';
    const slug = slugOfHost(config, domain);
    const known = domain === new URL(config.publicUrl).hostname || (slug !== undefined && (await deps.wikis.findBySlug(slug)) !== undefined);
    return c.body(null, known ? 200 : 404, { 'Cache-Control': 'no-store' });
  });

  app.get('/.well-known/jwks.json', (c) => c.json(publishedJwks(deps.platformKeys), 200, { 'Cache-Control': 'public, max-age=300' }));
  app.get('/', async (c) => c.html(<LandingPage signedIn={(await viewerOf(deps, c)) !== undefined} />));

  app.route('/', wikiRoutes(deps));
  app.route('/', atprotoRoutes(deps));
  app.route('/', sessionRoutes(deps));
  app.route('/', dashboardRoutes(deps));
  app.route('/', accountRoutes(deps));
  app.route('/', adminRoutes(deps));
  app.route('/', cliConfirmRoutes(deps));
  // Bearer credentials only, never the cookie: outside the CSRF guard above by design (src/api/credentials.ts).
  app.route('/', apiRoutes(deps));

  app.notFound(notFound);

  app.onError(onError);
  return app;
}

/**
 * The signed-in person, for the header bar. The logout form's token goes only into pages on the
 * platform's own origin; a wiki host (host mode) links to the logout page instead.
 */
async function viewerOf(deps: AppDeps, c: Context): Promise<Viewer | undefined> {
  const claims = await deps.sessions.current(c, deps.now());
  const user = claims ? await deps.users.findByDid(claims.sub) : undefined;
  if (!claims || !user) return undefined;
  return { username: user.username, csrf: isWikiHost(deps, c) ? undefined : sessionCsrf(claims.sid), admin: deps.config.adminDids.has(user.did) };
}

/** Middleware refusals (hono's csrf guard answers 403) keep their status, with our wording. */
function fromHttpException(error: HTTPException): AppError {
  if (error.status >= 500) return internalError();
  if (error.status === 403)
    return new AppError(
      'forbidden',
      403,
      'This request did not come from a robot.wtf page, so it was refused. Go back, reload the page and try again.',
      'Request refused',
    );
  if (error.status === 413) return new AppError('payload_too_large', 413, 'That request is too large.', 'Too large');
  return new AppError('bad_request', 400, 'The request could not be understood.', 'Bad request');
}

/** A wiki's own address: under `/w/{slug}` (path mode) or at a wiki host's root. */
const WIKI_BASE = '(?:/w/[^/]+)?';

/**
 * Machine endpoints (metadata, keys, OAuth back channel, MCP): they answer errors in JSON, whatever the
 * request accepts. Anchored, because a wiki page may be called `data.json` or `mcp`.
 */
const MACHINE_PATHS = [
  /^\/\.well-known\//,
  /^\/auth\/(?:me|jwks\.json|client-metadata\.json)$/,
  /^\/healthz$/,
  /^\/api\/v1\/openapi\.json$/,
  new RegExp(`^${WIKI_BASE}/mcp$`),
  new RegExp(`^${WIKI_BASE}/oauth/(?:token|revoke|introspect|register|jwks\\.json)$`),
];

const isMachineEndpoint = (path: string) => MACHINE_PATHS.some((pattern) => pattern.test(path));

function wantsJson(c: Context): boolean {
  const accept = c.req.header('accept') ?? '';
  return isMachineEndpoint(c.req.path) || accept.startsWith('application/json');
}

function respondWithError(c: Context, error: AppError, requestId: string | undefined, platform: string): Response | Promise<Response> {
  c.header('Cache-Control', 'no-store');
  if (wantsJson(c)) return c.json({ error: error.code, error_description: error.message }, error.status);
  const retryAfter = error.status === 503 ? { 'Retry-After': '30' } : error.status === 429 ? { 'Retry-After': '60' } : undefined;
  return c.html(
    <ErrorPage title={error.title} message={error.message} requestId={error.status >= 500 ? requestId : undefined} platform={platform} />,
    error.status,
    retryAfter,
  );
}
