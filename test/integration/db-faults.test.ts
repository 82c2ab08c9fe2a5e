// Storage faults during consent, the code exchange and refresh (catalogue DB-01..DB-04), on SQLite and
// PostgreSQL. Faults are real where the database produces them on demand: another connection holding
// SQLite's write lock past the busy timeout, or our PostgreSQL backend terminated while it waits on a
// lock half-way through a transaction. Elsewhere the platform's test seam
// (PlatformOptions.databaseFaults) fails one chosen statement with the driver's own error. DB-03
// kills a real `robot serve` process (SIGKILL) held at a breakpoint just after a commit.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import {
  TableNode,
  sql,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import pg from 'pg';
import { sha256 } from '../../src/secrets.ts';
import { openDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import type { Database } from '../../src/store/schema.ts';
import { wikiStore } from '../../src/store/wikis.ts';
import { createTestDatabase, TEST_DATABASES, type TestDatabase } from '../helpers/databases.ts';
import { CAROL_DID, FakeAtproto } from '../helpers/fake-atproto.ts';
import { TestClient } from '../helpers/http-client.ts';
import { signUp } from '../helpers/login-flow.ts';
import { codeIn, notesClient, OAuthTestClient } from '../helpers/oauth-client.ts';
import { freePort, type TestPlatform } from '../helpers/platform.ts';
import { RobotProcess } from '../helpers/robot-process.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';

// RFC 7636 Appendix B.
const REDIRECT = 'https://app.example/callback';

type Statement = 'InsertQueryNode' | 'UpdateQueryNode';
/** How each kind of statement starts in plain SQL (src/store/sql.ts). */
const PLAIN_SQL: Record<Statement, string> = { InsertQueryNode: 'insert into', UpdateQueryNode: 'update' };

/**
 * Fails the next statement of one kind on one table, once, with the error the driver would raise:
 * whether a store builds it with Kysely (seen as a plugin) or writes it as plain SQL (seen by its text,
 * also where the write is one part of a statement: PostgreSQL's guarded inserts are one data-modifying
 * CTE, src/store/grants.ts insertRefreshTokenIf, so a fault there fails the guard and the insert together).
 */
class FailNextStatement implements KyselyPlugin {
  private target: { kind: Statement; table: keyof Database } | undefined;
  fired = 0;
  constructor(private readonly error: () => Error) {}

  arm(kind: Statement, table: keyof Database): void {
    this.target = { kind, table };
  }

  private fire(): never {
    this.target = undefined;
    this.fired += 1;
    throw this.error();
  }

  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    const table = node.kind === 'InsertQueryNode' ? node.into : node.kind === 'UpdateQueryNode' ? node.table : undefined;
    if (this.target && node.kind === this.target.kind && table && TableNode.is(table) && table.table.identifier.name === this.target.table) this.fire();
    return node;
  }

  readonly beforeStatement = (text: string): void => {
    if (!this.target) return;
    const write = `${PLAIN_SQL[this.target.kind]} ${this.target.table} `;
    // The statement itself, or a part of it that starts after `(` or `) ` (a CTE's body, its main statement).
    const parts = text.toLowerCase().split(/\(\s*|\)\s+/);
    if (parts.some((part) => part.trimStart().startsWith(write))) this.fire();
  };

  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return result;
  }
}

const driverErrors = {
  sqlite: () => new BetterSqlite3.SqliteError('database is locked', 'SQLITE_BUSY'),
  postgres: () => Object.assign(new pg.DatabaseError('terminating connection due to administrator command', 0, 'error'), { code: '57P01', severity: 'FATAL' }),
};

