// Rate limits shared by every instance on PostgreSQL (catalogue DC-05, SS-07): two platforms on one
// database count one budget per client address, and when the counter table fails, requests are let
// through (each instance falls back to counting on its own) with a warning, never refused.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { LOGIN_RATE_LIMIT } from '../../src/atproto/routes.tsx';
import { REGISTRATION_RATE_LIMIT } from '../../src/authserver/registration.ts';
import { nowSeconds } from '../../src/keys/keystore.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { CAROL_DID } from '../helpers/fake-atproto.ts';
import { TestClient } from '../helpers/http-client.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

describe('rate limits across two instances on PostgreSQL', () => {
  let database: TestDatabase;
  let a: TestPlatform;
  let b: TestPlatform;
  // One frozen clock for both instances: no test straddles the boundary of a one-minute window.
  const frozen = nowSeconds();
  const now = () => frozen;

  before(async () => {
    database = await createTestDatabase('postgres');
    a = await startTestPlatform({ DATABASE_URL: database.url }, { now });
    b = await startTestPlatform({ DATABASE_URL: database.url }, { now });
    await a.platform.deps.wikis.create({ slug: 'notes', ownerDid: CAROL_DID, displayName: 'Notes' }, frozen);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  const on = (instance: TestPlatform, from: string) => new TestClient(instance.url, instance.config.publicUrl, from);
  const register = (client: TestClient) =>
    client.request('/w/notes/oauth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'none' }),
    });

  test('DC-05: registrations on instance A count at instance B (one budget per client address)', async () => {
    const half = REGISTRATION_RATE_LIMIT / 2;
    for (let i = 0; i < half; i++) assert.equal((await register(on(a, '127.0.0.2'))).status, 201);
    for (let i = half; i < REGISTRATION_RATE_LIMIT; i++) assert.equal((await register(on(b, '127.0.0.2'))).status, 201);
    assert.equal((await register(on(a, '127.0.0.2'))).status, 429);
    assert.equal((await register(on(b, '127.0.0.2'))).status, 429);
    assert.equal((await register(on(b, '127.0.0.3'))).status, 201, 'another client keeps its own budget');
  });

  test('SS-07: login starts on instance A count at instance B', async () => {
    const start = (instance: TestPlatform) => on(instance, '127.0.0.4').form('/auth/login', { handle: 'not..valid' });
    for (let i = 0; i < LOGIN_RATE_LIMIT; i++) assert.equal((await start(i % 2 ? b : a)).status, 400);
    assert.equal((await start(a)).status, 429);
    assert.equal((await start(b)).status, 429);
  });

  test('DC-05: when the counter table fails, requests pass (counted per instance) with a warning', async () => {
    const { db } = a.platform.deps.database;
    await sql`alter table rate_limits rename to rate_limits_gone`.execute(db);
    try {
      for (let i = 0; i < REGISTRATION_RATE_LIMIT; i++) assert.equal((await register(on(a, '127.0.0.5'))).status, 201, 'fail open');
      assert.equal((await register(on(a, '127.0.0.5'))).status, 429, 'still limited, by this instance alone');
      assert.equal((await register(on(b, '127.0.0.5'))).status, 201, 'the other instance counts on its own');
    } finally {
      await sql`alter table rate_limits_gone rename to rate_limits`.execute(db);
    }
    const warnings = a.logs.lines.map((line) => JSON.parse(line)).filter((entry) => entry.event === 'rate_limit.store_failed');
    assert.ok(warnings.length > 0, 'the failure is logged');
    assert.ok(
      warnings.every((entry) => entry.level === 40),
      'at warn, not error',
    );
  });
});
