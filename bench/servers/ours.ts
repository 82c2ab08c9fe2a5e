// Our server, in its own process, started the way `robot serve` does, plus the fixture every flow
// needs: one user who owns one wiki and is logged in (a platform session minted like a real sign-in
// would, so the benchmark needs no atproto network).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config.ts';
import { startServer } from '../../src/main.ts';
import { SESSION_COOKIE } from '../../src/session/cookies.ts';
import { serveDriver } from './protocol.ts';

const SLUG = 'bench';
const USER = { did: 'did:plc:benchbenchbenchbenchbenc', username: 'bench', handle: 'bench.example.com' };

// PUBLIC_URL (and so every issuer URL) is derived from PORT, so the port is chosen before startup.
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'robot-bench-'));
// SQLite in the data dir: the default, WAL + synchronous=NORMAL (src/store/database.ts).
const config = loadConfig({ PORT: String(await freePort()), DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
const running = await startServer(config);
const { deps } = running.platform;

const now = deps.now();
await deps.users.create(deps.database.db, USER, now);
await deps.wikis.create({ slug: SLUG, ownerDid: USER.did, displayName: 'Bench' }, now);
const { token } = await deps.sessions.mint(deps.database.db, USER, now);

const base = `/w/${SLUG}`;
serveDriver(
  { type: 'ready', origin: running.url, issuer: `${config.publicUrl}${base}`, resource: `${config.publicUrl}${base}/mcp`, cookie: `${SESSION_COOKIE}=${token}` },
  async () => {
    await running.close();
    rmSync(dataDir, { recursive: true, force: true });
  },
);
