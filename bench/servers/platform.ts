// Our platform in a benchmark child process, started the way `robot serve` does (loadConfig +
// startServer from src/main.ts, a temporary DATA_DIR, LOG_LEVEL=warn) on the database the driver chose
// (./database.ts: a fresh PostgreSQL database, or SQLite in a temporary directory), with the fixture
// every benchmark needs: one user who owns one wiki. Used by ours.ts and the MCP servers.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { startServer, type RunningServer } from '../../src/main.ts';
import type { Wiki } from '../../src/store/wikis.ts';
import type { AppDeps } from '../../src/web/deps.ts';
import { freePort } from '../../test/helpers/platform.ts';
import { benchDatabase } from './database.ts';

export const SLUG = 'bench';
export const USER = { did: 'did:plc:benchbenchbenchbenchbenc', username: 'bench', handle: 'bench.example.com' };

export interface BenchPlatform {
  config: Config;
  running: RunningServer;
  deps: AppDeps;
  wiki: Wiki;
  /** The wiki's base path, `/w/{slug}` (path mode). */
  base: string;
  /** Closes the server, then deletes the data directory and the database. */
  close(): Promise<void>;
}

export async function startPlatform(): Promise<BenchPlatform> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'robot-bench-'));
  // SQLite: WAL + synchronous=NORMAL; PostgreSQL: a pool of 10 (src/store/database.ts).
  const database = await benchDatabase();
  // PUBLIC_URL (and so every issuer URL) is derived from PORT, so the port is chosen before startup.
  const config = loadConfig({ PORT: String(await freePort()), DATA_DIR: dataDir, DATABASE_URL: database.url, LOG_LEVEL: 'warn' });
  const running = await startServer(config);
  const { deps } = running.platform;

  const now = deps.now();
  await deps.users.create(USER, now);
  const wiki = await deps.wikis.create({ slug: SLUG, ownerDid: USER.did, displayName: 'Bench' }, now);
  return {
    config,
    running,
    deps,
    wiki,
    base: `/w/${SLUG}`,
    async close() {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
      await database.drop();
    },
  };
}
