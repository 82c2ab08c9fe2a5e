// The account page and "Delete my account" through HTTP, on SQLite and PostgreSQL: typed
// confirmation, each owned wiki deleted or handed to a collaborator, every credential dead afterwards,
// and nothing of the person left in any table but the audit trail.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CAROL_DID, MALLORY_DID } from '../helpers/fake-atproto.ts';
import { createTestDatabase, TEST_DATABASES, type TestDatabase } from '../helpers/databases.ts';
import { mcpAnswer, page, postFrom } from '../helpers/forms.ts';
import { TestClient } from '../helpers/http-client.ts';
import { signUp } from '../helpers/login-flow.ts';
import { accessTokenFor, wikiTokenFor } from '../helpers/mcp.ts';
import { notesClient } from '../helpers/oauth-client.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';
import type { DatabaseHandle } from '../../src/store/database.ts';
import type { Wiki } from '../../src/store/wikis.ts';

const REDIRECT = 'https://app.example/callback';

/** Every row of every table, by table (migration bookkeeping included). */
async function everyRow(database: DatabaseHandle): Promise<Map<string, unknown[]>> {
  const tables =
    database.dialect === 'sqlite'
      ? await database.sql.all<{ name: string }>("select name from sqlite_master where type = 'table'")
      : await database.sql.all<{ name: string }>('select table_name as name from information_schema.tables where table_schema = current_schema()');
  assert.ok(tables.length > 20, 'the scan sees the schema');
  const rows = new Map<string, unknown[]>();
  for (const { name } of tables) rows.set(name, await database.sql.all(`select * from "${name}"`));
  return rows;
}

