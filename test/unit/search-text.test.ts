// The per-wiki words of the SQLite full-text index (src/store/search-text.ts): a wiki's keyed words
// can never be another wiki's, and hits read back exactly as the page wrote them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { keyed, keyedQuery, SEARCH_BLOCK, searchKey, unkeyed } from '../../src/store/search-text.ts';
import { seeded } from '../helpers/property.ts';

const block = fc.integer({ min: 1, max: 2 ** 21 });

test('no wiki key is a prefix of another, so two wikis never index the same word', (t) => {
  fc.assert(
    fc.property(block, block, (a, b) => {
      const [keyA, keyB] = [searchKey(a * SEARCH_BLOCK + 1), searchKey(b * SEARCH_BLOCK + 7)];
      if (a === b) return assert.equal(keyA, keyB);
      assert.ok(!keyA.startsWith(keyB) && !keyB.startsWith(keyA), `${keyA} ${keyB}`);
      // Consonants only before the closing z: the Porter stemmer's measure starts at the word's first vowel.
      assert.match(keyA, /^[bcdfghjklmnpqrstvwx]+z$/);
    }),
    seeded(t, { runs: 2000 }),
  );
});

test('keyed text reads back as written, and a query asks for every word keyed', (t) => {
  fc.assert(
    fc.property(block, fc.string({ unit: 'grapheme', maxLength: 60 }), (b, text) => {
      const key = searchKey(b * SEARCH_BLOCK);
      assert.equal(unkeyed(key, keyed(key, text)), text);
    }),
    seeded(t, { runs: 2000 }),
  );
  const key = searchKey(3 * SEARCH_BLOCK + 5);
  assert.equal(keyedQuery(key, 'Robot-arm "servo" OR café_2'), `"${key}Robot" "${key}arm" "${key}servo" "${key}OR" "${key}café" "${key}2"`);
  assert.equal(keyedQuery(key, '"*() --'), '');
});
