import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExpiringCache } from '../../src/cache.ts';

test('an entry is returned until its own expiry, then forgotten', () => {
  const cache = new ExpiringCache<string, string>(10);
  cache.set('short', 'a', 100);
  cache.set('long', 'b', 200);
  assert.equal(cache.get('short', 99), 'a');
  assert.equal(cache.get('short', 100), undefined);
  assert.equal(cache.get('long', 100), 'b');
  assert.equal(cache.size, 1);
});

test('when full, the entry stored longest ago is evicted first, and storing a key again renews it', () => {
  const cache = new ExpiringCache<string, number>(3);
  cache.set('a', 1, 1000);
  cache.set('b', 2, 1000);
  cache.set('c', 3, 1000);
  cache.set('a', 4, 1000);
  cache.set('d', 5, 1000);
  assert.equal(cache.size, 3);
  assert.equal(cache.get('b', 0), undefined);
  assert.deepEqual(
    ['a', 'c', 'd'].map((key) => cache.get(key, 0)),
    [4, 3, 5],
  );
});

test('a cache of no entries is refused', () => {
  assert.throws(() => new ExpiringCache(0), RangeError);
});
