// Administration through HTTP on SQLite and PostgreSQL: admins only (ADMIN_DIDS), CSRF, suspending
// and reinstating a user (their session, access token, refresh token and wiki token stop at once and
// come back) and a wiki (MCP, OAuth and web answer that it is suspended), invites, the audit trail.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CAROL_DID, VICTIM_DID } from '../helpers/fake-atproto.ts';
import { createTestDatabase, TEST_DATABASES, type TestDatabase } from '../helpers/databases.ts';
import { mcpAnswer, page, postFrom } from '../helpers/forms.ts';
import { TestClient } from '../helpers/http-client.ts';
import { loginThroughFake, signUp } from '../helpers/login-flow.ts';
import { accessTokenFor, wikiTokenFor } from '../helpers/mcp.ts';
import { notesClient } from '../helpers/oauth-client.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';
import type { Wiki } from '../../src/store/wikis.ts';

const REDIRECT = 'https://app.example/callback';

for (const kind of TEST_DATABASES) {
  describe(`administration (${kind})`, () => {
    let database: TestDatabase;
    let fixture: WikiFixture;
    let admin: TestClient;
    let anonymous: TestClient;
    let notes: Wiki;

    before(async () => {
      database = await createTestDatabase(kind);
      fixture = await startWikiFixture({ DATABASE_URL: database.url, ADMIN_DIDS: VICTIM_DID });
      const { app } = fixture.platform.platform;
      admin = new TestClient(app, fixture.platform.config.publicUrl);
      assert.equal((await signUp(admin, fixture.fake, 'boss', 'victim.test')).status, 303);
      anonymous = new TestClient(app, fixture.platform.config.publicUrl);
      notes = (await fixture.platform.platform.deps.wikis.findBySlug('notes'))!;
      await fixture.platform.platform.deps.pages.write(notes.id, CAROL_DID, { path: 'Home', content: '# Home\n\nHello.' });
    });
    after(async () => {
      await fixture?.close();
      await database?.drop();
    });

    test('AD-01 the admin page answers admins only: anonymous → login, a signed-in non-admin → 403 page, forged POSTs refused', async () => {
      // Requirement: only DIDs in ADMIN_DIDS see /admin/ or change anything there.
      const signedOut = await page(anonymous, '/admin/');
      assert.equal(signedOut.status, 303);
      assert.equal(signedOut.location, '/auth/login?return_to=%2Fadmin%2F');
      const refused = await page(fixture.carol, '/admin/');
      assert.equal(refused.status, 403);
      assert.match(refused.html, /for the administrators of this server/);
      const carolsForm = await postFrom(fixture.carol, '/app/', '/admin/users/suspend', { did: VICTIM_DID });
      assert.equal(carolsForm.status, 403);
      assert.equal(await fixture.platform.platform.deps.users.standing(VICTIM_DID), 'active');

      const shown = await page(admin, '/admin/');
      assert.equal(shown.status, 200);
      for (const expected of [/carol/, /boss/, CAROL_DID, /Carol’s notes/, /Signup is open/]) assert.match(shown.html, new RegExp(expected));
      // The notes wiki: one page of 14 bytes.
      assert.match(shown.html, /"Pages">1<\/td><td data-label="Size">14 B<\/td>/);
    });

    test('CS-02 admin forms need the session CSRF token and our Origin', async () => {
      // Requirement: a cross-site or token-less POST to /admin/* changes nothing (403).
      assert.equal((await admin.form('/admin/users/suspend', { did: CAROL_DID })).status, 403);
      const csrf = /name="csrf" value="([^"]+)"/.exec((await page(admin, '/admin/')).html)![1]!;
      assert.equal((await admin.form('/admin/users/suspend', { did: CAROL_DID, csrf }, { origin: 'https://evil.example' })).status, 403);
      assert.equal((await admin.form('/admin/users/suspend', { did: CAROL_DID, csrf }, { origin: 'https://notes.robot.example' })).status, 403);
      // The admin's token with another person's cookie is worth nothing.
      assert.equal((await fixture.carol.form('/admin/users/suspend', { did: CAROL_DID, csrf })).status, 403);
      assert.equal(await fixture.platform.platform.deps.users.standing(CAROL_DID), 'active');
    });

    test('AD-02 / RS-11 / RT-06 suspending a user stops their session, access, refresh and wiki tokens at once; reinstating restores them', async () => {
      // Requirement: a suspended account's every credential is refused on the next request; reinstating needs no new login.
      const { platform } = fixture.platform;
      const oauth = notesClient(fixture, REDIRECT);
      const { clientId } = await oauth.registerClient();
      const tokens = await (await oauth.redeem(clientId, await oauth.code(clientId))).json();
      const access = (await accessTokenFor(platform, notes, CAROL_DID)).token;
      const wikiToken = await wikiTokenFor(platform, notes, CAROL_DID);
      const works = async () => ({
        access: (await mcpAnswer(anonymous, '/w/notes/mcp', access)).status,
        oauthAccess: (await mcpAnswer(anonymous, '/w/notes/mcp', tokens.access_token)).status,
        wikiToken: (await mcpAnswer(anonymous, '/w/notes/mcp', wikiToken)).status,
        session: (await fixture.carol.request('/auth/me')).status,
      });
      assert.deepEqual(await works(), { access: 200, oauthAccess: 200, wikiToken: 200, session: 200 });

      const suspended = await postFrom(admin, '/admin/', '/admin/users/suspend', { did: CAROL_DID });
      assert.equal(suspended.status, 200);
      assert.match(suspended.html, /Suspended the user did:plc:fakecarol/);
      assert.deepEqual(await works(), { access: 401, oauthAccess: 401, wikiToken: 401, session: 401 });
      const refresh = await oauth.refresh(clientId, tokens.refresh_token);
      assert.equal(refresh.status, 400);
      assert.equal((await refresh.json()).error, 'invalid_grant');
      assert.equal((await page(fixture.carol, '/app/')).status, 303);
      // Logging in again is refused with a page that says why; no session is made.
      const relogin = new TestClient(platform.app, fixture.platform.config.publicUrl);
      const callback = await loginThroughFake(relogin, fixture.fake, 'carol.test');
      assert.equal(callback.status, 403);
      assert.match(await callback.text(), /account on this server is suspended/);
      assert.equal(relogin.cookies.get('platform_token'), undefined);
      // Admins cannot be suspended from the page (they would lock the server's administration out).
      assert.equal((await postFrom(admin, '/admin/', '/admin/users/suspend', { did: VICTIM_DID })).status, 422);

      const reinstated = await postFrom(admin, '/admin/', '/admin/users/reinstate', { did: CAROL_DID });
      assert.match(reinstated.html, /Reinstated the user/);
      assert.deepEqual(await works(), { access: 200, oauthAccess: 200, wikiToken: 200, session: 200 });
      assert.equal((await oauth.refresh(clientId, tokens.refresh_token)).status, 200);
      // Doing it twice says nothing changed.
      assert.equal((await postFrom(admin, '/admin/', '/admin/users/reinstate', { did: CAROL_DID })).status, 404);
    });

    test('AC-05 an account suspended between consent and the code exchange gets invalid_grant and no tokens', async () => {
      // Requirement: a code whose person was suspended after consent yields nothing.
      const oauth = notesClient(fixture, REDIRECT);
      const { clientId } = await oauth.registerClient();
      const code = await oauth.code(clientId);
      await postFrom(admin, '/admin/', '/admin/users/suspend', { did: CAROL_DID });
      const redeemed = await oauth.redeem(clientId, code);
      assert.equal(redeemed.status, 400);
      const body = await redeemed.json();
      assert.equal(body.error, 'invalid_grant');
      assert.equal(body.access_token, undefined);
      await postFrom(admin, '/admin/', '/admin/users/reinstate', { did: CAROL_DID });
    });

    test('AD-03 a suspended wiki answers MCP, OAuth and the web view that it is suspended; reinstating brings it back', async () => {
      // Requirement: nothing of a suspended wiki is served; each surface says so in its own format.
      const token = await wikiTokenFor(fixture.platform.platform, notes, CAROL_DID);
      assert.equal((await mcpAnswer(anonymous, '/w/notes/mcp', token)).status, 200);
      const suspended = await postFrom(admin, '/admin/', '/admin/wikis/suspend', { slug: 'notes' });
      assert.match(suspended.html, /Suspended the wiki notes/);
      assert.deepEqual(await mcpAnswer(anonymous, '/w/notes/mcp', token), { status: 403, error: 'wiki_suspended' });
      const tokenEndpoint = await anonymous.form('/w/notes/oauth/token', { grant_type: 'refresh_token', refresh_token: 'x', client_id: 'y' });
      assert.equal(tokenEndpoint.status, 403);
      assert.equal((await tokenEndpoint.json()).error, 'wiki_suspended');
      const web = await page(fixture.carol, '/w/notes');
      assert.equal(web.status, 403);
      assert.match(web.html, /This wiki has been suspended/);

      await postFrom(admin, '/admin/', '/admin/wikis/reinstate', { slug: 'notes' });
      assert.equal((await mcpAnswer(anonymous, '/w/notes/mcp', token)).status, 200);
      assert.equal((await page(fixture.carol, '/w/notes')).status, 200);
    });

    test('AD-04 every admin action is in the recent events, with who did it', async () => {
      // Requirement: the admin page lists administrative events from the audit trail.
      const { html } = await page(admin, '/admin/');
      for (const event of ['admin.user.suspended', 'admin.user.reinstated', 'admin.wiki.suspended', 'admin.wiki.reinstated'])
        assert.ok(html.includes(event), event);
      assert.ok(html.includes(`<code>${VICTIM_DID}</code>`));
    });
  });
}
