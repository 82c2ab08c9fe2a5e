// The management API (/api/v1) over real HTTP: each credential (the CLI's, a personal access token),
// none, and the browser cookie alone; the OpenAPI document against the routes the server really has.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { OPERATIONS } from '../../src/api/operations.ts';
import { PERSONAL_TOKEN_PREFIX } from '../../src/api/credentials.ts';
import { apiCaller, cliCredential } from '../helpers/api-client.ts';
import { CAROL_DID, MALLORY_DID } from '../helpers/fake-atproto.ts';
import { TestClient } from '../helpers/http-client.ts';
import { signUp } from '../helpers/login-flow.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';

describe('management API', () => {
  let fixture: WikiFixture;
  let api: ReturnType<typeof apiCaller>;
  let cli: string;

  before(async () => {
    fixture = await startWikiFixture();
    api = apiCaller(fixture.platform);
    cli = await cliCredential(fixture.platform, fixture.fake);
  });
  after(() => fixture?.close());

  /** An operation's path with every parameter filled in. */
  const concrete = (path: string) => path.replace('{slug}', 'notes').replace('{path}', 'Home').replace('{did}', MALLORY_DID).replace('{id}', 'x');

  test('API-01: every operation refuses a request without a bearer credential (401 problem, WWW-Authenticate: Bearer)', async () => {
    // Requirement: the API is authenticated by a bearer credential on every operation but its own description.
    for (const operation of OPERATIONS) {
      const answer = await api(operation.method.toUpperCase(), concrete(operation.path), operation.body ? { json: {} } : {});
      assert.equal(answer.status, 401, `${operation.method} ${operation.path}`);
      assert.equal(answer.headers.get('content-type'), 'application/problem+json');
      assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer realm=/);
      assert.equal(answer.json.status, 401);
      assert.equal(answer.json.code, 'unauthorized');
    }
  });

  test('API-02, CL-09: the browser session cookie alone is refused, and a browser session token is no bearer credential', async () => {
    // Requirement: the API never accepts the browser cookie (no CSRF surface); only bearer credentials.
    const cookie = [...fixture.carol.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    assert.ok(cookie.includes('='), 'carol is signed in in the browser');
    const withCookie = await api('GET', '/wikis', { headers: { cookie } });
    assert.equal(withCookie.status, 401);
    const sessionToken = [...fixture.carol.cookies.values()].find((value) => value.split('.').length === 3)!;
    const asBearer = await api('GET', '/wikis', { token: sessionToken });
    assert.equal(asBearer.status, 401);
    assert.equal(asBearer.json.code, 'invalid_token');
    assert.match(asBearer.headers.get('www-authenticate')!, /error="invalid_token"/);
    for (const token of ['garbage', `${PERSONAL_TOKEN_PREFIX}unknown`, `${cli}x`]) assert.equal((await api('GET', '/me', { token })).status, 401, token);
  });

  test('API-03, CK-03: the CLI credential works, and logging out through the API ends it at once', async () => {
    // Requirement: the credential robot login stores authenticates the API, and robot logout revokes it server-side.
    const me = await api('GET', '/me', { token: cli });
    assert.equal(me.status, 200);
    assert.deepEqual(me.json, { did: CAROL_DID, handle: 'carol.test', username: 'carol', credential: 'cli' });
    const wikis = await api('GET', '/wikis', { token: cli });
    assert.deepEqual(
      wikis.json.wikis.map((wiki: { slug: string; role: string }) => [wiki.slug, wiki.role]),
      [['notes', 'owner']],
    );
    const another = await cliCredential(fixture.platform, fixture.fake);
    assert.equal((await api('DELETE', '/session', { token: another })).status, 204);
    assert.equal((await api('GET', '/me', { token: another })).status, 401);
    assert.equal((await api('GET', '/me', { token: cli })).status, 200, 'only the presented credential ends');
  });

  test('API-04, LG-01: personal access tokens are shown once, stored hashed, work as their person, and stop when revoked', async () => {
    // Requirement: a personal access token is a bearer credential stored only as a hash, revocable by its holder.
    const made = await api('POST', '/personal-tokens', { token: cli, json: { name: 'backup script' } });
    assert.equal(made.status, 201);
    const token: string = made.json.token;
    assert.ok(token.startsWith(PERSONAL_TOKEN_PREFIX));
    const rows = await fixture.platform.platform.deps.database.db.selectFrom('personal_access_tokens').selectAll().execute();
    assert.equal(rows.length, 1);
    assert.notEqual(rows[0]!.token_hash, token);
    assert.ok(!JSON.stringify(rows).includes(token.slice(PERSONAL_TOKEN_PREFIX.length)), 'the token is not stored');
    assert.ok(!fixture.platform.logs.text().includes(token), 'the token is not logged');

    const me = await api('GET', '/me', { token });
    assert.equal(me.json.credential, 'personal');
    assert.equal(me.json.did, CAROL_DID);
    const listed = await api('GET', '/personal-tokens', { token });
    assert.deepEqual(
      listed.json.tokens.map((t: { name: string }) => t.name),
      ['backup script'],
    );
    assert.ok(!JSON.stringify(listed.json).includes(token));

    assert.equal((await api('DELETE', `/personal-tokens/${made.json.id}`, { token: cli })).status, 204);
    assert.equal((await api('GET', '/wikis', { token })).status, 401);
    assert.equal((await api('DELETE', `/personal-tokens/${made.json.id}`, { token: cli })).status, 404);
  });

  test('pages: write, read, list, and a stale base_revision is a 409 problem that saves nothing', async () => {
    const created = await api('PUT', '/wikis/notes/pages/Projects/Robot Arm', { token: cli, json: { content: 'Links to [[Home]].' } });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    assert.equal(created.json.revision, 1);
    const read = await api('GET', `/wikis/notes/pages/${encodeURIComponent('Projects/Robot Arm')}`, { token: cli });
    assert.equal(read.json.content, 'Links to [[Home]].');
    const edited = await api('PUT', '/wikis/notes/pages/Projects/Robot Arm', { token: cli, json: { content: 'v2', base_revision: 1 } });
    assert.equal(edited.json.revision, 2);
    const stale = await api('PUT', '/wikis/notes/pages/Projects/Robot Arm', { token: cli, json: { content: 'lost?', base_revision: 1 } });
    assert.equal(stale.status, 409);
    assert.equal(stale.json.code, 'conflict');
    assert.match(stale.json.detail, /revision 2/);
    assert.equal((await api('GET', '/wikis/notes/pages/Projects/Robot Arm', { token: cli })).json.content, 'v2');
    const listed = await api('GET', '/wikis/notes/pages?prefix=Projects/', { token: cli });
    assert.deepEqual(
      listed.json.pages.map((p: { path: string; revision: number }) => [p.path, p.revision]),
      [['Projects/Robot Arm', 2]],
    );
    const badQuery = await api('GET', '/wikis/notes/pages?limit=0', { token: cli });
    assert.equal(badQuery.status, 400);
    const badBody = await api('PUT', '/wikis/notes/pages/X', { token: cli, json: { text: 'no content field' } });
    assert.equal(badBody.status, 422);
    assert.match(badBody.json.detail, /content/);
    // IN-06: the platform's text rule holds for JSON bodies too (PostgreSQL would refuse the NUL).
    const nul = await api('PUT', '/wikis/notes/pages/X', { token: cli, json: { content: 'a\u0000b' } });
    assert.equal(nul.status, 422);
    assert.match(nul.json.detail, /content: This text must not contain NUL/);
    const notJson = await api('PUT', '/wikis/notes/pages/X', { token: cli, headers: { 'content-type': 'application/json' }, zip: new Uint8Array([1]) });
    assert.equal(notJson.status, 415);
    assert.equal((await api('GET', '/wikis/notes/pages/Nope', { token: cli })).status, 404);
  });

  test('wikis, wiki tokens and members: made, listed and removed with their owner’s rights only', async () => {
    const made = await api('POST', '/wikis', { token: cli, json: { slug: 'scratch', display_name: 'Scratch pad' } });
    assert.equal(made.status, 201);
    assert.equal(made.json.role, 'owner');
    assert.equal((await api('POST', '/wikis', { token: cli, json: { slug: 'scratch' } })).status, 409);
    assert.equal((await api('POST', '/wikis', { token: cli, json: { slug: 'Not A Slug!' } })).status, 422);
    assert.equal((await api('GET', '/wikis/scratch', { token: cli })).json.display_name, 'Scratch pad');

    const wikiToken = await api('POST', '/wikis/scratch/tokens', { token: cli, json: { name: 'claude', access: 'read' } });
    assert.equal(wikiToken.status, 201);
    assert.match(wikiToken.json.token, /^rwt_/);
    assert.equal(wikiToken.json.access, 'read');
    const tokens = await api('GET', '/wikis/scratch/tokens', { token: cli });
    assert.deepEqual(
      tokens.json.tokens.map((t: { id: string }) => t.id),
      [wikiToken.json.id],
    );
    assert.equal((await api('DELETE', `/wikis/scratch/tokens/${wikiToken.json.id}`, { token: cli })).status, 204);
    assert.deepEqual((await api('GET', '/wikis/scratch/tokens', { token: cli })).json.tokens, []);

    const member = await api('PUT', `/wikis/scratch/members/${MALLORY_DID}`, { token: cli, json: { role: 'read' } });
    assert.equal(member.status, 200, JSON.stringify(member.json));
    assert.deepEqual([member.json.did, member.json.handle, member.json.role], [MALLORY_DID, 'mallory.test', 'read']);
    assert.deepEqual(
      (await api('GET', '/wikis/scratch/members', { token: cli })).json.members.map((m: { did: string }) => m.did),
      [MALLORY_DID],
    );

    // Mallory, a read collaborator, sees the wiki but cannot write to it, manage it or delete it.
    await signUp(new TestClient(fixture.platform.platform.app, fixture.platform.config.publicUrl), fixture.fake, 'mallory', 'mallory.test');
    const mallory = await cliCredential(fixture.platform, fixture.fake, 'mallory.test');
    assert.equal((await api('GET', '/wikis/scratch', { token: mallory })).json.role, 'read');
    assert.equal((await api('PUT', '/wikis/scratch/pages/X', { token: mallory, json: { content: 'x' } })).status, 403);
    assert.equal((await api('GET', '/wikis/scratch/members', { token: mallory })).status, 403);
    assert.equal((await api('DELETE', '/wikis/scratch', { token: mallory })).status, 403);
    assert.equal((await api('POST', '/wikis/scratch/tokens', { token: mallory, json: { name: 'w', access: 'write' } })).status, 422);
    assert.equal((await api('GET', '/wikis/notes', { token: mallory })).status, 404, 'a wiki she is not in does not exist for her');

    assert.equal((await api('DELETE', `/wikis/scratch/members/${MALLORY_DID}`, { token: cli })).status, 204);
    assert.equal((await api('GET', '/wikis/scratch', { token: mallory })).status, 404);
    assert.equal((await api('DELETE', '/wikis/scratch', { token: cli })).status, 204);
    assert.equal((await api('GET', '/wikis/scratch', { token: cli })).status, 404);
  });

  test('an unknown operation under /api/v1 is a 404 problem', async () => {
    const answer = await api('GET', '/nothing-here', { token: cli });
    assert.equal(answer.status, 404);
    assert.equal(answer.headers.get('content-type'), 'application/problem+json');
  });

  test('the OpenAPI document is valid OpenAPI 3.1 and describes every route the API serves', async () => {
    const answer = await api('GET', '/openapi.json');
    assert.equal(answer.status, 200);
    const document = answer.json;
    assert.match(document.openapi, /^3\.1\./);
    assert.equal(document.servers[0].url, `${fixture.platform.config.publicUrl}/api/v1`);
    // Every schema in it is valid JSON Schema 2020-12 (OpenAPI 3.1's dialect) and every $ref resolves.
    const ajv = new Ajv2020({ strict: false });
    ajv.addSchema({ $id: 'doc', components: document.components });
    const schemas: unknown[] = [];
    const collect = (node: unknown) => {
      if (!node || typeof node !== 'object') return;
      const record = node as Record<string, unknown>;
      if (record.schema && typeof record.schema === 'object') schemas.push(record.schema);
      for (const value of Object.values(record)) collect(value);
    };
    collect(document.paths);
    assert.ok(schemas.length > 30);
    for (const schema of schemas) {
      const text = JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/');
      assert.doesNotThrow(() => ajv.compile(JSON.parse(text)), text);
    }
    for (const [path, item] of Object.entries(
      document.paths as Record<string, Record<string, { responses: object; operationId: string; parameters: { name: string; in: string }[] }>>,
    )) {
      for (const [method, operation] of Object.entries(item)) {
        assert.ok(operation.operationId, `${method} ${path}`);
        assert.ok(Object.keys(operation.responses).length > 0);
        for (const name of path.match(/\{(\w+)\}/g) ?? [])
          assert.ok(
            operation.parameters.some((p) => `{${p.name}}` === name && p.in === 'path'),
            `${method} ${path} declares ${name}`,
          );
      }
    }
    // The routes the server really has, read off the whole app's router: each one under /api/v1 is in the document.
    const served = fixture.platform.platform.app.routes
      .filter((route) => route.path.startsWith('/api/v1/') && route.method !== 'ALL' && route.handler.length < 2 && !route.path.endsWith('/openapi.json'))
      .map(
        (route) =>
          `${route.method.toLowerCase()} ${route.path
            .replace('/api/v1', '')
            .replace(':path{.+}', '{path}')
            .replace(/:(\w+)/g, '{$1}')}`,
      );
    const documented = Object.entries(document.paths as Record<string, object>).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method} ${path}`),
    );
    assert.equal(new Set(served).size, OPERATIONS.length);
    for (const route of new Set(served)) assert.ok(documented.includes(route), `${route} is missing from the OpenAPI document`);
  });
});
