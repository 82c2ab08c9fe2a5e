// Composition root: config → database → keys → atproto client → app → listen; graceful shutdown.
// What only some requests need — the atproto OAuth client, the outbound fetch, the Connect service —
// is loaded at its first use (./lazy.ts): an idle server holds ≈ 60 MB less (docs/benchmarks.md).
// Configuration is still checked here, at startup.
import { getRequestListener } from '@hono/node-server';
import { createServer, type Server } from 'node:http';
import { createServer as createH2cServer, type Http2Server, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Hono } from 'hono';
import { lazyAtprotoClient } from './atproto/lazy-client.ts';
import { AtprotoLogin, type AtprotoClientPort } from './atproto/login.ts';
import { assertValidClientMetadata, clientMetadata } from './atproto/metadata.ts';
import { atprotoStateStore } from './store/atproto-oauth.ts';
import { longestPlatformTokenSeconds, type Config } from './config/config.ts';
import { CLOCK_SKEW_SECONDS } from './keys/jwt-verifier.ts';
import { loadOrCreateAtprotoClientKey, loadOrCreatePlatformKeys, loadOrCreateSecret, nowSeconds, publicKeysByKid, publicPart } from './keys/keystore.ts';
import { createLogger, type Logger } from './log.ts';
import { noMetrics, prometheusMetrics, type Metrics, type MetricsEndpoint } from './metrics.ts';
import { CliLogins } from './rpc/cli-logins.ts';
import { localLoginEvents, postgresLoginEvents, type LoginEvents } from './rpc/login-events.ts';
import { cookieJar } from './http/cookies.ts';
import { CLI_JWT_TYPE, PLATFORM_JWT_TYPE, platformJwt, type TokenKind } from './session/platform-jwt.ts';
import { sessionService } from './session/sessions.ts';
import { clientResolver } from './authserver/clients.ts';
import { lazily } from './lazy.ts';
import type { Resolver } from './net/resolver.ts';
import { cliLoginStore } from './store/cli-logins.ts';
import { codeStore, grantStore } from './store/grants.ts';
import { refreshTokenStore } from './store/refresh-tokens.ts';
import { oauthClientStore } from './store/oauth-clients.ts';
import { wikiStore } from './store/wikis.ts';
import { pageStore } from './store/pages.ts';
import { wikiTokenStore } from './store/wiki-tokens.ts';
import { personalTokenStore } from './store/personal-tokens.ts';
import { bearerVerifier } from './mcp/bearer.ts';
import { wikiPages } from './wiki/pages.ts';
import { wikiAttachments } from './wiki/attachments.ts';
import { attachmentStore } from './store/attachments.ts';
import { databaseBlobStore } from './store/attachment-blobs.ts';
import { configuredEmbedder } from './embeddings/configured.ts';
import { chunkStore } from './store/chunks.ts';
import { indexInBackground, semanticIndex } from './wiki/semantic-index.ts';
import { wikiSemanticSearch } from './wiki/semantic-search.ts';
import { migrateToLatest, openDatabase, type StatementFaults } from './store/database.ts';
import { pendingSignupStore } from './store/pending-signups.ts';
import { rateLimitStore } from './store/rate-limits.ts';
import { platformSessionStore } from './store/platform-sessions.ts';
import { sweepExpired } from './store/sweeper.ts';
import { userStore } from './store/users.ts';
import { adminStore } from './store/admin.ts';
import { accountStore } from './store/accounts.ts';
import { auditEventStore } from './store/audit-events.ts';
import { inviteStore } from './store/invites.ts';
import { createApp } from './web/app.tsx';
import type { AppDeps } from './web/deps.ts';
import { memoryRateLimiters, storeRateLimiters } from './http/rate-limit.ts';

const SWEEP_INTERVAL_MS = 5 * 60 * 1000;
/** How often queued pages are embedded; a search also embeds its own wiki's queue first. */
const SEMANTIC_INDEX_INTERVAL_MS = 5_000;

export interface Platform {
  app: Hono;
  deps: AppDeps;
  close(): Promise<void>;
}

export interface PlatformOptions {
  log?: Logger;
  now?: () => number;
  /** Tests replace the atproto client to provoke faults a real PDS will not produce. */
  atprotoClient?: AtprotoClientPort;
  /** Test seam: fails chosen statements of the platform's database (catalogue DB-01..04). */
  databaseFaults?: StatementFaults;
  /** Test seam: answers the host-name look-ups of outbound fetches instead of DNS (catalogue SS-01, SS-02). */
  resolver?: Resolver;
  /** Prometheus hooks (startServer makes them when METRICS_PORT is set); the log's events are counted too. */
  metrics?: Metrics;
}

