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
    assert.equal(config.metricsPort, undefined);
  });

  test('every key file has its variable, relative to the working directory; the defaults live in DATA_DIR', () => {
    const defaults = load({ DATA_DIR: '/var/lib/robot' });
    assert.equal(defaults.refreshKeyFile, '/var/lib/robot/refresh-token-key.json');
    assert.equal(defaults.platformKeysFile, '/var/lib/robot/platform-keys.json');
    assert.equal(defaults.atproto.clientKeyFile, '/var/lib/robot/atproto-client-key.json');
    const shared = load({ REFRESH_KEY_FILE: 'secrets/refresh.json', PLATFORM_KEYS_FILE: '/run/secrets/platform.json' });
    assert.equal(shared.refreshKeyFile, '/srv/robot/secrets/refresh.json');
    assert.equal(shared.platformKeysFile, '/run/secrets/platform.json');
  });

  test('METRICS_PORT turns the metrics listener on', () => {
    assert.equal(load({ METRICS_PORT: '9464' }).metricsPort, 9464);
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
    assert.deepEqual(load({ MCP_ALLOWED_ORIGINS: list }).mcpAllowedOrigins, ['https://app.example', 'http://127.0.0.1:6274', 'https://b.example:8443']);
  });

  const bad: Record<string, [Record<string, string>, RegExp]> = {
    'ftp PUBLIC_URL': [{ PUBLIC_URL: 'ftp://x' }, /^PUBLIC_URL: must be http or https/],
    'PUBLIC_URL with a path': [{ PUBLIC_URL: 'https://robot.wtf/app' }, /origin only/],
    'http on a public host': [{ PUBLIC_URL: 'http://robot.wtf' }, /loopback/],
    'localhost instead of an IP': [{ PUBLIC_URL: 'http://localhost:8003' }, /127\.0\.0\.1:8003/],
    'port out of range': [{ PORT: '70000' }, /^PORT: must be between/],
    'port not a number': [{ PORT: 'eighty' }, /^PORT:/],
    'metrics port out of range': [{ METRICS_PORT: '0' }, /^METRICS_PORT: must be between/],
    'unknown database scheme': [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL: must start with sqlite: or postgres:\/\//],
    'http PLC without the insecure switch': [{ ATPROTO_PLC_URL: 'http://localhost:2582' }, /DANGEROUSLY_ALLOW_INSECURE_ATPROTO/],
    'cookie domain not covering the host': [{ PUBLIC_URL: 'https://robot.wtf', COOKIE_DOMAIN: 'example.com' }, /does not cover/],
    'bad log level': [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL:/],
    'an access-token lifetime of a week': [{ ACCESS_TOKEN_LIFETIME: '604800' }, /^ACCESS_TOKEN_LIFETIME: must be between 60 and 86400 seconds/],
    'a host name as a trusted proxy': [{ TRUSTED_PROXIES: '127.0.0.1, proxy.internal' }, /^TRUSTED_PROXIES: "proxy\.internal" is not an IP address or CIDR/],
    'IPv4 prefix over 32': [{ TRUSTED_PROXIES: '10.0.0.0/33' }, /^TRUSTED_PROXIES: "10.0.0.0\/33": an IPv4 prefix is/],
    'IPv6 prefix over 128': [{ TRUSTED_PROXIES: 'fd00::/129' }, /^TRUSTED_PROXIES: "fd00::\/129": an IPv6 prefix/],
    'a prefix not a number': [{ TRUSTED_PROXIES: '10.0.0.0/8x' }, /^TRUSTED_PROXIES: "10.0.0.0\/8x" is not an IP/],
    'a CIDR without a prefix': [{ TRUSTED_PROXIES: '10.0.0.0/' }, /^TRUSTED_PROXIES: "10.0.0.0\/" is not an IP/],
    'an address with a port': [{ TRUSTED_PROXIES: '127.0.0.1:80' }, /^TRUSTED_PROXIES: "127.0.0.1:80" is not an IP/],
    'an MCP origin with a path': [{ MCP_ALLOWED_ORIGINS: 'https://app.example/mcp' }, /^MCP_ALLOWED_ORIGINS: not an/],
    'a wildcard MCP origin': [{ MCP_ALLOWED_ORIGINS: '*' }, /^MCP_ALLOWED_ORIGINS: not an origin/],
    'the opaque origin null': [{ MCP_ALLOWED_ORIGINS: 'https://a.example, null' }, /^MCP_ALLOWED_ORIGINS: .*"null"/],
    'a non-web MCP origin': [{ MCP_ALLOWED_ORIGINS: 'ftp://a.example' }, /^MCP_ALLOWED_ORIGINS: not an origin/],
    'a handle as an admin': [{ ADMIN_DIDS: 'alice.example' }, /^ADMIN_DIDS: not an atproto DID .*"alice\.example"/],
    'a truncated admin DID': [{ ADMIN_DIDS: 'did:plc:abc' }, /^ADMIN_DIDS: not an atproto DID/],
    'an unknown signup mode': [{ SIGNUP: 'closed' }, /^SIGNUP: must be open, invite or allowlist/],
    'an allow-list without entries': [{ SIGNUP: 'allowlist' }, /^SIGNUP=allowlist needs SIGNUP_ALLOWLIST/],
    'an allow-list that is not used': [{ SIGNUP_ALLOWLIST: 'alice.example' }, /^SIGNUP_ALLOWLIST is set, but SIGNUP is open/],
    'an allow-list entry that is neither': [
      { SIGNUP: 'allowlist', SIGNUP_ALLOWLIST: 'alice.example, https://x' },
      /^SIGNUP_ALLOWLIST: not a handle or DID: "https:\/\/x"/,
    ],
  };
  for (const [name, [env, message]] of Object.entries(bad)) {
    test(`refuses ${name} with one clear line`, () => {
      assert.throws(
        () => load(env),
        (error: Error) => error instanceof ConfigError && message.test(error.message) && !error.message.includes('\n'),
      );
    });
  }

  test('ADMIN_DIDS and SIGNUP: open by default; the allow-list takes handles (any case, @ or not) and DIDs', () => {
    const open = load({});
    assert.deepEqual([open.signup, [...open.adminDids]], [{ mode: 'open' }, []]);
    const admins = load({ ADMIN_DIDS: 'did:plc:fakecarolaaaaaaaaaaaaaaa, did:web:wiki.example' }).adminDids;
    assert.deepEqual([...admins], ['did:plc:fakecarolaaaaaaaaaaaaaaa', 'did:web:wiki.example']);
    assert.deepEqual(load({ SIGNUP: 'invite' }).signup, { mode: 'invite' });
    const list = load({ SIGNUP: 'allowlist', SIGNUP_ALLOWLIST: '@Alice.Example bob.example did:plc:fakecarolaaaaaaaaaaaaaaa' }).signup;
    assert.deepEqual(list, { mode: 'allowlist', dids: new Set(['did:plc:fakecarolaaaaaaaaaaaaaaa']), handles: new Set(['alice.example', 'bob.example']) });
  });

  test('IN-07: TRUSTED_PROXIES takes IPv4, IPv6 and IPv4-mapped addresses and CIDRs; unset trusts nobody', () => {
    const nobody = load({}).trustedProxies;
    assert.equal(nobody.check('127.0.0.1'), false);
    assert.equal(nobody.check('::1', 'ipv6'), false);
    const list = ' 127.0.0.1,10.0.0.0/8  fd00::/8, ::ffff:192.168.0.0/112 ,';
    const trusted = load({ TRUSTED_PROXIES: list }).trustedProxies;
    assert.equal(trusted.check('127.0.0.1'), true);
    assert.equal(trusted.check('127.0.0.2'), false);
    assert.equal(trusted.check('10.200.3.4'), true);
    assert.equal(trusted.check('fd12:3456::1', 'ipv6'), true);
    assert.equal(trusted.check('fe80::1', 'ipv6'), false);
    assert.equal(trusted.check('192.168.7.7'), true, 'the IPv4-mapped subnet covers the IPv4 addresses');
    assert.equal(trusted.check('::ffff:10.1.1.1', 'ipv6'), true, 'an IPv4 subnet covers the mapped form');
  });

  test('the insecure switch allows http atproto services (local test networks)', () => {
    const config = load({
      ATPROTO_PLC_URL: 'http://localhost:2582/',
      ATPROTO_HANDLE_RESOLVER: 'http://localhost:2583',
      DANGEROUSLY_ALLOW_INSECURE_ATPROTO: '1',
    });
    assert.equal(config.atproto.plcDirectoryUrl, 'http://localhost:2582');
    assert.equal(config.atproto.handleResolver, 'http://localhost:2583');
    assert.equal(config.atproto.allowInsecure, true);
  });
});
