// The deployment, proven (issue 13): Caddy, from the shipped deploy/Caddyfile, terminating TLS with its
// internal CA for the platform and every wiki host (host mode, certificates on demand) in front of two
// `robot serve` processes on one PostgreSQL. A mixed load runs for a fixed time — browser logins, CLI
// logins, OAuth code flows, refreshes, MCP writes and reads — and one instance is killed with SIGKILL
// in the middle of it.
//
// Requirements: no write a client saw succeed is lost; every refresh-token family has at most one live
// token; every session issued before or after the crash still works; clients see errors only around
// the crash (the requests the dead instance held, while Caddy still picks it), never after; the survivor
// serves every kind of request afterwards. The load held is printed (docs/benchmarks.md records it).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import pg from 'pg';
import { AuthService } from '../../src/rpc/gen/robot/auth/v1/auth_pb.ts';
import { startCaddy, type Caddy } from '../helpers/caddy.ts';
import { browserSignsIn, collect, confirmInBrowser, newSecret, type AuthClient } from '../helpers/cli-login.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { FakeAtproto } from '../helpers/fake-atproto.ts';
import { formField } from '../helpers/html.ts';
import { TestClient } from '../helpers/http-client.ts';
import { loginThroughFake, signUp } from '../helpers/login-flow.ts';
import { codeIn, OAuthTestClient } from '../helpers/oauth-client.ts';
import { freePort } from '../helpers/platform.ts';
import { RobotProcess } from '../helpers/robot-process.ts';

const DOMAIN = 'robot.test';
const PLATFORM = `https://${DOMAIN}`;
const WIKI = `https://notes.${DOMAIN}`;
/** The load runs this long; instance A is killed this far into it. */
const LOAD_MS = 20_000;
const KILL_AT_MS = 8_000;
/**
 * How long after the kill clients may still see errors: requests the dead instance held, and Caddy
 * choosing it until its dial fails (retried on the survivor within lb_try_duration, 5 s) or its health
 * check (every 5 s) takes it out.
 */
const FAILOVER_MS = 7_000;
/** Logins are paced to stay inside the per-client budgets (30 login starts, 20 CLI logins a minute). */
const LOGIN_EVERY_MS = 2_000;

type Kind = 'browser login' | 'cli login' | 'code flow' | 'refresh' | 'mcp write' | 'mcp read';

interface Operation {
  kind: Kind;
  started: number;
  ended: number;
  error?: string;
}

class Load {
  readonly operations: Operation[] = [];
  readonly writes: { path: string; content: string }[] = [];
  /** Browsers holding a session, to check after the crash that none was lost. */
  readonly sessions: TestClient[] = [];
  /** Every refresh token a client was handed: at the end each family must have at most one live. */
  killedAt = Number.POSITIVE_INFINITY;

  constructor(readonly until: number) {}

  get running() {
    return Date.now() < this.until;
  }

  /** Runs one operation and records its outcome; a failure is recorded, never thrown. */
  async time<T>(kind: Kind, run: () => Promise<T>): Promise<T | undefined> {
    const started = Date.now();
    try {
      const value = await run();
      this.operations.push({ kind, started, ended: Date.now() });
      return value;
    } catch (error) {
      this.operations.push({ kind, started, ended: Date.now(), error: error instanceof Error ? error.message : String(error) });
      await new Promise((resolve) => setTimeout(resolve, 100));
      return undefined;
    }
  }

  /** Failures that overlap no part of the failover window. */
  errorsOutsideFailover(): Operation[] {
    return this.operations.filter((op) => op.error && !(op.ended >= this.killedAt && op.started <= this.killedAt + FAILOVER_MS));
  }
}

const ok = async (response: Response, what: string, status = 200): Promise<Response> => {
  if (response.status !== status) throw new Error(`${what}: ${response.status} ${(await response.text()).slice(0, 200)}`);
  return response;
};

