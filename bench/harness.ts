// What every benchmark driver here shares (bench/authserver.ts, bench/mcp.ts): pinning the driver and
// the server children to cores, starting a server child and talking bench/servers/protocol.ts to it,
// the timed measurement loop, alternating rounds between servers, and the printed report.
// docs/benchmarks.md describes the method.
//
// Knobs (environment), the same for every benchmark (see `Settings`): BENCH_SECONDS, BENCH_WARMUP,
// BENCH_PROCESS_WARMUP, BENCH_ROUNDS, BENCH_CONCURRENCY, BENCH_PROFILE; and the database the servers
// persist to (see `benchDatabases`): DATABASE_URL, BENCH_DATABASES.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpResponse } from './http.ts';
import { isPostgresUrl } from './servers/database.ts';
import type { ChildMessage, DriverMessage, ReadyBase } from './servers/protocol.ts';

export interface Settings {
  /** BENCH_SECONDS: measured seconds per metric, server and round (default 6). */
  seconds: number;
  /** BENCH_WARMUP: unmeasured seconds before each measurement (default 1). */
  warmup: number;
  /** BENCH_PROCESS_WARMUP: unmeasured load per metric on each fresh server process first, so that V8 has optimised every path (default 3). */
  processWarmup: number;
  /** BENCH_CONCURRENCY: requests in flight, one keep-alive connection each (default 16). */
  concurrency: number;
  /** BENCH_ROUNDS: measurements per metric and server; the best counts (default 2). */
  rounds: number;
  /** BENCH_PROFILE: a directory for the servers' `--cpu-prof` output (diagnostics only). */
  profileDir: string | undefined;
}

/** The knobs from the environment; a benchmark may choose other defaults (the environment still wins). */
export function settingsFromEnv(defaults: Partial<Settings> = {}): Settings {
  const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  return {
    seconds: number('BENCH_SECONDS', defaults.seconds ?? 6),
    warmup: number('BENCH_WARMUP', defaults.warmup ?? 1),
    processWarmup: number('BENCH_PROCESS_WARMUP', defaults.processWarmup ?? 3),
    concurrency: number('BENCH_CONCURRENCY', defaults.concurrency ?? 16),
    rounds: number('BENCH_ROUNDS', defaults.rounds ?? 2),
    profileDir: process.env.BENCH_PROFILE,
  };
}

const root = fileURLToPath(new URL('..', import.meta.url));

// ---------------------------------------------------------------------------------------------
// Databases. The servers persist to SQLite in a temporary directory by default; with a postgres://
// DATABASE_URL each server child creates a fresh database on that PostgreSQL server and drops it when
// it stops (bench/servers/database.ts). BENCH_DATABASES=sqlite,postgres runs the whole benchmark once
// per database in one go, PostgreSQL at DATABASE_URL if that is a postgres:// URL, else at
// DEFAULT_POSTGRES_URL.

export interface BenchDatabase {
  name: 'sqlite' | 'postgres';
  /** Passed to the server children as DATABASE_URL. */
  url: string;
}

export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export function benchDatabases(): BenchDatabase[] {
  const given = process.env.DATABASE_URL;
  const postgresUrl = isPostgresUrl(given) ? given : undefined;
  const named = (name: string): BenchDatabase => {
    if (name === 'sqlite') return { name, url: 'sqlite:' };
    if (name === 'postgres') return { name, url: postgresUrl ?? DEFAULT_POSTGRES_URL };
    throw new Error(`BENCH_DATABASES: unknown database ${name} (sqlite, postgres)`);
  };
  if (process.env.BENCH_DATABASES) return process.env.BENCH_DATABASES.split(',').map((name) => named(name.trim()));
  return [named(postgresUrl ? 'postgres' : 'sqlite')];
}

/** How a database is named in the output: never with a password. */
export function describeDatabase({ name, url }: BenchDatabase): string {
  if (name === 'sqlite') return 'SQLite (WAL, synchronous=NORMAL) in a temporary directory';
  const server = new URL(url);
  return `PostgreSQL at ${server.hostname}:${server.port || 5432} (a fresh database per server process)`;
}

// ---------------------------------------------------------------------------------------------
// Cores: the driver on CPU 0, each server on CPU 1, so a server gets exactly one core (its libuv
// threadpool included: threads inherit the affinity). Done on import, before any server starts.

const cores = os.availableParallelism();
export const pinned = cores >= 2 && hasTaskset();

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

if (pinned) execFileSync('taskset', ['-a', '-cp', '0', String(process.pid)], { stdio: 'ignore' });

// ---------------------------------------------------------------------------------------------
// Server child processes (bench/servers/*.ts, which call serveDriver).

