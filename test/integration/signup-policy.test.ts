// Who may sign up (SIGNUP, SIGNUP_ALLOWLIST, ADMIN_DIDS), through the login and signup pages, on
// SQLite and PostgreSQL: an allow-list refuses others with a page and creates nothing; invite codes
// are made and revoked on the admin page, work once, and a wrong one loses nothing typed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CAROL_DID, FakeAtproto, MALLORY_DID, VICTIM_DID } from '../helpers/fake-atproto.ts';
import { createTestDatabase, TEST_DATABASES, type TestDatabase } from '../helpers/databases.ts';
import { csrfOf, page, postFrom } from '../helpers/forms.ts';
import { TestClient } from '../helpers/http-client.ts';
import { loginThroughFake, signUp } from '../helpers/login-flow.ts';
import { atprotoEnv, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

for (const kind of TEST_DATABASES) {
  describe(`signup policy (${kind})`, () => {
    let fake: FakeAtproto;
    const cleanups: (() => Promise<void>)[] = [];

    before(async () => {
      fake = await FakeAtproto.start();
    });
    after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
      await fake?.close();
    });

    async function platformWith(env: Record<string, string>): Promise<{ platform: TestPlatform; browser: () => TestClient }> {
      const database: TestDatabase = await createTestDatabase(kind);
      const platform = await startTestPlatform({ ...atprotoEnv({ pdsUrl: fake.url, plcUrl: fake.url }), DATABASE_URL: database.url, ...env });
      cleanups.push(database.drop, platform.close);
      return { platform, browser: () => new TestClient(platform.platform.app, platform.config.publicUrl) };
    }

    test('SU-07 SIGNUP=allowlist: only listed handles or DIDs (and admins) sign up; anyone else gets a page saying so and nothing is created', async () => {
      // Requirement: a newcomer outside the allow-list is refused before any pending signup, session or user exists.
      const { platform, browser } = await platformWith({ SIGNUP: 'allowlist', SIGNUP_ALLOWLIST: '@Mallory.test', ADMIN_DIDS: VICTIM_DID });
      const carol = browser();
      const refused = await loginThroughFake(carol, fake, 'carol.test');
      assert.equal(refused.status, 403);
      assert.match(await refused.text(), /only accepts new accounts from people its administrators have listed, and @carol\.test is not on the list/);
      assert.deepEqual([carol.cookies.has('signup_token'), carol.cookies.has('platform_token')], [false, false]);
      const { db } = platform.platform.deps.database;
      assert.equal((await db.selectFrom('pending_signups').selectAll().execute()).length, 0);

      assert.equal((await signUp(browser(), fake, 'mallory', 'mallory.test')).status, 303);
      assert.equal((await signUp(browser(), fake, 'boss', 'victim.test')).status, 303);
      assert.deepEqual(
        (await db.selectFrom('users').select('did').orderBy('did').execute()).map((row) => row.did),
        [MALLORY_DID, VICTIM_DID].sort(),
      );
    });

    test('SU-08 SIGNUP=invite: a code from the admin page works once; a wrong, used or revoked one is refused beside its field and loses nothing', async () => {
      // Requirement: invite codes are single use and revocable, spent in the signup transaction; admins need none.
      const { platform, browser } = await platformWith({ SIGNUP: 'invite', ADMIN_DIDS: VICTIM_DID });
      const admin = browser();
      await loginThroughFake(admin, fake, 'victim.test');
      assert.doesNotMatch((await page(admin, '/auth/signup')).html, /name="invite"/);
      assert.equal((await admin.form('/auth/signup', { username: 'boss', csrf: csrfOf((await page(admin, '/auth/signup')).html) })).status, 303);
      const invite = async (note: string) => {
        const made = await postFrom(admin, '/admin/', '/admin/invites', { note });
        assert.equal(made.status, 200);
        assert.match(made.html, new RegExp(`Created an invite for “${note}”`));
        return /<code class="secret">([0-9A-Z-]{19})<\/code>/.exec(made.html)![1]!;
      };

      const carol = browser();
      await loginThroughFake(carol, fake, 'carol.test');
      const form = await page(carol, '/auth/signup');
      assert.match(form.html, /name="invite"/);
      const signup = (client: TestClient, fields: Record<string, string>) => postFrom(client, '/auth/signup', '/auth/signup', fields);
      const missing = await signup(carol, { username: 'carol', invite: '' });
      assert.equal(missing.status, 422);
      assert.match(missing.html, /Enter the invite code you were given/);
      const wrong = await signup(carol, { username: 'carol', invite: 'AAAA-BBBB-CCCC-DDDD' });
      assert.equal(wrong.status, 403);
      assert.match(wrong.html, /That invite code is not valid/);
      assert.match(wrong.html, /name="username" type="text" value="carol"/);
      assert.match(wrong.html, /name="invite" type="text" value="AAAA-BBBB-CCCC-DDDD"/);

      const code = await invite('Carol');
      // Typed loosely: lower case, spaces for hyphens.
      assert.equal((await signup(carol, { username: 'carol', invite: code.toLowerCase().replaceAll('-', ' ') })).status, 303);
      assert.equal((await carol.request('/auth/me')).status, 200);

      const mallory = browser();
      await loginThroughFake(mallory, fake, 'mallory.test');
      const reused = await signup(mallory, { username: 'mallory', invite: code });
      assert.equal(reused.status, 403);
      assert.match(reused.html, /already used/);

      const revokedCode = await invite('Mallory, revoked');
      const id = /name="id" value="([^"]+)"/.exec((await page(admin, '/admin/')).html)![1]!;
      const revoked = await postFrom(admin, '/admin/', '/admin/invites/revoke', { id });
      assert.match(revoked.html, /Revoked the invite/);
      assert.equal((await signup(mallory, { username: 'mallory', invite: revokedCode })).status, 403);
      assert.equal((await postFrom(admin, '/admin/', '/admin/invites/revoke', { id })).status, 404);

      assert.equal((await signup(mallory, { username: 'mallory', invite: await invite('Mallory') })).status, 303);
      const users = await platform.platform.deps.database.db.selectFrom('users').select('did').execute();
      assert.deepEqual(users.map((row) => row.did).sort(), [CAROL_DID, MALLORY_DID, VICTIM_DID].sort());
      const listed = (await page(admin, '/admin/')).html;
      assert.match(listed, /used 20\d\d-/);
      assert.match(listed, /revoked 20\d\d-/);
      // No code reaches the log or the stored rows.
      const stored = JSON.stringify(await platform.platform.deps.database.db.selectFrom('invites').selectAll().execute());
      assert.ok(!stored.includes(code) && !platform.logs.text().includes(code));
    });

    test('non-admins cannot make invites', async () => {
      const { browser } = await platformWith({ SIGNUP: 'invite', ADMIN_DIDS: VICTIM_DID });
      const admin = browser();
      await signUp(admin, fake, 'boss', 'victim.test');
      const outsider = browser();
      await loginThroughFake(outsider, fake, 'carol.test');
      // A pending signup is no session: the admin page sends them to log in, and POSTs are refused.
      assert.equal((await page(outsider, '/admin/')).status, 303);
      assert.equal((await outsider.form('/admin/invites', { note: 'me', csrf: 'x' })).status, 403);
    });
  });
}
