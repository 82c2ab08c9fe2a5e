// The store contract: the same behaviour on embedded SQLite and on a real PostgreSQL server.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { atprotoRequestLock, atprotoSessionStore, atprotoStateStore } from '../../src/store/atproto-oauth.ts';
import type { Kysely } from 'kysely';
import { Migrator } from 'kysely/migration';
import { cliLoginStore } from '../../src/store/cli-logins.ts';
import { DatabaseOpenError, migrateToLatest, openDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import { migrations } from '../../src/store/migrations/index.ts';
import { oauthClientStore } from '../../src/store/oauth-clients.ts';
import { pendingSignupStore } from '../../src/store/pending-signups.ts';
import { platformSessionStore } from '../../src/store/platform-sessions.ts';
import { sweepExpired } from '../../src/store/sweeper.ts';
import { AlreadySignedUpError, UsernameTakenError, userStore } from '../../src/store/users.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';

const NOW = 1_800_000_000;
const did = (n: number | string) => `did:plc:${String(n).padStart(24, 'a')}`;
/** The columns of a CLI login every migration so far has had. */
const CLI_LOGIN = {
  secret_hash: 'h',
  client_name: 'robot CLI',
  client_address: '127.0.0.1',
  did: null,
  handle: null,
  browser_hash: null,
  csrf: null,
  created_at: NOW,
  expires_at: NOW + 600,
};

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`store contract on ${kind}`, () => {
    let testDb: TestDatabase;
    let handle: DatabaseHandle;

    before(async () => {
      testDb = await createTestDatabase(kind);
      handle = await openDatabase(testDb.url);
      await migrateToLatest(handle.db);
    });
    after(async () => {
      await handle?.close();
      await testDb?.drop();
    });

    test('migrations are recorded and a second run applies nothing', async () => {
      const again = await migrateToLatest(handle.db);
      assert.deepEqual(again.results, []);
      assert.equal(handle.dialect, kind);
    });

    test('users: create, find by DID and username, update handle', async () => {
      const users = userStore(handle.db);
      await users.create(handle.db, { did: did(1), username: 'first', handle: 'first.test' }, NOW);
      assert.deepEqual(await users.findByDid(did(1)), { did: did(1), username: 'first', handle: 'first.test' });
      assert.equal((await users.findByUsername('first'))?.did, did(1));
      await users.updateHandle(did(1), 'renamed.test', NOW + 1);
      assert.equal((await users.findByDid(did(1)))?.handle, 'renamed.test');
      assert.equal(await users.findByDid(did(999)), undefined);
    });

    test('users: a taken username and a second signup of one DID are told apart', async () => {
      const users = userStore(handle.db);
      await users.create(handle.db, { did: did(2), username: 'second', handle: null }, NOW);
      await assert.rejects(users.create(handle.db, { did: did(3), username: 'second', handle: null }, NOW), UsernameTakenError);
      await assert.rejects(users.create(handle.db, { did: did(2), username: 'another', handle: null }, NOW), AlreadySignedUpError);
    });

    test('SU-04: 50 concurrent inserts of one username from different DIDs: exactly one row', async () => {
      const users = userStore(handle.db);
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => users.create(handle.db, { did: did(`race${i}`), username: 'contested', handle: null }, NOW)),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const result of results) if (result.status === 'rejected') assert.ok(result.reason instanceof UsernameTakenError, String(result.reason));
    });

    test('pending signups: found while live, consumed exactly once even when raced', async () => {
      const pending = pendingSignupStore(handle.db);
      await pending.create('hash-1', { did: did(4), handle: null, csrf: 'c', return_to: null, expires_at: NOW + 900 });
      assert.equal((await pending.find('hash-1', NOW))?.did, did(4));
      assert.equal(await pending.find('hash-1', NOW + 901), undefined, 'expired rows are invisible');
      const wins = await Promise.all(Array.from({ length: 20 }, () => pending.consume(handle.db, 'hash-1', NOW)));
      assert.equal(wins.filter(Boolean).length, 1);
      assert.equal(await pending.find('hash-1', NOW), undefined);
    });

    test('platform sessions: active until revoked or expired', async () => {
      const sessions = platformSessionStore(handle.db);
      await sessions.create(handle.db, { sid: 'sid-1', did: did(5), createdAt: NOW, expiresAt: NOW + 60 });
      assert.equal(await sessions.isActive('sid-1', NOW), true);
      assert.equal(await sessions.isActive('sid-1', NOW + 60), false, 'expired');
      await sessions.revoke('sid-1', NOW + 1);
      assert.equal(await sessions.isActive('sid-1', NOW), false, 'revoked');
      assert.equal(await sessions.isActive('nope', NOW), false);
    });

    test('atproto state store: JSON round trip, upsert, delete, 10-minute expiry (ST-01)', async () => {
      let clock = NOW;
      const states = atprotoStateStore(handle.db, () => clock);
      const value = { iss: 'https://pds.example', dpopJwk: { kty: 'EC' }, verifier: 'v', appState: '{"a":1}' } as never;
      await states.set('state-1', value);
      assert.deepEqual(await states.get('state-1'), value);
      await states.set('state-1', { ...(value as object), verifier: 'v2' } as never);
      assert.equal(((await states.get('state-1')) as { verifier: string }).verifier, 'v2');
      clock = NOW + 601;
      assert.equal(await states.get('state-1'), undefined, 'expired after 10 minutes');
      clock = NOW;
      await states.del('state-1');
      assert.equal(await states.get('state-1'), undefined);
    });

    test('sweeper removes expired rows and atproto sessions of people who never became users', async () => {
      const users = userStore(handle.db);
      await users.create(handle.db, { did: did('kept'), username: 'kept-user', handle: null }, NOW);
      const sessions = atprotoSessionStore(handle.db, () => NOW);
      await sessions.set(did('kept'), { tokenSet: {} } as never);
      await sessions.set(did('abandoned'), { tokenSet: {} } as never);
      await pendingSignupStore(handle.db).create('hash-stale', { did: did('abandoned'), handle: null, csrf: 'c', return_to: null, expires_at: NOW - 1 });
      await atprotoStateStore(handle.db, () => NOW - 3600).set('old-state', {} as never);
      await platformSessionStore(handle.db).create(handle.db, { sid: 'old-sid', did: did('kept'), createdAt: NOW - 90000, expiresAt: NOW - 1 });

      const clients = oauthClientStore(handle.db);
      await clients.create({ client_id: 'mcp_stale', wiki_id: 'w', secret_hash: null, metadata: '{}', created_at: NOW - 90_000, last_used_at: null });
      await clients.create({ client_id: 'mcp_fresh', wiki_id: 'w', secret_hash: null, metadata: '{}', created_at: NOW - 60, last_used_at: null });
      await clients.create({ client_id: 'mcp_used', wiki_id: 'w', secret_hash: null, metadata: '{}', created_at: NOW - 90_000, last_used_at: NOW - 80_000 });

      const code = (hash: string, expiresAt: number) => ({ code_hash: hash, grant_id: 'g', wiki_id: 'w', client_id: 'c', user_did: did('kept'), redirect_uri: 'https://a.example/cb', code_challenge: 'x', scope: 'wiki:read', resource: 'r', expires_at: expiresAt, consumed_at: null, validly_consumed_at: null });
      await handle.db.insertInto('authorization_codes').values([code('code-recent', NOW - 60), code('code-old', NOW - 90_000)]).execute();
      const request = (id: string, expiresAt: number) => ({ id, wiki_id: 'w', client_id: 'c', user_did: did('kept'), redirect_uri: 'https://a.example/cb', state: null, code_challenge: 'x', scope: 'wiki:read', resource: 'r', csrf: 'c', expires_at: expiresAt });
      await handle.db.insertInto('authorization_requests').values([request('req-live', NOW + 60), request('req-stale', NOW - 1)]).execute();

      const counts = await sweepExpired(handle.db, NOW);
      assert.deepEqual((await handle.db.selectFrom('authorization_codes').select('code_hash').execute()).map((r) => r.code_hash), ['code-recent'], 'expired codes are kept a day for replay detection');
      assert.deepEqual((await handle.db.selectFrom('authorization_requests').select('id').execute()).map((r) => r.id), ['req-live']);
      assert.equal(await clients.find('w', 'mcp_stale'), undefined, 'a registration never used for a day is collected');
      assert.ok(await clients.find('w', 'mcp_fresh'));
      assert.ok(await clients.find('w', 'mcp_used'));
      assert.ok(counts.atproto_states! >= 1 && counts.pending_signups! >= 1 && counts.platform_sessions! >= 1 && counts.atproto_sessions! >= 1, JSON.stringify(counts));
      assert.ok(await sessions.get(did('kept')), 'a user keeps their atproto session');
      assert.equal(await sessions.get(did('abandoned')), undefined, 'an abandoned signup leaves nothing');
      const again = await sweepExpired(handle.db, NOW);
      assert.deepEqual(Object.values(again).reduce((a, b) => a + b, 0), 0, 'idempotent');
    });

    test('CL-03: wrong codes are counted in one statement; the limit denies the login, even when raced', async () => {
      const logins = cliLoginStore(handle.db);
      const row = {
        ...CLI_LOGIN,
        code_hash: 'c',
        failed_attempts: 0,
        did: did(7),
      };
      await logins.create({ ...row, id: 'counted', status: 'authenticated' });
      const first = await logins.recordWrongCode('counted', 5, NOW);
      assert.deepEqual(first, { failed_attempts: 1, status: 'authenticated' });
      await logins.create({ ...row, id: 'raced', status: 'authenticated' });
      const raced = await Promise.all(Array.from({ length: 12 }, () => logins.recordWrongCode('raced', 5, NOW)));
      const counted = raced.filter((result) => result !== undefined);
      assert.equal(counted.length, 5, 'never more guesses than the limit');
      assert.deepEqual(counted.map((result) => result!.failed_attempts).sort(), [1, 2, 3, 4, 5]);
      assert.equal(counted.filter((result) => result!.status === 'denied').length, 1, 'exactly the fifth denies it');
      const burned = await logins.find('raced', NOW);
      assert.deepEqual([burned?.status, burned?.failed_attempts], ['denied', 5]);
      await logins.create({ ...row, id: 'pending', status: 'pending' });
      assert.equal(await logins.recordWrongCode('pending', 5, NOW), undefined, 'only a login awaiting confirmation');
      assert.equal(await logins.recordWrongCode('counted', 5, NOW + 600), undefined, 'nor an expired one');
    });

    test('006_cli_login_attempts: logins holding a clear code are ended, finished ones keep no code', async () => {
      const upgraded = await createTestDatabase(kind);
      const old = await openDatabase(upgraded.url);
      try {
        const migrator = new Migrator({ db: old.db, provider: { getMigrations: async () => migrations } });
        assert.equal((await migrator.migrateTo('005_pages_and_sharing')).error, undefined);
        const before = old.db as unknown as Kysely<any>;
        for (const status of ['pending', 'signing_up', 'authenticated', 'confirmed', 'denied']) {
          const row = { ...CLI_LOGIN, confirmation_code: 'ABCD-EFGH', id: status, status };
          await before.insertInto('cli_logins').values(row).execute();
        }
        await migrateToLatest(old.db);
        const rows = await old.db
          .selectFrom('cli_logins')
          .select(['id', 'code_hash', 'failed_attempts'])
          .orderBy('id')
          .execute();
        assert.deepEqual(rows, [
          { id: 'confirmed', code_hash: '', failed_attempts: 0 },
          { id: 'denied', code_hash: '', failed_attempts: 0 },
        ]);
      } finally {
        await old.close();
        await upgraded.drop();
      }
    });

    test('the atproto request lock serialises holders of one name, across database handles', async () => {
      const other = await openDatabase(testDb.url);
      try {
        const locks = [atprotoRequestLock(handle.db, handle.dialect), atprotoRequestLock(other.db, other.dialect)];
        const events: string[] = [];
        await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            // SQLite is one process by design: the in-process lock is what applies there.
            locks[kind === 'postgres' ? i % 2 : 0]!('session:did:plc:x', async () => {
              events.push(`enter${i}`);
              await sleep(15);
              events.push(`exit${i}`);
            }),
          ),
        );
        for (let i = 0; i < events.length; i += 2) {
          assert.equal(events[i]!.replace('enter', ''), events[i + 1]!.replace('exit', ''), `overlap: ${events.join(' ')}`);
        }
      } finally {
        await other.close();
      }
    });
  });
}

describe('opening a database that cannot be opened', () => {
  test('an unreachable PostgreSQL is one clear error', async () => {
    await assert.rejects(openDatabase('postgres://postgres@127.0.0.1:1/none'), (error: Error) => error instanceof DatabaseOpenError && /cannot connect to PostgreSQL/.test(error.message));
  });
  test('an SQLite path that cannot be created is one clear error', async () => {
    // A regular file where a directory should be.
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'robot-notdir-')), 'file');
    writeFileSync(file, '');
    await assert.rejects(openDatabase(`sqlite:${file}/data/robot.sqlite`), (error: Error) => error instanceof DatabaseOpenError && /cannot open SQLite database/.test(error.message));
  });
});