export async function createPlatform(config: Config, options: PlatformOptions = {}): Promise<Platform> {
  const metrics = options.metrics ?? noMetrics;
  const log = options.log ?? createLogger(config.logLevel, undefined, options.metrics?.event);
  const now = options.now ?? nowSeconds;
  if (config.atproto.allowInsecure) {
    log.warn('DANGEROUSLY_ALLOW_INSECURE_ATPROTO is on: http and private addresses are allowed for atproto servers. Use only with a local test network.');
  }

  const database = await openDatabase(config.databaseUrl, options.databaseFaults);
  let events: LoginEvents | undefined;
  try {
    await migrateToLatest(database.db);
    const retireAfter = longestPlatformTokenSeconds(config) + CLOCK_SKEW_SECONDS;
    const platformKeys = await loadOrCreatePlatformKeys(config.platformKeysFile, retireAfter);
    const clientKey = config.atprotoClientMode === 'confidential' ? await loadOrCreateAtprotoClientKey(config.atproto.clientKeyFile) : undefined;
    const atprotoClientMetadata = clientMetadata(config, clientKey);
    assertValidClientMetadata(atprotoClientMetadata);
    const client =
      options.atprotoClient ??
      lazyAtprotoClient(async () => (await import('./atproto/client.ts')).createAtprotoClient(config, database, clientKey, now, options.resolver));
    // Client ID Metadata Documents are fetched only for clients not seen before.
    const outboundFetch = lazily(async () =>
      (await import('./net/hardened-fetch.ts')).hardenedFetch(config.atproto.allowInsecure, { lookup: options.resolver?.lookup }),
    );
    const cookies = cookieJar(config);
    const users = userStore(database.db);
    const oauthClients = oauthClientStore(database.db);
    const tokenKind = (typ: TokenKind['typ'], ttlSeconds: number) => platformJwt(platformKeys, config.publicUrl, { typ, ttlSeconds }, now);
    const tokens = {
      browser: tokenKind(PLATFORM_JWT_TYPE, config.sessionTtlSeconds),
      cli: tokenKind(CLI_JWT_TYPE, config.cliTokenTtlSeconds),
    };
    const sessions = sessionService(tokens, platformSessionStore(database.db), cookies, config.sessionTtlSeconds, log);
    const login = new AtprotoLogin(client, atprotoStateStore(database.db, now), log, {
      allowInsecure: config.atproto.allowInsecure,
      authMethod: config.atprotoClientMode === 'confidential' ? 'private_key_jwt' : 'none',
    });
    const wikis = wikiStore(database.db, database.dialect);
    const pageRows = pageStore(database.db);
    const codes = codeStore(database);
    const wikiTokens = wikiTokenStore(database.db);
    events = database.dialect === 'postgres' ? await postgresLoginEvents(config.databaseUrl, log) : localLoginEvents();
    // One process on SQLite counts in memory; instances sharing PostgreSQL count together there.
    const rateLimits = database.dialect === 'postgres' ? storeRateLimiters(rateLimitStore(database.sql), log, now) : memoryRateLimiters(now);
    const pages = wikiPages(pageRows, config.pageLimits, now);
    const embedder = configuredEmbedder(config.embeddings);
    const chunks = chunkStore(database.sql);
    const index = semanticIndex(chunks, embedder, now);
    const semantic = wikiSemanticSearch({ chunks, index, embedder, fullText: pages.search, log, now });
    const deps: AppDeps = {
      config,
      log,
      metrics,
      database,
      users,
      pendingSignups: pendingSignupStore(database.db),
      cookies,
      sessions,
      login,
      cliLogins: new CliLogins({
        store: cliLoginStore(database),
        events,
        login,
        users,
        sessions,
        log,
        rateLimits,
        now,
      }),
      wikis,
      pages,
      attachments: wikiAttachments(
        pageRows,
        attachmentStore(database.db, database.dialect),
        databaseBlobStore(database.sql),
        { attachmentBytes: config.attachmentMaxBytes, wikiBytes: config.pageLimits.wikiBytes },
        now,
      ),
      semantic,
      wikiTokens,
      personalTokens: personalTokenStore(database.db),
      verifyBearer: bearerVerifier({
        publicKeys: publicKeysByKid(platformKeys),
        isGrantActive: (grantId) => codes.isGrantActive(grantId),
        findWikiToken: (hash) => wikiTokens.findByHash(hash),
        touchWikiToken: (id, at) => wikiTokens.touch(id, at),
        maxLifetimeSeconds: config.accessTokenTtlSeconds,
        now,
      }),
      oauthClients,
      clients: clientResolver({
        clients: oauthClients,
        fetch: async (input, init) => (await outboundFetch())(input, init),
        allowInsecure: config.atproto.allowInsecure,
        log,
        now,
      }),
      grants: grantStore(database),
      codes,
      refreshTokens: refreshTokenStore(database),
      refreshKey: loadOrCreateSecret(config.refreshKeyFile),
      platformKeys,
      rateLimits,
      atprotoClientMetadata,
      atprotoClientJwks: { keys: clientKey ? [publicPart(clientKey, clientKey.kid)] : [] },
      admin: adminStore(database.db),
      invites: inviteStore(database.db),
      auditEvents: auditEventStore(database.db),
      accounts: accountStore(database.db),
      now,
    };
    const sweep = () =>
      sweepExpired(database.db, now()).then(
        (counts) => log.debug({ event: 'sweep', counts }, 'expired rows swept'),
        (error) => log.warn({ err: error }, 'sweep failed'),
      );
    const timer = setInterval(sweep, SWEEP_INTERVAL_MS);
    timer.unref();
    const indexer = indexInBackground(index, log, SEMANTIC_INDEX_INTERVAL_MS);
    const loginEvents = events;
    return {
      app: createApp(deps),
      deps,
      async close() {
        clearInterval(timer);
        await indexer.stop();
        await loginEvents.close();
        await database.close();
      },
    };
  } catch (error) {
    await events?.close();
    await database.close();
    throw error;
  }
}

