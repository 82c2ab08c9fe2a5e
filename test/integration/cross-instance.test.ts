// Two `robot serve` processes on one PostgreSQL: a login initiated on one and completed (callback and
// confirmation) on the other wakes the AwaitLogin stream held by the first, through LISTEN/NOTIFY.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadOrCreatePlatformKeys } from '../../src/keys/keystore.ts';
import { authClient, browserSignsIn, collect, confirmInBrowser, newSecret } from '../helpers/cli-login.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { CAROL_DID, FakeAtproto } from '../helpers/fake-atproto.ts';
import { TestClient } from '../helpers/http-client.ts';
import { signUp } from '../helpers/login-flow.ts';
import { freePort } from '../helpers/platform.ts';

async function serve(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [path.resolve('bin/robot.mjs'), 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  for (let i = 0; i < 150 && !output.includes('is running'); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(output, /is running/, output);
  return { child, url: `http://127.0.0.1:${env.PORT}`, output: () => output };
}

describe('CLI login across two server processes on PostgreSQL', () => {
  let fake: FakeAtproto;
  let database: TestDatabase;
  let dataDir: string;
  const instances: Awaited<ReturnType<typeof serve>>[] = [];
  let publicUrl: string;

  before(async () => {
    fake = await FakeAtproto.start();
    database = await createTestDatabase('postgres');
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'robot-two-'));
    // Instances behind one load balancer share the signing keys and the public URL.
    await loadOrCreatePlatformKeys(path.join(dataDir, 'platform-keys.json'), 86460);
    const ports = [await freePort(), await freePort()];
    publicUrl = `http://127.0.0.1:${ports[0]}`;
    const shared = {
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      PUBLIC_URL: publicUrl,
      ATPROTO_PLC_URL: fake.url,
      ATPROTO_HANDLE_RESOLVER: fake.url,
      DANGEROUSLY_ALLOW_INSECURE_ATPROTO: '1',
      LOG_LEVEL: 'info',
    };
    // The first applies the migrations before the second starts.
    instances.push(await serve({ ...shared, PORT: String(ports[0]) }));
    instances.push(await serve({ ...shared, PORT: String(ports[1]) }));
    await signUp(new TestClient(instances[1]!.url, publicUrl), fake, 'carol');
  });
  after(async () => {
    for (const { child } of instances) child.kill('SIGTERM');
    await Promise.all(instances.map(({ child }) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))));
    await database?.drop();
    await fake?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('initiated and streamed on A, completed on B: A delivers within a second of the confirmation', async () => {
    const [a, b] = instances as [Awaited<ReturnType<typeof serve>>, Awaited<ReturnType<typeof serve>>];
    for (let round = 0; round < 3; round++) {
      const { secret, secretHash } = newSecret();
      const client = authClient(a.url);
      const started = await client.initiateLogin({ identifier: 'carol.test', secretHash, clientName: 'two-instance test' });
      let confirmedAt = 0;
      let deliveredAt = 0;
      const stream = collect(
        (async function* () {
          for await (const message of client.awaitLogin({ sessionId: started.sessionId, secret })) {
            if (message.event.case === 'completed') deliveredAt = Date.now();
            yield message;
          }
        })(),
      );
      const person = new TestClient(b.url, publicUrl);
      await browserSignsIn(person, fake);
      await confirmInBrowser(person, started.confirmationCode);
      confirmedAt = Date.now();
      const { messages, error } = await stream;
      assert.equal(error, undefined);
      const completed = messages.at(-1)!.event;
      assert.equal(completed.case, 'completed');
      assert.equal(completed.value!.did, CAROL_DID);
      // The streams re-read their row only every 2 s; a wake-up this fast came from B's NOTIFY.
      assert.ok(deliveredAt - confirmedAt < 1000, `delivered ${deliveredAt - confirmedAt} ms after confirmation`);
    }
    assert.match(a.output(), /cli_login\.delivered/, 'A delivered');
    assert.match(b.output(), /cli_login\.confirmed/, 'B handled the browser');
  });
});
