// `npm run bench:mcp`: what authentication costs an MCP call. `tools/call read_note` against our real
// endpoint with a valid OAuth access token ("bearer"), and the same call against the same tools and
// SDK transport without any authentication ("no auth", bench/servers/mcp-no-auth.ts), in one run, with
// the method of bench/authserver.ts (bench/harness.ts): each server its own child process pinned to
// one core, measured in turn, best round each. DESIGN.md §6: an authenticated MCP call within 15 % of
// the same call without auth. docs/benchmarks.md says how to read the output.
//
// Knobs (environment): those of bench/harness.ts (BENCH_ROUNDS defaults to 4 here; DATABASE_URL and
// BENCH_DATABASES choose the database, both servers on the same one). Diagnostics, which
// slow the servers down: BENCH_PROFILE=dir runs both servers with --cpu-prof, writing
// dir/bearer.cpuprofile and dir/no-auth.cpuprofile (summarise with bench/profile-summary.ts);
// BENCH_QUERIES=1 lists the SQL statements one call runs on each server.
import { CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY, LATEST_PROTOCOL_VERSION, PROTOCOL_VERSION_META_KEY } from '@modelcontextprotocol/server';
import {
  BenchError,
  benchDatabases,
  cpuMicrosPerOperation,
  expectStatus,
  machine,
  markdownTable,
  pinned,
  printQueries,
  range,
  runRounds,
  settingsFromEnv,
  startServer,
  summaryLine,
  type BenchDatabase,
  type Contender,
  type Operation,
  type Results,
  type RunningServer,
  type Workers,
} from './harness.ts';
import { Connection } from './http.ts';
import { PAGE_CONTENT, PAGE_PATH } from './servers/mcp-page.ts';
import type { McpReady } from './servers/protocol.ts';

// Two close numbers make the ratio, and rounds vary by up to ~15 % on a shared machine: more rounds
// than bench/authserver.ts by default (~70 s in all), each server's best counting.
const SETTINGS = settingsFromEnv({ rounds: 4 });
/** Bearer throughput against the unauthenticated call's: DESIGN.md §6 (within 15 %), and issues 10 and 14 (≥ 0.95×). */
const TARGETS = [
  { ratio: 0.85, source: '§6, within 15 %' },
  { ratio: 0.95, source: 'issues 10 and 14' },
];
/** The same call on the 2025 wire (after `initialize`) and on 2026-07-28 (per-request metadata, no handshake). */
const METRICS = ['read_note', 'read_note 2026'] as const;
type Metric = (typeof METRICS)[number];
const MODERN_REVISION = '2026-07-28';

const SERVERS = {
  bearer: 'bench/servers/mcp-bearer.ts',
  'no auth': 'bench/servers/mcp-no-auth.ts',
} as const;
type ServerName = keyof typeof SERVERS;

interface Target {
  origin: string;
  mcpPath: string;
}

/**
 * The request both servers get, byte for byte (but the JSON-RPC id), and the bearer token, which "no
 * auth" ignores. On the 2025 wire: the headers an MCP client sends after initialising over stateless
 * Streamable HTTP. On 2026-07-28: what SDK 2 sends, the revision, client info and capabilities in the
 * request's `_meta`, and the method and tool name repeated in headers.
 */
function readNote(metric: Metric, token: string, id: number): { method: 'POST'; headers: Record<string, string>; body: string } {
  const common = { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const params = { name: 'read_note', arguments: { path: PAGE_PATH } };
  if (metric === 'read_note')
    return {
      method: 'POST',
      headers: { ...common, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION },
      body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params }),
    };
  const _meta = { [PROTOCOL_VERSION_META_KEY]: MODERN_REVISION, [CLIENT_INFO_META_KEY]: { name: 'bench', version: '1' }, [CLIENT_CAPABILITIES_META_KEY]: {} };
  return {
    method: 'POST',
    headers: { ...common, 'mcp-protocol-version': MODERN_REVISION, 'mcp-method': 'tools/call', 'mcp-name': 'read_note' },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { ...params, _meta } }),
  };
}

/** One call, checked: HTTP 200, the JSON-RPC answer to this id, no tool error, and the page's exact text. */
async function call(metric: Metric, connection: Connection, target: Target, token: string, id: number): Promise<void> {
  const response = await connection.request(target.mcpPath, readNote(metric, token, id));
  expectStatus(response, [200], 'tools/call read_note');
  const answer = JSON.parse(response.body) as {
    id?: number;
    error?: { code?: number };
    result?: { isError?: boolean; content?: { type: string; text: string }[] };
  };
  if (answer.error) throw new BenchError(`tools/call read_note: JSON-RPC error ${answer.error.code}`);
  if (answer.id !== id || answer.result?.isError || answer.result?.content?.[0]?.type !== 'text')
    throw new BenchError('tools/call read_note: not a successful tool result');
  const note = JSON.parse(answer.result.content[0].text) as { path?: string; content?: string };
  if (note.path !== PAGE_PATH || note.content !== PAGE_CONTENT) throw new BenchError('tools/call read_note: not the page text');
}

