// Drives the CLI login's RPCs and its browser leg (through the scriptable fake AS).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { AuthService, type AwaitLoginResponse } from '../../src/rpc/gen/robot/auth/v1/auth_pb.ts';
import type { FakeAtproto } from './fake-atproto.ts';
import type { TestClient } from './http-client.ts';
import { formField } from './html.ts';

export type AuthClient = Client<typeof AuthService>;

/** Connect over HTTP/1.1; `from` picks the local (source) address, as with TestClient. */
export function authClient(serverUrl: string, from?: string): AuthClient {
  const nodeOptions = from ? { localAddress: from } : {};
  return createClient(AuthService, createConnectTransport({ baseUrl: serverUrl, httpVersion: '1.1', nodeOptions }));
}

/** gRPC over h2c (GRPC_PORT) from the source address `from`. */
export function grpcAuthClient(grpcUrl: string, from: string): AuthClient {
  const createConnection = (authority: URL) => net.connect({ host: authority.hostname, port: Number(authority.port), localAddress: from });
  return createClient(AuthService, createGrpcTransport({ baseUrl: grpcUrl, nodeOptions: { createConnection } }));
}

export function newSecret() {
  const secret = randomBytes(32).toString('base64url');
  return { secret, secretHash: createHash('sha256').update(secret).digest('base64url') };
}

/** Collects a stream's messages, and how it ended. */
export async function collect(stream: AsyncIterable<AwaitLoginResponse>): Promise<{ messages: AwaitLoginResponse[]; error?: unknown }> {
  const messages: AwaitLoginResponse[] = [];
  try {
    for await (const message of stream) messages.push(message);
    return { messages };
  } catch (error) {
    return { messages, error };
  }
}

export function stagesOf(messages: AwaitLoginResponse[]) {
  return messages.flatMap((message) => (message.event.case === 'progress' ? [message.event.value.stage] : []));
}

/** The person's side: the fake AS "signs them in" and the browser lands on our callback. */
export async function browserSignsIn(browser: TestClient, fake: FakeAtproto, code = `cli-${Math.random()}`): Promise<Response> {
  const par = fake.requestsTo('/oauth/par').at(-1)!.form;
  return browser.request(`/auth/callback?${new URLSearchParams({ code, state: par.state!, iss: fake.url })}`);
}

/** The person answers the confirmation page: `code` is what they type (read off their terminal). */
export async function confirmInBrowser(browser: TestClient, code: string, decision: 'approve' | 'deny' = 'approve'): Promise<Response> {
  const page = await browser.request('/auth/cli/confirm');
  assert.equal(page.status, 200, `confirmation page: ${page.status}`);
  const csrf = formField(await page.text(), '/auth/cli/confirm', 'csrf')!;
  return browser.form('/auth/cli/confirm', { csrf, code, decision });
}

/** A whole CLI login by someone who already has an account: what the CLI receives at the end. */
export async function cliLogin(client: AuthClient, browser: TestClient, fake: FakeAtproto, identifier = 'carol.test') {
  const { secret, secretHash } = newSecret();
  const started = await client.initiateLogin({ identifier, secretHash, clientName: 'robot CLI on test-box' });
  const streamed = collect(client.awaitLogin({ sessionId: started.sessionId, secret }));
  await browserSignsIn(browser, fake);
  await confirmInBrowser(browser, started.confirmationCode);
  const { messages, error } = await streamed;
  const last = messages.at(-1)?.event;
  assert.ok(last?.case === 'completed', `no token: ${String(error)}`);
  return last.value;
}
