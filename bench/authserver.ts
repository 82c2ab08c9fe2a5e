// `npm run bench`: authorization-server throughput, ours against oidc-provider, same run, same driver.
// Each server is its own child process pinned to one core and is measured on its own (the other
// idles); this driver is pinned to the other core and talks keep-alive HTTP to 127.0.0.1 only.
// docs/benchmarks.md says what each metric is and how to read the output.
//
// Knobs (environment): those of bench/harness.ts (BENCH_SECONDS, BENCH_WARMUP, BENCH_PROCESS_WARMUP,
// BENCH_ROUNDS, BENCH_CONCURRENCY, DATABASE_URL, BENCH_DATABASES), and BENCH_ONLY (ours | oidc-provider), BENCH_METRICS (comma list of
// code, refresh, registration). Diagnostics, which slow the servers down, so not for reported numbers:
// BENCH_PROFILE=dir runs our server with --cpu-prof (summarise with bench/profile-summary.ts);
// BENCH_QUERIES=1 lists the SQL statements one operation runs on each server.
import { formField } from '../test/helpers/html.ts';
import { createHash, randomBytes } from 'node:crypto';
import { REGISTRATION_RATE_LIMIT } from '../src/authserver/registration.ts';
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
  type Measurement,
  type Results,
  type Operation,
  type RunningServer,
  type Workers,
} from './harness.ts';
import { Connection, CookieJar, form, json, type HttpResponse } from './http.ts';
import type { Ready } from './servers/protocol.ts';

const SETTINGS = settingsFromEnv();
const CONCURRENCY = SETTINGS.concurrency;
const PROFILE_DIR = SETTINGS.profileDir;
const ONLY = process.env.BENCH_ONLY;
const COUNT_QUERIES = Boolean(process.env.BENCH_QUERIES);
const DATABASES = benchDatabases();

const REDIRECT_URI = 'https://app.example/callback';
const SCOPE = 'wiki:read wiki:write';
/** DESIGN.md §6, per server core on SQLite. */
const TARGETS: Record<Metric, number | undefined> = { 'code flow': 1500, refresh: 3000, registration: undefined };
type Metric = 'code flow' | 'refresh' | 'registration';
const METRIC_KEYS: Record<string, Metric> = { code: 'code flow', refresh: 'refresh', registration: 'registration' };
const METRICS: Metric[] = process.env.BENCH_METRICS
  ? process.env.BENCH_METRICS.split(',').map(
      (key) =>
        METRIC_KEYS[key.trim()] ??
        (() => {
          throw new Error(`BENCH_METRICS: unknown metric ${key}`);
        })(),
    )
  : Object.values(METRIC_KEYS);

const SERVERS = {
  ours: 'bench/servers/ours.ts',
  'oidc-provider': 'bench/servers/oidc-provider.ts',
} as const;
type ServerName = keyof typeof SERVERS;

// ---------------------------------------------------------------------------------------------
// The protocol work, identical for both servers; only the endpoints (from discovery) differ.

interface Target {
  name: ServerName;
  ready: Ready;
  authorize: string;
  token: string;
  register: string;
  /** The flows' client, registered once with DCR, and the browser cookies of the approving user. */
  clientId: string;
  cookie: string;
}

function pathOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

function registrationBody() {
  return {
    client_name: 'Bench',
    redirect_uris: [REDIRECT_URI],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  };
}

async function register(connection: Connection, registerPath: string): Promise<string> {
  const response = await connection.request(registerPath, json(registrationBody()));
  expectStatus(response, [201], 'registration');
  const clientId = (JSON.parse(response.body) as { client_id?: string }).client_id;
  if (!clientId) throw new BenchError('registration: no client_id');
  return clientId;
}

interface Pkce {
  verifier: string;
  challenge: string;
  state: string;
}

function pkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url'), state: randomBytes(8).toString('base64url') };
}

function authorizePath(target: Target, { challenge, state }: Pkce): string {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: target.clientId,
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    resource: target.ready.resource,
  });
  return `${target.authorize}?${query}`;
}