for (const kind of TEST_DATABASES) {
  describe(`account page and deletion (${kind})`, () => {
    let database: TestDatabase;
    let fixture: WikiFixture;
    let mallory: TestClient;
    let anonymous: TestClient;
    const wiki = async (slug: string) => (await fixture.platform.platform.deps.wikis.findBySlug(slug)) as Wiki;

    before(async () => {
      database = await createTestDatabase(kind);
      fixture = await startWikiFixture({ DATABASE_URL: database.url });
      const { app, deps } = fixture.platform.platform;
      mallory = new TestClient(app, fixture.platform.config.publicUrl);
      anonymous = new TestClient(app, fixture.platform.config.publicUrl);
      await signUp(mallory, fixture.fake, 'mallory', 'mallory.test');
      const now = deps.now();
      const garden = await deps.wikis.create({ slug: 'garden', ownerDid: CAROL_DID, displayName: 'Garden' }, now);
      await deps.wikis.setMember({ wikiId: garden.id, did: MALLORY_DID, handle: 'mallory.test', role: 'write' }, now);
      const lab = await deps.wikis.create({ slug: 'lab', ownerDid: MALLORY_DID, displayName: 'Mallory’s lab' }, now);
      await deps.wikis.setMember({ wikiId: lab.id, did: CAROL_DID, handle: 'carol.test', role: 'write' }, now);
      await deps.pages.write((await wiki('notes')).id, CAROL_DID, { path: 'Home', content: 'Carol’s notes' });
      await deps.pages.write(garden.id, CAROL_DID, { path: 'Roses', content: 'Prune in March.' });
      await deps.pages.write(lab.id, CAROL_DID, { path: 'Results', content: 'Carol measured this.' });
    });
    after(async () => {
      await fixture?.close();
      await database?.drop();
    });

    test('the account page shows handle, DID, member since, connected apps and tokens', async () => {
      const oauth = notesClient(fixture, REDIRECT);
      const { clientId } = await oauth.registerClient({ client_name: 'Notebook app' });
      await oauth.redeem(clientId, await oauth.code(clientId));
      await fixture.carol.form('/app/wikis/notes/tokens', {
        csrf: /name="csrf" value="([^"]+)"/.exec((await page(fixture.carol, '/app/wikis/notes')).html)![1]!,
        name: 'laptop',
        access: 'read',
      });
      const { status, html } = await page(fixture.carol, '/app/account');
      assert.equal(status, 200);
      for (const expected of ['@carol.test', CAROL_DID, 'Member since', 'Notebook app', 'laptop', 'Give it to @mallory.test', 'Type <code>carol.test</code>'])
        assert.ok(html.includes(expected), expected);
      assert.equal((await page(anonymous, '/app/account')).location, '/auth/login?return_to=%2Fapp%2Faccount');
    });

    test('AD-05 deletion needs the typed handle and a valid choice per wiki; a wrong one deletes nothing', async () => {
      // Requirement: an account is deleted only on an exact typed confirmation, with a CSRF token from our page.
      const [notes, garden] = [await wiki('notes'), await wiki('garden')];
      const choices = { [`wiki:${notes.id}`]: 'delete', [`wiki:${garden.id}`]: MALLORY_DID };
      const mistyped = await postFrom(fixture.carol, '/app/account', '/app/account/delete', { ...choices, confirm: 'carol' });
      assert.equal(mistyped.status, 422);
      assert.match(mistyped.html, /type carol\.test exactly\. Nothing was deleted/);
      // The choices come back as made.
      assert.match(mistyped.html, new RegExp(`<option value="${MALLORY_DID}" selected="">`));
      const stranger = await postFrom(fixture.carol, '/app/account', '/app/account/delete', {
        ...choices,
        [`wiki:${garden.id}`]: 'did:plc:someoneelseaaaaaaaaaaaa',
        confirm: 'carol.test',
      });
      assert.equal(stranger.status, 422);
      assert.equal((await fixture.carol.form('/app/account/delete', { ...choices, confirm: 'carol.test' })).status, 403);
      const csrf = /name="csrf" value="([^"]+)"/.exec((await page(fixture.carol, '/app/account')).html)![1]!;
      assert.equal((await mallory.form('/app/account/delete', { confirm: 'carol.test', csrf })).status, 403);
      assert.equal(
        (await fixture.carol.form('/app/account/delete', { ...choices, confirm: 'carol.test', csrf }, { origin: 'https://evil.example' })).status,
        403,
      );
      assert.ok(await fixture.platform.platform.deps.users.findByDid(CAROL_DID));
    });

    test('AD-06 / RT-06 / RS-11 deleting an account ends every credential, hands over or deletes each wiki, and leaves only audit records', async () => {
      // Requirement: after deletion no session, grant, token or row of the person remains, except the audit trail.
      const { platform } = fixture.platform;
      const [notes, garden, lab] = [await wiki('notes'), await wiki('garden'), await wiki('lab')];
      const oauth = notesClient(fixture, REDIRECT);
      const { clientId } = await oauth.registerClient();
      const refreshToken = (await (await oauth.redeem(clientId, await oauth.code(clientId))).json()).refresh_token;
      const labAccess = (await accessTokenFor(platform, lab, CAROL_DID)).token;
      const labToken = await wikiTokenFor(platform, lab, CAROL_DID);
      const sessionCookie = fixture.carol.cookies.get('platform_token')!;
      /** Rows outside the audit trail that name Carol by DID or handle. */
      const traces = async () =>
        [...(await everyRow(platform.deps.database))]
          .filter(([table]) => table !== 'audit_events')
          .flatMap(([table, rows]) => rows.filter((row) => /fakecarol|carol\.test/.test(JSON.stringify(row))).map((row) => `${table}: ${JSON.stringify(row)}`));
      // The scan finds her everywhere she is before the deletion.
      const before = new Set((await traces()).map((trace) => trace.split(':')[0]));
      for (const table of ['users', 'platform_sessions', 'grants', 'refresh_tokens', 'wiki_tokens', 'wiki_members', 'pages', 'page_revisions', 'wikis'])
        assert.ok(before.has(table), table);
      assert.equal((await mcpAnswer(anonymous, '/w/lab/mcp', labAccess)).status, 200);
      assert.equal((await mcpAnswer(anonymous, '/w/lab/mcp', labToken)).status, 200);

      const deleted = await postFrom(fixture.carol, '/app/account', '/app/account/delete', {
        [`wiki:${notes.id}`]: 'delete',
        [`wiki:${garden.id}`]: MALLORY_DID,
        confirm: '@carol.test',
      });
      assert.equal(deleted.status, 200);
      assert.match(deleted.html, /Your account is deleted/);
      assert.match(deleted.html, /1 wiki was deleted and 1 handed to a collaborator/);
      assert.equal(fixture.carol.cookies.get('platform_token'), undefined);

      // Every credential is dead.
      const oldSession = new TestClient(platform.app, fixture.platform.config.publicUrl);
      oldSession.cookies.set('platform_token', sessionCookie);
      assert.equal((await oldSession.request('/auth/me')).status, 401);
      assert.equal((await mcpAnswer(anonymous, '/w/lab/mcp', labAccess)).status, 401);
      assert.equal((await mcpAnswer(anonymous, '/w/lab/mcp', labToken)).status, 401);
      assert.notEqual((await oauth.refresh(clientId, refreshToken)).status, 200);

      // notes is gone; garden is Mallory's; the lab page Carol wrote stays, by a deleted account.
      assert.equal(await platform.deps.wikis.findBySlug('notes'), undefined);
      assert.equal((await wiki('garden')).owner_did, MALLORY_DID);
      assert.match((await page(mallory, '/app/')).html, /Garden<\/a> <small>\(owner\)/);
      assert.equal((await platform.deps.pages.read(lab.id, 'Results'))?.content, 'Carol measured this.');

      assert.deepEqual(await traces(), []);
      const audit = await platform.deps.auditEvents.recent(10);
      assert.ok(audit.some((event) => event.event === 'account.deleted' && event.subject === CAROL_DID));
    });
  });
}
