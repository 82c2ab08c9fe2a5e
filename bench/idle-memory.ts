// `npm run bench:memory`: how much memory an idle `robot serve` holds. Starts the server exactly as
// `npm start` does (node bin/robot.mjs serve, through tsx) on a temporary DATA_DIR and a free port,
// waits for /healthz, lets it settle, and reads the process's resident set (VmRSS in
// /proc/<pid>/status); the median of several starts counts. Then, to show where the memory goes,
// the cost of importing single modules, each in a fresh `node --import tsx` against one that imports
// nothing. docs/benchmarks.md describes the method.
//
// Knobs (environment): BENCH_MEMORY_STARTS (default 3), BENCH_MEMORY_SETTLE (seconds after /healthz,
// default 5), BENCH_MEMORY_MODULES (0: skip the per-module costs; a comma list of import specifiers:
// weigh those instead of CANDIDATES), BENCH_MEMORY_SERVE (0: skip the server starts), DATABASE_URL (postgres://: a fresh
// database on that server, as the other benchmarks; default SQLite in the temporary DATA_DIR).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/platform.ts';
// Not from ./harness.ts, which pins this process to one core on import.
import { SERVER_NODE_FLAGS } from './harness.ts';
import { markdownTable } from './markdown-table.ts';
import { benchDatabase } from './servers/database.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const STARTS = Number(process.env.BENCH_MEMORY_STARTS ?? 3);
const SETTLE_MS = Number(process.env.BENCH_MEMORY_SETTLE ?? 5) * 1000;
const MODULES = process.env.BENCH_MEMORY_MODULES !== '0';
const SERVE = process.env.BENCH_MEMORY_SERVE !== '0';

/**
 * What to weigh one by one: the big dependencies, and our modules that pull them in. They share
 * dependencies (zod, jose, …), so the costs overlap and do not add up to the server's total.
 */
const CANDIDATES = [
  '@atproto/oauth-client-node',
  '@modelcontextprotocol/server',
  '@modelcontextprotocol/sdk/types.js',
  '@connectrpc/connect-node',
  '@bufbuild/protobuf',
  'kysely',
  'pg',
  'better-sqlite3',
  'hono',
  'jose',
  'pino',
  'zod',
  'micromark',
  'micromark-extension-gfm',
  './src/atproto/client.ts',
  './src/mcp/routes.ts',
  './src/rpc/auth-service.ts',
  './src/web/app.tsx',
  './src/main.ts',
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

/** VmRSS of a running process, KiB. */
function rssKiB(pid: number): number {
  const line = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!line) throw new Error(`no VmRSS for process ${pid}`);
  return Number(line[1]);
}

async function healthy(url: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 in time`);
    await sleep(100);
  }
}

/** One start of `robot serve`: its RSS once idle, KiB. */
async function idleServe(): Promise<number> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'robot-memory-'));
  const database = await benchDatabase();
  const port = await freePort();
  const env = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    DATABASE_URL: database.name === 'postgres' ? database.url : `sqlite:${path.join(dataDir, 'robot.sqlite')}`,
  };
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, 'bin/robot.mjs', 'serve'], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = once(child, 'exit');
  try {
    await Promise.race([
      healthy(`http://127.0.0.1:${port}/healthz`, Date.now() + 60_000),
      exited.then(() => Promise.reject(new Error('robot serve exited during startup'))),
    ]);
    await sleep(SETTLE_MS);
    return rssKiB(child.pid!);
  } finally {
    child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
    await database.drop();
  }
}

/** RSS of a fresh `node --import tsx` after importing `specifier` (or nothing), KiB. */
async function importCost(specifier: string | undefined): Promise<number> {
  const script = `${specifier ? `await import(${JSON.stringify(specifier)});` : ''} setTimeout(() => {}, 60_000); process.send('imported');`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const exited = once(child, 'exit');
  try {
    await Promise.race([once(child, 'message'), exited.then(() => Promise.reject(new Error(`importing ${specifier} failed`)))]);
    await sleep(500);
    return rssKiB(child.pid!);
  } finally {
    child.kill();
    await exited;
  }
}

async function medianOf(runs: number, measure: () => Promise<number>): Promise<{ median: number; all: number[] }> {
  const all: number[] = [];
  for (let i = 0; i < runs; i += 1) all.push(await measure());
  return { median: median(all), all };
}

console.log(`node ${process.version}, ${os.type()} ${os.release()}; ${STARTS} start(s), RSS read ${SETTLE_MS / 1000} s after /healthz answers`);
if (SERVE) {
  const serve = await medianOf(STARTS, idleServe);
  console.log(`idle robot serve: ${mib(serve.median)} RSS (median; runs ${serve.all.map(mib).join(', ')})`);
}

if (MODULES) {
  const base = await medianOf(STARTS, () => importCost(undefined));
  console.log(`\nnode --import tsx, importing nothing: ${mib(base.median)}; each module alone in a fresh process (median of ${STARTS}), costs overlap:`);
  const rows = [['module', 'RSS', 'cost']];
  const costs: [string, number][] = [];
  const candidates = process.env.BENCH_MEMORY_MODULES?.split(',').map((specifier) => specifier.trim()) ?? CANDIDATES;
  for (const specifier of candidates) costs.push([specifier, (await medianOf(STARTS, () => importCost(specifier))).median]);
  for (const [specifier, rss] of costs.sort((a, b) => b[1] - a[1])) rows.push([specifier, mib(rss), `+${mib(rss - base.median)}`]);
  console.log(markdownTable(rows));
}
