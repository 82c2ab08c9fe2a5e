// IN-05, IN-06: NUL bytes, other control characters and invalid UTF-8 are a client's mistake. They
// are refused at the edge (path, query, form, JSON, MCP tool arguments, RPC fields) with a 400 or a
// tool error, identically on SQLite and PostgreSQL (which cannot store NUL), never a 5xx or a 503,
// and never an error-level log line.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { Code, ConnectError } from '@connectrpc/connect';
import { sql } from 'kysely';
import { isStoreUnavailable } from '../../src/store/errors.ts';
import type { Wiki } from '../../src/store/wikis.ts';
import { authClient, collect, newSecret } from '../helpers/cli-login.ts';
import { createTestDatabase, TEST_DATABASES, type TestDatabase } from '../helpers/databases.ts';
import { CAROL_DID } from '../helpers/fake-atproto.ts';
import { TestClient } from '../helpers/http-client.ts';
import { accessTokenFor, connectMcp, toolText, type McpSession } from '../helpers/mcp.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';

/** Requests anyone can send; each must be a 400. */
const ANONYMOUS: Array<[string, string, Record<string, string>?]> = [
  ['GET', '/w/a%00b'],
  ['GET', '/.well-known/oauth-authorization-server/w/a%00b'],
  ['GET', '/.well-known/oauth-protected-resource/w/a%01b/mcp'],
  ['GET', '/w/a%ffb'], // not UTF-8
  ['GET', '/w/notes/pages/a%ed%a0%80'], // an encoded lone surrogate
  ['GET', '/w/notes/pages/Home?revision=%c0%80'], // an overlong NUL
  ['GET', '/auth/login?return_to=%2Fapp%2F%00'],
  ['POST', '/w/notes/oauth/token', { grant_type: 'authorization_code', code: 'x', client_id: 'a\u0000' }],
  ['POST', '/w/notes/oauth/revoke', { token: 'x', client_id: 'a\u0000' }],
];