/** Each worker: its own keep-alive connection, its own increasing JSON-RPC ids. */
function workersFor(token: string) {
  return async (metric: Metric, target: Target): Promise<Workers> => {
    const connections = range(SETTINGS.concurrency).map(() => new Connection(target.origin));
    return {
      workers: connections.map((connection) => {
        let id = 0;
        return () => {
          id += 1;
          return call(metric, connection, target, token, id);
        };
      }),
      close: () => {
        for (const connection of connections) connection.close();
      },
    };
  };
}

/** Before measuring: both answer the call, and the bearer endpoint really does authenticate (401 without the token). */
async function check(name: ServerName, target: Target, token: string): Promise<void> {
  const connection = new Connection(target.origin);
  try {
    for (const metric of METRICS) await call(metric, connection, target, token, 1);
    if (name === 'bearer') {
      const { headers, ...request } = readNote('read_note', token, 2);
      const { authorization: _omitted, ...anonymous } = headers;
      expectStatus(await connection.request(target.mcpPath, { ...request, headers: anonymous }), [401], 'tools/call without a token');
    }
    console.log(`  ${name}: ready; read_note returns the ${Buffer.byteLength(PAGE_CONTENT)}-byte page`);
  } finally {
    connection.close();
  }
}

async function benchBoth(database: BenchDatabase): Promise<Results<Metric>> {
  const servers: RunningServer<McpReady>[] = [];
  const contenders: Contender<Target>[] = [];
  try {
    for (const name of Object.keys(SERVERS) as ServerName[]) {
      const profile = SETTINGS.profileDir
        ? ['--cpu-prof', `--cpu-prof-dir=${SETTINGS.profileDir}`, `--cpu-prof-name=${name.replace(' ', '-')}.cpuprofile`]
        : [];
      const server = await startServer<McpReady>(name, SERVERS[name], database, profile);
      servers.push(server);
      contenders.push({ name, server, target: { origin: server.ready.origin, mcpPath: server.ready.mcpPath } });
    }
    // Only the bearer server mints a token; "no auth" is sent the very same one.
    const token = servers[0]!.ready.token;
    if (!token) throw new BenchError('bearer: no access token');
    for (const { name, target } of contenders) await check(name as ServerName, target, token);
    const countQueries = process.env.BENCH_QUERIES
      ? ({ name, server }: Contender<Target>, _metric: string, workers: Operation[]) => printQueries(name, server, workers[0]!)
      : undefined;
    return await runRounds(SETTINGS, contenders, [...METRICS], workersFor(token), countQueries);
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

const DATABASES = benchDatabases();
console.log(machine(SETTINGS, ['@modelcontextprotocol/server', 'hono', '@hono/node-server', 'better-sqlite3', 'pg', 'jose'], DATABASES));
if (!pinned) console.warn('warning: could not pin processes to cores');
for (const database of DATABASES) {
  if (DATABASES.length > 1) console.log(`\n${database.name}:`);
  const results = await benchBoth(database);
  console.log(summaryLine(SETTINGS) + (DATABASES.length > 1 ? `; ${database.name}` : ''));
  const rows = [['call', 'server', 'calls /s', 'server CPU per call', 'bearer ÷ no auth']];
  const ratios = new Map<Metric, number>();
  for (const metric of METRICS) {
    const bearer = results.get('bearer')!.get(metric)!;
    const noAuth = results.get('no auth')!.get(metric)!;
    ratios.set(metric, bearer.perSecond / noAuth.perSecond);
    rows.push([metric, 'bearer', bearer.perSecond.toFixed(0), `${cpuMicrosPerOperation(bearer).toFixed(0)} µs`, `${ratios.get(metric)!.toFixed(2)}×`]);
    rows.push([metric, 'no auth', noAuth.perSecond.toFixed(0), `${cpuMicrosPerOperation(noAuth).toFixed(0)} µs`, '1.00×']);
  }
  console.log(markdownTable(rows));
  for (const metric of METRICS) {
    // The CPU difference is what the bearer path adds per call: the platform's middleware and routing,
    // credential parsing, token verification, the grant and role lookups, the scope check.
    const overhead = cpuMicrosPerOperation(results.get('bearer')!.get(metric)!) - cpuMicrosPerOperation(results.get('no auth')!.get(metric)!);
    const ratio = ratios.get(metric)!;
    console.log(`\n${metric}: bearer − no auth: ${overhead.toFixed(0)} µs of server CPU per call`);
    for (const target of TARGETS) {
      console.log(
        `target (${target.source}): bearer ≥ ${target.ratio.toFixed(2)}× no auth: ${ratio >= target.ratio ? 'met' : `MISSED (${ratio.toFixed(3)}×)`}`,
      );
    }
  }
}