export interface RunningServer {
  platform: Platform;
  server: Server;
  url: string;
  /** The gRPC (h2c) listener's address when GRPC_PORT is set. */
  grpcUrl: string | undefined;
  /** The Prometheus listener's address when METRICS_PORT is set. */
  metricsUrl: string | undefined;
  close(): Promise<void>;
}

function listen(server: Server | Http2Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      resolve(`http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`);
    });
  });
}

/**
 * Where Connect requests for robot.auth.v1.AuthService start (proto/robot/auth/v1/auth.proto; the
 * generated service's typeName, as src/rpc/auth-service.ts `AUTH_SERVICE_PATH`). Spelled out here so
 * that routing them does not load the RPC stack before the first one.
 */
const AUTH_SERVICE_PATH = '/robot.auth.v1.AuthService/';

/** Long-lived AwaitLogin streams get this long to finish before their connections are cut. */
const DRAIN_MS = 2_000;

function stop(server: Server | Http2Server, sessions?: Set<ServerHttp2Session>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    if ('closeIdleConnections' in server) server.closeIdleConnections();
    for (const session of sessions ?? []) session.close();
    setTimeout(() => {
      if ('closeAllConnections' in server) server.closeAllConnections();
      for (const session of sessions ?? []) session.destroy();
    }, DRAIN_MS).unref();
  });
}

/**
 * Creates the platform and listens: web pages and the Connect AuthService on PORT, gRPC (h2c) on
 * GRPC_PORT. `close()` stops accepting, drains, then closes the database.
 */
export async function startServer(config: Config, options: PlatformOptions = {}): Promise<RunningServer> {
  // Its own listener: what the metrics reveal (routes, volumes, failures) is not for the public.
  const metrics: MetricsEndpoint | undefined = config.metricsPort === undefined ? undefined : await prometheusMetrics();
  const platform = await createPlatform(config, { ...options, metrics: metrics?.metrics });
  const { cliLogins, log, database } = platform.deps;
  if (metrics && database.poolStats) metrics.watchPool(database.poolStats);
  const rpc = lazily(() => import('./rpc/auth-service.ts'));
  const web = getRequestListener(platform.app.fetch);
  const connect = lazily(async () => (await rpc()).authServiceHandler(cliLogins, 'connect', config.trustedProxies, log));
  // Headers over 16 KiB are refused with 431 before any route runs (catalogue IN-01).
  const server = createServer({ maxHeaderSize: 16 * 1024 }, (request, response) => {
    if (!request.url?.startsWith(AUTH_SERVICE_PATH)) return web(request, response);
    // The request body waits, unread, until the handler is loaded.
    connect().then(
      (handler) => handler(request, response),
      (error: unknown) => {
        log.error({ err: error }, 'cannot load the RPC service');
        response.writeHead(503).end();
      },
    );
  });
  // A gRPC port is configured to be used: its stack loads at startup.
  const grpc = config.grpcPort === undefined ? undefined : createH2cServer((await rpc()).authServiceHandler(cliLogins, 'grpc', config.trustedProxies, log));
  const grpcSessions = new Set<ServerHttp2Session>();
  grpc?.on('session', (session) => {
    grpcSessions.add(session);
    session.once('close', () => grpcSessions.delete(session));
  });
  const url = await listen(server, config.port, config.host);
  const grpcUrl = grpc ? await listen(grpc, config.grpcPort!, config.host) : undefined;
  const metricsUrl = metrics ? await metrics.listen(config.metricsPort!, config.host) : undefined;
  platform.deps.log.info(
    {
      event: 'listening',
      url,
      grpcUrl,
      metricsUrl,
      publicUrl: config.publicUrl,
      database: platform.deps.database.dialect,
      atprotoClient: config.atprotoClientMode,
    },
    'robot.wtf is listening',
  );
  return {
    platform,
    server,
    url,
    grpcUrl,
    metricsUrl,
    async close() {
      await Promise.all([stop(server), grpc ? stop(grpc, grpcSessions) : undefined, metrics?.close()]);
      await platform.close();
    },
  };
}
