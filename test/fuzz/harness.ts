// One platform under fuzz (a wiki fixture on SQLite or PostgreSQL, path or host mode) and the checks
// every entry point must pass whatever it is sent: an answer below 500 within a time limit, no
// error-level log line, and no row added by a request that was refused.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import type { Wiki } from '../../src/store/wikis.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { tableResolver } from '../helpers/dial-guard.ts';
import { CAROL_DID } from '../helpers/fake-atproto.ts';
import { accessTokenFor } from '../helpers/mcp.ts';
import { PKCE } from '../helpers/oauth-client.ts';
import { seeded } from '../helpers/property.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';

/** Bookkeeping that a refused request rightly writes: rate-limit windows count refused attempts too. */
const BOOKKEEPING = new Set(['rate_limits']);

/** Long enough for a 1 MB body on a busy machine; a hang is anything slower. */
const REQUEST_TIMEOUT_MS = 10_000;

export interface Outcome {
  status: number;
  /** The request was refused (an error status, a JSON-RPC or tool error, an RPC error). */
  refused: boolean;
  detail?: string;
}

export type DatabaseKind = 'sqlite' | 'postgres';

export class FuzzTarget {
  private tables: string[] = [];
  /** What the requests since the last `summary()` got, to show what a run reached. */
  private statuses = new Map<number, number>();
  private refusals = 0;
  private slowest = 0;
  private current: { wiki: Wiki; token: string } | undefined;
  private client: { wikiId: string; id: string } | undefined;

  private constructor(
    readonly fixture: WikiFixture,
    private readonly database: TestDatabase,
  ) {}

  static async start(kind: DatabaseKind, env: Record<string, string> = {}): Promise<FuzzTarget> {
    const database = await createTestDatabase(kind);
    // Names resolve from a table (the fake atproto network is `localhost`): no fuzzed URL makes a DNS query.
    const options = { resolver: tableResolver({ localhost: ['127.0.0.1'] }) };
    const target = new FuzzTarget(await startWikiFixture({ DATABASE_URL: database.url, ...env }, options), database);
    target.tables = (await target.deps.database.db.introspection.getTables())
      .map((table) => table.name)
      .filter((name) => /^[a-z_]+$/.test(name) && !BOOKKEEPING.has(name));
    return target;
  }

  get deps() {
    return this.fixture.platform.platform.deps;
  }

  get app() {
    return this.fixture.platform.platform.app;
  }

  /** The `notes` wiki and an access token for its owner; made again if a fuzzed request deleted it. */
  async wiki(): Promise<{ wiki: Wiki; token: string }> {
    const found = await this.deps.wikis.findBySlug('notes');
    if (found && found.id === this.current?.wiki.id) return this.current;
    const wiki = found ?? (await this.deps.wikis.create({ slug: 'notes', ownerDid: CAROL_DID, displayName: 'Notes' }, this.deps.now()));
    this.current = { wiki, token: (await accessTokenFor(this.fixture.platform.platform, wiki, CAROL_DID)).token };
    return this.current;
  }

  /** A fresh session cookie for carol (a fuzzed logout ends only that one) and the dashboard's CSRF token. */
  async signedIn(): Promise<{ cookie: string; csrf: string }> {
    const user = (await this.deps.users.findByDid(CAROL_DID))!;
    const minted = await this.deps.sessions.mint(user, this.deps.now());
    const cookie = `platform_token=${minted.token}`;
    const page = await this.app.request(`${this.fixture.platform.config.publicUrl}/app/`, { headers: { cookie } });
    return { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(await page.text())![1]! };
  }

  /** The address of a consent page: an authorization request by a client registered for the current wiki. */
  async consentPath(): Promise<string> {
    const { wiki } = await this.wiki();
    const redirectUri = 'http://127.0.0.1/cb';
    if (this.client?.wikiId !== wiki.id) {
      const metadata = { client_name: 'Fuzz', redirect_uris: [redirectUri], token_endpoint_auth_method: 'none' };
      const headers = { 'content-type': 'application/json' };
      const body = JSON.stringify(metadata);
      const registered = await this.app.request(`${this.fixture.issuer}/oauth/register`, {
        method: 'POST',
        headers,
        body,
      });
      this.client = { wikiId: wiki.id, id: (await registered.json()).client_id };
    }
    const request = {
      response_type: 'code',
      client_id: this.client!.id,
      redirect_uri: redirectUri,
      code_challenge: PKCE.challenge,
    };
    const params = new URLSearchParams({
      ...request,
      code_challenge_method: 'S256',
      state: 's',
      resource: `${this.fixture.issuer}/mcp`,
    });
    return `/w/notes/oauth/authorize?${params}`;
  }

  /** A JSON-RPC message to the `notes` wiki's MCP endpoint with carol's valid token. */
  async mcp(message: string): Promise<Response> {
    const { token } = await this.wiki();
    return this.app.request(`${this.fixture.issuer}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: message,
    });
  }

  /** Rows per table, in one statement. */
  private async counts(): Promise<Map<string, number>> {
    const union = this.tables.map((table) => `select '${table}' as name, count(*) as n from "${table}"`).join(' union all ');
    const { rows } = await sql.raw<{ name: string; n: number | string }>(union).execute(this.deps.database.db);
    return new Map(rows.map((row) => [row.name, Number(row.n)]));
  }

  /** Sends one fuzzed request and asserts what must hold for any input. */
  async observe(label: string, send: () => Promise<Outcome>): Promise<void> {
    const { logs } = this.fixture.platform;
    const logStart = logs.lines.length;
    const before = await this.counts();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms: ${label}`)), REQUEST_TIMEOUT_MS);
    });
    const started = performance.now();
    const outcome = await Promise.race([send(), timeout]).finally(() => clearTimeout(timer));
    this.slowest = Math.max(this.slowest, performance.now() - started);
    this.refusals += outcome.refused ? 1 : 0;
    this.statuses.set(outcome.status, (this.statuses.get(outcome.status) ?? 0) + 1);
    assert.ok(outcome.status < 500, `${label} → ${outcome.status} ${outcome.detail ?? ''}`.slice(0, 600));
    const errors = logs.lines.slice(logStart).filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
    assert.deepEqual(
      errors.map((line) => line.slice(0, 400)),
      [],
      `${label} logged at error level`,
    );
    if (outcome.refused) {
      const after = await this.counts();
      for (const [table, rows] of after) {
        assert.ok(rows <= before.get(table)!, `${label} was refused (${outcome.status}) but added a row to ${table}`);
      }
    }
  }

  /** A seeded, bounded property over `input`; reports what the run reached, pass or fail. */
  async fuzz<T>(t: TestContext, input: fc.Arbitrary<T>, send: (value: T) => Promise<void>, bounds: { runs: number; seconds: number }) {
    this.summary();
    try {
      await fc.assert(fc.asyncProperty(input, send), seeded(t, bounds));
    } finally {
      t.diagnostic(this.summary());
    }
  }

  /** "N requests (r refused; slowest t ms): 200×a, 400×b, …", and a fresh count. */
  private summary(): string {
    const total = [...this.statuses.values()].reduce((sum, n) => sum + n, 0);
    const parts = [...this.statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`);
    const slowest = Math.round(this.slowest);
    const text = `${total} requests (${this.refusals} refused; slowest ${slowest} ms): ${parts.join(', ')}`;
    [this.statuses, this.refusals, this.slowest] = [new Map(), 0, 0];
    return text;
  }

  async close(): Promise<void> {
    await this.fixture.close();
    await this.database.drop();
  }
}
