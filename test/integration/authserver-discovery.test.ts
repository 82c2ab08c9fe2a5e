// Each wiki is its own OAuth issuer: discovery in path mode and host mode, and dynamic registration.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestClient } from '../helpers/http-client.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

const OWNER = 'did:plc:owneraaaaaaaaaaaaaaaaaaa';

describe('authorization server discovery, path mode', () => {
  let platform: TestPlatform;
  let client: TestClient;
  let issuer: string;

  before(async () => {
    platform = await startTestPlatform({});
    await platform.platform.deps.wikis.create({ slug: 'notes', ownerDid: OWNER, displayName: 'Notes' }, 1);
    client = new TestClient(platform.platform.app, platform.config.publicUrl);
    issuer = `${platform.config.publicUrl}/w/notes`;
  });
  after(() => platform?.close());

  test('AS-02: RFC 8414 metadata at the path-inserted URL, with issuer = the wiki base and every promise MCP clients need', async () => {
    const response = await client.request('/.well-known/oauth-authorization-server/w/notes');
    assert.equal(response.status, 200);
    const metadata = await response.json();
    assert.equal(metadata.issuer, issuer);
    for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'registration_endpoint', 'revocation_endpoint', 'introspection_endpoint', 'jwks_uri']) {
      assert.ok(metadata[endpoint].startsWith(`${issuer}/`), `${endpoint} on the issuer`);
    }
    assert.deepEqual(metadata.response_types_supported, ['code']);
    assert.deepEqual(metadata.grant_types_supported, ['authorization_code', 'refresh_token']);
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(metadata.token_endpoint_auth_methods_supported, ['none', 'client_secret_post', 'client_secret_basic']);
    assert.deepEqual(metadata.scopes_supported, ['wiki:read', 'wiki:write']);
    assert.equal(metadata.client_id_metadata_document_supported, true);
    assert.equal(metadata.authorization_response_iss_parameter_supported, true);
  });

  test('the same document at the OIDC and suffix-appended variants clients also try', async () => {
    const expected = await (await client.request('/.well-known/oauth-authorization-server/w/notes')).json();
    for (const path of [
      '/.well-known/openid-configuration/w/notes',
      '/w/notes/.well-known/openid-configuration',
      '/w/notes/.well-known/oauth-authorization-server',
    ]) {
      const response = await client.request(path);
      assert.equal(response.status, 200, path);
      assert.deepEqual(await response.json(), expected, path);
    }
  });

  test('PR-01: protected-resource metadata names the MCP URL and this wiki as its only authorization server', async () => {
    const response = await client.request('/.well-known/oauth-protected-resource/w/notes/mcp');
    assert.equal(response.status, 200);
    const metadata = await response.json();
    assert.equal(metadata.resource, `${issuer}/mcp`);
    assert.deepEqual(metadata.authorization_servers, [issuer]);
    assert.deepEqual(metadata.scopes_supported, ['wiki:read', 'wiki:write']);
  });

  test('PR-02: an unknown wiki is a 404 everywhere; a POST to metadata is not served', async () => {
    for (const path of [
      '/.well-known/oauth-authorization-server/w/nope',
      '/.well-known/oauth-protected-resource/w/nope/mcp',
      '/w/nope/.well-known/openid-configuration',
    ]) {
      assert.equal((await client.request(path)).status, 404, path);
    }
    const post = await client.request('/.well-known/oauth-authorization-server/w/notes', { method: 'POST' });
    assert.ok(post.status === 404 || post.status === 405, `status ${post.status}`);
  });

  test('CORS: discovery and registration answer browsers (MCP Inspector), preflights are not gated', async () => {
    const metadata = await client.request('/.well-known/oauth-authorization-server/w/notes', { headers: { origin: 'http://localhost:6274' } });
    assert.equal(metadata.headers.get('access-control-allow-origin'), '*');
    const preflight = await client.request('/w/notes/oauth/register', {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:6274', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
    // The actual calls too, answers and errors alike, so a browser client can read why it was refused.
    const origin = { origin: 'http://localhost:6274' };
    const registered = await client.request('/w/notes/oauth/register', {
      method: 'POST',
      headers: { ...origin, 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['http://localhost:6274/oauth/callback'], token_endpoint_auth_method: 'none' }),
    });
    assert.equal(registered.status, 201);
    assert.equal(registered.headers.get('access-control-allow-origin'), '*');
    for (const path of ['/w/notes/oauth/token', '/w/notes/oauth/revoke']) {
      const refused = await client.request(path, {
        method: 'POST',
        headers: { ...origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=x',
      });
      assert.equal(refused.status, 401, path);
      assert.equal(refused.headers.get('access-control-allow-origin'), '*', path);
      assert.equal(refused.headers.get('cache-control'), 'no-store', path);
    }
  });

  test('CORS: only the JSON endpoints grant it; the authorization page and the wiki pages give another origin nothing', async () => {
    const origin = { origin: 'https://elsewhere.example' };
    for (const path of ['/w/notes/oauth/authorize?client_id=x', '/w/notes', '/w/notes/Home']) {
      const response = await client.request(path, { headers: origin });
      assert.equal(response.headers.get('access-control-allow-origin'), null, path);
    }
    const preflight = await client.request('/w/notes/Home', {
      method: 'OPTIONS',
      headers: { ...origin, 'access-control-request-method': 'GET' },
    });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    const jwks = await client.request('/w/notes/oauth/jwks.json', { headers: origin });
    assert.equal(jwks.headers.get('access-control-allow-origin'), '*');
  });
});

describe('authorization server discovery, host mode', () => {
  let platform: TestPlatform;
  let client: TestClient;

  before(async () => {
    platform = await startTestPlatform({ PUBLIC_URL: 'https://robot.example', WIKI_DOMAIN: 'robot.example', COOKIE_DOMAIN: 'robot.example' });
    await platform.platform.deps.wikis.create({ slug: 'notes', ownerDid: OWNER, displayName: 'Notes' }, 1);
    client = new TestClient(platform.platform.app, 'https://notes.robot.example');
  });
  after(() => platform?.close());

  test('AS-02, PR-01: a wiki host serves its issuer metadata and resource metadata at its root', async () => {
    const metadata = await (await client.request('/.well-known/oauth-authorization-server')).json();
    assert.equal(metadata.issuer, 'https://notes.robot.example');
    assert.equal(metadata.registration_endpoint, 'https://notes.robot.example/oauth/register');
    for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const resource = await (await client.request(path)).json();
      assert.equal(resource.resource, 'https://notes.robot.example/mcp', path);
      assert.deepEqual(resource.authorization_servers, ['https://notes.robot.example']);
    }
  });

  test('PR-02: metadata comes from the registry, never from X-Forwarded-Host; unknown wiki hosts are 404', async () => {
    const forwarded = await (await client.request('/.well-known/oauth-authorization-server', { headers: { 'x-forwarded-host': 'evil.example' } })).json();
    assert.equal(forwarded.issuer, 'https://notes.robot.example');
    const unknown = new TestClient(platform.platform.app, 'https://zzz.robot.example');
    assert.equal((await unknown.request('/.well-known/oauth-authorization-server')).status, 404);
    assert.equal((await unknown.request('/.well-known/oauth-protected-resource/mcp')).status, 404);
  });

  test('the platform host itself is not a wiki issuer', async () => {
    const main = new TestClient(platform.platform.app, 'https://robot.example');
    assert.equal((await main.request('/.well-known/oauth-authorization-server')).status, 404);
  });
});
