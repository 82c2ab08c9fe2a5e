// AT-09: when the directory or the account server cannot be reached, the person gets a retryable
// page and nothing is half-created.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FakeAtproto } from '../helpers/fake-atproto.ts';
import { TestClient } from '../helpers/http-client.ts';
import { startTestPlatform } from '../helpers/platform.ts';

describe('AT-09: unreachable identity infrastructure during login', () => {
  let fake: FakeAtproto;
  before(async () => {
    fake = await FakeAtproto.start();
  });
  after(() => fake.close());

  async function attempt(env: Record<string, string>, behaviour: FakeAtproto['behaviour'] = {}) {
    fake.behaviour = behaviour;
    const platform = await startTestPlatform({ ATPROTO_PLC_URL: fake.url, ATPROTO_HANDLE_RESOLVER: fake.url, DANGEROUSLY_ALLOW_INSECURE_ATPROTO: '1', ...env });
    try {
      const browser = new TestClient(platform.platform.app, platform.config.publicUrl);
      const response = await browser.form('/auth/login', { handle: 'carol.test' });
      const db = platform.platform.deps.database.db;
      const rows = (await db.selectFrom('atproto_states').select('key').execute()).length + (await db.selectFrom('users').select('did').execute()).length;
      return { response, text: await response.text(), rows, cookies: browser.cookies };
    } finally {
      await platform.close();
    }
  }

  const cases: Record<string, [Record<string, string>, FakeAtproto['behaviour']]> = {
    'PLC directory refuses connections': [{ ATPROTO_PLC_URL: 'http://localhost:1' }, {}],
    'PLC directory answers 503': [{}, { plcStatus: 503 }],
    'PDS refuses connections': [{}, { pdsUrl: 'http://localhost:1' }],
  };
  for (const [name, [env, behaviour]] of Object.entries(cases)) {
    test(`${name}: 503 with a retry message, no rows, no cookie`, async () => {
      const { response, text, rows, cookies } = await attempt(env, behaviour);
      assert.equal(response.status, 503);
      assert.match(text, /try again/i);
      assert.equal(rows, 0);
      assert.equal(cookies.size, 0);
    });
  }

  test('an unknown handle is a 400 that says so, not a 503', async () => {
    fake.behaviour = {};
    const platform = await startTestPlatform({ ATPROTO_PLC_URL: fake.url, ATPROTO_HANDLE_RESOLVER: fake.url, DANGEROUSLY_ALLOW_INSECURE_ATPROTO: '1' });
    try {
      const response = await new TestClient(platform.platform.app, platform.config.publicUrl).form('/auth/login', { handle: 'nobody.test' });
      assert.equal(response.status, 400);
      assert.match(await response.text(), /could not find an atproto account for &quot;nobody\.test&quot;/);
    } finally {
      await platform.close();
    }
  });
});
