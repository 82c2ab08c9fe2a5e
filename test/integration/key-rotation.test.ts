// RS-07: key rotation as this platform does it (`robot keys rotate`, then a restart): tokens signed
// with the new key are accepted, tokens of a retired key keep working while it is published, and are
// refused once it is dropped. The resource server verifies with the keys in process, so there is no
// JWKS fetch that could fail or be stormed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { loadConfig } from '../../src/config/config.ts';
import { rotatePlatformKeys } from '../../src/keys/keystore.ts';
import { createLogger } from '../../src/log.ts';
import { createPlatform, type Platform } from '../../src/main.ts';
import { CAROL_DID } from '../helpers/fake-atproto.ts';
import { accessTokenFor } from '../helpers/mcp.ts';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'robot-rotation-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

/** The platform as `robot serve` builds it on this data dir (requests go to it in process). */
const start = () => createPlatform(loadConfig({ PORT: '8003', DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), { log: createLogger('silent') });

async function status(platform: Platform, token: string): Promise<number> {
  const response = await platform.app.request(`${platform.deps.config.publicUrl}/w/notes/mcp`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
  });
  return response.status;
}

test('RS-07: after rotation new-key tokens are accepted, old-key tokens until the old key is dropped', async () => {
  let server = await start();
  const restart = async () => {
    await server.close();
    server = await start();
  };
  try {
    const wiki = await server.deps.wikis.create({ slug: 'notes', ownerDid: CAROL_DID, displayName: 'Notes' }, 1);
    const first = (await accessTokenFor(server, wiki, CAROL_DID)).token;
    const firstKid = decodeProtectedHeader(first).kid;
    assert.equal(await status(server, first), 200);

    const keysFile = server.deps.config.platformKeysFile;
    const lifetime = server.deps.config.sessionTtlSeconds + 60;
    const now = Math.floor(Date.now() / 1000);
    await rotatePlatformKeys(keysFile, lifetime, now);
    await restart();
    const second = (await accessTokenFor(server, wiki, CAROL_DID)).token;
    assert.notEqual(decodeProtectedHeader(second).kid, firstKid);
    assert.equal(await status(server, second), 200);
    assert.equal(await status(server, first), 200, 'the retired key stays published while its tokens may live');
    const jwks = await (await server.app.request(`${server.deps.config.publicUrl}/.well-known/jwks.json`)).json();
    assert.equal(jwks.keys.length, 2);

    // Rotating again once the first key's tokens have all expired drops it.
    await rotatePlatformKeys(keysFile, lifetime, now + lifetime + 1);
    await restart();
    assert.equal(await status(server, first), 401);
    assert.equal(await status(server, second), 200);
  } finally {
    await server.close();
  }
});
