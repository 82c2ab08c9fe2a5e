// Startup checks our atproto client metadata with the library's rules, now that the library itself
// loads only at the first login (src/main.ts): a PUBLIC_URL it would refuse stops the server at start.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertValidClientMetadata, clientMetadata } from '../../src/atproto/metadata.ts';
import { loadConfig } from '../../src/config/config.ts';
import { ConfigError } from '../../src/config/env.ts';

const KEY = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd', kid: 'k' } as const;

test('loopback and confidential metadata of a valid PUBLIC_URL pass the startup check', () => {
  assertValidClientMetadata(clientMetadata(loadConfig({ PORT: '8003', DATA_DIR: '/tmp/unused' }), undefined));
  assertValidClientMetadata(clientMetadata(loadConfig({ PUBLIC_URL: 'https://robot.example.com', DATA_DIR: '/tmp/unused' }), KEY));
});

test('a confidential client on an IP address is refused at startup, as the atproto library would at login', () => {
  const config = loadConfig({ PUBLIC_URL: 'https://192.0.2.7', DATA_DIR: '/tmp/unused' });
  assert.throws(
    () => assertValidClientMetadata(clientMetadata(config, KEY)),
    (error: unknown) => error instanceof ConfigError && /PUBLIC_URL/.test(error.message) && /IP address/.test(error.message),
  );
});
