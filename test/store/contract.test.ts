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
import { codeStore, grantStore } from '../../src/store/grants.ts';
import { refreshTokenStore } from '../../src/store/refresh-tokens.ts';
import { DatabaseOpenError, migrateToLatest, openDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import { migrations } from '../../src/store/migrations/index.ts';
import { oauthClientStore } from '../../src/store/oauth-clients.ts';
import { pendingSignupStore } from '../../src/store/pending-signups.ts';
import { platformSessionStore } from '../../src/store/platform-sessions.ts';
import { sweepExpired } from '../../src/store/sweeper.ts';
import { AlreadySignedUpError, UsernameTakenError, userStore } from '../../src/store/users.ts';
import { createTestDatabase, TEST_DATABASES, type TestDatabase } from '../helpers/databases.ts';

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

for (const kind of TEST_DATABASES) {
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
      await users.create({ did: did(1), username: 'first', handle: 'first.test' }, NOW);
      assert.deepEqual(await users.findByDid(did(1)), { did: did(1), username: 'first', handle: 'first.test' });
      assert.equal((await users.findByUsername('first'))?.did, did(1));
      await users.updateHandle(did(1), 'renamed.test', NOW + 1);
      assert.equal((await users.findByDid(did(1)))?.handle, 'renamed.test');
      assert.equal(await users.findByDid(did(999)), undefined);
    });

    test('users: a taken username and a second signup of one DID are told apart', async () => {
      const users = userStore(handle.db);
      await users.create({ did: did(2), username: 'second', handle: null }, NOW);
      await assert.rejects(users.create({ did: did(3), username: 'second', handle: null }, NOW), UsernameTakenError);
      await assert.rejects(users.create({ did: did(2), username: 'another', handle: null }, NOW), AlreadySignedUpError);
    });

    test('SU-04: 50 concurrent inserts of one username from different DIDs: exactly one row', async () => {
      const users = userStore(handle.db);
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => users.create({ did: did(`race${i}`), username: 'contested', handle: null }, NOW)),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const result of results) if (result.status === 'rejected') assert.ok(result.reason instanceof UsernameTakenError, String(result.reason));
    });

    test('pending signups: found while live, invisible once expired', async () => {
      const pending = pendingSignupStore(handle.db);
      await pending.create('hash-1', { did: did(4), handle: null, csrf: 'c', return_to: null, expires_at: NOW + 900 });
      assert.equal((await pending.find('hash-1', NOW))?.did, did(4));
      assert.equal(await pending.find('hash-1', NOW + 901), undefined, 'expired rows are invisible');
    });

    const sessionsOf = async (user: string) =>
      (await handle.sql.all<{ sid: string }>('select sid from platform_sessions where did = ? order by sid', [user])).map((row) => row.sid);
    const sessionRow = (sid: string, user: string) => ({ sid, did: user, createdAt: NOW, expiresAt: NOW + 60 });

    test('SU-04, SU-06: completing a signup writes the user, consumes the pending row and records the session, all or nothing', async () => {
      const pending = pendingSignupStore(handle.db);
      const users = userStore(handle.db);
      const signup = { handle: 'signup.test', csrf: 'c', return_to: null, expires_at: NOW + 900 };
      await users.create({ did: did('holder'), username: 'taken-name', handle: null }, NOW);
      await pending.create('su-hash', { ...signup, did: did('su') });

      const attempt = (username: string, sid: string, tokenHash = 'su-hash') =>
        pending.complete(tokenHash, { did: did('su'), username, handle: 'signup.test' }, sessionRow(sid, did('su')), NOW);
      assert.equal(await attempt('taken-name', 'su-taken'), 'username_taken');
      assert.equal(await attempt('never-pending', 'su-unknown', 'no-such-hash'), 'expired');
      assert.equal(await users.findByDid(did('su')), undefined, 'neither wrote the user');
      assert.deepEqual(await sessionsOf(did('su')), [], 'nor a session');
      assert.ok(await pending.find('su-hash', NOW), 'and the pending signup is still there');

      assert.equal(await attempt('su-user', 'su-created'), 'created');
      assert.deepEqual(await users.findByDid(did('su')), { did: did('su'), username: 'su-user', handle: 'signup.test' });
      assert.equal(await pending.find('su-hash', NOW), undefined, 'consumed');
      assert.deepEqual(await sessionsOf(did('su')), ['su-created']);

      // Another tab of the same person, its own pending row still live (SU-06).
      await pending.create('su-hash-2', { ...signup, did: did('su') });
      assert.equal(await attempt('su-other-name', 'su-second', 'su-hash-2'), 'already_signed_up');
      assert.equal(await users.findByUsername('su-other-name'), undefined);
      assert.ok(await pending.find('su-hash-2', NOW), 'rolled back with the user');
      await pending.completeExisting('su-hash-2', sessionRow('su-existing', did('su')), NOW);
      assert.equal(await pending.find('su-hash-2', NOW), undefined, 'consumed');
      assert.deepEqual(await sessionsOf(did('su')), ['su-created', 'su-existing']);
      await pending.completeExisting('su-hash-2', sessionRow('su-existing-again', did('su')), NOW);
      assert.deepEqual(await sessionsOf(did('su')), ['su-created', 'su-existing', 'su-existing-again'], 'a consumed row does not stop the sign-in');
    });

    test('SU-06: concurrent completions of one signup make exactly one user; the others are already signed up', async () => {
      const pending = pendingSignupStore(handle.db);
      await pending.create('race-hash', { did: did('race-su'), handle: null, csrf: 'c', return_to: null, expires_at: NOW + 900 });
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          pending.complete('race-hash', { did: did('race-su'), username: `race-su-${i}`, handle: null }, sessionRow(`race-su-${i}`, did('race-su')), NOW),
        ),
      );
      assert.deepEqual(outcomes.filter((o) => o === 'created').length, 1, outcomes.join());
      assert.equal(outcomes.filter((o) => o === 'already_signed_up').length, 7, outcomes.join());
      const winner = outcomes.indexOf('created');
      const rows = await handle.sql.all<{ username: string }>('select username from users where did = ?', [did('race-su')]);
      assert.deepEqual(rows, [{ username: `race-su-${winner}` }]);
      assert.deepEqual(await sessionsOf(did('race-su')), [`race-su-${winner}`], 'only the winner recorded a session');
    });

    test('platform sessions: active until revoked or expired, for their own user while that user exists', async () => {
      const sessions = platformSessionStore(handle.db);
      await userStore(handle.db).create({ did: did(5), username: 'fifth', handle: null }, NOW);
      await sessions.create({ sid: 'sid-1', did: did(5), createdAt: NOW, expiresAt: NOW + 60 });
      assert.equal(await sessions.isActive('sid-1', did(5), NOW), true);
      assert.equal(await sessions.isActive('sid-1', did(6), NOW), false, 'another user');
      assert.equal(await sessions.isActive('sid-1', did(5), NOW + 60), false, 'expired');
      await sessions.create({ sid: 'sid-orphan', did: did('orphan'), createdAt: NOW, expiresAt: NOW + 60 });
      assert.equal(await sessions.isActive('sid-orphan', did('orphan'), NOW), false, 'no such user');
      await sessions.revoke('sid-1', NOW + 1);
      assert.equal(await sessions.isActive('sid-1', did(5), NOW), false, 'revoked');
      assert.equal(await sessions.isActive('nope', did(5), NOW), false);
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
      await users.create({ did: did('kept'), username: 'kept-user', handle: null }, NOW);
      const sessions = atprotoSessionStore(handle.db, () => NOW);
      await sessions.set(did('kept'), { tokenSet: {} } as never);
      await sessions.set(did('abandoned'), { tokenSet: {} } as never);
      await pendingSignupStore(handle.db).create('hash-stale', { did: did('abandoned'), handle: null, csrf: 'c', return_to: null, expires_at: NOW - 1 });
      await atprotoStateStore(handle.db, () => NOW - 3600).set('old-state', {} as never);
      await platformSessionStore(handle.db).create({ sid: 'old-sid', did: did('kept'), createdAt: NOW - 90000, expiresAt: NOW - 1 });

      const clients = oauthClientStore(handle.db);
      await clients.create({ client_id: 'mcp_stale', wiki_id: 'w', secret_hash: null, metadata: '{}', created_at: NOW - 90_000, last_used_at: null });
      await clients.create({ client_id: 'mcp_fresh', wiki_id: 'w', secret_hash: null, metadata: '{}', created_at: NOW - 60, last_used_at: null });
      await clients.create({ client_id: 'mcp_used', wiki_id: 'w', secret_hash: null, metadata: '{}', created_at: NOW - 90_000, last_used_at: NOW - 80_000 });

      const code = (hash: string, expiresAt: number) => ({
        code_hash: hash,
        grant_id: 'g',
        wiki_id: 'w',
        client_id: 'c',
        user_did: did('kept'),
        redirect_uri: 'https://a.example/cb',
        code_challenge: 'x',
        scope: 'wiki:read',
        resource: 'r',
        expires_at: expiresAt,
        consumed_at: null,
        validly_consumed_at: null,
      });
      await handle.db
        .insertInto('authorization_codes')
        .values([code('code-recent', NOW - 60), code('code-old', NOW - 90_000)])
        .execute();
      const request = (id: string, expiresAt: number) => ({
        id,
        wiki_id: 'w',
        client_id: 'c',
        user_did: did('kept'),
        redirect_uri: 'https://a.example/cb',
        state: null,
        code_challenge: 'x',
        scope: 'wiki:read',
        resource: 'r',
        csrf: 'c',
        expires_at: expiresAt,
      });
      await handle.db
        .insertInto('authorization_requests')
        .values([request('req-live', NOW + 60), request('req-stale', NOW - 1)])
        .execute();

      const counts = await sweepExpired(handle.db, NOW);
      assert.deepEqual(
        (await handle.db.selectFrom('authorization_codes').select('code_hash').execute()).map((r) => r.code_hash),
        ['code-recent'],
        'expired codes are kept a day for replay detection',
      );
      assert.deepEqual(
        (await handle.db.selectFrom('authorization_requests').select('id').execute()).map((r) => r.id),
        ['req-live'],
      );
      assert.equal(await clients.find('w', 'mcp_stale'), undefined, 'a registration never used for a day is collected');
      assert.ok(await clients.find('w', 'mcp_fresh'));
      assert.ok(await clients.find('w', 'mcp_used'));
      assert.ok(
        counts.atproto_states! >= 1 && counts.pending_signups! >= 1 && counts.platform_sessions! >= 1 && counts.atproto_sessions! >= 1,
        JSON.stringify(counts),
      );
      assert.ok(await sessions.get(did('kept')), 'a user keeps their atproto session');
      assert.equal(await sessions.get(did('abandoned')), undefined, 'an abandoned signup leaves nothing');
      const again = await sweepExpired(handle.db, NOW);
      assert.deepEqual(
        Object.values(again).reduce((a, b) => a + b, 0),
        0,
        'idempotent',
      );
    });

    test('CL-03: wrong codes are counted in one statement; the limit denies the login, even when raced', async () => {
      const logins = cliLoginStore(handle);
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
        const rows = await old.db.selectFrom('cli_logins').select(['id', 'code_hash', 'failed_attempts']).orderBy('id').execute();
        assert.deepEqual(rows, [
          { id: 'confirmed', code_hash: '', failed_attempts: 0 },
          { id: 'denied', code_hash: '', failed_attempts: 0 },
        ]);
      } finally {
        await old.close();
        await upgraded.drop();
      }
    });

    test('008_one_live_grant: duplicate live grants merge into the oldest, with their scopes, codes and refresh tokens', async () => {
      const upgraded = await createTestDatabase(kind);
      const old = await openDatabase(upgraded.url);
      try {
        const migrator = new Migrator({ db: old.db, provider: { getMigrations: async () => migrations } });
        assert.equal((await migrator.migrateTo('007_rate_limits')).error, undefined);
        const key = { wiki_id: 'w', client_id: 'app', user_did: did(9) };
        const grant = (id: string, scope: string, created_at: number, revoked_at: number | null = null) => ({ ...key, id, scope, created_at, revoked_at });
        await old.db
          .insertInto('grants')
          .values([
            grant('b-newer', 'wiki:write', NOW + 5),
            grant('c-oldest', 'wiki:read', NOW),
            grant('a-same-age', 'wiki:read wiki:admin', NOW + 5),
            grant('revoked', 'wiki:delete', NOW - 5, NOW),
            { ...grant('other-user', 'wiki:read', NOW + 9), user_did: did(10) },
          ])
          .execute();
        const issued = { ...key, scope: 'wiki:write', resource: 'https://wiki.example/mcp', expires_at: NOW + 60 };
        await old.db
          .insertInto('authorization_codes')
          .values({
            ...issued,
            code_hash: 'code-b',
            grant_id: 'b-newer',
            redirect_uri: 'https://app.example/cb',
            code_challenge: 'x',
            consumed_at: null,
            validly_consumed_at: null,
          })
          .execute();
        await old.db
          .insertInto('refresh_tokens')
          .values({ ...issued, token_hash: 'rt-a', family_id: 'f', grant_id: 'a-same-age', family_started_at: NOW, rotated_at: null })
          .execute();
        await migrateToLatest(old.db);
        const rows = await old.db.selectFrom('grants').select(['id', 'scope', 'revoked_at']).orderBy('id').execute();
        const revokedAt = rows.find((row) => row.id === 'a-same-age')?.revoked_at;
        assert.ok(revokedAt && Math.abs(revokedAt - Date.now() / 1000) < 60, 'the merged duplicates are revoked, at the time of the migration');
        assert.deepEqual(rows, [
          { id: 'a-same-age', scope: 'wiki:read wiki:admin', revoked_at: revokedAt },
          { id: 'b-newer', scope: 'wiki:write', revoked_at: revokedAt },
          { id: 'c-oldest', scope: 'wiki:admin wiki:read wiki:write', revoked_at: null },
          { id: 'other-user', scope: 'wiki:read', revoked_at: null },
          { id: 'revoked', scope: 'wiki:delete', revoked_at: NOW },
        ]);
        assert.deepEqual(await old.db.selectFrom('authorization_codes').select('grant_id').execute(), [{ grant_id: 'c-oldest' }]);
        assert.deepEqual(await old.db.selectFrom('refresh_tokens').select('grant_id').execute(), [{ grant_id: 'c-oldest' }]);
        await assert.rejects(
          old.db
            .insertInto('grants')
            .values(grant('second-live', 'wiki:read', NOW + 10))
            .execute(),
          'the index refuses a second live grant',
        );
        await old.db
          .insertInto('grants')
          .values(grant('second-revoked', 'wiki:read', NOW + 10, NOW + 11))
          .execute();
      } finally {
        await old.close();
        await upgraded.drop();
      }
    });

    describe('grants, codes and refresh tokens', () => {
      const wiki = { id: 'wiki-contract', owner_did: did('owner') };
      let n = 0;
      const consent = (userDid = wiki.owner_did, scope = 'wiki:read') => ({ wikiId: wiki.id, clientId: `client-${++n}`, userDid, scope });
      const codeFor = (c: ReturnType<typeof consent>, codeHash = `code-${++n}`) => ({
        code_hash: codeHash,
        wiki_id: c.wikiId,
        client_id: c.clientId,
        user_did: c.userDid,
        redirect_uri: 'https://app.example/cb',
        code_challenge: 'challenge',
        scope: c.scope,
        resource: 'https://wiki.example/mcp',
        expires_at: NOW + 60,
        consumed_at: null,
        validly_consumed_at: null,
      });
      const refreshRow = (grantId: string, c: ReturnType<typeof consent>, tokenHash = `rt-${++n}`) => ({
        token_hash: tokenHash,
        family_id: `family-${n}`,
        grant_id: grantId,
        wiki_id: c.wikiId,
        client_id: c.clientId,
        user_did: c.userDid,
        scope: c.scope,
        resource: 'https://wiki.example/mcp',
        family_started_at: NOW,
        expires_at: NOW + 3600,
        rotated_at: null,
      });
      const stores = () => ({ grants: grantStore(handle), codes: codeStore(handle), refreshTokens: refreshTokenStore(handle) });

      test('CS-04: consent widens the live grant instead of adding one; a code is stored with its consent (DB-02)', async () => {
        const { grants, codes } = stores();
        const c = consent();
        const first = await grants.approve(c, NOW);
        const widened = await grants.approve({ ...c, scope: 'wiki:write' }, NOW + 1);
        assert.equal(widened.id, first.id);
        assert.equal((await grants.findActive(c.wikiId, c.clientId, c.userDid))?.scope, 'wiki:read wiki:write');
        const code = codeFor(c);
        assert.equal(await grants.approveWithCode(code, NOW + 2), first.id, 'under the same grant');
        assert.equal((await codes.find(code.code_hash, wiki))?.grant_id, first.id);
        const fresh = consent();
        const grantId = await grants.approveWithCode(codeFor(fresh), NOW);
        assert.equal((await grants.findActive(fresh.wikiId, fresh.clientId, fresh.userDid))?.id, grantId, 'a new grant, stored with the code');
        await codes.revokeGrant(grantId, NOW + 3);
        assert.equal(await grants.findActive(fresh.wikiId, fresh.clientId, fresh.userDid), undefined);
        assert.equal(await codes.isGrantActive(grantId), false);
      });

      test('DB-02: 12 concurrent approvals of one (wiki, client, user) leave one live grant with every scope, and every code under it', async () => {
        const { grants, codes } = stores();
        const c = consent();
        const liveGrants = () =>
          handle.db
            .selectFrom('grants')
            .select(['id', 'scope'])
            .where('wiki_id', '=', c.wikiId)
            .where('client_id', '=', c.clientId)
            .where('user_did', '=', c.userDid)
            .where('revoked_at', 'is', null)
            .execute();
        const firstRound = Array.from({ length: 12 }, (_, i) => codeFor({ ...c, scope: `scope:${String(i).padStart(2, '0')}` }));
        const ids = await Promise.all(firstRound.map((code) => grants.approveWithCode(code, NOW)));
        const live = await liveGrants();
        assert.equal(live.length, 1, 'exactly one live grant');
        assert.equal(live[0]?.scope, firstRound.map((code) => code.scope).join(' '), 'the union of every scope approved');
        assert.deepEqual(new Set(ids), new Set([live[0]?.id]), 'every approval answers with the surviving grant');
        for (const code of firstRound) assert.equal((await codes.find(code.code_hash, wiki))?.grant_id, live[0]?.id, 'the code references the surviving grant');
        const widenings = Array.from({ length: 12 }, (_, i) => `scope:${i + 12}`);
        const widened = await Promise.all(widenings.map((scope) => grants.approve({ ...c, scope }, NOW + 1)));
        assert.deepEqual(new Set(widened.map((grant) => grant.id)), new Set([live[0]?.id]));
        const after = await liveGrants();
        assert.equal(after.length, 1);
        assert.equal(after[0]?.scope, [...firstRound.map((code) => code.scope), ...widenings].sort().join(' '), 'concurrent widenings lose no scope');
      });

      test('CS-04: a revoked grant does not block a new one, nor lend it its scope', async () => {
        const { grants, codes } = stores();
        const c = consent(wiki.owner_did, 'wiki:write');
        const revoked = await grants.approve(c, NOW);
        await codes.revokeGrant(revoked.id, NOW + 1);
        const code = codeFor({ ...c, scope: 'wiki:read' });
        const grantId = await grants.approveWithCode(code, NOW + 2);
        assert.notEqual(grantId, revoked.id);
        const live = await grants.findActive(c.wikiId, c.clientId, c.userDid);
        assert.deepEqual([live?.id, live?.scope], [grantId, 'wiki:read']);
        assert.equal((await codes.find(code.code_hash, wiki))?.grant_id, grantId);
        assert.equal(await codes.isGrantActive(revoked.id), false);
      });

      test('AC-05: a code is authorized while its grant stands and its user owns the wiki or is a member', async () => {
        const { grants, codes } = stores();
        const owner = consent();
        await grants.approveWithCode(codeFor(owner, 'owner-code'), NOW);
        assert.equal((await codes.find('owner-code', wiki))?.authorized, true, 'the owner needs no member row');
        assert.equal(await codes.find('owner-code', { ...wiki, id: 'another-wiki' }), undefined, 'only at the wiki that issued it');
        const member = consent(did('member'));
        const memberGrant = await grants.approveWithCode(codeFor(member, 'member-code'), NOW);
        assert.equal((await codes.find('member-code', wiki))?.authorized, false, 'no role: not authorized');
        await handle.db
          .insertInto('wiki_members')
          .values({ wiki_id: wiki.id, did: did('member'), handle: null, role: 'read', added_at: NOW })
          .execute();
        assert.equal((await codes.find('member-code', wiki))?.authorized, true, 'a collaborator');
        await codes.revokeGrant(memberGrant, NOW);
        assert.equal((await codes.find('member-code', wiki))?.authorized, false, 'a revoked grant');
      });

      test('AC-06: 20 concurrent redemptions of one code: exactly one wins, one refresh family; the leak revokes the grant', async () => {
        const { grants, codes } = stores();
        const c = consent();
        await handle.db
          .insertInto('oauth_clients')
          .values({ client_id: c.clientId, wiki_id: wiki.id, secret_hash: null, metadata: '{}', created_at: NOW, last_used_at: null })
          .execute();
        const code = codeFor(c);
        const grantId = await grants.approveWithCode(code, NOW);
        const outcomes = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            codes.redeem({ codeHash: code.code_hash, valid: true, firstUseOf: c.clientId, refreshToken: refreshRow(grantId, c, `race-${n}-${i}`) }, NOW + 1),
          ),
        );
        assert.equal(outcomes.filter((o) => o === 'redeemed').length, 1, outcomes.join());
        assert.equal(outcomes.filter((o) => o === 'replayed_and_revoked').length, 19);
        const families = await handle.db.selectFrom('refresh_tokens').select('token_hash').where('client_id', '=', c.clientId).execute();
        assert.equal(families.length, 1, 'only the winner wrote a refresh family');
        assert.equal(await codes.isGrantActive(grantId), false, 'a valid replay of a validly redeemed code revokes the grant (AC-01)');
        const client = await handle.db.selectFrom('oauth_clients').select('last_used_at').where('client_id', '=', c.clientId).executeTakeFirstOrThrow();
        assert.equal(client.last_used_at, NOW + 1, 'the first use is noted (DC-05)');
      });

      test('PK-03, AC-02: an invalid attempt consumes the code and revokes nothing; a later valid one is a plain replay', async () => {
        const { grants, codes } = stores();
        const c = consent();
        const code = codeFor(c);
        const grantId = await grants.approveWithCode(code, NOW);
        assert.equal(await codes.redeem({ codeHash: code.code_hash, valid: false }, NOW + 1), 'refused');
        assert.equal(await codes.redeem({ codeHash: code.code_hash, valid: true, refreshToken: refreshRow(grantId, c) }, NOW + 2), 'replayed');
        assert.equal(await codes.isGrantActive(grantId), true);
        const row = await codes.find(code.code_hash, wiki);
        assert.deepEqual([row?.consumed_at, row?.validly_consumed_at], [NOW + 1, null]);
      });

      test('RT-05: 20 concurrent rotations of one refresh token: one successor; the retries within the grace window get it too', async () => {
        const { grants, refreshTokens } = stores();
        const c = consent();
        const grant = await grants.approve(c, NOW);
        const rt1 = refreshRow(grant.id, c);
        await handle.db.insertInto('refresh_tokens').values(rt1).execute();
        const rt2 = { ...rt1, token_hash: `${rt1.token_hash}-next` };
        const outcomes = await Promise.all(Array.from({ length: 20 }, () => refreshTokens.rotate(rt1, rt2, NOW + 1, 60)));
        assert.equal(outcomes.filter((o) => o === 'rotated').length, 1, outcomes.join());
        assert.equal(outcomes.filter((o) => o === 'grace').length, 19);
        const live = await handle.db
          .selectFrom('refresh_tokens')
          .select('token_hash')
          .where('family_id', '=', rt1.family_id)
          .where('rotated_at', 'is', null)
          .execute();
        assert.deepEqual(live, [{ token_hash: rt2.token_hash }], 'exactly one live token: the successor');
        assert.equal((await refreshTokens.find(rt2.token_hash, wiki))?.authorized, true);
        assert.equal(await grants.findActive(c.wikiId, c.clientId, c.userDid).then((g) => g?.id), grant.id, 'nothing revoked');
      });

      test('RT-02: a rotated token replayed after the grace window, or once its successor was used, revokes the grant', async () => {
        const { grants, refreshTokens } = stores();
        for (const late of [true, false]) {
          const c = consent();
          const grant = await grants.approve(c, NOW);
          const rt1 = refreshRow(grant.id, c);
          await handle.db.insertInto('refresh_tokens').values(rt1).execute();
          const rt2 = { ...rt1, token_hash: `${rt1.token_hash}-next` };
          assert.equal(await refreshTokens.rotate(rt1, rt2, NOW, 60), 'rotated');
          if (!late) assert.equal(await refreshTokens.rotate(rt2, { ...rt2, token_hash: `${rt2.token_hash}-next` }, NOW + 1, 60), 'rotated');
          const stale = await refreshTokens.find(rt1.token_hash, wiki);
          assert.equal(await refreshTokens.rotate(stale!, rt2, late ? NOW + 61 : NOW + 2, 60), 'replayed');
          assert.equal(await grants.findActive(c.wikiId, c.clientId, c.userDid), undefined, late ? 'after the window' : 'successor already used');
        }
      });
    });

    test('CL-05: a confirmed CLI login is delivered exactly once, with its record; a failed record leaves it confirmed', async () => {
      const logins = cliLoginStore(handle);
      const row = { ...CLI_LOGIN, code_hash: 'c', failed_attempts: 0, did: did(8) };
      await logins.create({ ...row, id: 'deliver-once', status: 'confirmed' });
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => logins.deliver('deliver-once', NOW, sessionRow(`cl05-${i}`, did(8)))));
      assert.equal(results.filter(Boolean).length, 1);
      assert.deepEqual(await sessionsOf(did(8)), [`cl05-${results.indexOf(true)}`], 'exactly one credential recorded');
      assert.equal((await logins.find('deliver-once', NOW))?.status, 'delivered');

      await logins.create({ ...row, id: 'deliver-fails', status: 'confirmed' });
      // A session row whose sid is taken fails its insert, after the status change in the same transaction.
      await assert.rejects(logins.deliver('deliver-fails', NOW, sessionRow(`cl05-${results.indexOf(true)}`, did(8))));
      assert.equal((await logins.find('deliver-fails', NOW))?.status, 'confirmed', 'rolled back: the retry can still deliver (DB-07)');
      assert.equal(await logins.deliver('deliver-fails', NOW, sessionRow('cl05-retry', did(8))), true);
      assert.equal((await logins.find('deliver-fails', NOW))?.status, 'delivered');
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
    await assert.rejects(
      openDatabase('postgres://postgres@127.0.0.1:1/none'),
      (error: Error) => error instanceof DatabaseOpenError && /cannot connect to PostgreSQL/.test(error.message),
    );
  });
  test('an SQLite path that cannot be created is one clear error', async () => {
    // A regular file where a directory should be.
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'robot-notdir-')), 'file');
    writeFileSync(file, '');
    await assert.rejects(
      openDatabase(`sqlite:${file}/data/robot.sqlite`),
      (error: Error) => error instanceof DatabaseOpenError && /cannot open SQLite database/.test(error.message),
    );
  });
});
