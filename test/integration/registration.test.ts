// RFC 7591 dynamic client registration at a wiki's issuer (catalogue DC, IN-02).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REGISTRATION_RATE_LIMIT } from '../../src/authserver/registration.ts';
import { streamedBody, TestClient } from '../helpers/http-client.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

describe('dynamic client registration', () => {
  let platform: TestPlatform;

  before(async () => {
    platform = await startTestPlatform({});
    await platform.platform.deps.wikis.create({ slug: 'notes', ownerDid: 'did:plc:owneraaaaaaaaaaaaaaaaaaa', displayName: 'Notes' }, 1);
  });
  after(() => platform?.close());

  // A fresh client (peer address) per request: the per-address budget is tested on its own (DC-05).
  const register = (body: unknown, headers: Record<string, string> = {}) =>
    new TestClient(platform.platform.app, platform.config.publicUrl).request('/w/notes/oauth/register', {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
    });
  const clientCount = async () => (await platform.platform.deps.database.db.selectFrom('oauth_clients').select('client_id').execute()).length;

  test('Claude.ai-style: client_secret_post is honoured and echoed, with a secret; the response is no-store', async () => {
    const response = await register({
      client_name: 'Claude',
      redirect_uris: ['https://claude.ai/api/mcp/auth_callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'client_secret_post',
    });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const body = await response.json();
    assert.equal(body.token_endpoint_auth_method, 'client_secret_post');
    assert.match(body.client_id, /^mcp_[A-Za-z0-9_-]{22}$/);
    assert.match(body.client_secret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(body.client_secret_expires_at, 0);
    assert.deepEqual(body.grant_types, ['authorization_code', 'refresh_token']);
    const stored = await platform.platform.deps.oauthClients.find((await platform.platform.deps.wikis.findBySlug('notes'))!.id, body.client_id);
    assert.ok(stored && stored.secret_hash !== body.client_secret, 'the secret is stored hashed');
  });

  test('a public client (none) gets no secret; defaults are RFC 7591 §2', async () => {
    const body = await (await register({ redirect_uris: ['http://localhost:6274/oauth/callback'], token_endpoint_auth_method: 'none' })).json();
    assert.equal(body.client_secret, undefined);
    assert.deepEqual(body.response_types, ['code']);
    assert.deepEqual(body.grant_types, ['authorization_code']);
  });

  test('DC-06: client-chosen ids and secrets are ignored', async () => {
    const body = await (
      await register({
        client_id: 'did:plc:victim',
        client_secret: 'chosen',
        client_id_issued_at: 1,
        registration_access_token: 'x',
        redirect_uris: ['https://app.example/cb'],
        token_endpoint_auth_method: 'none',
      })
    ).json();
    assert.notEqual(body.client_id, 'did:plc:victim');
    assert.equal(body.client_secret, undefined);
    assert.equal(body.registration_access_token, undefined);
    assert.notEqual(body.client_id_issued_at, 1);
  });

  test('DC-01, DC-02: bad redirect URIs are invalid_redirect_uri and nothing is stored', async () => {
    const before = await clientCount();
    for (const uri of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'data:text/html,x',
      'file:///etc/passwd',
      'vbscript:x',
      'about:blank',
      'http://evil.com/cb',
      'https://evil.com/cb#frag',
      'https://*.evil.com/cb',
      'https://user:pass@evil.com/cb',
      '/cb',
      'myapp:/cb',
    ]) {
      const response = await register({ redirect_uris: [uri] });
      assert.equal(response.status, 400, uri);
      assert.equal((await response.json()).error, 'invalid_redirect_uri', uri);
    }
    assert.equal(await clientCount(), before);
  });

  test('RU-03: a loopback redirect URI on port 0 is invalid_redirect_uri and nothing is stored', async () => {
    const before = await clientCount();
    for (const uri of ['http://127.0.0.1:0/cb', 'http://localhost:0/cb', 'http://[::1]:0/cb']) {
      const response = await register({ redirect_uris: [uri], token_endpoint_auth_method: 'none' });
      assert.equal(response.status, 400, uri);
      assert.equal((await response.json()).error, 'invalid_redirect_uri', uri);
    }
    assert.equal(await clientCount(), before);
  });

  test('DC-03: oversized bodies are 413; too many or too long fields are invalid_client_metadata naming the field', async () => {
    assert.equal((await register({ redirect_uris: ['https://app.example/cb'], padding: 'x'.repeat(17 * 1024) })).status, 413);
    const cases: Array<[unknown, RegExp]> = [
      [{ redirect_uris: Array.from({ length: 500 }, (_, i) => `https://app.example/${i}`) }, /^redirect_uris/],
      [{ redirect_uris: ['https://app.example/cb'], client_name: 'x'.repeat(5000) }, /^client_name/],
      [{ redirect_uris: ['https://app.example/cb'], contacts: Array.from({ length: 1000 }, () => 'a@b.c') }, /^contacts/],
      [{ redirect_uris: [] }, /^redirect_uris/],
    ];
    for (const [body, field] of cases) {
      const response = await register(body);
      assert.equal(response.status, 400);
      const error = await response.json();
      assert.equal(error.error, 'invalid_client_metadata');
      assert.match(error.error_description, field);
    }
  });

  test('DC-04: other grants and response types are refused, never broadened', async () => {
    for (const body of [
      { redirect_uris: ['https://app.example/cb'], grant_types: ['implicit'] },
      { redirect_uris: ['https://app.example/cb'], grant_types: ['password'] },
      { redirect_uris: ['https://app.example/cb'], grant_types: ['client_credentials'] },
      { redirect_uris: ['https://app.example/cb'], response_types: ['token'] },
      { redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'private_key_jwt' },
    ]) {
      const response = await register(body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal((await response.json()).error, 'invalid_client_metadata');
    }
  });

  test('DC-07: unknown scopes are replaced by ours (RFC 7591 §2); the 201 says what was registered', async () => {
    const cases: Array<[string, string]> = [
      ['claudeai', 'wiki:read wiki:write'], // what old Claude builds send
      ['wiki:read admin', 'wiki:read'],
      ['wiki:write  wiki:read wiki:write', 'wiki:read wiki:write'],
      ['wiki:read', 'wiki:read'],
    ];
    for (const [requested, registered] of cases) {
      const response = await register({
        client_name: 'Claude',
        redirect_uris: ['https://claude.ai/api/mcp/auth_callback'],
        token_endpoint_auth_method: 'none',
        scope: requested,
      });
      assert.equal(response.status, 201, requested);
      const body = await response.json();
      assert.equal(body.scope, registered, requested);
      const wiki = (await platform.platform.deps.wikis.findBySlug('notes'))!;
      const stored = await platform.platform.deps.oauthClients.find(wiki.id, body.client_id);
      assert.equal(JSON.parse(stored!.metadata).scope, registered, 'stored as returned');
    }
    const without = await (await register({ redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'none' })).json();
    assert.equal(without.scope, undefined, 'no scope asked, none registered');
  });

  test('IN-01: a registration body over 16 KiB without Content-Length is a 413, unread past the cap', async () => {
    const before = await clientCount();
    const streamed = streamedBody('{"redirect_uris":["https://app.example/cb"],"client_name":"', 8 * 1024 * 1024);
    const client = new TestClient(platform.platform.app, platform.config.publicUrl);
    const response = await client.request('/w/notes/oauth/register', streamed.post({ 'content-type': 'application/json' }));
    assert.equal(response.status, 413);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal((await response.json()).error, 'invalid_client_metadata');
    assert.ok(streamed.pulled() <= 64 * 1024, `read ${streamed.pulled()} bytes of an oversized body`);
    assert.equal(await clientCount(), before, 'nothing was registered');
  });

  test('IN-02: malformed JSON and wrong content types are 400 with a generic description; no prototype pollution', async () => {
    for (const body of ['{"redirect_uris":', '{"a":1,}', '\ufeff{}', 'null', '[]', '"str"', '['.repeat(5_000) + ']'.repeat(5_000)]) {
      const response = await register(body);
      assert.equal(response.status, 400, body.slice(0, 20));
      const error = await response.json();
      assert.equal(error.error, 'invalid_client_metadata');
      assert.doesNotMatch(error.error_description, /at |SyntaxError|position/);
    }
    await register('{"__proto__":{"admin":true},"constructor":{"prototype":{"admin":true}},"redirect_uris":["https://app.example/cb"]}');
    assert.equal(({} as { admin?: boolean }).admin, undefined);
    assert.equal((await register({ redirect_uris: ['https://app.example/cb'] }, { 'content-type': 'text/plain' })).status, 400);
  });

  test('DC-05: registrations from one address beyond the budget get 429 with Retry-After', async () => {
    const post = () =>
      fetch(`${platform.url}/w/notes/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'none' }),
      });
    for (let i = 0; i < REGISTRATION_RATE_LIMIT; i++) assert.equal((await post()).status, 201);
    const limited = await post();
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '60');
  });

  test('DC-05: IPv6 clients count per /64, so rotating addresses buys no budget; other /64s keep theirs', async () => {
    const registerFrom = (address: string) =>
      new TestClient(platform.platform.app, platform.config.publicUrl, address).request('/w/notes/oauth/register', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'none' }),
      });
    for (let i = 1; i <= REGISTRATION_RATE_LIMIT; i++) {
      assert.equal((await registerFrom(`2001:db8:1:2::${i.toString(16)}`)).status, 201);
    }
    assert.equal((await registerFrom('2001:db8:1:2:ffff:ffff:ffff:fffe')).status, 429, 'a new address in the same /64');
    assert.equal((await registerFrom('2001:db8:1:3::1')).status, 201, 'the next /64 is another client');
  });
});
