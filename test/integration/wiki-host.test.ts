// Host mode: a wiki's own origin (`https://{slug}.$WIKI_DOMAIN`) serves its MCP endpoint and its web
// view at the root, with the same errors and styles as the platform.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Wiki } from '../../src/store/wikis.ts';
import { TestClient } from '../helpers/http-client.ts';
import { connectMcp, wikiTokenFor } from '../helpers/mcp.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

const OWNER = 'did:plc:owneraaaaaaaaaaaaaaaaaaa';

describe('a wiki on its own host', () => {
  let platform: TestPlatform;
  let wiki: Wiki;
  let visitor: TestClient;

  before(async () => {
    platform = await startTestPlatform({
      PUBLIC_URL: 'https://robot.example',
      WIKI_DOMAIN: 'robot.example',
      COOKIE_DOMAIN: 'robot.example',
      MCP_ALLOWED_ORIGINS: 'https://console.example',
    });
    wiki = await platform.platform.deps.wikis.create({ slug: 'notes', ownerDid: OWNER, displayName: 'Notes' }, 1);
    visitor = new TestClient(platform.platform.app, 'https://notes.robot.example');
  });
  after(() => platform?.close());

  test('the MCP endpoint is at /mcp on the wiki host, and the web view at its root', async () => {
    const session = await connectMcp(platform.platform.app, 'https://notes.robot.example/mcp', await wikiTokenFor(platform.platform, wiki, OWNER));
    try {
      await session.json('write_note', { path: 'Home', content: 'Welcome. See [[Projects/Robot Arm]].' });
      assert.equal((await session.json('read_note', { path: 'Home' })).revision, 1);
    } finally {
      await session.close();
    }
    const anonymous = await visitor.request('/');
    assert.equal(anonymous.status, 303);
    assert.equal(new URL(anonymous.headers.get('location')!).origin, 'https://robot.example');
    await platform.platform.deps.wikis.setAnonymousRead(wiki.id, true);
    const index = await visitor.request('/');
    assert.equal(index.status, 200);
    const html = await index.text();
    assert.match(html, /href="https:\/\/notes\.robot\.example\/pages\/Home"/);
    assert.match(html, /href="https:\/\/robot\.example\/" class="brand"/, 'the header bar leads to the platform');
    assert.match(
      html,
      /href="https:\/\/robot\.example\/auth\/login\?return_to=https%3A%2F%2Fnotes\.robot\.example%2F">Log in</,
      'and back here after logging in',
    );
    const home = await (await visitor.request('/pages/Home')).text();
    assert.match(home, /<a href="https:\/\/notes\.robot\.example\/pages\/Projects\/Robot%20Arm" class="missing-page"[^>]*>Projects\/Robot Arm<\/a>/);
  });

  test("Caddy's on-demand TLS question: certificates for the platform and existing wikis only", async () => {
    const platformHost = new TestClient(platform.platform.app, 'https://robot.example');
    const allowed = async (domain: string) => (await platformHost.request(`/tls/allowed?domain=${encodeURIComponent(domain)}`)).status;
    assert.equal(await allowed('robot.example'), 200);
    assert.equal(await allowed('notes.robot.example'), 200);
    for (const other of ['zzz.robot.example', 'a.notes.robot.example', 'notes.robot.example.evil.example', 'evil.example', ''])
      assert.equal(await allowed(other), 404, other);
  });

  test('the pages find their styles, and errors are our pages, not bare 500s', async () => {
    for (const file of ['/static/pico.min.css', '/static/app.css']) assert.equal((await visitor.request(file)).status, 200, file);
    const missing = await visitor.request('/pages/Nope');
    assert.equal(missing.status, 404);
    const missingPage = await missing.text();
    assert.match(missingPage, /There is no page “Nope” in this wiki yet/);
    assert.match(missingPage, /href="https:\/\/robot\.example\/auth\/login\?return_to=/, 'links lead back to the platform, not the wiki host');
    const nowhere = await visitor.request('/no/such/thing');
    assert.equal(nowhere.status, 404);
    assert.match(await nowhere.text(), /There is nothing at this address/);
    const unknownHost = new TestClient(platform.platform.app, 'https://zzz.robot.example');
    assert.equal((await unknownHost.request('/')).status, 404);
  });

  // In a public deployment the Host is not restricted; the Origin still is.
  test('RS-14: the wiki host, the platform, MCP_ALLOWED_ORIGINS and loopback origins may call /mcp', async () => {
    const token = await wikiTokenFor(platform.platform, wiki, OWNER);
    const call = (origin: string | undefined) =>
      visitor.request('/mcp', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `Bearer ${token}`,
          ...(origin ? { origin } : {}),
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
      });
    const allowed = ['https://notes.robot.example', 'https://robot.example', 'https://console.example'];
    allowed.push('http://localhost:6274');
    for (const origin of [undefined, ...allowed]) {
      assert.equal((await call(origin)).status, 200, origin);
    }
    // A sibling wiki's origin is another tenant, not this wiki.
    const foreign = ['https://evil.example', 'https://other.robot.example', 'http://notes.robot.example'];
    foreign.push('https://console.example.evil.example');
    for (const origin of foreign) {
      const response = await call(origin);
      assert.equal(response.status, 403, origin);
      assert.equal((await response.json()).error.code, -32000);
    }
  });
});
