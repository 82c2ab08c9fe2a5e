import assert from 'node:assert/strict';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { KeyFileError, loadOrCreateAtprotoClientKey, loadOrCreatePlatformKeys, rotatePlatformKeys } from '../../src/keys/keystore.ts';

const LIFETIME = 86400 + 60;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

describe('signing keys', () => {
  const dir = () => mkdtempSync(path.join(os.tmpdir(), 'robot-keys-'));

  test('generated on first start, 0600, and the same keys on the next start', async () => {
    const file = path.join(dir(), 'platform-keys.json');
    const first = await loadOrCreatePlatformKeys(file, LIFETIME, 1000);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const second = await loadOrCreatePlatformKeys(file, LIFETIME, 1001);
    assert.equal(second.active.kid, first.active.kid);

    const clientFile = path.join(dir(), 'client.json');
    const clientKey = await loadOrCreateAtprotoClientKey(clientFile);
    assert.equal((await loadOrCreateAtprotoClientKey(clientFile)).kid, clientKey.kid);
    assert.equal(clientKey.crv, 'P-256');
  });

  test('AS-01: the published keys have public members only, unique kids and alg ES256', async () => {
    const file = path.join(dir(), 'platform-keys.json');
    await loadOrCreatePlatformKeys(file, LIFETIME, 1000);
    await rotatePlatformKeys(file, LIFETIME, 2000);
    const keys = await loadOrCreatePlatformKeys(file, LIFETIME, 2001);
    assert.equal(keys.published.length, 2);
    assert.equal(new Set(keys.published.map((k) => k.kid)).size, 2);
    for (const { publicJwk } of keys.published) {
      for (const member of PRIVATE_MEMBERS) assert.equal((publicJwk as Record<string, unknown>)[member], undefined, member);
      assert.deepEqual([publicJwk.kty, publicJwk.crv, publicJwk.alg, publicJwk.use], ['EC', 'P-256', 'ES256', 'sig']);
    }
  });

  test('rotation: new tokens use the new key; the old key stays published until its tokens expire', async () => {
    const file = path.join(dir(), 'platform-keys.json');
    const original = await loadOrCreatePlatformKeys(file, LIFETIME, 1000);
    const { retired, active } = await rotatePlatformKeys(file, LIFETIME, 5000);
    assert.deepEqual(retired, [original.active.kid]);
    const soon = await loadOrCreatePlatformKeys(file, LIFETIME, 5000 + LIFETIME - 1);
    assert.equal(soon.active.kid, active);
    assert.ok(
      soon.published.some((k) => k.kid === original.active.kid),
      'still published inside the lifetime',
    );
    const later = await loadOrCreatePlatformKeys(file, LIFETIME, 5000 + LIFETIME + 1);
    assert.deepEqual(
      later.published.map((k) => k.kid),
      [active],
      'gone once every token it signed has expired',
    );
  });

  test('an unreadable, malformed or non-ES256 key file is one clear error', async () => {
    const d = dir();
    const garbage = path.join(d, 'garbage.json');
    writeFileSync(garbage, 'not json');
    await assert.rejects(loadOrCreatePlatformKeys(garbage, LIFETIME), (e: Error) => e instanceof KeyFileError && /not valid JSON/.test(e.message));
    const rsa = path.join(d, 'rsa.json');
    writeFileSync(rsa, JSON.stringify({ kty: 'RSA', n: 'x', e: 'AQAB', d: 'y' }));
    await assert.rejects(loadOrCreateAtprotoClientKey(rsa), (e: Error) => e instanceof KeyFileError && /ES256/.test(e.message));
    // A directory where a key file should be: unreadable as a file.
    await assert.rejects(loadOrCreatePlatformKeys(d, LIFETIME), (e: Error) => e instanceof KeyFileError && /cannot read key file/.test(e.message));
  });
});
