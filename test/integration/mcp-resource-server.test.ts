// The wiki MCP endpoint as a resource server: which bearer tokens it accepts and how it refuses the
// rest (catalogue RS-01..14, PR-03, DB-06).
import assert from 'node:assert/strict';
import { generateKeyPairSync, createHmac, type KeyObject } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { publishedJwks } from '../../src/keys/keystore.ts';
import { challenge } from '../../src/mcp/challenge.ts';
import type { Wiki } from '../../src/store/wikis.ts';
import { authClient, cliLogin } from '../helpers/cli-login.ts';
import { CAROL_DID, VICTIM_DID } from '../helpers/fake-atproto.ts';
import { TestClient } from '../helpers/http-client.ts';
import { accessTokenFor, connectMcp, wikiTokenFor } from '../helpers/mcp.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';

const WRITE_CALL = {
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'write_note', arguments: { path: 'Pwned', content: 'should never be written' } },
};
const LIST_TOOLS = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} };

describe('wiki MCP endpoint as a resource server', () => {
  let fixture: WikiFixture;
  let wiki: Wiki;
  let other: Wiki;
  const now = () => Math.floor(Date.now() / 1000);
  let anonymous: TestClient;
  let mcpUrl: string;

  before(async () => {
    fixture = await startWikiFixture({}, { now });
    const { deps } = fixture.platform.platform;
    wiki = (await deps.wikis.findBySlug('notes'))!;
    other = await deps.wikis.create({ slug: 'other', ownerDid: CAROL_DID, displayName: 'Other' }, now());
    anonymous = new TestClient(fixture.platform.platform.app, fixture.platform.config.publicUrl);
    mcpUrl = `${fixture.issuer}/mcp`;
  });
  after(() => fixture?.close());

  const post = (body: unknown, headers: Record<string, string> = {}, url = mcpUrl) =>
    anonymous.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify(body),
    });
  const bearer = (token: string, body: unknown = LIST_TOOLS, url = mcpUrl) => post(body, { authorization: `Bearer ${token}` }, url);
  const pagesWritten = async () => (await fixture.platform.platform.deps.pages.list(wiki.id, { limit: 100 })).items.length;
  const keys = () => fixture.platform.platform.deps.platformKeys;

  /** A token signed with our real key, with claims and header of the test's choosing. */
  async function forge(claims: Record<string, unknown>, header: Record<string, unknown> = {}, signWith: CryptoKey | KeyObject = keys().active.privateKey) {
    const nowSeconds = now();
    const base = {
      iss: fixture.issuer,
      aud: mcpUrl,
      sub: CAROL_DID,
      client_id: 'c',
      scope: 'wiki:read wiki:write',
      wiki_id: wiki.id,
      gid: (await accessTokenFor(fixture.platform.platform, wiki, CAROL_DID)).grantId,
      jti: `j${Math.random()}`,
      iat: nowSeconds,
      exp: nowSeconds + 600,
    };
    const payload = Object.fromEntries(Object.entries({ ...base, ...claims }).filter(([, value]) => value !== undefined));
    return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: keys().active.kid, typ: 'at+jwt', ...header }).sign(signWith);
  }

  async function assertInvalidToken(response: Response, slug = 'notes') {
    assert.equal(response.status, 401);
    const challenge = response.headers.get('www-authenticate')!;
    assert.match(challenge, /^Bearer /);
    assert.match(challenge, /error="invalid_token"/);
    assert.match(challenge, new RegExp(`resource_metadata="${fixture.platform.config.publicUrl}/.well-known/oauth-protected-resource/w/${slug}/mcp"`));
  }

  test('a valid access token lists the wiki tools', async () => {
    const { token } = await accessTokenFor(fixture.platform.platform, wiki, CAROL_DID);
    const response = await bearer(token);
    assert.equal(response.status, 200);
    const names = (await response.json()).result.tools.map((tool: { name: string }) => tool.name).sort();
    assert.deepEqual(names, [
      'delete_attachment',
      'delete_note',
      'download_attachment',
      'edit_note',
      'find_orphaned_notes',
      'get_history',
      'get_links',
      'get_recent_changes',
      'list_attachments',
      'list_notes',
      'read_note',
      'rename_note',
      'search_notes',
      'semantic_search',
      'upload_attachment',
      'write_note',
    ]);
  });

  test('RS-01: alg none (any case, with or without the signature dot) is refused and no tool runs', async () => {
    const valid = await forge({});
    const [, payload] = valid.split('.');
    for (const alg of ['none', 'None', 'NONE']) {
      const header = Buffer.from(JSON.stringify({ alg, typ: 'at+jwt', kid: keys().active.kid })).toString('base64url');
      for (const token of [`${header}.${payload}.`, `${header}.${payload}`]) await assertInvalidToken(await bearer(token, WRITE_CALL));
    }
    assert.equal(await pagesWritten(), 0);
  });

  test('RS-02: algorithm confusion and header-supplied keys are refused; no fetch is triggered', async () => {
    let fetched = 0;
    const attackerServer = createServer((_, res) => {
      fetched++;
      res.end('{}');
    });
    await new Promise<void>((resolve) => attackerServer.listen(0, '127.0.0.1', resolve));
    const attackerUrl = `http://127.0.0.1:${(attackerServer.address() as { port: number }).port}/jwks.json`;
    try {
      const valid = await forge({});
      const [, payload] = valid.split('.');
      const publicJwk = publishedJwks(keys()).keys[0]!;
      // HS256 keyed with our public key's bytes (JWK JSON and its x coordinate).
      for (const secret of [JSON.stringify(publicJwk), String(publicJwk.x)]) {
        const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: keys().active.kid })).toString('base64url');
        const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
        await assertInvalidToken(await bearer(`${header}.${payload}.${signature}`, WRITE_CALL));
      }
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
      for (const alg of ['RS256', 'PS256'])
        await assertInvalidToken(
          await bearer(
            await new SignJWT({ ...(await import('jose')).decodeJwt(valid) })
              .setProtectedHeader({ alg, typ: 'at+jwt', kid: keys().active.kid })
              .sign(rsa.privateKey),
            WRITE_CALL,
          ),
        );
      const attacker = await generateKeyPair('ES256');
      const attackerJwk = await exportJWK(attacker.publicKey);
      for (const header of [{ jwk: attackerJwk }, { jku: attackerUrl }, { x5u: attackerUrl }, { kid: 'attacker' }]) {
        await assertInvalidToken(await bearer(await forge({}, header, attacker.privateKey), WRITE_CALL));
      }
      for (const kid of ['../../dev/null', "' OR 1=1--"]) await assertInvalidToken(await bearer(await forge({}, { kid }), WRITE_CALL));
      assert.equal(fetched, 0);
      assert.equal(await pagesWritten(), 0);
    } finally {
      attackerServer.close();
    }
  });

  test('RS-03: a token for wiki A is refused at wiki B, and only the canonical MCP URL is an audience', async () => {
    const { token } = await accessTokenFor(fixture.platform.platform, wiki, CAROL_DID);
    await assertInvalidToken(await bearer(token, LIST_TOOLS, `${fixture.platform.config.publicUrl}/w/other/mcp`), 'other');
    for (const aud of [fixture.issuer, fixture.platform.config.publicUrl, `${mcpUrl}/`])
      await assertInvalidToken(await bearer(await forge({ aud }), WRITE_CALL));
    assert.equal((await fixture.platform.platform.deps.pages.list(other.id, { limit: 10 })).items.length, 0);
  });

  test('RS-04: missing aud, an aud list without us, a foreign or http:// iss, a missing sub', async () => {
    const httpIssuer = fixture.issuer.replace('http://127.0.0.1', 'http://localhost');
    for (const claims of [
      { aud: undefined },
      { aud: ['https://elsewhere.example/mcp'] },
      { iss: `${fixture.platform.config.publicUrl}/w/other` },
      { iss: httpIssuer },
      { sub: undefined },
    ]) {
      await assertInvalidToken(await bearer(await forge(claims), WRITE_CALL));
    }
    assert.equal(await pagesWritten(), 0);
  });

  test('RS-05: expired past the 60 s skew, no exp, not yet valid, issued in the future, or too long-lived', async () => {
    const t = now();
    const expired = await bearer(await forge({ exp: t - 61, iat: t - 700 }));
    await assertInvalidToken(expired);
    assert.match((await expired.json()).error_description, /expired/);
    assert.match(expired.headers.get('www-authenticate')!, /error_description="the access token has expired"/);
    for (const claims of [{ exp: undefined }, { nbf: t + 120 }, { iat: t + 120, exp: t + 700 }, { exp: t + 48 * 3600 }])
      await assertInvalidToken(await bearer(await forge(claims)));
    // Within the skew, a just-expired token is still accepted.
    assert.equal((await bearer(await forge({ exp: t - 30, iat: t - 700 }))).status, 200);
  });

  test('RS-06: 1,000 tokens with unknown kids are refused quickly, with no key fetch at all', async () => {
    const before = fixture.platform.logs.lines.length;
    const started = performance.now();
    const attacker = await generateKeyPair('ES256');
    const token = await forge({}, { kid: 'unknown-kid' }, attacker.privateKey);
    const statuses = await Promise.all(Array.from({ length: 1000 }, (_, i) => bearer(token.replace(/.$/, i % 2 ? 'A' : 'B')).then((r) => r.status)));
    assert.ok(statuses.every((status) => status === 401));
    assert.ok(performance.now() - started < 20_000);
    // Keys are the platform's own, in process: nothing asks the JWKS endpoint.
    assert.ok(!fixture.platform.logs.lines.slice(before).some((line) => line.includes('jwks.json')));
  });

  test('RS-08: session JWTs, CLI credentials, refresh tokens, JWTs of other types are not access tokens', async () => {
    const session = fixture.carol.cookies.get('platform_token')!;
    await assertInvalidToken(await bearer(session));
    const person = new TestClient(fixture.platform.platform.app, fixture.platform.config.publicUrl);
    const cli = await cliLogin(authClient(fixture.platform.url), person, fixture.fake);
    await assertInvalidToken(await bearer(cli.token));
    await assertInvalidToken(await bearer(await forge({}, { typ: 'JWT' })));
    await assertInvalidToken(await bearer(await forge({}, { typ: 'dpop+jwt' })));
    await assertInvalidToken(await bearer(await forge({}, { typ: undefined })));
    await assertInvalidToken(await bearer(`rt_${'x'.repeat(43)}`));
  });

  test('RS-09: malformed credentials are a 401 challenge (400 for two at once), never a 500', async () => {
    const valid = await forge({});
    for (const token of ['a.b', 'not!base64.x.y', `${Buffer.from('{not json').toString('base64url')}.e30.x`, 'x'.repeat(64 * 1024)])
      await assertInvalidToken(await bearer(token));
    await assertInvalidToken(await post(LIST_TOOLS, { authorization: 'Bearer ' }));
    const basic = await post(LIST_TOOLS, { authorization: 'Basic dXNlcjpwYXNz' });
    assert.equal(basic.status, 401);
    assert.doesNotMatch(basic.headers.get('www-authenticate')!, /error=/);
    assert.equal((await post(LIST_TOOLS, { authorization: `bearer ${valid}` })).status, 200);
    const queryOnly = await post(LIST_TOOLS, {}, `${mcpUrl}?access_token=${valid}`);
    assert.equal(queryOnly.status, 401);
    assert.doesNotMatch(queryOnly.headers.get('www-authenticate')!, /error=/);
    assert.equal((await post(LIST_TOOLS, { authorization: `Bearer ${valid}` }, `${mcpUrl}?access_token=${valid}`)).status, 400);
    const headers = new Headers({ 'content-type': 'application/json', accept: 'application/json, text/event-stream' });
    headers.append('authorization', `Bearer ${valid}`);
    headers.append('authorization', `Bearer ${valid}`);
    const twice = await fixture.platform.platform.app.request(mcpUrl, { method: 'POST', headers, body: JSON.stringify(LIST_TOOLS) });
    assert.equal(twice.status, 400);
    assert.equal((await twice.json()).error, 'invalid_request');
    // LG-01: the token sent in the query string (and in headers) never reaches the log.
    assert.ok(!fixture.platform.logs.text().includes(valid.split('.')[2]!));
  });

  test('RS-10: a read-only token calling a write tool gets 403 insufficient_scope naming wiki:write', async () => {
    const { token } = await accessTokenFor(fixture.platform.platform, wiki, CAROL_DID, 'wiki:read');
    const response = await bearer(token, WRITE_CALL);
    assert.equal(response.status, 403);
    const challenge = response.headers.get('www-authenticate')!;
    assert.match(challenge, /^Bearer /);
    assert.match(challenge, /error="insufficient_scope"/);
    assert.match(challenge, /scope="wiki:write"/);
    assert.match(challenge, /resource_metadata="[^"]+\/\.well-known\/oauth-protected-resource\/w\/notes\/mcp"/);
    assert.equal(await pagesWritten(), 0);
    // The same token may read.
    const read = await bearer(token, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list_notes', arguments: {} } });
    assert.equal(read.status, 200);
  });

  test('RS-10: on 2026-07-28 too, a read-only token calling a write tool gets 403 before the tool runs; it may read pages as resources', async () => {
    // The scope check reads the JSON-RPC body, which is the same on both wires; the revision travels
    // in the request's `_meta` and headers.
    const _meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 't', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    const modern = (token: string, method: string, params: Record<string, unknown>, name?: string) =>
      post(
        { jsonrpc: '2.0', id: 7, method, params: { ...params, _meta } },
        { authorization: `Bearer ${token}`, 'mcp-protocol-version': '2026-07-28', 'mcp-method': method, ...(name ? { 'mcp-name': name } : {}) },
      );
    const { token } = await accessTokenFor(fixture.platform.platform, wiki, CAROL_DID, 'wiki:read');
    const refused = await modern(token, 'tools/call', WRITE_CALL.params, 'write_note');
    assert.equal(refused.status, 403);
    assert.match(refused.headers.get('www-authenticate')!, /error="insufficient_scope"/);
    assert.match(refused.headers.get('www-authenticate')!, /scope="wiki:write"/);
    assert.equal(await pagesWritten(), 0);
    const listed = await modern(token, 'resources/list', {});
    assert.equal(listed.status, 200);
    assert.ok(Array.isArray((await listed.json()).result.resources));
  });

  test('RS-11: a revoked grant or a removed collaborator is refused at once', async () => {
    const { deps } = fixture.platform.platform;
    const { token, grantId } = await accessTokenFor(fixture.platform.platform, wiki, CAROL_DID);
    assert.equal((await bearer(token)).status, 200);
    await deps.codes.revokeGrant(grantId, now());
    await assertInvalidToken(await bearer(token));

    await deps.wikis.setMember({ wikiId: wiki.id, did: VICTIM_DID, handle: null, role: 'write' }, now());
    const collaborator = await accessTokenFor(fixture.platform.platform, wiki, VICTIM_DID);
    const bearerToken = await wikiTokenFor(fixture.platform.platform, wiki, VICTIM_DID);
    assert.equal((await bearer(collaborator.token)).status, 200);
    assert.equal((await bearer(bearerToken)).status, 200);
    await deps.wikis.removeMember(wiki.id, VICTIM_DID, now());
    await assertInvalidToken(await bearer(collaborator.token));
    await assertInvalidToken(await bearer(bearerToken));
  });

  test('RS-11: a downgraded collaborator keeps reading but can no longer write, whatever the token says', async () => {
    const { deps } = fixture.platform.platform;
    await deps.wikis.setMember({ wikiId: wiki.id, did: VICTIM_DID, handle: null, role: 'write' }, now());
    const { token } = await accessTokenFor(fixture.platform.platform, wiki, VICTIM_DID);
    await deps.wikis.setMember({ wikiId: wiki.id, did: VICTIM_DID, handle: null, role: 'read' }, now());
    assert.equal((await bearer(token, WRITE_CALL)).status, 403);
    assert.equal((await bearer(token)).status, 200);
    await deps.wikis.removeMember(wiki.id, VICTIM_DID, now());
  });

  test('RS-12: a token for a deleted wiki is refused by a new wiki under the same slug', async () => {
    const { deps } = fixture.platform.platform;
    const doomed = await deps.wikis.create({ slug: 'phoenix', ownerDid: CAROL_DID, displayName: 'Phoenix' }, now());
    const { token } = await accessTokenFor(fixture.platform.platform, doomed, CAROL_DID);
    const phoenixMcp = `${fixture.platform.config.publicUrl}/w/phoenix/mcp`;
    assert.equal((await bearer(token, LIST_TOOLS, phoenixMcp)).status, 200);
    await deps.wikis.delete(doomed.id);
    await deps.wikis.create({ slug: 'phoenix', ownerDid: CAROL_DID, displayName: 'Phoenix again' }, now());
    // Immediately: the verified-token cache is keyed by token but checked against the wiki's id.
    await assertInvalidToken(await bearer(token, LIST_TOOLS, phoenixMcp), 'phoenix');
  });

  test('RS-13: a platform session cookie never authenticates MCP', async () => {
    const response = await fixture.carol.request(mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify(WRITE_CALL),
    });
    assert.equal(response.status, 401);
    assert.doesNotMatch(response.headers.get('www-authenticate')!, /error=/);
    assert.equal(await pagesWritten(), 0);
  });

  test('PR-03: the challenge names the metadata URL and scopes, has no error without credentials, and is injection-safe', async () => {
    const bare = await post(LIST_TOOLS);
    assert.equal(bare.status, 401);
    assert.equal(
      bare.headers.get('www-authenticate'),
      `Bearer resource_metadata="${fixture.platform.config.publicUrl}/.well-known/oauth-protected-resource/w/notes/mcp", scope="wiki:read wiki:write"`,
    );
    // A browser client (it sends Origin) may read the challenge; a client that is not a browser needs no CORS headers.
    assert.equal(bare.headers.get('access-control-expose-headers'), null);
    const fromBrowser = await post(LIST_TOOLS, { origin: 'http://localhost:6274' });
    assert.equal(fromBrowser.status, 401);
    assert.equal(fromBrowser.headers.get('access-control-allow-origin'), 'http://localhost:6274');
    assert.equal(fromBrowser.headers.get('access-control-expose-headers')?.toLowerCase().includes('www-authenticate'), true);
    // fetch refuses to send CR/LF, so the escaping is checked on the challenge builder itself.
    const wikiForChallenge = { id: wiki.id, slug: 'notes', displayName: 'x', issuer: fixture.issuer, mcpUrl, resourceMetadataUrl: 'https://a.example/m"x' };
    const hostile = challenge(wikiForChallenge, { code: 'invalid_token', description: 'bad "token"\r\nX-Injected: yes \\' });
    assert.doesNotMatch(hostile, /[\r\n]/);
    assert.equal(
      hostile,
      'Bearer resource_metadata="https://a.example/m\\"x", scope="wiki:read wiki:write", error="invalid_token", error_description="bad \\"token\\" X-Injected: yes \\\\"',
    );
    assert.equal((await bearer('abc"def')).status, 401);
    const preflight = await anonymous.request(mcpUrl, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://inspector.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    assert.equal(preflight.status, 204);
  });

  /** A request over real HTTP with a Host header of the test's choosing (fetch will not send one). */
  function rawPost(path: string, headers: Record<string, string>, body: unknown) {
    const { hostname, port } = new URL(fixture.platform.url);
    const accept = 'application/json, text/event-stream';
    const allHeaders = { 'content-type': 'application/json', accept, ...headers };
    return new Promise<{ status: number; body: any }>((resolve, reject) => {
      const request = httpRequest({ hostname, port, path, method: 'POST', headers: allHeaders }, (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, body: text ? JSON.parse(text) : null }));
      });
      request.on('error', reject);
      request.end(JSON.stringify(body));
    });
  }

  const assertOriginRefused = async (response: { status: number; body: any; headers?: Headers }) => {
    assert.equal(response.status, 403);
    // MCP transports: the body may be a JSON-RPC error without an id.
    assert.equal(response.body.jsonrpc, '2.0');
    assert.equal(response.body.id, null);
    assert.equal(typeof response.body.error.code, 'number');
    assert.match(response.body.error.message, /Origin|Host/);
    assert.equal(response.headers?.get('www-authenticate') ?? null, null, 'refused before any authentication');
    assert.equal(response.headers?.get('access-control-allow-origin') ?? null, null);
  };
  const withBody = async (response: Response) => {
    return { status: response.status, headers: response.headers, body: await response.json() };
  };

  test('RS-14: a foreign Origin gets 403 and a JSON-RPC error before authentication; nothing runs', async () => {
    const { token } = await accessTokenFor(fixture.platform.platform, wiki, CAROL_DID);
    const foreign = [
      'https://evil.example',
      'http://evil.example.com',
      'null',
      '',
      'http://localhost.evil.example:6274',
      'http://127.0.0.1.evil.example',
      `${fixture.platform.config.publicUrl}/path`,
      'file://',
    ];
    const credentials: Record<string, string>[] = [{ authorization: `Bearer ${token}` }, { authorization: 'Bearer x' }];
    credentials.push({});
    for (const origin of foreign) {
      for (const given of credentials) {
        await assertOriginRefused(await withBody(await post(WRITE_CALL, { origin, ...given })));
      }
    }
    assert.equal(await pagesWritten(), 0);
  });

  test('RS-14: DNS rebinding: a loopback server refuses a foreign Host, with or without Origin', async () => {
    const { token } = await accessTokenFor(fixture.platform.platform, wiki, CAROL_DID);
    const authorization = `Bearer ${token}`;
    const path = '/w/notes/mcp';
    // The conformance dns-rebinding scenario: Host and Origin of the attacker's name, to a loopback server.
    const attacker = { host: 'evil.example.com', origin: 'http://evil.example.com', authorization };
    await assertOriginRefused(await rawPost(path, attacker, WRITE_CALL));
    // A rebound page's request to its "own" origin may carry no Origin; its Host still names the attacker.
    await assertOriginRefused(await rawPost(path, { host: 'evil.example.com:80', authorization }, WRITE_CALL));
    assert.equal(await pagesWritten(), 0);
    // The same request naming the loopback server it reached is served.
    const { host } = new URL(fixture.platform.url);
    const served = await rawPost(path, { host, origin: fixture.platform.config.publicUrl, authorization }, LIST_TOOLS);
    assert.equal(served.status, 200);
    assert.ok(Array.isArray(served.body.result.tools));
  });

  test('RS-14: no Origin (non-browser clients), our origin and loopback ones (MCP Inspector) are served', async () => {
    const { token } = await accessTokenFor(fixture.platform.platform, wiki, CAROL_DID);
    const loopback = ['http://localhost:6274', 'http://127.0.0.1:6274', 'http://[::1]:6274'];
    const origins = [fixture.platform.config.publicUrl, ...loopback];
    for (const headers of [{}, ...origins.map((origin) => ({ origin }))]) {
      const response = await post(LIST_TOOLS, { authorization: `Bearer ${token}`, ...headers });
      assert.equal(response.status, 200, JSON.stringify(headers));
      assert.ok(Array.isArray((await response.json()).result.tools));
    }
    // The official SDK client (no Origin) end to end.
    const session = await connectMcp(fixture.platform.platform.app, mcpUrl, token);
    try {
      assert.ok((await session.client.listTools()).tools.length > 0);
    } finally {
      await session.close();
    }
    // A browser client on a loopback origin can read the challenge that starts its authorization.
    const bare = await post(LIST_TOOLS, { origin: 'http://localhost:6274' });
    assert.equal(bare.status, 401);
    assert.equal(bare.headers.get('access-control-allow-origin'), 'http://localhost:6274');
    assert.match(bare.headers.get('access-control-expose-headers')!, /WWW-Authenticate/i);
  });

  test('RS-14: a preflight from a foreign origin gets no CORS grant; one from an allowed origin does', async () => {
    const preflight = (origin: string) => {
      const request = { 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' };
      const headers = { origin, ...request };
      return anonymous.request(mcpUrl, { method: 'OPTIONS', headers });
    };
    for (const origin of ['https://evil.example', 'null']) {
      const response = await preflight(origin);
      assert.equal(response.headers.get('access-control-allow-origin'), null, origin);
    }
    const inspector = await preflight('http://localhost:6274');
    assert.equal(inspector.status, 204);
    assert.equal(inspector.headers.get('access-control-allow-origin'), 'http://localhost:6274');
    assert.match(inspector.headers.get('access-control-allow-headers')!, /Authorization/i);
    assert.match(inspector.headers.get('vary') ?? '', /Origin/i);
  });

  test('RS-14: a served call carries the CORS headers for its origin, and its request id, like the challenge', async () => {
    const { token } = await accessTokenFor(fixture.platform.platform, wiki, CAROL_DID);
    const browser = await post(LIST_TOOLS, { authorization: `Bearer ${token}`, origin: 'http://localhost:6274' });
    assert.equal(browser.status, 200);
    assert.equal(browser.headers.get('access-control-allow-origin'), 'http://localhost:6274');
    assert.match(browser.headers.get('access-control-expose-headers')!, /WWW-Authenticate/i);
    assert.match(browser.headers.get('vary') ?? '', /Origin/i);
    assert.ok(browser.headers.get('x-request-id'));
    const tool = await post(LIST_TOOLS, { authorization: `Bearer ${token}` });
    assert.equal(tool.status, 200);
    assert.equal(tool.headers.get('access-control-allow-origin'), null);
    assert.ok(tool.headers.get('x-request-id'));
  });

  test('IN-02: nested or ill-typed JSON-RPC: -32700, -32600 or -32602, one short reason, no -32603 dump', async () => {
    const { token } = await accessTokenFor(fixture.platform.platform, wiki, CAROL_DID);
    const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const accept = 'application/json, text/event-stream';
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept };
    const raw = (body: string) => anonymous.request(mcpUrl, { method: 'POST', headers, body });
    const bodies = [
      deep(10_000),
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_note","arguments":${deep(10_000)}}}`,
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":${deep(10_000)}}}`,
      `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":${deep(1_000)}}}`,
      `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":${deep(100)}}}`,
      `[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":1}}]`,
    ];
    for (const body of bodies) {
      const response = await raw(body);
      const answer = await response.json();
      const { error } = Array.isArray(answer) ? answer[0] : answer;
      const said = `${body.slice(0, 80)} → ${JSON.stringify(answer).slice(0, 200)}`;
      assert.ok([-32700, -32600, -32602].includes(error?.code), said);
      assert.ok(error.message.length < 200 && !error.message.includes('"code"'), `no validation dump: ${said}`);
    }
    assert.equal(await pagesWritten(), 0);
  });

  test('IN-05: GET and DELETE are 405 at once: stateless, no stream is held open, no session to end', async () => {
    const { token } = await accessTokenFor(fixture.platform.platform, wiki, CAROL_DID);
    const headers = { authorization: `Bearer ${token}`, accept: 'application/json, text/event-stream' };
    for (const method of ['GET', 'DELETE']) {
      const response = await anonymous.request(mcpUrl, { method, headers, signal: AbortSignal.timeout(5_000) });
      assert.equal(response.status, 405, method);
      assert.equal(response.headers.get('allow'), 'POST');
      assert.equal((await response.json()).error.code, -32000);
    }
    // Without credentials the challenge still comes first: it is what starts a client's authorization.
    assert.equal((await anonymous.request(mcpUrl, { headers: { accept: 'text/event-stream' } })).status, 401);
  });

  test('DB-06: when the database cannot be read the endpoint fails closed with 503 and no tool output', async () => {
    const { deps } = fixture.platform.platform;
    const { token } = await accessTokenFor(fixture.platform.platform, wiki, CAROL_DID);
    const original = deps.wikis.findBySlug;
    // The driver's own error for a store held locked past the busy timeout (src/store/errors.ts).
    deps.wikis.findBySlug = async () => {
      throw new BetterSqlite3.SqliteError('database is locked', 'SQLITE_BUSY');
    };
    try {
      const response = await bearer(token, WRITE_CALL);
      assert.equal(response.status, 503);
      assert.equal(response.headers.get('retry-after'), '5');
      assert.deepEqual(Object.keys(await response.json()).sort(), ['error', 'error_description']);
      // Any other failure fails closed too, as our fault rather than an outage (IN-05).
      deps.wikis.findBySlug = async () => {
        throw new TypeError('unexpected');
      };
      assert.equal((await bearer(token, WRITE_CALL)).status, 500);
    } finally {
      deps.wikis.findBySlug = original;
    }
    // The revocation state: a grant whose status cannot be read is not assumed active.
    const fresh = await accessTokenFor(fixture.platform.platform, wiki, CAROL_DID);
    const isGrantActive = deps.codes.isGrantActive;
    deps.codes.isGrantActive = async () => {
      throw new Error('Connection terminated unexpectedly'); // node-postgres, when the server goes away
    };
    try {
      assert.equal((await bearer(fresh.token, WRITE_CALL)).status, 503);
    } finally {
      deps.codes.isGrantActive = isGrantActive;
    }
    assert.equal(await pagesWritten(), 0);
  });
});
