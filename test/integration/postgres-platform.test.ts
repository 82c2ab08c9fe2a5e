// The whole platform on PostgreSQL: a login and signup persist, and a second instance on the same
// database accepts the session and can finish a login the first one began.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CAROL_DID, FakeAtproto } from '../helpers/fake-atproto.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { TestClient } from '../helpers/http-client.ts';
import { signUp } from '../helpers/login-flow.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

describe('the platform on PostgreSQL', () => {
  let fake: FakeAtproto;
  let database: TestDatabase;
  let first: TestPlatform;
  let second: TestPlatform;

  before(async () => {
    fake = await FakeAtproto.start();
    database = await createTestDatabase('postgres');
    const env = {
      PUBLIC_URL: 'https://robot.example',
      DATABASE_URL: database.url,
      ATPROTO_PLC_URL: fake.url,
      ATPROTO_HANDLE_RESOLVER: fake.url,
      DANGEROUSLY_ALLOW_INSECURE_ATPROTO: '1',
    };
    first = await startTestPlatform(env);
    // Two instances behind one load balancer share the database and the signing keys.
    second = await startTestPlatform({
      ...env,
      PLATFORM_KEYS_FILE: first.config.platformKeysFile,
      ATPROTO_CLIENT_KEY_FILE: first.config.atproto.clientKeyFile,
    });
  });
  after(async () => {
    await second?.close();
    await first?.close();
    await database?.drop();
    await fake?.close();
  });

  test('signup on one instance; the session is accepted by the other', async () => {
    const browser = new TestClient(first.platform.app, 'https://robot.example');
    assert.equal((await signUp(browser, fake, 'carol')).status, 303);
    const onSecond = new TestClient(second.platform.app, 'https://robot.example');
    onSecond.cookies.set('platform_token', browser.cookies.get('platform_token')!);
    const me = await onSecond.request('/auth/me');
    assert.equal(me.status, 200);
    assert.deepEqual(await me.json(), { did: CAROL_DID, handle: 'carol.test', username: 'carol' });
  });

  test('a login begun on one instance completes on the other (state is in the database)', async () => {
    const onFirst = new TestClient(first.platform.app, 'https://robot.example');
    assert.equal((await onFirst.form('/auth/login', { handle: 'carol.test' })).status, 303);
    const state = fake.requestsTo('/oauth/par').at(-1)!.form.state!;
    const onSecond = new TestClient(second.platform.app, 'https://robot.example');
    onSecond.cookies.set('login_nonce', onFirst.cookies.get('login_nonce')!);
    const callback = await onSecond.request(`/auth/callback?${new URLSearchParams({ code: 'pg-code', state, iss: fake.url })}`);
    assert.equal(callback.status, 303);
    assert.equal(callback.headers.get('location'), '/app/');
  });
});