/** A PostgreSQL backend of this database that waits on a lock held by `locker`, and what it runs. */
async function blockedBackend(locker: pg.Client): Promise<{ pid: number; query: string }> {
  for (let i = 0; i < 500; i++) {
    // Statistics views are snapshotted once per transaction, and `locker` is inside one.
    await locker.query('select pg_stat_clear_snapshot()');
    const { rows } = await locker.query(
      `select pid, query from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
    );
    if (rows[0]) return rows[0];
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no backend blocked on the held lock');
}

for (const kind of TEST_DATABASES) {
  describe(`storage faults (${kind})`, () => {
    let fixture: WikiFixture;
    let database: TestDatabase;
    let platform: TestPlatform;
    let carol: TestClient;
    let issuer: string;
    const faults = new FailNextStatement(driverErrors[kind]);

    before(async () => {
      database = await createTestDatabase(kind);
      fixture = await startWikiFixture({ DATABASE_URL: database.url }, { databaseFaults: { plugins: [faults], beforeStatement: faults.beforeStatement } });
      ({ platform, carol, issuer } = fixture);
    });
    after(async () => {
      await fixture?.close();
      await database?.drop();
    });

    const db = () => platform.platform.deps.database.db;

    /**
     * Runs `request` while the database refuses our writes, as each one really does. SQLite: another
     * connection holds the write lock past our busy timeout (lowered from 5 s to keep this short), so
     * our first write fails with SQLITE_BUSY. PostgreSQL: another session runs `hold` in a transaction;
     * our backend blocks on it part-way through its own transaction and is terminated there
     * (pg_terminate_backend), as when the server restarts or a connection drops.
     */
    async function outage(hold: (locker: pg.Client) => Promise<unknown>, request: () => Promise<Response>): Promise<{ response: Response; blocked?: string }> {
      if (kind === 'sqlite') {
        const [{ timeout }] = (await sql<{ timeout: number }>`pragma busy_timeout`.execute(db())).rows as [{ timeout: number }];
        await sql`pragma busy_timeout = 100`.execute(db());
        const locker = new BetterSqlite3(database.url.slice('sqlite:'.length));
        locker.exec('begin immediate');
        try {
          return { response: await request() };
        } finally {
          locker.exec('rollback');
          locker.close();
          await sql.raw(`pragma busy_timeout = ${timeout}`).execute(db());
        }
      }
      const locker = new pg.Client({ connectionString: database.url });
      await locker.connect();
      try {
        await locker.query('begin');
        await hold(locker);
        const pending = request();
        const blocked = await blockedBackend(locker);
        await locker.query('select pg_terminate_backend($1)', [blocked.pid]);
        await locker.query('rollback');
        return { response: await pending, blocked: blocked.query };
      } finally {
        await locker.end();
      }
    }
    const lockTable = (table: keyof Database) => (locker: pg.Client) => locker.query(`lock table ${table} in exclusive mode`);

    const oauth = () => notesClient(fixture, REDIRECT, { authorizeParams: { state: 'st4te' } });
    const registerClient = async () => (await oauth().registerClient()).clientId;
    const authorize = (clientId: string) => oauth().authorize(clientId);
    async function consentForm(clientId: string): Promise<Record<string, string>> {
      const page = await authorize(clientId);
      assert.equal(page.status, 200, 'the consent page');
      return oauth().consentForm(page);
    }
    const getCode = async (clientId: string) => codeIn(await carol.form('/w/notes/oauth/consent', await consentForm(clientId)));
    const redeem = (clientId: string, code: string) => oauth().redeem(clientId, code);
    const refresh = (clientId: string, refreshToken: string) => oauth().refresh(clientId, refreshToken);

    const codeRow = (code: string) => db().selectFrom('authorization_codes').selectAll().where('code_hash', '=', sha256(code)).executeTakeFirstOrThrow();
    const refreshRows = (clientId: string) => db().selectFrom('refresh_tokens').selectAll().where('client_id', '=', clientId).execute();
    const grantRows = (clientId: string) => db().selectFrom('grants').selectAll().where('client_id', '=', clientId).execute();
    const codeRows = (clientId: string) => db().selectFrom('authorization_codes').selectAll().where('client_id', '=', clientId).execute();
    const lastUsed = async (clientId: string) =>
      (await db().selectFrom('oauth_clients').select('last_used_at').where('client_id', '=', clientId).executeTakeFirstOrThrow()).last_used_at;

    /** DB-01: 503 `server_error` in OAuth's JSON shape, retryable, with nothing internal in it (IN-05). */
    async function assertRetryLater(response: Response): Promise<void> {
      assert.equal(response.status, 503);
      assert.ok(Number(response.headers.get('retry-after')) > 0, 'Retry-After');
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      const body = await response.json();
      assert.equal(body.error, 'server_error');
      assert.doesNotMatch(JSON.stringify(body), /sqlite|locked|terminat|connection|select|insert|update|\.ts/i);
    }

    /**
     * DB-01: after a failed exchange the code is unspent, nothing it would issue exists, and one retry
     * succeeds. `earlier`: the client's refresh tokens from exchanges before this one.
     */
    async function assertExchangeRolledBack(clientId: string, code: string, earlier: { token_hash: string }[] = []): Promise<void> {
      const row = await codeRow(code);
      assert.deepEqual([row.consumed_at, row.validly_consumed_at], [null, null], 'the code is still unconsumed');
      assert.deepEqual(
        (await refreshRows(clientId)).map((r) => r.token_hash),
        earlier.map((r) => r.token_hash),
        'no new refresh family, not even half of one',
      );
      if (earlier.length === 0) assert.equal(await lastUsed(clientId), null, 'the client-use mark rolled back with it');
      const retry = await redeem(clientId, code);
      assert.equal(retry.status, 200, 'one retry succeeds');
      assert.ok((await retry.json()).refresh_token);
      assert.equal((await refreshRows(clientId)).length, earlier.length + 1);
      assert.equal((await grantRows(clientId))[0]!.revoked_at, null, 'the retry is no replay: nothing revoked');
    }

    test('DB-01: a fault after the code is consumed, as its refresh family is written: 503 server_error, all rolled back, the retry succeeds', async () => {
      const clientId = await registerClient();
      const code = await getCode(clientId);
      faults.arm('InsertQueryNode', 'refresh_tokens');
      const response = await redeem(clientId, code);
      assert.equal(faults.fired, 1, 'the fault was injected');
      faults.fired = 0;
      await assertRetryLater(response);
      await assertExchangeRolledBack(clientId, code);
    });

    test("DB-01: a fault as a returning client's code exchange writes its refresh family (on PostgreSQL one guarded statement): 503, rolled back, the retry succeeds", async () => {
      const clientId = await registerClient();
      await tokensFor(clientId);
      const earlier = await refreshRows(clientId);
      // Consent is remembered now: the authorization request is answered with a code at once.
      const code = codeIn(await authorize(clientId));
      faults.arm('InsertQueryNode', 'refresh_tokens');
      const response = await redeem(clientId, code);
      assert.equal(faults.fired, 1, 'the fault was injected');
      faults.fired = 0;
      await assertRetryLater(response);
      await assertExchangeRolledBack(clientId, code, earlier);
    });

    test(`DB-01: the store becomes unreachable during the code exchange (${kind === 'sqlite' ? 'locked by another writer past the busy timeout' : 'backend terminated mid-transaction'}): 503, rolled back, the retry succeeds`, async () => {
      const clientId = await registerClient();
      const code = await getCode(clientId);
      const { response, blocked } = await outage(lockTable('refresh_tokens'), () => redeem(clientId, code));
      // On PostgreSQL the transaction had already consumed the code when it was cut off.
      if (kind === 'postgres') assert.match(blocked!, /^insert into "?refresh_tokens"? /);
      await assertRetryLater(response);
      await assertExchangeRolledBack(clientId, code);
      assert.match(platform.logs.text(), /"msg":"unhandled error"/, 'the cause is logged for the operator');
    });

    /** DB-02: the client is told to try again, on its registered URI with state and iss, and gets no code. */
    function assertTemporarilyUnavailable(response: Response): void {
      assert.equal(response.status, 303);
      const location = new URL(response.headers.get('location')!);
      assert.equal(`${location.origin}${location.pathname}`, REDIRECT);
      assert.equal(location.searchParams.get('error'), 'temporarily_unavailable');
      assert.equal(location.searchParams.get('state'), 'st4te');
      assert.equal(location.searchParams.get('iss'), issuer);
      assert.equal(location.searchParams.get('code'), null, 'no code that was never stored');
    }

    test('DB-02: the code cannot be stored when the person approves: temporarily_unavailable with state and iss, no code, no half-written consent', async () => {
      const clientId = await registerClient();
      const form = await consentForm(clientId);
      faults.arm('InsertQueryNode', 'authorization_codes');
      const response = await carol.form('/w/notes/oauth/consent', form);
      assert.equal(faults.fired, 1, 'the fault was injected');
      faults.fired = 0;
      assertTemporarilyUnavailable(response);
      assert.deepEqual(await grantRows(clientId), [], 'the grant was written in the same transaction and rolled back');
      assert.deepEqual(await codeRows(clientId), []);
      // The client starts again: consent is asked afresh (nothing was remembered) and the flow completes.
      assert.equal((await redeem(clientId, await getCode(clientId))).status, 200);
    });

    test(`DB-02: the store is unreachable at consent (${kind === 'sqlite' ? 'locked' : 'backend terminated'}): an error page or temporarily_unavailable, never a code; nothing half-written`, async () => {
      const clientId = await registerClient();
      const form = await consentForm(clientId);
      const { response, blocked } = await outage(lockTable('authorization_codes'), () => carol.form('/w/notes/oauth/consent', form));
      if (kind === 'sqlite') {
        // The first write of the step (taking the pending request, CS-01) already fails: a page on our origin.
        assert.equal(response.status, 503);
        assert.equal(response.headers.get('location'), null);
        assert.ok(Number(response.headers.get('retry-after')) > 0);
        assert.match(await response.text(), /briefly unavailable/);
      } else {
        // The grant was written, then the code insert was cut off: the client is told to retry.
        assert.match(blocked!, /^insert into "?authorization_codes"? /);
        assertTemporarilyUnavailable(response);
      }
      assert.deepEqual(await grantRows(clientId), []);
      assert.deepEqual(await codeRows(clientId), []);
    });

    test('DB-02: remembered consent while the store is unreachable: temporarily_unavailable, no code; the grant is untouched', async () => {
      const clientId = await registerClient();
      await getCode(clientId);
      const [grant] = await grantRows(clientId);
      const { response } = await outage(lockTable('authorization_codes'), () => authorize(clientId));
      assertTemporarilyUnavailable(response);
      assert.deepEqual(await grantRows(clientId), [grant]);
      assert.equal((await codeRows(clientId)).length, 1, 'only the earlier code');
      const again = await authorize(clientId);
      assert.ok(new URL(again.headers.get('location')!).searchParams.get('code'), 'once the store is back, a code');
    });

    /** DB-04: after a failed rotation exactly one token of the family is live, and it is RT1. */
    async function assertRotationRolledBack(clientId: string, rt1: string): Promise<void> {
      const rows = await refreshRows(clientId);
      assert.deepEqual(
        rows.map((r) => [r.token_hash, r.rotated_at]),
        [[sha256(rt1), null]],
        'RT1 alone, still live; no RT2',
      );
      const retry = await refresh(clientId, rt1);
      assert.equal(retry.status, 200, 'the client retries with RT1');
      const rt2 = (await retry.json()).refresh_token as string;
      const live = (await refreshRows(clientId)).filter((r) => r.rotated_at === null);
      assert.deepEqual(
        live.map((r) => r.token_hash),
        [sha256(rt2)],
        'then RT2 alone is live',
      );
      assert.equal((await grantRows(clientId))[0]!.revoked_at, null);
    }

    async function tokensFor(clientId: string): Promise<{ refresh_token: string }> {
      const response = await redeem(clientId, await getCode(clientId));
      assert.equal(response.status, 200);
      return response.json();
    }

    test('DB-04: a fault after RT1 is marked used, as RT2 is inserted: 503, and RT1 is still the one live token', async () => {
      const clientId = await registerClient();
      const { refresh_token: rt1 } = await tokensFor(clientId);
      faults.arm('InsertQueryNode', 'refresh_tokens');
      const response = await refresh(clientId, rt1);
      assert.equal(faults.fired, 1);
      faults.fired = 0;
      await assertRetryLater(response);
      await assertRotationRolledBack(clientId, rt1);
    });

    test('DB-04: a fault at the first write of the rotation (marking RT1 used): 503, and RT1 is still the one live token', async () => {
      const clientId = await registerClient();
      const { refresh_token: rt1 } = await tokensFor(clientId);
      faults.arm('UpdateQueryNode', 'refresh_tokens');
      const response = await refresh(clientId, rt1);
      assert.equal(faults.fired, 1);
      faults.fired = 0;
      await assertRetryLater(response);
      await assertRotationRolledBack(clientId, rt1);
    });

    test(`DB-04: the store becomes unreachable during rotation (${kind === 'sqlite' ? 'locked' : 'backend terminated between marking RT1 and inserting RT2'}): 503, RT1 still live`, async () => {
      const clientId = await registerClient();
      const { refresh_token: rt1 } = await tokensFor(clientId);
      // On PostgreSQL another session has inserted RT2's row and not committed, so our statement
      // marks RT1 used and then waits on RT2's key: that is where it is cut off. RT2 is derived from
      // RT1 with the server's refresh key (src/authserver/token.ts).
      const rt2Hash = sha256(createHmac('sha256', platform.platform.deps.refreshKey).update(rt1).digest('base64url'));
      const [row] = await refreshRows(clientId);
      const { response, blocked } = await outage(
        (locker) =>
          locker.query(
            'insert into refresh_tokens (token_hash, family_id, grant_id, wiki_id, client_id, user_did, scope, resource, family_started_at, expires_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
            [rt2Hash, row!.family_id, row!.grant_id, row!.wiki_id, clientId, row!.user_did, row!.scope, row!.resource, row!.family_started_at, row!.expires_at],
          ),
        () => refresh(clientId, rt1),
      );
      // One statement marks RT1 and inserts RT2 (src/store/grants.ts, insertRefreshTokenIf).
      if (kind === 'postgres') assert.match(blocked!, /^with guard as \(update refresh_tokens set rotated_at = .*\) insert into refresh_tokens /s);
      await assertRetryLater(response);
      await assertRotationRolledBack(clientId, rt1);
    });
  });

  describe(`DB-03: robot serve killed with SIGKILL right after a commit (${kind})`, () => {
    let fake: FakeAtproto;
    let database: TestDatabase;
    let dataDir: string;
    let env: Record<string, string>;
    let robot: RobotProcess | undefined;
    let store: DatabaseHandle;
    let carol: TestClient;
    let publicUrl: string;

    before(async () => {
      fake = await FakeAtproto.start();
      database = await createTestDatabase(kind);
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'robot-kill-'));
      const port = await freePort();
      publicUrl = `http://127.0.0.1:${port}`;
      env = {
        PORT: String(port),
        PUBLIC_URL: publicUrl,
        DATA_DIR: dataDir,
        DATABASE_URL: database.url,
        ATPROTO_PLC_URL: fake.url,
        ATPROTO_HANDLE_RESOLVER: fake.url,
        DANGEROUSLY_ALLOW_INSECURE_ATPROTO: '1',
        LOG_LEVEL: 'info',
      };
      robot = await RobotProcess.start(env);
      carol = new TestClient(publicUrl, publicUrl);
      await signUp(carol, fake, 'carol');
      store = await openDatabase(database.url);
      await wikiStore(store.db, store.dialect).create({ slug: 'notes', ownerDid: CAROL_DID, displayName: 'Notes' }, 1);
    });
    after(async () => {
      await robot?.kill();
      await store?.close();
      await database?.drop();
      await fake?.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    const codeRows = (clientId: string) => store.db.selectFrom('authorization_codes').selectAll().where('client_id', '=', clientId).execute();
    const grantRows = (clientId: string) => store.db.selectFrom('grants').selectAll().where('client_id', '=', clientId).execute();
    // The client's own requests each come over a new connection; carol's browser keeps her cookies.
    const oauth = () =>
      new OAuthTestClient({
        issuer: `${publicUrl}/w/notes`,
        browser: carol,
        backChannel: () => new TestClient(publicUrl, publicUrl),
        redirectUri: REDIRECT,
        metadata: { client_name: undefined },
        authorizeParams: { state: undefined },
      });
    const redeem = (clientId: string, code: string) => oauth().redeem(clientId, code);
    const authorize = (clientId: string) => oauth().authorize(clientId);
    const registerClient = async () => (await oauth().registerClient()).clientId;
    const consentForm = async (clientId: string) => oauth().consentForm(await authorize(clientId));
    async function restart(): Promise<void> {
      robot = await RobotProcess.start(env);
      assert.deepEqual(await (await fetch(`${publicUrl}/healthz`)).json(), { status: 'ok' });
    }

    test('DB-03 (a): killed after the code row commits, before the redirect: the code expires unused; the restart is clean', async () => {
      const clientId = await registerClient();
      const form = await consentForm(clientId);
      // Held at the statement that sends the redirect carrying the code, after the transaction committed.
      await robot!.breakAt('src/authserver/authorize.tsx', /return redirectToClient\(c,\s*\{\s*redirectUri:\s*request\.redirect_uri,[^\n]*\{\s*code\s*\}\)/);
      const approval = carol.form('/w/notes/oauth/consent', form).then(
        (response) => response,
        (error: Error) => error,
      );
      await robot!.paused;
      const [held] = await codeRows(clientId);
      assert.ok(held, 'held after the commit: the code row is in the database');
      await robot!.kill();
      assert.ok((await approval) instanceof Error, 'the browser never got the redirect');

      await restart();
      const [code] = await codeRows(clientId);
      assert.deepEqual(code, held, 'the orphaned code is untouched: never consumed');
      assert.ok(code!.expires_at <= Math.floor(Date.now() / 1000) + 60, 'and it dies with its 60-second lifetime');
      const [grant] = await grantRows(clientId);
      assert.equal(code!.grant_id, grant!.id, 'the consent it was issued under was recorded whole');
      // Restart is clean: the same app connects again, consent remembered, and redeems a new code.
      const again = await authorize(clientId);
      assert.equal(again.status, 303);
      assert.equal((await redeem(clientId, codeIn(again))).status, 200);
    });

    test('DB-03 (b): killed after the token rows commit, before the 200: the retry with the same code is invalid_grant and revokes the grant', async () => {
      const clientId = await registerClient();
      const code = codeIn(await carol.form('/w/notes/oauth/consent', await consentForm(clientId)));
      // Held at the statement that builds the 200, after the exchange's transaction committed.
      await robot!.breakAt('src/authserver/token.ts', /return tokenResponse\(deps,\s*c,\s*wiki,\s*client,\s*row,\s*row\.scope,/);
      const exchange = redeem(clientId, code).then(
        (response) => response,
        (error: Error) => error,
      );
      await robot!.paused;
      const [spent] = await codeRows(clientId);
      assert.ok(spent!.validly_consumed_at, 'held after the commit: the code is spent');
      const families = await store.db.selectFrom('refresh_tokens').select(['family_id', 'grant_id']).where('client_id', '=', clientId).execute();
      assert.equal(families.length, 1, 'and its refresh family written');
      await robot!.kill();
      assert.ok((await exchange) instanceof Error, 'the client never got the tokens');

      await restart();
      const retry = await redeem(clientId, code);
      assert.equal(retry.status, 400);
      assert.equal((await retry.json()).error, 'invalid_grant');
      const [grant] = await grantRows(clientId);
      assert.equal(families[0]!.grant_id, grant!.id);
      assert.ok(grant!.revoked_at, 'AC-01: the replay revoked the grant, so the undelivered tokens are dead');
      const live = await store.db
        .selectFrom('refresh_tokens')
        .innerJoin('grants', 'grants.id', 'refresh_tokens.grant_id')
        .select('token_hash')
        .where('refresh_tokens.client_id', '=', clientId)
        .where('grants.revoked_at', 'is', null)
        .execute();
      assert.deepEqual(live, [], 'no live token, in a family or out of one');
    });
  });
}