/** The code from a redirect back to the client, or undefined when the redirect goes elsewhere. */
function codeFrom(location: string | undefined, state: string): string | undefined {
  if (!location?.startsWith(`${REDIRECT_URI}?`)) return undefined;
  const params = new URL(location).searchParams;
  if (params.get('error')) throw new BenchError(`authorize: error ${params.get('error')}`);
  if (params.get('state') !== state) throw new BenchError('authorize: state mismatch');
  return params.get('code') ?? undefined;
}

interface Tokens {
  access_token: string;
  refresh_token: string;
}

function tokensFrom(response: HttpResponse, what: string): Tokens {
  expectStatus(response, [200], what);
  const body = JSON.parse(response.body) as Partial<Tokens> & { token_type?: string };
  if (!body.access_token || !body.refresh_token || body.token_type?.toLowerCase() !== 'bearer') throw new BenchError(`${what}: incomplete token response`);
  return body as Tokens;
}

/**
 * One complete code flow with remembered consent: the authorization request (already logged in,
 * consent already given, so straight back to the client with a code), then the code redeemed with
 * its PKCE verifier and the resource. Returns the tokens.
 */
async function codeFlow(connection: Connection, target: Target): Promise<Tokens> {
  const request = pkce();
  const authorized = await connection.request(authorizePath(target, request), { headers: { cookie: target.cookie } });
  expectStatus(authorized, [302, 303], 'authorize');
  const code = codeFrom(authorized.headers.location, request.state);
  if (!code) throw new BenchError('authorize: no code (consent not remembered?)');
  const redeemed = await connection.request(
    target.token,
    form({
      grant_type: 'authorization_code',
      code,
      code_verifier: request.verifier,
      redirect_uri: REDIRECT_URI,
      client_id: target.clientId,
      resource: target.ready.resource,
    }),
  );
  return tokensFrom(redeemed, 'token (code)');
}

/** One refresh grant; the rotated refresh token replaces the presented one. */
async function refresh(connection: Connection, target: Target, refreshToken: string): Promise<string> {
  const response = await connection.request(
    target.token,
    form({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: target.clientId, resource: target.ready.resource }),
  );
  const tokens = tokensFrom(response, 'token (refresh)');
  if (tokens.refresh_token === refreshToken) throw new BenchError('refresh: the refresh token was not rotated');
  return tokens.refresh_token;
}

// ---------------------------------------------------------------------------------------------
// Setup: discovery, one DCR client, and one approval so that later requests skip consent.

async function prepare(name: ServerName, ready: Ready): Promise<Target> {
  const connection = new Connection(ready.origin);
  try {
    const discovery = await connection.request(pathOf(`${ready.issuer}/.well-known/openid-configuration`));
    expectStatus(discovery, [200], 'discovery');
    const metadata = JSON.parse(discovery.body) as { authorization_endpoint: string; token_endpoint: string; registration_endpoint: string };
    const target: Target = {
      name,
      ready,
      authorize: pathOf(metadata.authorization_endpoint),
      token: pathOf(metadata.token_endpoint),
      register: pathOf(metadata.registration_endpoint),
      clientId: '',
      cookie: ready.cookie ?? '',
    };
    target.clientId = await register(connection, target.register);
    target.cookie = ready.cookie ? await approveOnConsentPage(connection, target) : await approveThroughInteraction(connection, target);

    // The measured shape must hold: straight to a code now, and a JWT access token for the resource.
    const tokens = await codeFlow(connection, target);
    const [header, payload] = tokens.access_token
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>);
    const audience = ([] as unknown[]).concat(payload?.aud);
    if (header?.alg !== 'ES256' || !audience.includes(ready.resource)) throw new BenchError(`${name}: access token is not an ES256 JWT for the resource`);
    console.log(`  ${name}: ready; access tokens are ${String(header.typ ?? 'JWT')} ${header.alg}, aud = resource, plus a refresh token`);
    return target;
  } finally {
    connection.close();
  }
}