for (const kind of TEST_DATABASES) {
  describe(`IN-05, IN-06: hostile text is refused at the edges (${kind})`, () => {
    let database: TestDatabase;
    let fixture: WikiFixture;
    let wiki: Wiki;
    let mcp: McpSession;
    let token: string;

    before(async () => {
      database = await createTestDatabase(kind);
      fixture = await startWikiFixture({ DATABASE_URL: database.url });
      wiki = (await fixture.platform.platform.deps.wikis.findBySlug('notes'))!;
      ({ token } = await accessTokenFor(fixture.platform.platform, wiki, CAROL_DID));
      mcp = await connectMcp(fixture.platform.platform.app, `${fixture.issuer}/mcp`, token);
    });
    after(async () => {
      await mcp?.close();
      await fixture?.close();
      await database?.drop();
    });

    let logStart = 0;
    beforeEach(() => {
      logStart = fixture.platform.logs.lines.length;
    });
    /** Error-level lines logged since this test began. */
    const errorLogs = () => fixture.platform.logs.lines.slice(logStart).filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
    const anonymous = () => new TestClient(fixture.platform.platform.app, fixture.platform.config.publicUrl);
    /** `tools/list` at an MCP endpoint with the fixture's token, as an MCP client sends it. */
    const listTools = (path: string) =>
      anonymous().request(path, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
    const send = (client: TestClient, method: string, path: string, form?: Record<string, string>, headers: Record<string, string> = {}) =>
      form ? client.request(path, { method, form, headers }) : client.request(path, { method, headers });
    const dashboardCsrf = async () => /name="csrf" value="([^"]+)"/.exec(await (await fixture.carol.request('/app/')).text())![1]!;

    test('IN-06: NUL, controls and invalid UTF-8 in paths, queries and forms are a 400 for anyone', async () => {
      for (const [method, path, form] of ANONYMOUS) {
        const response = await send(anonymous(), method, path, form);
        assert.equal(response.status, 400, `${method} ${path}`);
        // Machine endpoints answer in OAuth's JSON shape; pages with the HTML error page.
        if (/well-known|\/oauth\//.test(path)) assert.equal((await response.json()).error, 'invalid_request', path);
        else assert.match(response.headers.get('content-type')!, /^text\/html/, path);
      }
      const mcpResponse = await listTools('/w/a%00b/mcp');
      assert.equal(mcpResponse.status, 400, 'a client error at the MCP endpoint is not an outage');
      assert.equal(mcpResponse.headers.get('retry-after'), null);
      assert.deepEqual(errorLogs(), []);
    });

    test('IN-06: signed in: dashboard, member removal, app revocation, authorize refuse NUL with a 400', async () => {
      const csrf = await dashboardCsrf();
      const members = async () => (await fixture.platform.platform.deps.wikis.members(wiki.id)).length;
      const before = await members();
      const cases: Array<[string, string, Record<string, string>?]> = [
        ['GET', '/app/wikis/a%00b'],
        ['POST', '/app/wikis/notes/members/remove', { csrf, did: 'x\u0000' }],
        ['POST', '/app/apps/a%00/revoke', { csrf }],
        ['POST', '/app/wikis', { csrf, slug: 'zz\u0000', display_name: 'x' }],
        ['GET', '/w/notes/oauth/authorize?response_type=code&client_id=a%00b&code_challenge=x&code_challenge_method=S256'],
      ];
      for (const [method, path, form] of cases) {
        const response = await send(fixture.carol, method, path, form);
        assert.equal(response.status, 400, `${method} ${path}`);
      }
      assert.equal(await members(), before);
      assert.deepEqual(errorLogs(), []);
    });

    test('IN-06: dynamic client registration refuses NUL in its JSON; nothing is registered', async () => {
      const count = async () => (await fixture.platform.platform.deps.database.db.selectFrom('oauth_clients').select('client_id').execute()).length;
      const before = await count();
      const response = await anonymous().request('/w/notes/oauth/register', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_name: 'a\u0000b',
          redirect_uris: ['https://app.example/cb'],
          token_endpoint_auth_method: 'none',
        }),
      });
      assert.equal(response.status, 400);
      assert.equal((await response.json()).error, 'invalid_client_metadata');
      assert.equal(await count(), before);
      assert.deepEqual(errorLogs(), []);
    });

    test('IN-06: MCP tools refuse NUL with a clear tool error, store nothing; tabs and newlines are text', async () => {
      const pages = async () => (await mcp.json('list_notes', {})).pages.length;
      const before = await pages();
      const calls: Array<[string, Record<string, unknown>]> = [
        ['write_note', { path: 'Nul', content: 'a\u0000b' }],
        ['write_note', { path: 'Nul\u0000', content: 'x' }],
        ['search_notes', { query: 'a\u0000' }],
        ['list_notes', { prefix: '\u0000' }],
        ['edit_note', { path: 'Home', old_string: 'a', new_string: '\u0000' }],
        ['write_note', { path: 'Surrogate', content: 'a\ud800b' }],
      ];
      for (const [name, args] of calls) {
        const result = await mcp.call(name, args);
        assert.equal(result.isError, true, `${name} ${JSON.stringify(args)}: ${toolText(result)}`);
        assert.doesNotMatch(toolText(result), /try again/i, 'a client error is not reported as an outage');
        assert.match(toolText(result), /control characters|not valid Unicode|NUL/i);
      }
      assert.equal(await pages(), before);
      assert.equal((await mcp.json('write_note', { path: 'Tabs', content: 'a\tb\r\nc\n' })).revision, 1);
      assert.equal((await mcp.json('read_note', { path: 'Tabs' })).content, 'a\tb\r\nc\n');
      assert.deepEqual(errorLogs(), []);
    });

    /** A real error of this database that is not an outage: a data error (PostgreSQL class 22) or a bad statement. */
    const dataError = async () =>
      (kind === 'postgres'
        ? sql`select ${'x'}::int`.execute(fixture.platform.platform.deps.database.db)
        : sql`select * from no_such_table`.execute(fixture.platform.platform.deps.database.db)
      ).then(
        () => assert.fail('the statement should have failed'),
        (error: unknown) => error,
      );

    test('IN-05: a data error is a fault, not an outage: 500 at /mcp, an honest tool error, no 503', async () => {
      const error = await dataError();
      assert.equal(isStoreUnavailable(error), false, 'the classifier does not call a data error an outage');
      const { wikis, pages } = fixture.platform.platform.deps;
      const [findBySlug, search] = [wikis.findBySlug, pages.search];
      try {
        pages.search = async () => Promise.reject(error);
        const result = await mcp.call('search_notes', { query: 'servo' });
        assert.equal(result.isError, true);
        assert.doesNotMatch(toolText(result), /try again/i);
        wikis.findBySlug = async () => Promise.reject(error);
        const response = await listTools('/w/notes/mcp');
        assert.equal(response.status, 500);
        assert.equal(response.headers.get('retry-after'), null);
        assert.equal((await response.json()).error, 'server_error');
      } finally {
        Object.assign(wikis, { findBySlug });
        Object.assign(pages, { search });
      }
      assert.ok(errorLogs().length > 0, 'a server fault is logged for whoever runs the platform');
    });

    test('IN-06: the RPC methods refuse NUL with InvalidArgument', async () => {
      const rpc = authClient(fixture.platform.url);
      const { secretHash } = newSecret();
      const awaited = await collect(rpc.awaitLogin({ sessionId: 'a\u0000b', secret: 'x' }));
      assert.equal(ConnectError.from(awaited.error).code, Code.InvalidArgument);
      await assert.rejects(
        rpc.initiateLogin({ identifier: 'carol\u0000.test', secretHash, clientName: 'x' }),
        (error) => ConnectError.from(error).code === Code.InvalidArgument,
      );
      assert.deepEqual(errorLogs(), []);
    });
  });
}
