import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkUsername, suggestUsername } from '../../src/session/username.ts';

describe('usernames', () => {
  test('SU-01: reserved names are refused as reserved, on the normalised value', () => {
    for (const name of [
      'admin',
      'root',
      'api',
      'auth',
      'oauth',
      'login',
      'signup',
      'www',
      'mail',
      'mcp',
      'static',
      'assets',
      'cdn',
      'status',
      'support',
      'security',
      'abuse',
      'postmaster',
      'well-known',
      'localhost',
      'app',
      'ADMIN',
      ' www ',
    ]) {
      const check = checkUsername(name);
      assert.equal(check.problem, 'username_reserved', name);
    }
  });

  test('SU-02: case and surrounding space fold to one lower-case ASCII name; look-alikes do not', () => {
    assert.deepEqual(checkUsername(' Alice '), { ok: true, normalized: 'alice' });
    for (const name of ['alice.', 'ａｌｉｃｅ', 'ALİCE']) assert.equal(checkUsername(name).ok, false, name);
  });

  test('SU-03: other scripts, punycode, invisible characters, punctuation and bad lengths are invalid', () => {
    const invalid = [
      'аlice',
      'αlice',
      'xn--alice',
      'al\u200bice',
      'ali\u202ece',
      'al😀ce',
      'a_b',
      'a.b',
      '-alice',
      'alice-',
      'ab--cd',
      'a',
      'ab',
      'x'.repeat(31),
      '',
    ];
    for (const name of invalid) assert.equal(checkUsername(name).problem, 'username_invalid', JSON.stringify(name));
    for (const name of ['abc', 'al-ice', 'a1b2', 'x'.repeat(30), '123']) assert.equal(checkUsername(name).ok, true, name);
  });

  test('a default is derived from the handle (seed: sderle from sderle.bsky.social), or left empty', () => {
    assert.equal(suggestUsername('sderle.bsky.social'), 'sderle');
    assert.equal(suggestUsername('Alice.example.com'), 'alice');
    assert.equal(suggestUsername('admin.bsky.social'), '', 'reserved names are never suggested');
    assert.equal(suggestUsername('a_bc.bsky.social'), 'abc', 'characters outside [a-z0-9-] are dropped');
    assert.equal(suggestUsername(null), '');
    assert.equal(suggestUsername('x.bsky.social'), '', 'too short');
  });
});