/** Ours: the user is logged in (seeded session); approve once on the consent page. */
async function approveOnConsentPage(connection: Connection, target: Target): Promise<string> {
  const request = pkce();
  const page = await connection.request(authorizePath(target, request), { headers: { cookie: target.cookie } });
  expectStatus(page, [200], 'authorize (consent page)');
  // The consent form's own fields: the header bar's log-out form comes first on the page.
  const field = (name: string) => formField(page.body, '/oauth/consent', name);
  const action = /<form[^>]*action="([^"]*\/oauth\/consent)"/.exec(page.body)?.[1];
  const requestId = field('request_id');
  const csrf = field('csrf');
  if (!action || !requestId || !csrf) throw new BenchError('consent page: form not found');
  const consent = form({ request_id: requestId, csrf, decision: 'approve' });
  // A browser posting our own page's form sends Origin (or Sec-Fetch-Site: same-origin).
  const approved = await connection.request(action.replace(/&amp;/g, '&'), {
    ...consent,
    headers: { ...consent.headers, cookie: target.cookie, origin: new URL(target.ready.issuer).origin },
  });
  expectStatus(approved, [303], 'consent');
  if (!codeFrom(approved.headers.location, request.state)) throw new BenchError('consent: no code');
  return target.cookie;
}

/** oidc-provider: follow the login and consent interactions with a cookie jar; keep its cookies. */
async function approveThroughInteraction(connection: Connection, target: Target): Promise<string> {
  const jar = new CookieJar();
  const request = pkce();
  let path = authorizePath(target, request);
  for (let hop = 0; hop < 10; hop += 1) {
    const response = await connection.request(path, { headers: { cookie: jar.header() } });
    jar.store(response);
    expectStatus(response, [302, 303], 'interaction');
    const location = new URL(response.headers.location!, target.ready.origin).href;
    if (codeFrom(location, request.state)) return jar.header();
    path = pathOf(location);
  }
  throw new BenchError('interaction: too many redirects');
}

/** Hands out distinct loopback source addresses 127.1.0.1, 127.1.0.2, … (all of 127/8 is local on Linux). */
let nextAddress = 1 << 16;
function loopbackAddress(): string {
  while ((nextAddress & 0xff) === 0 || (nextAddress & 0xff) === 0xff) nextAddress += 1;
  const n = nextAddress++;
  return `127.${(n >> 16) & 0xff}.${(n >> 8) & 0xff}.${n & 0xff}`;
}

async function workersFor(metric: Metric, target: Target): Promise<Workers> {
  const connections: Connection[] = [];
  const open = (localAddress?: string) => {
    const connection = new Connection(target.ready.origin, localAddress);
    connections.push(connection);
    return connection;
  };
  const close = () => {
    for (const connection of connections) connection.close();
  };
  if (metric === 'code flow') {
    return {
      workers: range(CONCURRENCY).map(() => {
        const connection = open();
        return async () => void (await codeFlow(connection, target));
      }),
      close,
    };
  }
  if (metric === 'refresh') {
    // Each worker chains its own refresh family, started by one (unmeasured) code flow.
    const workers = await Promise.all(
      range(CONCURRENCY).map(async () => {
        const connection = open();
        let token = (await codeFlow(connection, target)).refresh_token;
        return async () => {
          token = await refresh(connection, target, token);
        };
      }),
    );
    return { workers, close };
  }
  // Registration: our server allows REGISTRATION_RATE_LIMIT registrations per peer address per
  // minute and trusts no forwarding header, so each worker moves to a fresh 127.x.y.z source address
  // (a new connection) after that many. The peer gets the very same traffic.
  return {
    workers: range(CONCURRENCY).map(() => {
      let connection = open(loopbackAddress());
      let used = 0;
      return async () => {
        if (used === REGISTRATION_RATE_LIMIT) {
          connection.close();
          connection = open(loopbackAddress());
          used = 0;
        }
        used += 1;
        await register(connection, target.register);
      };
    }),
    close,
  };
}

// ---------------------------------------------------------------------------------------------

