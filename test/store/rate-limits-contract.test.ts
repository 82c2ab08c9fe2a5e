// The rate-limit counter store (catalogue DC-05, SS-07 across instances) on both databases: one
// atomic statement per hit, so concurrent hits from any number of instances are each counted once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import { rateLimitStore } from '../../src/store/rate-limits.ts';
import { sweepExpired } from '../../src/store/sweeper.ts';
import { createTestDatabase, TEST_DATABASES, type TestDatabase } from '../helpers/databases.ts';

const NOW = 1_800_000_000;

for (const kind of TEST_DATABASES) {
  describe(`rate-limit store on ${kind}`, () => {
    let testDb: TestDatabase;
    let first: DatabaseHandle;
    let second: DatabaseHandle;

    before(async () => {
      testDb = await createTestDatabase(kind);
      first = await openDatabase(testDb.url);
      await migrateToLatest(first.db);
      second = await openDatabase(testDb.url);
    });
    after(async () => {
      await first?.close();
      await second?.close();
      await testDb?.drop();
    });

    test('a hit counts in its (bucket, address, window) only', async () => {
      const store = rateLimitStore(first.sql);
      assert.equal(await store.hit('register', '192.0.2.1', NOW, NOW + 60), 1);
      assert.equal(await store.hit('register', '192.0.2.1', NOW, NOW + 60), 2);
      assert.equal(await store.hit('register', '192.0.2.2', NOW, NOW + 60), 1, 'another address');
      assert.equal(await store.hit('login', '192.0.2.1', NOW, NOW + 60), 1, 'another bucket');
      assert.equal(await store.hit('register', '192.0.2.1', NOW + 60, NOW + 120), 1, 'the next window');
    });

    test('concurrent hits through two connections are each counted exactly once', async () => {
      const stores = [rateLimitStore(first.sql), rateLimitStore(second.sql)];
      const counts = await Promise.all(Array.from({ length: 40 }, (_, i) => stores[i % 2]!.hit('race', '2001:db8::/64', NOW, NOW + 60)));
      assert.deepEqual(
        counts.sort((x, y) => x - y),
        Array.from({ length: 40 }, (_, i) => i + 1),
      );
    });

    test('the sweeper removes finished windows and keeps the current one', async () => {
      const store = rateLimitStore(first.sql);
      await store.hit('sweep', '192.0.2.9', NOW - 120, NOW - 60);
      await store.hit('sweep', '192.0.2.9', NOW, NOW + 60);
      const counts = await sweepExpired(first.db, NOW);
      assert.ok((counts.rate_limits ?? 0) >= 1);
      const left = await first.db.selectFrom('rate_limits').select('window_start').where('bucket', '=', 'sweep').execute();
      assert.deepEqual(
        left.map((row) => Number(row.window_start)),
        [NOW],
      );
    });
  });
}
