// The dashboard (wikis, bearer tokens, collaborators, access, deletion) and the read-only web view,
// through the same HTTP requests a browser makes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Wiki } from '../../src/store/wikis.ts';
import { CAROL_DID, MALLORY_DID, VICTIM_DID } from '../helpers/fake-atproto.ts';
import { TestClient } from '../helpers/http-client.ts';
import { signUp } from '../helpers/login-flow.ts';
import { accessTokenFor } from '../helpers/mcp.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';

const LIST_TOOLS = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });

describe('dashboard and web view', () => {
  let fixture: WikiFixture;
  let carol: TestClient;
  let mallory: TestClient;
  let anonymous: TestClient;

  before(async () => {
    fixture = await startWikiFixture();
    carol = fixture.carol;
    mallory = new TestClient(fixture.platform.platform.app, fixture.platform.config.publicUrl);
    await signUp(mallory, fixture.fake, 'mallory', 'mallory.test');
    anonymous = new TestClient(fixture.platform.platform.app, fixture.platform.config.publicUrl);
  });
  after(() => fixture?.close());

  const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1]!;
  const page = async (client: TestClient, path: string) => {
    const response = await client.request(path);
    return { status: response.status, html: await response.text(), location: response.headers.get('location') };
  };
  const post = async (client: TestClient, path: string, form: Record<string, string>, from = '/app/') =>
    client.form(path, { csrf: csrfOf((await page(client, from)).html), ...form });
  const wiki = async (slug: string) => (await fixture.platform.platform.deps.wikis.findBySlug(slug)) as Wiki;
  const mcpStatus = (slug: string, token: string) =>
    anonymous
      .request(`/w/${slug}/mcp`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: LIST_TOOLS,
      })
      .then((r) => r.status);

  test('the dashboard lists your wikis and creates new ones with the username rules for addresses', async () => {
    const home = await page(carol, '/app/');
    assert.equal(home.status, 200);
    assert.match(home.html, /Your wikis/);
    assert.match(home.html, /href="\/app\/wikis\/notes"/);
    for (const [slug, message, status] of [
      ['ab', /3 to 30 characters/, 422],
      ['admin', /reserved/, 422],
      ['Bad_Slug', /lower-case letters/, 422],
      ['notes', /is taken/, 409],
    ] as const) {
      const response = await post(carol, '/app/wikis', { slug, display_name: 'X' });
      assert.equal(response.status, status, slug);
      assert.match(await response.text(), message);
    }
    assert.equal((await post(carol, '/app/wikis', { slug: 'garden', display_name: '   ' })).status, 422);
    const created = await post(carol, '/app/wikis', { slug: 'Garden', display_name: 'My  garden' });
    assert.equal(created.status, 303);
    assert.equal(created.headers.get('location'), '/app/wikis/garden?done=wiki-created');
    const created2 = await wiki('garden');
    assert.deepEqual([created2.owner_did, created2.display_name, created2.anonymous_read], [CAROL_DID, 'My garden', 0]);
  });

  test('the settings page gives copy-paste connection instructions for each client', async () => {
    const { html } = await page(carol, '/app/wikis/garden');
    const mcpUrl = `${fixture.platform.config.publicUrl}/w/garden/mcp`;
    assert.ok(html.includes(`claude mcp add --transport http garden ${mcpUrl}`));
    for (const client of ['Claude.ai', 'Claude Code', 'ChatGPT', 'MCP Inspector']) assert.ok(html.includes(client), client);
  });

  test('bearer tokens: shown once, stored hashed, scoped, accepted at /mcp, revocable', async () => {
    const made = await post(carol, '/app/wikis/garden/tokens', { name: 'laptop', access: 'read' }, '/app/wikis/garden');
    assert.equal(made.status, 200);
    const token = /(rwt_[A-Za-z0-9_-]{43})/.exec(await made.text())![1]!;
    assert.equal(await mcpStatus('garden', token), 200);
    assert.equal(await mcpStatus('notes', token), 401);
    const again = await page(carol, '/app/wikis/garden');
    assert.ok(!again.html.includes(token));
    assert.match(again.html, /laptop/);
    const stored = await fixture.platform.platform.deps.database.db.selectFrom('wiki_tokens').selectAll().execute();
    assert.ok(stored.every((row) => !JSON.stringify(row).includes(token)));
    assert.ok(!fixture.platform.logs.text().includes(token));
    const id = /\/tokens\/([^/]+)\/revoke/.exec(again.html)![1]!;
    assert.equal((await post(carol, `/app/wikis/garden/tokens/${id}/revoke`, {}, '/app/wikis/garden')).status, 303);
    assert.equal(await mcpStatus('garden', token), 401);
    assert.equal((await post(carol, '/app/wikis/garden/tokens', { name: '', access: 'read' }, '/app/wikis/garden')).status, 422);
  });

  test('collaborators are added by handle or DID, and take effect at once; bad handles are clear errors', async () => {
    const added = await post(carol, '/app/wikis/garden/members', { account: '@mallory.test', role: 'read' }, '/app/wikis/garden');
    assert.equal(added.status, 303);
    assert.equal((await fixture.platform.platform.deps.wikis.member((await wiki('garden')).id, MALLORY_DID))?.role, 'read');
    assert.match((await page(carol, '/app/wikis/garden')).html, /@mallory\.test/);
    const bad = await post(carol, '/app/wikis/garden/members', { account: 'nobody.test', role: 'read' }, '/app/wikis/garden');
    assert.equal(bad.status, 422);
    assert.match(await bad.text(), /could not find an atproto account/);
    assert.equal((await post(carol, '/app/wikis/garden/members', { account: 'https://pds.example', role: 'read' }, '/app/wikis/garden')).status, 422);
    assert.equal((await post(carol, '/app/wikis/garden/members', { account: VICTIM_DID, role: 'write' }, '/app/wikis/garden')).status, 303);

    // Mallory, a reader, sees the wiki, can make read tokens only, and cannot manage it.
    assert.match((await page(mallory, '/app/')).html, /My garden/);
    const settings = await page(mallory, '/app/wikis/garden');
    assert.equal(settings.status, 200);
    assert.doesNotMatch(settings.html, /Delete this wiki/);
    assert.equal((await post(mallory, '/app/wikis/garden/tokens', { name: 'sneaky', access: 'write' }, '/app/wikis/garden')).status, 422);
    assert.equal((await post(mallory, '/app/wikis/garden/members', { account: 'mallory.test', role: 'write' }, '/app/wikis/garden')).status, 403);
    assert.equal((await post(mallory, '/app/wikis/garden/delete', { confirm: 'garden' }, '/app/wikis/garden')).status, 403);

    const token = (await accessTokenFor(fixture.platform.platform, await wiki('garden'), MALLORY_DID, 'wiki:read')).token;
    assert.equal(await mcpStatus('garden', token), 200);
    assert.equal((await post(carol, '/app/wikis/garden/members/remove', { did: MALLORY_DID }, '/app/wikis/garden')).status, 303);
    assert.equal(await mcpStatus('garden', token), 401);
    assert.equal((await page(mallory, '/app/wikis/garden')).status, 404);
  });

  test('CSRF: dashboard posts need the session token and our Origin', async () => {
    assert.equal((await carol.form('/app/wikis', { slug: 'nocsrf', display_name: 'x' })).status, 403);
    const csrf = csrfOf((await page(carol, '/app/')).html);
    assert.equal((await carol.form('/app/wikis', { slug: 'evil', display_name: 'x', csrf }, { origin: 'https://evil.example' })).status, 403);
    assert.equal((await mallory.form('/app/wikis', { slug: 'crossuser', display_name: 'x', csrf })).status, 403);
    assert.equal(await fixture.platform.platform.deps.wikis.findBySlug('evil'), undefined);
  });

  test('web view: members read rendered, sanitised pages with history; outsiders do not; anonymous read when on', async () => {
    const { deps } = fixture.platform.platform;
    const garden = await wiki('garden');
    await deps.pages.write(garden.id, CAROL_DID, {
      path: 'Plants/Tomato',
      content:
        '# Tomato\n\nSee [[Plants/Basil|basil]].\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n| a | b |\n|---|---|\n| 1 | 2 |',
    });
    await deps.pages.write(garden.id, CAROL_DID, { path: 'Plants/Tomato', content: '# Tomato v2', baseRevision: 1, message: 'shorter' });

    const index = await page(carol, '/w/garden');
    assert.equal(index.status, 200);
    assert.match(index.html, /href="http:\/\/127\.0\.0\.1:\d+\/w\/garden\/pages\/Plants\/Tomato"/);
    const old = await page(carol, '/w/garden/pages/Plants/Tomato?revision=1');
    assert.equal(old.status, 200);
    assert.match(old.html, /<h1>Tomato<\/h1>/);
    // Basil does not exist: a red link.
    assert.match(old.html, /<a href="http:\/\/127\.0\.0\.1:\d+\/w\/garden\/pages\/Plants\/Basil" class="missing-page"[^>]*>basil<\/a>/);
    assert.match(old.html, /<table>/);
    assert.match(old.html, /This is revision 1, not the current one \(revision 2\)/);
    assert.ok(!old.html.includes('<script>alert') && old.html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(!old.html.includes('href="javascript:') && old.html.includes('<a href="">x</a>'));
    assert.ok(!old.html.includes('<img'));
    assert.match((await page(carol, '/w/garden/pages/Plants/Tomato')).html, /Tomato v2/);
    const history = await page(carol, '/w/garden/history/Plants/Tomato');
    assert.match(history.html, /shorter/);
    assert.equal((await page(carol, '/w/garden/pages/Plants/Nope')).status, 404);
    assert.equal((await page(carol, '/w/garden/pages/Plants/Tomato?revision=abc')).status, 404);

    const outsider = await page(anonymous, '/w/garden/pages/Plants/Tomato');
    assert.equal(outsider.status, 303);
    assert.match(outsider.location!, /\/auth\/login\?return_to=/);
    assert.equal((await page(mallory, '/w/garden')).status, 404);

    assert.equal((await post(carol, '/app/wikis/garden/access', { anonymous_read: 'on' }, '/app/wikis/garden')).status, 303);
    assert.equal((await page(anonymous, '/w/garden/pages/Plants/Tomato')).status, 200);
    assert.equal((await page(mallory, '/w/garden')).status, 200);
    // Anonymous read is for the web view only: MCP still needs a member's token.
    assert.equal(await mcpStatus('garden', (await accessTokenFor(fixture.platform.platform, garden, MALLORY_DID, 'wiki:read')).token), 401);
    assert.equal((await post(carol, '/app/wikis/garden/access', {}, '/app/wikis/garden')).status, 303);
    assert.equal((await page(anonymous, '/w/garden')).status, 303);
  });

  test('deleting a wiki needs its address typed, revokes everything bound to it, and frees the slug', async () => {
    const garden = await wiki('garden');
    const { token } = await accessTokenFor(fixture.platform.platform, garden, CAROL_DID);
    assert.equal(await mcpStatus('garden', token), 200);
    const wrong = await post(carol, '/app/wikis/garden/delete', { confirm: 'gardn' }, '/app/wikis/garden');
    assert.equal(wrong.status, 422);
    assert.ok(await fixture.platform.platform.deps.wikis.findBySlug('garden'));
    const deleted = await post(carol, '/app/wikis/garden/delete', { confirm: 'garden' }, '/app/wikis/garden');
    assert.equal(deleted.status, 303);
    assert.equal(await fixture.platform.platform.deps.wikis.findBySlug('garden'), undefined);
    assert.equal(await mcpStatus('garden', token), 404);
    assert.equal((await post(mallory, '/app/wikis', { slug: 'garden', display_name: 'Mallory’s garden' })).status, 303);
    assert.equal(await mcpStatus('garden', token), 401);
    assert.equal((await fixture.platform.platform.deps.database.db.selectFrom('grants').selectAll().where('wiki_id', '=', garden.id).execute()).length, 0);
  });
});