/** Starts every server and measures them in turn (bench/harness.ts `runRounds`); stops them all. */
async function benchAll(names: ServerName[], database: BenchDatabase) {
  const servers: RunningServer[] = [];
  const contenders: Contender<Target>[] = [];
  try {
    for (const name of names) {
      // Only our server is profiled: BENCH_PROFILE is for finding our hotspots.
      const server = await startServer<Ready>(
        name,
        SERVERS[name],
        database,
        PROFILE_DIR && name === 'ours' ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [],
      );
      servers.push(server);
      contenders.push({ name, server, target: await prepare(name, server.ready) });
    }
    const countQueries = COUNT_QUERIES
      ? ({ name, server }: Contender<Target>, metric: Metric, workers: Operation[]) => printQueries(`${name}, ${metric}`, server, workers[0]!)
      : undefined;
    return await runRounds(SETTINGS, contenders, METRICS, workersFor, countQueries);
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

const rate = (m: Measurement | undefined) => (m === undefined ? '–' : m.perSecond.toFixed(0));
const cpu = (m: Measurement | undefined) => (m === undefined ? '–' : `${cpuMicrosPerOperation(m).toFixed(0)} µs`);
const ratio = (a: Measurement | undefined, b: Measurement | undefined) => (a && b ? `${(a.perSecond / b.perSecond).toFixed(2)}×` : '–');

function table(ours: Map<Metric, Measurement>, peer: Map<Metric, Measurement>): string {
  const rows = [['metric', 'ours /s', 'oidc-provider /s', 'ours ÷ peer', 'server CPU per op, ours', 'oidc-provider', 'target (§6)', 'ours vs target']];
  for (const metric of METRICS) {
    const a = ours.get(metric);
    const target = TARGETS[metric];
    rows.push([
      metric,
      rate(a),
      rate(peer.get(metric)),
      ratio(a, peer.get(metric)),
      cpu(a),
      cpu(peer.get(metric)),
      target === undefined ? '–' : `≥ ${target}`,
      target === undefined || a === undefined ? '–' : a.perSecond >= target ? 'met' : `MISSED (${((a.perSecond / target) * 100).toFixed(0)} %)`,
    ]);
  }
  return markdownTable(rows);
}

/** Each server on PostgreSQL against itself on SQLite (BENCH_DATABASES=sqlite,postgres). */
function dialectTable(sqlite: Results<Metric>, postgres: Results<Metric>): string {
  const rows = [['metric', 'ours SQLite /s', 'ours PG /s', 'ours PG ÷ SQLite', 'peer SQLite /s', 'peer PG /s', 'peer PG ÷ SQLite']];
  for (const metric of METRICS) {
    const [a, b, c, d] = [sqlite.get('ours'), postgres.get('ours'), sqlite.get('oidc-provider'), postgres.get('oidc-provider')].map((results) =>
      results?.get(metric),
    );
    rows.push([metric, rate(a), rate(b), ratio(b, a), rate(c), rate(d), ratio(d, c)]);
  }
  return markdownTable(rows);
}

console.log(machine(SETTINGS, ['better-sqlite3', 'pg', 'oidc-provider', 'jose'], DATABASES));
if (!pinned) console.warn('warning: could not pin processes to cores');
const byDatabase = new Map<string, Results<Metric>>();
for (const database of DATABASES) {
  if (DATABASES.length > 1) console.log(`\n${database.name}:`);
  const results = await benchAll(
    (Object.keys(SERVERS) as ServerName[]).filter((name) => !ONLY || name === ONLY),
    database,
  );
  byDatabase.set(database.name, results);
  console.log(summaryLine(SETTINGS) + (DATABASES.length > 1 ? `; ${database.name}` : ''));
  console.log(table(results.get('ours') ?? new Map(), results.get('oidc-provider') ?? new Map()));
}
const [sqlite, postgres] = [byDatabase.get('sqlite'), byDatabase.get('postgres')];
if (sqlite && postgres) {
  console.log("\nPostgreSQL against SQLite (the PostgreSQL server's own processes are not pinned to a core, and their CPU time is in no figure above)");
  console.log(dialectTable(sqlite, postgres));
}
