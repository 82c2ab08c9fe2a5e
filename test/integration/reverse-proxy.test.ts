// Rate limits behind a real reverse proxy (catalogue IN-07 with DC-05, SS-07, CL-01, CL-07): Caddy, run
// from the shipped deploy/Caddyfile, in front of a `robot serve` process started with
// TRUSTED_PROXIES=127.0.0.1. Each client has its own loopback source address (127.0.0.x); Caddy connects
// to the platform from 127.0.0.1 and tells it the client's address in X-Forwarded-For.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Code, ConnectError } from '@connectrpc/connect';
import { LOGIN_RATE_LIMIT } from '../../src/atproto/routes.tsx';
import { REGISTRATION_RATE_LIMIT } from '../../src/authserver/registration.ts';
import { CLI_INITIATE_LIMIT } from '../../src/rpc/cli-logins.ts';
import { migrateToLatest, openDatabase } from '../../src/store/database.ts';
import { wikiStore } from '../../src/store/wikis.ts';
import { startCaddy, type Caddy } from '../helpers/caddy.ts';
import { authClient, grpcAuthClient, newSecret, type AuthClient } from '../helpers/cli-login.ts';
import { CAROL_DID } from '../helpers/fake-atproto.ts';
import { TestClient } from '../helpers/http-client.ts';
import { freePort } from '../helpers/platform.ts';
import { RobotProcess } from '../helpers/robot-process.ts';

const codeOf = (error: unknown) => (error instanceof ConnectError ? error.code : error);

