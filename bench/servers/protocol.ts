// Messages between the benchmark driver and a server child process (Node IPC channel).
import { countQueries, queryCounts } from './count-queries.ts';

// Before the server opens its database: statements prepared earlier would not be counted.
if (process.env.BENCH_QUERIES) countQueries();

/** Sent once by the child when it listens and its fixtures are in place; each benchmark adds its fields. */
export interface ReadyBase {
  type: 'ready';
  /** Where to connect: always http://127.0.0.1:port. */
  origin: string;
}

/** bench/authserver.ts's servers. */
export interface Ready extends ReadyBase {
  /** The issuer; the driver reads its endpoints from `{issuer}/.well-known/openid-configuration`. */
  issuer: string;
  /** The resource indicator (the MCP URL) access tokens are bound to. */
  resource: string;
  /** Ours only: the seeded user's platform session cookie (the browser is already logged in). */
  cookie?: string;
}

/** bench/mcp.ts's servers. */
export interface McpReady extends ReadyBase {
  /** Path of the wiki's MCP endpoint on `origin`. */
  mcpPath: string;
  /** The bearer server only: a valid access token for that endpoint (never printed). */
  token?: string;
}

export interface CpuTime {
  type: 'cpu';
  /** process.cpuUsage() user + system, microseconds. */
  micros: number;
}

/** BENCH_QUERIES mode: statements run so far, by kind and SQL text. */
export interface QueryCounts {
  type: 'queries';
  counts: Record<string, number>;
}

export type ChildMessage = ReadyBase | CpuTime | QueryCounts;
export type DriverMessage = { type: 'cpu' } | { type: 'queries' } | { type: 'stop' };

/** Child side: answer CPU-time probes and stop cleanly (so --cpu-prof can write its profile). */
export function serveDriver<R extends ReadyBase>(ready: R, stop: () => Promise<void>): void {
  const send = (message: ChildMessage) => process.send!(message);
  let stopping = false;
  const exit = () => {
    if (stopping) return;
    stopping = true;
    void stop().finally(() => process.exit(0));
  };
  process.on('message', (message: DriverMessage) => {
    if (message.type === 'cpu') {
      const usage = process.cpuUsage();
      send({ type: 'cpu', micros: usage.user + usage.system });
    } else if (message.type === 'queries') {
      send({ type: 'queries', counts: queryCounts() });
    } else if (message.type === 'stop') {
      exit();
    }
  });
  // An orphaned child (driver crashed) must not keep a core busy or a port open.
  process.on('disconnect', exit);
  send(ready);
}