describe('two instances on one PostgreSQL behind Caddy (TLS, host mode): mixed load and kill -9', () => {
  let fake: FakeAtproto;
  let database: TestDatabase;
  let dataDir: string;
  let caddy: Caddy;
  const instances: RobotProcess[] = [];
  let load: Load;
  let cli: AuthClient;
  let clientCounter = 0;

  /** A browser of carol's, through Caddy. */
  const browser = () => new TestClient(caddy.fetch, PLATFORM);
  const oauthClient = (person: TestClient) =>
    new OAuthTestClient({ issuer: WIKI, browser: person, backChannel: () => new TestClient(caddy.fetch, WIKI), redirectUri: 'http://127.0.0.1:9/callback' });

  /** A code flow: authorization (consent the first time), then the exchange; the token response. */
  async function codeFlow(oauth: OAuthTestClient, clientId: string, person: TestClient) {
    let response = await oauth.authorize(clientId);
    // The consent form is posted from the wiki's own page, so from the wiki's origin.
    if (response.status === 200) response = await oauth.consent(response, 'approve', person, { origin: WIKI });
    await ok(response, 'authorization', 303);
    const tokens = await (await ok(await oauth.redeem(clientId, codeIn(response)), 'code exchange')).json();
    return tokens as { access_token: string; refresh_token: string };
  }

  async function mcpCall(accessToken: string, name: string, args: Record<string, unknown>): Promise<any> {
    const transport = new StreamableHTTPClientTransport(new URL(`${WIKI}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${accessToken}` } },
      fetch: caddy.fetch,
    });
    const client = new Client({ name: 'deployment-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
      const text = (result.content[0] as { text: string }).text;
      if (result.isError) throw new Error(`${name}: ${text}`);
      return JSON.parse(text);
    } finally {
      await client.close();
    }
  }

  /**
   * The fake account server tells logins apart only by order (the helpers answer its latest pushed
   * request), so logins through it take turns; everything else runs concurrently.
   */
  let loginTurn: Promise<unknown> = Promise.resolve();
  function inTurn<T>(login: () => Promise<T>): Promise<T> {
    const run = loginTurn.then(login, login);
    loginTurn = run.catch(() => {});
    return run;
  }

  const browserLogin = () =>
    inTurn(async () => {
      const person = browser();
      await ok(await loginThroughFake(person, fake), 'login callback', 303);
      await ok(await person.request('/app/'), 'dashboard');
      return person;
    });

  const cliLogin = (person: TestClient) => inTurn(() => cliLoginOf(person));

  async function cliLoginOf(person: TestClient): Promise<void> {
    const { secret, secretHash } = newSecret();
    const started = await cli.initiateLogin({ identifier: 'carol.test', secretHash, clientName: 'deployment test' });
    const streamed = collect(cli.awaitLogin({ sessionId: started.sessionId, secret }));
    await ok(await browserSignsIn(person, fake), 'CLI browser leg', 303);
    await ok(await confirmInBrowser(person, started.confirmationCode), 'CLI confirmation');
    const { messages, error } = await streamed;
    if (messages.at(-1)?.event.case !== 'completed') throw new Error(`CLI login did not complete: ${String(error)}`);
  }

  /** Code flows, each followed by an MCP write and read of a page of its own, and a refresh. */
  async function oauthWorker(worker: number) {
    const person = await browserLogin();
    const oauth = oauthClient(person);
    const { clientId } = await oauth.registerClient({ client_name: `Load ${worker}` });
    for (let round = 0; load.running; round++) {
      const tokens = await load.time('code flow', () => codeFlow(oauth, clientId, person));
      if (!tokens) continue;
      const page = { path: `Load/${worker}/${round}`, content: `written by worker ${worker} in round ${round} at ${Date.now()}` };
      const written = await load.time('mcp write', () => mcpCall(tokens.access_token, 'write_note', page));
      // A page whose write failed is not there to read.
      if (written) {
        load.writes.push(page);
        await load.time('mcp read', () => mcpCall(tokens.access_token, 'read_note', { path: page.path }));
      }
      await load.time('refresh', async () => ok(await oauth.refresh(clientId, tokens.refresh_token), 'refresh'));
    }
  }

  /** One grant's refresh chain, as a long-lived client keeps it: a failed refresh is retried with the same token. */
  async function refreshWorker() {
    const person = await browserLogin();
    const oauth = oauthClient(person);
    const { clientId } = await oauth.registerClient({ client_name: 'Refresher' });
    let { refresh_token: current } = await codeFlow(oauth, clientId, person);
    while (load.running) {
      const next = await load.time('refresh', async () => (await (await ok(await oauth.refresh(clientId, current), 'refresh')).json()).refresh_token as string);
      if (next) current = next;
    }
  }

  /** Browser logins and CLI logins, paced; every browser session is kept to be checked at the end. */
  async function loginWorker() {
    while (load.running) {
      const paced = new Promise((resolve) => setTimeout(resolve, LOGIN_EVERY_MS));
      const person = await load.time('browser login', browserLogin);
      if (person) {
        load.sessions.push(person);
        await load.time('cli login', () => cliLogin(person));
      }
      await paced;
    }
  }

  before(async () => {
    fake = await FakeAtproto.start();
    database = await createTestDatabase('postgres');
    // The instances share the key files (one data directory, as a shared mount) and the database.
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'robot-deploy-'));
    const [portA, portB, caddyPort] = [await freePort(), await freePort(), await freePort()];
    const shared = {
      HOST: '127.0.0.1',
      PUBLIC_URL: PLATFORM,
      WIKI_DOMAIN: DOMAIN,
      COOKIE_DOMAIN: DOMAIN,
      TRUSTED_PROXIES: '127.0.0.1',
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      ATPROTO_PLC_URL: fake.url,
      ATPROTO_HANDLE_RESOLVER: fake.url,
      DANGEROUSLY_ALLOW_INSECURE_ATPROTO: '1',
      LOG_LEVEL: 'info',
    };
    // The first creates the key files and runs the migrations before the second starts.
    instances.push(await RobotProcess.start({ ...shared, PORT: String(portA) }));
    instances.push(await RobotProcess.start({ ...shared, PORT: String(portB) }));
    caddy = await startCaddy({ port: caddyPort, upstreams: [`127.0.0.1:${portA}`, `127.0.0.1:${portB}`], domain: DOMAIN });
    // The CLI's Connect client through Caddy: its TLS, its CA, the platform's name.
    const lookup = (_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) =>
      options.all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4);
    cli = createClient(
      AuthService,
      createConnectTransport({ baseUrl: `${PLATFORM}:${caddyPort}`, httpVersion: '1.1', nodeOptions: { ca: caddy.rootCertificate, lookup } as never }),
    );

    const carol = browser();
    await ok(await signUp(carol, fake, 'carol'), 'signup', 303);
    const csrf = formField(await (await carol.request('/app/')).text(), '/app/wikis', 'csrf')!;
    await ok(await carol.form('/app/wikis', { slug: 'notes', display_name: 'Notes', csrf }), 'wiki creation', 303);
  });

  after(async () => {
    await caddy?.close();
    for (const instance of instances) await instance.kill();
    await database?.drop();
    await fake?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('the load holds through kill -9 of one instance; nothing completed is lost', async () => {
    const [a, b] = instances as [RobotProcess, RobotProcess];
    const started = Date.now();
    load = new Load(started + LOAD_MS);
    const workers = Promise.all([oauthWorker(++clientCounter), oauthWorker(++clientCounter), refreshWorker(), loginWorker()]);
    await new Promise((resolve) => setTimeout(resolve, KILL_AT_MS));
    const servedBeforeKill = (output: string) => (output.match(/"event":"http"/g) ?? []).length;
    assert.ok(servedBeforeKill(a.output()) > 20 && servedBeforeKill(b.output()) > 20, 'Caddy spread the load over both instances');
    load.killedAt = Date.now();
    await a.kill();
    assert.equal(a.child.signalCode, 'SIGKILL');
    const servedByBAtKill = servedBeforeKill(b.output());
    await workers;
    assert.ok(servedBeforeKill(b.output()) > servedByBAtKill + 20, 'B took over');

    // What the load held, by kind (docs/benchmarks.md records a run).
    const seconds = (Date.now() - started) / 1000;
    const report = (['browser login', 'cli login', 'code flow', 'refresh', 'mcp write', 'mcp read'] as const).map((kind) => {
      const ops = load.operations.filter((op) => op.kind === kind);
      const times = ops
        .filter((op) => !op.error)
        .map((op) => op.ended - op.started)
        .sort((x, y) => x - y);
      const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? Number.NaN;
      return { kind, perSecond: +(ops.length / seconds).toFixed(1), p50ms: at(0.5), p99ms: at(0.99), errors: ops.filter((op) => op.error).length };
    });
    const failures = load.operations
      .filter((op) => op.error)
      .map((op) => `${op.kind} +${op.started - load.killedAt}ms..+${op.ended - load.killedAt}ms: ${op.error!.slice(0, 120)}`);
    console.log(JSON.stringify({ seconds, operations: load.operations.length, byKind: report, failures }));

    assert.deepEqual(load.errorsOutsideFailover(), [], 'errors only around the crash');
    for (const { kind } of report)
      assert.ok(
        load.operations.some((op) => op.kind === kind && !op.error && op.started > load.killedAt),
        `${kind} served after the crash`,
      );
    assert.ok(load.writes.length >= 20, `enough writes to mean something (${load.writes.length})`);

    // Every write a client saw succeed is in the database, with the text it wrote.
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    try {
      const { rows } = await db.query<{ path: string; content: string }>("select path, content from pages where path like 'Load/%'");
      const stored = new Map(rows.map((row) => [row.path, row.content]));
      for (const write of load.writes) assert.equal(stored.get(write.path), write.content, write.path);
      // No refresh-token family has two live tokens (RT-05 across instances and a crash).
      const families = await db.query('select family_id, count(*) as live from refresh_tokens where rotated_at is null group by family_id having count(*) > 1');
      assert.deepEqual(families.rows, []);
    } finally {
      await db.end();
    }

    // No session lost: every browser session, issued on either instance, still works on the survivor.
    assert.ok(load.sessions.length >= 5, `sessions: ${load.sessions.length}`);
    for (const person of load.sessions) assert.equal((await person.request('/app/')).status, 200);

    // The survivor serves everything: a whole round of each kind, without an error.
    assert.equal(b.child.exitCode, null, 'B still runs');
    const person = await browserLogin();
    await cliLogin(person);
    const oauth = oauthClient(person);
    const { clientId } = await oauth.registerClient({ client_name: 'After the crash' });
    const tokens = await codeFlow(oauth, clientId, person);
    const sample = load.writes.slice(-5);
    for (const write of sample) assert.equal((await mcpCall(tokens.access_token, 'read_note', { path: write.path })).content, write.content);
    await mcpCall(tokens.access_token, 'write_note', { path: 'After', content: 'still here' });
    await ok(await oauth.refresh(clientId, tokens.refresh_token), 'refresh after the crash');
  });
});