export interface RunningServer<R extends ReadyBase = ReadyBase> {
  ready: R;
  /** The child's process.cpuUsage() (user + system), µs. */
  cpuMicros(): Promise<number>;
  queryCounts(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

/** Every server runs with the flags `robot serve` runs with (bin/robot.mjs says why). */
export const SERVER_NODE_FLAGS = ['--experimental-async-context-frame'];

/**
 * Starts `script` (relative to the repository root) under tsx, pinned to the server core, persisting to
 * `database`; `nodeArgs` go before the script.
 */
export async function startServer<R extends ReadyBase>(
  name: string,
  script: string,
  database: BenchDatabase,
  nodeArgs: string[] = [],
): Promise<RunningServer<R>> {
  const args = ['--import', 'tsx', ...SERVER_NODE_FLAGS, ...nodeArgs, script];
  const [command, commandArgs] = pinned ? ['taskset', ['-c', '1', process.execPath, ...args]] : [process.execPath, args];
  const env = { ...process.env, DATABASE_URL: database.url };
  const child: ChildProcess = spawn(command, commandArgs, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waiters: ((message: ChildMessage) => void)[] = [];
  child.on('message', (message: ChildMessage) => waiters.shift()?.(message));
  const next = <T extends ChildMessage['type']>(type: T) =>
    new Promise<Extract<ChildMessage, { type: T }>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: no ${type} message`)), 60_000);
      waiters.push((message) => {
        clearTimeout(timer);
        if (message.type === type) resolve(message as Extract<ChildMessage, { type: T }>);
        else reject(new Error(`${name}: expected ${type}, got ${message.type}`));
      });
    });
  const send = (message: DriverMessage) => child.send(message);
  const ready = (await Promise.race([next('ready'), exited.then(() => Promise.reject(new Error(`${name} exited during startup`)))])) as R;
  return {
    ready,
    async cpuMicros() {
      const answer = next('cpu');
      send({ type: 'cpu' });
      return (await answer).micros;
    },
    async queryCounts() {
      const answer = next('queries');
      send({ type: 'queries' });
      return (await answer).counts;
    },
    async stop() {
      if (child.connected) send({ type: 'stop' });
      await exited;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Checking responses without ever printing a body (bodies may carry tokens).

export class BenchError extends Error {}

export function expectStatus(response: HttpResponse, allowed: number[], what: string): void {
  if (allowed.includes(response.status)) return;
  // Only the status and an OAuth-style error code.
  let error = '';
  try {
    const code = (JSON.parse(response.body) as { error?: unknown }).error;
    if (typeof code === 'string') error = code;
  } catch {
    // an HTML page
  }
  throw new BenchError(`${what}: HTTP ${response.status} ${error}`.trim());
}

// ---------------------------------------------------------------------------------------------
// The measurement loop: the given workers, each on its own keep-alive connection, repeat one
// operation; completions during the warm-up seconds are discarded, then `seconds` are counted.

export type Operation = () => Promise<void>;

/** One operation per worker, and how to close the workers' connections afterwards. */
export interface Workers {
  workers: Operation[];
  close(): void;
}

export interface Measurement {
  perSecond: number;
  /** Share of one core the server process used during the measured window. */
  serverCpu: number;
  /** Share of one core this driver used during the measured window. */
  driverCpu: number;
}

/** Server CPU time per operation, µs. */
export const cpuMicrosPerOperation = (m: Measurement) => (m.serverCpu * 1e6) / m.perSecond;

export async function measure(server: RunningServer, workers: Operation[], warmupSeconds: number, seconds: number): Promise<Measurement> {
  const started = performance.now();
  const warmEnd = started + warmupSeconds * 1000;
  const end = warmEnd + seconds * 1000;
  let counted = 0;
  let failure: unknown;
  // CPU time of both processes when the warm-up ends, to report how busy each was while counted.
  let timer: NodeJS.Timeout | undefined;
  const window = new Promise<{ cpu: number; driver: number; at: number }>((resolve, reject) => {
    timer = setTimeout(() => server.cpuMicros().then((cpu) => resolve({ cpu, driver: driverMicros(), at: performance.now() }), reject), warmEnd - started);
  });
  await Promise.all(
    workers.map(async (operation) => {
      while (failure === undefined && performance.now() < end) {
        try {
          await operation();
        } catch (error) {
          failure ??= error;
          return;
        }
        const now = performance.now();
        if (now >= warmEnd && now <= end) counted += 1;
      }
    }),
  );
  if (failure !== undefined) {
    clearTimeout(timer);
    window.catch(() => {});
    throw failure;
  }
  const first = await window;
  const finishedAt = performance.now();
  const cpu = await server.cpuMicros();
  const driver = driverMicros();
  const elapsedMicros = (finishedAt - first.at) * 1000;
  return { perSecond: counted / seconds, serverCpu: (cpu - first.cpu) / elapsedMicros, driverCpu: (driver - first.driver) / elapsedMicros };
}

function driverMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);

// ---------------------------------------------------------------------------------------------
// Rounds: every server runs side by side (each pinned to the server core, the idle ones costing
// nothing) and is measured in turn, metric by metric and round by round, so that anything else busy
// on this machine hits all alike. Interference only ever lowers a rate, so each server's best round counts.

export interface Contender<T> {
  name: string;
  server: RunningServer;
  target: T;
}

export type Results<M extends string> = Map<string, Map<M, Measurement>>;

export async function runRounds<M extends string, T>(
  settings: Settings,
  contenders: Contender<T>[],
  metrics: M[],
  workersFor: (metric: M, target: T) => Promise<Workers>,
  /** Called after each measurement of round 1 with that measurement's workers (still open). */
  afterFirstRound?: (contender: Contender<T>, metric: M, workers: Operation[]) => Promise<void>,
): Promise<Results<M>> {
  const best: Results<M> = new Map(contenders.map(({ name }) => [name, new Map()]));
  for (const metric of metrics) {
    for (const { server, target } of contenders) {
      const { workers, close } = await workersFor(metric, target);
      await measure(server, workers, 0, settings.processWarmup).finally(close);
    }
  }
  for (const metric of metrics) {
    for (let round = 1; round <= settings.rounds; round += 1) {
      for (const contender of contenders) {
        const { name, server, target } = contender;
        const { workers, close } = await workersFor(metric, target);
        try {
          const result = await measure(server, workers, settings.warmup, settings.seconds);
          const previous = best.get(name)!.get(metric);
          if (!previous || result.perSecond > previous.perSecond) best.get(name)!.set(metric, result);
          // Below ~90 % the server was not the bottleneck: something else ran on its core, or waited.
          const flag = result.serverCpu < 0.9 ? '  (server core not saturated)' : '';
          console.log(
            `  ${metric.padEnd(12)} round ${round}  ${name.padEnd(13)} ${result.perSecond.toFixed(0).padStart(6)}/s   server CPU ${(result.serverCpu * 100).toFixed(0).padStart(3)} %, driver CPU ${(result.driverCpu * 100).toFixed(0).padStart(3)} %${flag}`,
          );
          if (afterFirstRound && round === 1) await afterFirstRound(contender, metric, workers);
        } finally {
          close();
        }
      }
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Diagnostics.

const QUERY_SAMPLE = 100;

/** BENCH_QUERIES: the statements one operation runs, averaged over QUERY_SAMPLE sequential ones (bench/servers/count-queries.ts). */
export async function printQueries(label: string, server: RunningServer, operation: Operation): Promise<void> {
  const before = await server.queryCounts();
  for (let i = 0; i < QUERY_SAMPLE; i += 1) await operation();
  const after = await server.queryCounts();
  const perOperation = Object.entries(after)
    .map(([key, count]) => [key, (count - (before[key] ?? 0)) / QUERY_SAMPLE] as const)
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1]);
  const kindOf = (key: string) => {
    const sql = key.slice(6);
    if (/^begin\b/i.test(sql)) return 'transaction';
    if (/^(commit|rollback|savepoint|release)\b/i.test(sql)) return 'control';
    return key.startsWith('read') ? 'read' : 'write';
  };
  const total = (kind: string) => perOperation.filter(([key]) => kindOf(key) === kind).reduce((sum, [, count]) => sum + count, 0);
  console.log(
    `    ${label}: ${total('read').toFixed(1)} reads, ${total('write').toFixed(1)} writes, ${total('transaction').toFixed(1)} explicit transactions per operation`,
  );
  for (const [key, count] of perOperation) console.log(`    ${count.toFixed(2).padStart(5)}  ${key.slice(0, 150)}`);
}

// ---------------------------------------------------------------------------------------------
// The report.

export const loadAverage = () =>
  os
    .loadavg()
    .map((load) => load.toFixed(2))
    .join(' ');

/** The machine, the versions of `packages`, the databases and the method's parameters. */
export function machine(settings: Settings, packages: string[], databases: BenchDatabase[]): string {
  // Read from node_modules directly: some packages (hono) do not export their package.json.
  const version = (name: string) => (JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  return [
    `${cores} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}`,
    [`node ${process.version}`, ...packages.map((name) => `${name} ${version(name)}`)].join(', '),
    `database: ${databases.map(describeDatabase).join('; then ')}`,
    pinned ? 'driver pinned to CPU 0, each server to CPU 1 (taskset)' : 'NOT pinned (needs 2+ cores and taskset): numbers are not per core',
    `concurrency ${settings.concurrency}; per server: ${settings.processWarmup} s unmeasured load per metric, then ${settings.rounds} round(s) of ${settings.warmup} s warm-up + ${settings.seconds} s measured per metric; keep-alive HTTP/1.1 over 127.0.0.1`,
    `load average before the run ${loadAverage()} (other work on this machine lowers the numbers)`,
  ].join('\n');
}

/** `best of N rounds; load average at the end …`, printed before the results table. */
export const summaryLine = ({ rounds }: Settings) => `\nbest of ${rounds} round${rounds === 1 ? '' : 's'}; load average at the end ${loadAverage()}`;

export { markdownTable } from './markdown-table.ts';
