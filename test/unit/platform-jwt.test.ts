import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { SignJWT, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { loadOrCreatePlatformKeys } from '../../src/keys/keystore.ts';
import { CLI_JWT_TYPE, PLATFORM_JWT_TYPE, platformJwt } from '../../src/session/platform-jwt.ts';

const ISSUER = 'https://robot.example';

describe('platform JWT', async () => {
  const keys = await loadOrCreatePlatformKeys(path.join(mkdtempSync(path.join(os.tmpdir(), 'robot-jwt-')), 'keys.json'), 86460);
  const now = Math.floor(Date.now() / 1000);
  let clock = now;
  const jwt = platformJwt(keys, ISSUER, { typ: PLATFORM_JWT_TYPE, ttlSeconds: 86400 }, () => clock);
  const user = { did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', handle: 'alice.test', username: 'alice' };

  test('carries iss, sub, handle, username, sid, iat, exp (24 h) and a distinct typ, verifiable with the JWKS alone', async () => {
    const { token, claims } = await jwt.mint(user, now);
    const header = decodeProtectedHeader(token);
    assert.deepEqual([header.alg, header.typ, header.kid], ['ES256', 'platform+jwt', keys.active.kid]);
    const jwks = createLocalJWKSet({ keys: keys.published.map((k) => k.publicJwk) });
    const { payload } = await jwtVerify(token, jwks, { issuer: ISSUER });
    assert.equal(payload.sub, user.did);
    assert.equal(payload.handle, 'alice.test');
    assert.equal(payload.username, 'alice');
    assert.equal(payload.exp! - payload.iat!, 86400);
    assert.equal(payload.jti, claims.sid);
    assert.deepEqual(await jwt.verify(token), claims);
  });

  test('a verified token stops verifying once expired, though verifications are remembered', async () => {
    const { token } = await jwt.mint(user, now);
    assert.ok(await jwt.verify(token));
    clock = now + 86400 + 61;
    try {
      assert.equal(await jwt.verify(token), undefined);
    } finally {
      clock = now;
    }
  });

  test('every mint gets a new session id (CK-02)', async () => {
    const a = await jwt.mint(user, now);
    const b = await jwt.mint(user, now);
    assert.notEqual(a.claims.sid, b.claims.sid);
    assert.match(a.claims.sid, /^[A-Za-z0-9_-]{22}$/);
  });

  test('an access token (typ at+jwt) signed with the same key is never a session', async () => {
    const accessToken = await new SignJWT({ handle: 'alice.test', username: 'alice', sid: 'x', client_id: 'c', scope: 'wiki:read' })
      .setProtectedHeader({ alg: 'ES256', kid: keys.active.kid, typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(ISSUER)
      .setSubject(user.did)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(keys.active.privateKey);
    assert.equal(await jwt.verify(accessToken), undefined);
  });

  test('CL-09: a CLI credential (cli+jwt, same key and issuer) is never a session, nor the reverse', async () => {
    const cli = platformJwt(keys, ISSUER, { typ: CLI_JWT_TYPE, ttlSeconds: 12 * 3600 }, () => now);
    const { token, claims } = await cli.mint(user, now);
    assert.equal(decodeProtectedHeader(token).typ, 'cli+jwt');
    assert.equal(claims.exp - claims.iat, 12 * 3600);
    assert.equal(await jwt.verify(token), undefined);
    assert.deepEqual(await cli.verify(token), claims);
    assert.equal(await cli.verify((await jwt.mint(user, now)).token), undefined);
  });

  test('wrong issuer, wrong audience and a token from another instance are refused', async () => {
    const other = platformJwt(keys, 'https://other.example', { typ: PLATFORM_JWT_TYPE, ttlSeconds: 86400 }, () => now);
    const { token } = await other.mint(user, now);
    assert.equal(await jwt.verify(token), undefined);
  });
});
