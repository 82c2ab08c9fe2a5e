// Client ID Metadata Documents: an https client_id whose document describes the client, served
// here on loopback (the platform runs with the insecure switch, as on a local test network).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Context } from 'hono';
import { clientResolver } from '../../src/authserver/clients.ts';
import { hardenedFetch } from '../../src/net/hardened-fetch.ts';
import { bodyText, hiddenCharactersIn } from '../helpers/html.ts';
import { codeIn, notesClient, type OAuthTestClient } from '../helpers/oauth-client.ts';
import { freePort, type TestPlatform } from '../helpers/platform.ts';
import { loopbackCertificate, startLoopbackHttps, trustInThisProcess } from '../helpers/tls.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';

const REDIRECT = 'http://127.0.0.1:33418/callback';

describe('Client ID Metadata Documents', () => {
  let fixture: WikiFixture;
  let platform: TestPlatform;
  let oauth: OAuthTestClient;
  let documents: Server;
  let base = '';
  const served: Record<string, { status?: number; body?: unknown; headers?: Record<string, string> }> = {};
  const fetches: string[] = [];

  before(async () => {
    fixture = await startWikiFixture();
    ({ platform } = fixture);
    oauth = notesClient(fixture, REDIRECT);
    const port = await freePort();
    base = `http://localhost:${port}`;
    documents = createServer((req, res) => {
      fetches.push(req.url!);
      const entry = served[req.url!] ?? { status: 404 };
      res.writeHead(entry.status ?? 200, { 'content-type': 'application/json', ...entry.headers });
      res.end(entry.body === undefined ? '' : typeof entry.body === 'string' ? entry.body : JSON.stringify(entry.body));
    });
    await new Promise<void>((resolve) => documents.listen(port, '127.0.0.1', resolve));
  });
  after(async () => {
    await new Promise((resolve) => documents.close(resolve));
    await fixture?.close();
  });

  function document(path: string, body: Record<string, unknown>, extra: { status?: number; headers?: Record<string, string> } = {}): string {
    const clientId = `${base}${path}`;
    served[path] = {
      body: {
        client_id: clientId,
        client_name: 'Claude Code',
        redirect_uris: [REDIRECT],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'none',
        ...body,
      },
      ...extra,
    };
    return clientId;
  }

  test('a metadata-document client is shown as published by its host, and completes the code flow as a public client', async () => {
    const clientId = document('/claude-code.json', {});
    const page = await oauth.authorize(clientId);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, new RegExp(`published by localhost:${new URL(base).port}`));
    const code = codeIn(await oauth.consent(html));
    const response = await oauth.redeem(clientId, code);
    assert.equal(response.status, 200);
    assert.ok((await response.json()).refresh_token, 'grant_types from the document are honoured');
  });

  test('CS-05: hidden characters in a document’s client_name are shown as escapes on the consent page', async () => {
    const clientId = document('/spoof.json', { client_name: 'Claude\u202Egnp.live\u200D\u2067' });
    const html = await (await oauth.authorize(clientId)).text();
    assert.deepEqual(hiddenCharactersIn(html), [], 'nothing hidden anywhere in the page');
    const text = bodyText(html);
    assert.ok(text.includes('Claude\\u202Egnp.live\\u200D\\u2067'), text);
    assert.ok(text.includes(`published by localhost:${new URL(base).port}`), 'next to the host that vouches for it');
  });

  test('documents are cached: a second authorization does not fetch again', async () => {
    const clientId = document('/cached.json', {}, { headers: { 'cache-control': 'max-age=600' } });
    await oauth.authorize(clientId);
    await oauth.authorize(clientId);
    assert.equal(fetches.filter((url) => url === '/cached.json').length, 1);
  });

  const bad: Record<string, [string, Record<string, unknown>, { status?: number; headers?: Record<string, string> }?]> = {
    'names another client_id': ['/other-id.json', { client_id: 'https://evil.example/client.json' }],
    'carries a client secret': ['/secret.json', { client_secret: 'x' }],
    'asks for a confidential auth method': ['/basic.json', { token_endpoint_auth_method: 'client_secret_basic' }],
    'has a javascript: redirect URI': ['/js.json', { redirect_uris: ['javascript:alert(1)'] }],
    'has a loopback redirect URI on port 0 (RU-03)': ['/port-zero.json', { redirect_uris: ['http://127.0.0.1:0/cb'] }],
    'answers with a redirect (SS-03)': ['/moved.json', {}, { status: 302, headers: { location: '/claude-code.json' } }],
    'is missing (404)': ['/nothing-here.json', {}, { status: 404 }],
  };
  for (const [name, [path, body, extra]] of Object.entries(bad)) {
    test(`a document that ${name} is refused on our own page, never redirected`, async () => {
      const clientId = document(path, body, extra);
      const response = await oauth.authorize(clientId);
      assert.equal(response.status, 400);
      assert.equal(response.headers.get('location'), null);
      assert.match(await response.text(), /describes itself in a way we cannot use/);
    });
  }

  test('SS-05: a document that is not served as JSON is refused, even when its body would parse', async () => {
    const html = { 'content-type': 'text/html; charset=utf-8' };
    served['/page.json'] = { body: '<!doctype html><title>Sign in</title><h1>Welcome</h1>', headers: html };
    const refused = [
      document('/json-as-html.json', {}, { headers: html }),
      `${base}/page.json`,
      document('/plain.json', {}, { headers: { 'content-type': 'text/plain' } }),
    ];
    for (const clientId of refused) {
      const response = await oauth.authorize(clientId);
      assert.equal(response.status, 400, clientId);
      assert.equal(response.headers.get('location'), null);
      assert.match(await response.text(), /describes itself in a way we cannot use/);
    }
    // What the draft allows: application/json with parameters, and application/<type>+json.
    for (const type of ['application/json; charset=utf-8', 'application/oauth-client+json']) {
      const clientId = document(`/${type.replace(/\W+/g, '-')}.json`, {}, { headers: { 'content-type': type } });
      assert.equal((await oauth.authorize(clientId)).status, 200, type);
    }
  });

  test('SS-01: with protection on, a client_id on a loopback address is never fetched', async () => {
    let connections = 0;
    const tls: TcpServer = createTcpServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => tls.listen(443, '127.0.0.1', resolve));
    try {
      // This platform runs with the insecure switch; a production resolver (protection on) is built
      // from the same parts to show that the address check blocks loopback before any connection.
      const resolver = clientResolver({
        clients: platform.platform.deps.oauthClients,
        fetch: hardenedFetch(false),
        allowInsecure: false,
        log: platform.platform.deps.log,
        now: () => Math.floor(Date.now() / 1000),
      });
      const wiki = (await platform.platform.deps.wikis.findBySlug('notes'))!;
      for (const clientId of ['https://127.0.0.1/client.json', 'https://localhost/client.json', 'https://[::1]/client.json']) {
        await assert.rejects(resolver.resolve(wiki, clientId, new Context(new Request('https://robot.example/'))), /could not be fetched/, clientId);
      }
      assert.equal(connections, 0);
    } finally {
      await new Promise((resolve) => tls.close(resolve));
    }
  });

  test('SS-01: an https document on loopback is accepted only by the insecure switch, and only with a trusted certificate', async () => {
    const certificate = loopbackCertificate();
    let connections = 0;
    const https = await startLoopbackHttps(certificate, (_req, res) => {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ client_id: clientId, client_name: 'TLS client', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }));
    });
    https.server.on('connection', () => (connections += 1));
    const clientId = `${https.url}/tls-client.json`;
    let untrust: (() => void) | undefined;
    try {
      const wiki = (await platform.platform.deps.wikis.findBySlug('notes'))!;
      const c = new Context(new Request('https://robot.example/'));
      const production = clientResolver({
        clients: platform.platform.deps.oauthClients,
        fetch: hardenedFetch(false),
        allowInsecure: false,
        log: platform.platform.deps.log,
        now: () => Math.floor(Date.now() / 1000),
      });
      await assert.rejects(production.resolve(wiki, clientId, c), /could not be fetched/);
      assert.equal(connections, 0, 'protection on: refused before connecting');
      // The insecure switch lifts the address rules, not certificate verification.
      await assert.rejects(platform.platform.deps.clients.resolve(wiki, clientId, c), /could not be fetched/);
      assert.ok(connections > 0, 'insecure: it connected, then refused the untrusted certificate');
      untrust = trustInThisProcess(certificate.cert);
      assert.equal((await platform.platform.deps.clients.resolve(wiki, clientId, c))?.verifiedHost, new URL(clientId).host);
    } finally {
      untrust?.();
      await https.close();
    }
  });
});
