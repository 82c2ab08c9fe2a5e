import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/config.ts';
import { ConfigError } from '../../src/config/env.ts';

const load = (env: Record<string, string>) => loadConfig(env, '/srv/robot');

describe('configuration', () => {
  test('embedded defaults: 127.0.0.1:8003, loopback atproto client, SQLite in ./data', () => {
    const config = load({});
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8003);
    assert.equal(config.publicUrl, 'http://127.0.0.1:8003');
    assert.equal(config.atprotoClientMode, 'loopback');
    assert.equal(config.dataDir, '/srv/robot/data');
    assert.equal(config.databaseUrl, `sqlite:${path.join('/srv/robot/data', 'robot.sqlite')}`);
    assert.equal(config.atproto.plcDirectoryUrl, 'https://plc.directory');
    assert.equal(config.atproto.allowInsecure, false);
    assert.equal(config.wikiDomain, undefined);
    assert.equal(config.accessTokenTtlSeconds, 14400);
    assert.equal(load({ ACCESS_TOKEN_LIFETIME: '600' }).accessTokenTtlSeconds, 600);
  });

  test('PORT feeds the default PUBLIC_URL; an https PUBLIC_URL makes a confidential client', () => {
    assert.equal(load({ PORT: '9000' }).publicUrl, 'http://127.0.0.1:9000');
    const production = load({ PUBLIC_URL: 'https://robot.wtf/', WIKI_DOMAIN: 'robot.wtf', COOKIE_DOMAIN: '.robot.wtf', DATABASE_URL: 'postgres://u@db/robot' });
    assert.equal(production.publicUrl, 'https://robot.wtf');
    assert.equal(production.atprotoClientMode, 'confidential');
    assert.equal(production.cookieDomain, 'robot.wtf');
    assert.equal(production.databaseUrl, 'postgres://u@db/robot');
  });

  test('RS-14: MCP_ALLOWED_ORIGINS is a list of origins, kept in the form browsers send', () => {
    assert.deepEqual(load({}).mcpAllowedOrigins, []);
    const list = 'https://App.Example:443/, http://127.0.0.1:6274 https://b.example:8443';
    assert.deepEqual(load({ MCP_ALLOWED_ORIGINS: list }).mcpAllowedOrigins, [
      'https://app.example',
      'http://127.0.0.1:6274',
      'https://b.example:8443',
    ]);
  });

  const bad: Record<string, [Record<string, string>, RegExp]> = {
    'ftp PUBLIC_URL': [{ PUBLIC_URL: 'ftp://x' }, /^PUBLIC_URL: must be http or https/],
    'PUBLIC_URL with a path': [{ PUBLIC_URL: 'https://robot.wtf/app' }, /origin only/],
    'http on a public host': [{ PUBLIC_URL: 'http://robot.wtf' }, /loopback/],
    'localhost instead of an IP': [{ PUBLIC_URL: 'http://localhost:8003' }, /127\.0\.0\.1:8003/],
    'port out of range': [{ PORT: '70000' }, /^PORT: must be between/],
    'port not a number': [{ PORT: 'eighty' }, /^PORT:/],
    'unknown database scheme': [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL: must start with sqlite: or postgres:\/\//],
    'http PLC without the insecure switch': [{ ATPROTO_PLC_URL: 'http://localhost:2582' }, /DANGEROUSLY_ALLOW_INSECURE_ATPROTO/],
    'cookie domain not covering the host': [{ PUBLIC_URL: 'https://robot.wtf', COOKIE_DOMAIN: 'example.com' }, /does not cover/],
    'bad log level': [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL:/],
    'an access-token lifetime of a week': [{ ACCESS_TOKEN_LIFETIME: '604800' }, /^ACCESS_TOKEN_LIFETIME: must be between 60 and 86400 seconds/],
    'an MCP origin with a path': [{ MCP_ALLOWED_ORIGINS: 'https://app.example/mcp' }, /^MCP_ALLOWED_ORIGINS: not an/],
    'a wildcard MCP origin': [{ MCP_ALLOWED_ORIGINS: '*' }, /^MCP_ALLOWED_ORIGINS: not an origin/],
    'the opaque origin null': [{ MCP_ALLOWED_ORIGINS: 'https://a.example, null' }, /^MCP_ALLOWED_ORIGINS: .*"null"/],
    'a non-web MCP origin': [{ MCP_ALLOWED_ORIGINS: 'ftp://a.example' }, /^MCP_ALLOWED_ORIGINS: not an origin/],
  };
  for (const [name, [env, message]] of Object.entries(bad)) {
    test(`refuses ${name} with one clear line`, () => {
      assert.throws(() => load(env), (error: Error) => error instanceof ConfigError && message.test(error.message) && !error.message.includes('\n'));
    });
  }

  test('the insecure switch allows http atproto services (local test networks)', () => {
    const config = load({ ATPROTO_PLC_URL: 'http://localhost:2582/', ATPROTO_HANDLE_RESOLVER: 'http://localhost:2583', DANGEROUSLY_ALLOW_INSECURE_ATPROTO: '1' });
    assert.equal(config.atproto.plcDirectoryUrl, 'http://localhost:2582');
    assert.equal(config.atproto.handleResolver, 'http://localhost:2583');
    assert.equal(config.atproto.allowInsecure, true);
  });
});
