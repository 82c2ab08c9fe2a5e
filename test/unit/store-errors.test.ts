import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isStoreUnavailable } from '../../src/store/errors.ts';

describe('store error classifier', () => {
  test('IN-05: a PostgreSQL data exception (SQLSTATE class 22) is never "store unavailable", whatever it says', () => {
    for (const code of ['22021', '22P02', '22001', '22003', '22P05']) {
      assert.equal(isStoreUnavailable({ code, message: 'invalid byte sequence for encoding "UTF8": 0x00' }), false, code);
      assert.equal(isStoreUnavailable({ code, message: 'Connection terminated unexpectedly' }), false, `${code} with a misleading message`);
    }
  });

  test('DB-01, DB-02: an unreachable or locked store is', () => {
    for (const code of ['08006', '57P01', '53300', 'SQLITE_BUSY', 'ECONNREFUSED']) assert.equal(isStoreUnavailable({ code, message: 'x' }), true, code);
    assert.equal(isStoreUnavailable(new Error('Connection terminated unexpectedly')), true);
    assert.equal(isStoreUnavailable(new TypeError('x is not a function')), false);
  });
});