describe('rate limits behind Caddy (TRUSTED_PROXIES=127.0.0.1)', () => {
  let dataDir: string;
  let robot: RobotProcess | undefined;
  let caddy: Caddy | undefined;
  let publicUrl: string;
  /** The platform's own port, reachable without the proxy (as on a host where it listens publicly). */
  let direct: string;
  let grpcUrl: string;

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'robot-proxy-'));
    const database = await openDatabase(`sqlite:${path.join(dataDir, 'robot.sqlite')}`);
    try {
      await migrateToLatest(database.db);
      await wikiStore(database.db, database.dialect).create({ slug: 'notes', ownerDid: CAROL_DID, displayName: 'Notes' }, 1);
    } finally {
      await database.close();
    }
    const [port, grpcPort, caddyPort] = [await freePort(), await freePort(), await freePort()];
    direct = `http://127.0.0.1:${port}`;
    grpcUrl = `http://127.0.0.1:${grpcPort}`;
    publicUrl = `http://127.0.0.1:${caddyPort}`;
    robot = await RobotProcess.start({
      HOST: '127.0.0.1',
      PORT: String(port),
      GRPC_PORT: String(grpcPort),
      PUBLIC_URL: publicUrl,
      DATA_DIR: dataDir,
      TRUSTED_PROXIES: '127.0.0.1',
      LOG_LEVEL: 'info',
    });
    caddy = await startCaddy({ port: caddyPort, upstreams: [`127.0.0.1:${port}`] });
  });
  after(async () => {
    await caddy?.close();
    await robot?.kill();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const throughCaddy = (from: string) => new TestClient(caddy!.url, publicUrl, from);
  const straight = (from: string) => new TestClient(direct, publicUrl, from);
  const register = (client: TestClient, forwardedFor?: string) =>
    client.request('/w/notes/oauth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
      body: JSON.stringify({ redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'none' }),
    });
  async function spendRegistrations(client: TestClient, forwardedFor?: (i: number) => string): Promise<void> {
    for (let i = 0; i < REGISTRATION_RATE_LIMIT; i++) assert.equal((await register(client, forwardedFor?.(i))).status, 201, `registration ${i + 1}`);
  }

  test('DC-05, IN-07: through Caddy, client A spending its registrations leaves client B its own budget', async () => {
    const a = throughCaddy('127.0.0.2');
    await spendRegistrations(a);
    const limited = await register(a);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '60');
    assert.equal((await register(throughCaddy('127.0.0.3'))).status, 201, 'B is not limited by what A did');
  });

  test('IN-07: an X-Forwarded-For a client sends through Caddy does not choose its bucket', async () => {
    const attacker = throughCaddy('127.0.0.4');
    // The attacker names the victim: were the header believed, it would spend the victim's budget, not its own.
    await spendRegistrations(attacker, () => '127.0.0.5');
    assert.equal((await register(attacker, '203.0.113.9')).status, 429, 'a fresh forged address buys no fresh budget');
    assert.equal((await register(throughCaddy('127.0.0.5'))).status, 201, 'the victim named in the header keeps its budget');
  });

  test('IN-07: X-Forwarded-For is ignored from untrusted peers; from the trusted proxy it names clients', async () => {
    const untrusted = straight('127.0.0.6');
    await spendRegistrations(untrusted, (i) => `203.0.113.${i + 1}`);
    assert.equal((await register(untrusted, '203.0.113.200')).status, 429, 'forged addresses sent straight to the platform count as the peer');

    // 127.0.0.1 is the trusted proxy: it is not one bucket for everyone behind it, each client it names is.
    const proxy = straight('127.0.0.1');
    await spendRegistrations(proxy, () => '192.0.2.1');
    assert.equal((await register(proxy, '192.0.2.1')).status, 429);
    assert.equal((await register(proxy, '192.0.2.2')).status, 201);
    // The rightmost address the trusted proxy did not itself add is the client: what that client claimed is not.
    assert.equal((await register(proxy, '192.0.2.2, 192.0.2.1')).status, 429);
  });

  test('SS-07, IN-07: login starts through Caddy are limited per client address', async () => {
    const start = (client: TestClient) => client.form('/auth/login', { handle: 'not..valid' });
    const a = throughCaddy('127.0.0.7');
    for (let i = 0; i < LOGIN_RATE_LIMIT; i++) assert.equal((await start(a)).status, 400, `login start ${i + 1}`);
    const limited = await start(a);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '60');
    assert.equal((await start(throughCaddy('127.0.0.8'))).status, 400, 'B is answered, not limited');
  });

  test('CL-01, CL-07, IN-07: InitiateLogin is limited per client via Caddy (Connect) and on gRPC (h2c)', async () => {
    const { secretHash } = newSecret();
    const initiate = (client: AuthClient, forwardedFor?: string) =>
      client
        .initiateLogin({ identifier: 'not..valid', secretHash }, { headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} })
        .then(() => 'ok', codeOf);
    async function spend(client: AuthClient, forwardedFor?: (i: number) => string): Promise<void> {
      for (let i = 0; i < CLI_INITIATE_LIMIT.limit; i++)
        assert.equal(await initiate(client, forwardedFor?.(i)), Code.InvalidArgument, `InitiateLogin ${i + 1}`);
    }

    const a = authClient(caddy!.url, '127.0.0.9');
    await spend(a);
    assert.equal(await initiate(a), Code.ResourceExhausted);
    assert.equal(await initiate(authClient(caddy!.url, '127.0.0.10')), Code.InvalidArgument, 'B is answered, not limited');

    // gRPC (h2c) is not behind Caddy here: the peer's own forged header is ignored, the trusted peer's believed.
    const untrusted = grpcAuthClient(grpcUrl, '127.0.0.11');
    await spend(untrusted, (i) => `203.0.113.${i + 1}`);
    assert.equal(await initiate(untrusted, '203.0.113.200'), Code.ResourceExhausted);
    const proxy = grpcAuthClient(grpcUrl, '127.0.0.1');
    await spend(proxy, () => '192.0.2.20');
    assert.equal(await initiate(proxy, '192.0.2.20'), Code.ResourceExhausted);
    assert.equal(await initiate(proxy, '192.0.2.21'), Code.InvalidArgument);
  });
});
