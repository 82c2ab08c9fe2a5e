// The same AuthService as plain gRPC over h2c on GRPC_PORT, called by a generic gRPC client
// (@grpc/grpc-js with the .proto loaded at run time: nothing of ours on the client side).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { browserSignsIn, confirmInBrowser, newSecret } from '../helpers/cli-login.ts';
import { CAROL_DID, FakeAtproto } from '../helpers/fake-atproto.ts';
import { TestClient } from '../helpers/http-client.ts';
import { signUp } from '../helpers/login-flow.ts';
import { freePort, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

interface GrpcAuthClient extends grpc.Client {
  InitiateLogin(request: object, callback: (error: grpc.ServiceError | null, response: Record<string, string>) => void): void;
  AwaitLogin(request: object): grpc.ClientReadableStream<{ progress?: { stage: string }; completed?: { token: string; did: string } }>;
}

describe('AuthService over gRPC (h2c)', () => {
  let fake: FakeAtproto;
  let platform: TestPlatform;
  let client: GrpcAuthClient;

  before(async () => {
    fake = await FakeAtproto.start();
    platform = await startTestPlatform({
      ATPROTO_PLC_URL: fake.url,
      ATPROTO_HANDLE_RESOLVER: fake.url,
      DANGEROUSLY_ALLOW_INSECURE_ATPROTO: '1',
      GRPC_PORT: String(await freePort()),
    });
    const definition = protoLoader.loadSync(path.resolve('proto/robot/auth/v1/auth.proto'), { keepCase: false, longs: String, enums: String, oneofs: true });
    const Service = (grpc.loadPackageDefinition(definition) as any).robot.auth.v1.AuthService as grpc.ServiceClientConstructor;
    client = new Service(new URL(platform.grpcUrl!).host, grpc.credentials.createInsecure()) as unknown as GrpcAuthClient;
    await signUp(new TestClient(platform.platform.app, platform.config.publicUrl), fake, 'carol');
  });
  after(async () => {
    client?.close();
    await platform?.close();
    await fake?.close();
  });

  const initiate = (request: object) =>
    new Promise<Record<string, string>>((resolve, reject) => client.InitiateLogin(request, (error, response) => (error ? reject(error) : resolve(response))));

  function readStream(request: object) {
    const events: Array<{ progress?: { stage: string }; completed?: { token: string; did: string } }> = [];
    return {
      events,
      done: new Promise<grpc.ServiceError | undefined>((resolve) => {
        const stream = client.AwaitLogin(request);
        stream.on('data', (event) => events.push(event));
        stream.on('error', (error: grpc.ServiceError) => resolve(error));
        stream.on('end', () => resolve(undefined));
      }),
    };
  }

  test('a full login: InitiateLogin, then AwaitLogin streams progress and the JWT', async () => {
    const { secret, secretHash } = newSecret();
    const started = await initiate({ identifier: 'carol.test', secretHash, clientName: 'grpc client' });
    assert.match(started.sessionId!, /^[A-Za-z0-9_-]{22}$/);
    const stream = readStream({ sessionId: started.sessionId, secret });
    const person = new TestClient(platform.platform.app, platform.config.publicUrl);
    await browserSignsIn(person, fake);
    await confirmInBrowser(person, started.confirmationCode!);
    assert.equal(await stream.done, undefined);
    assert.deepEqual(
      stream.events.filter((e) => e.progress).map((e) => e.progress!.stage),
      ['STAGE_WAITING_FOR_BROWSER', 'STAGE_AWAITING_CONFIRMATION'],
    );
    assert.equal(stream.events.at(-1)!.completed!.did, CAROL_DID);
    assert.equal(stream.events.at(-1)!.completed!.token.split('.').length, 3);
  });

  test('gRPC status codes: NOT_FOUND for an unknown login, INVALID_ARGUMENT for a bad request', async () => {
    const unknown = readStream({ sessionId: 'B'.repeat(22), secret: 'x' });
    assert.equal((await unknown.done)?.code, grpc.status.NOT_FOUND);
    await assert.rejects(
      initiate({ identifier: 'carol.test', secretHash: 'short' }),
      (error: grpc.ServiceError) => error.code === grpc.status.INVALID_ARGUMENT,
    );
  });

  test('CL-10: a stock grpc-js client reads status messages as written, not percent-encoded', async () => {
    // grpc-js decodes grpc-message with decodeURI, which leaves %3B, %2C and the other reserved-character
    // escapes in place; the server must send the spec's form (PROTOCOL-HTTP2.md, Status-Message).
    const unknown = await readStream({ sessionId: 'C'.repeat(22), secret: 'x' }).done;
    assert.equal(unknown?.code, grpc.status.NOT_FOUND);
    assert.equal(unknown?.details, 'unknown or expired login; run robot login again');
    const { secretHash } = newSecret();
    const refusal = (identifier: string) =>
      initiate({ identifier, secretHash }).then(
        () => undefined,
        (error: grpc.ServiceError) => error,
      );
    const empty = await refusal('');
    assert.equal(empty?.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(empty?.details, 'Enter your handle, for example alice.bsky.social.');
    const odd = await refusal('café;100%');
    assert.equal(odd?.details, '"café;100%" is not a valid handle. Handles look like alice.bsky.social.');
  });
});
