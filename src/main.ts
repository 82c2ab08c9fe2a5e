// Composition root: config → database → keys → atproto client → app → listen; graceful shutdown.
import { createAdaptorServer, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Hono } from 'hono';
import { createAtprotoClient, clientMetadata } from './atproto/client.ts';
import { AtprotoLogin, type AtprotoClientPort } from './atproto/login.ts';
import { atprotoStateStore } from './atproto/stores.ts';
import type { Config } from './config/config.ts';
import { loadOrCreateAtprotoClientKey, loadOrCreatePlatformKeys, nowSeconds, publicPart } from './keys/keystore.ts';
import { createLogger, type Logger } from './log.ts';
import { cookieJar } from './session/cookies.ts';
import { platformJwt } from './session/platform-jwt.ts';
import { sessionService } from './session/sessions.ts';
import { migrateToLatest, openDatabase } from './store/database.ts';
import { pendingSignupStore } from './store/pending-signups.ts';
import { platformSessionStore } from './store/platform-sessions.ts';
import { sweepExpired } from './store/sweeper.ts';
import { userStore } from './store/users.ts';
import { createApp } from './web/app.tsx';
import type { AppDeps } from './web/deps.ts';

/** Clock skew tolerated when deciding a retired key's tokens have all expired. */
const CLOCK_SKEW_SECONDS = 60;
const SWEEP_INTERVAL_MS = 5 * 60 * 1000;

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
}

export async function createPlatform(config: Config, options: PlatformOptions = {}): Promise<Platform> {
  const log = options.log ?? createLogger(config.logLevel);
  const now = options.now ?? nowSeconds;
  if (config.atproto.allowInsecure) {
    log.warn('DANGEROUSLY_ALLOW_INSECURE_ATPROTO is on: http and private addresses are allowed for atproto servers. Use only with a local test network.');
  }

  const database = await openDatabase(config.databaseUrl);
  try {
    await migrateToLatest(database.db);
    const platformKeys = await loadOrCreatePlatformKeys(config.platformKeysFile, config.sessionTtlSeconds + CLOCK_SKEW_SECONDS);
    const clientKey = config.atprotoClientMode === 'confidential' ? await loadOrCreateAtprotoClientKey(config.atproto.clientKeyFile) : undefined;
    const client = options.atprotoClient ?? (await createAtprotoClient(config, database, clientKey, now));
    const cookies = cookieJar(config);
    const deps: AppDeps = {
      config,
      log,
      database,
      users: userStore(database.db),
      pendingSignups: pendingSignupStore(database.db),
      cookies,
      sessions: sessionService(platformJwt(platformKeys, config.publicUrl, config.sessionTtlSeconds), platformSessionStore(database.db), cookies, config.sessionTtlSeconds, log),
      login: new AtprotoLogin(client, atprotoStateStore(database.db, now), log, {
        allowInsecure: config.atproto.allowInsecure,
        authMethod: config.atprotoClientMode === 'confidential' ? 'private_key_jwt' : 'none',
      }),
      atprotoClientMetadata: clientMetadata(config, clientKey),
      atprotoClientJwks: { keys: clientKey ? [publicPart(clientKey, clientKey.kid)] : [] },
      platformJwks: { keys: platformKeys.published.map((key) => key.publicJwk) },
      now,
    };
    const sweep = () =>
      sweepExpired(database.db, now()).then(
        (counts) => log.debug({ event: 'sweep', counts }, 'expired rows swept'),
        (error) => log.warn({ err: error }, 'sweep failed'),
      );
    const timer = setInterval(sweep, SWEEP_INTERVAL_MS);
    timer.unref();
    return {
      app: createApp(deps),
      deps,
      async close() {
        clearInterval(timer);
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

export interface RunningServer {
  platform: Platform;
  server: ServerType;
  url: string;
  close(): Promise<void>;
}

/** Creates the platform and listens; `close()` stops accepting, drains, then closes the database. */
export async function startServer(config: Config, options: PlatformOptions = {}): Promise<RunningServer> {
  const platform = await createPlatform(config, options);
  // Headers over 16 KiB are refused with 431 before any route runs (catalogue IN-01).
  const server = createAdaptorServer({ fetch: platform.app.fetch, serverOptions: { maxHeaderSize: 16 * 1024 } });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  platform.deps.log.info({ event: 'listening', url: `http://${host}:${address.port}`, publicUrl: config.publicUrl, database: platform.deps.database.dialect, atprotoClient: config.atprotoClientMode }, 'robot.wtf is listening');
  return {
    platform,
    server,
    url: `http://${host}:${address.port}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      });
      await platform.close();
    },
  };
}
