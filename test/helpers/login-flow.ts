// Logs a TestClient in through the scriptable fake AS: login form → pushed request → callback.
import assert from 'node:assert/strict';
import type { FakeAtproto } from './fake-atproto.ts';
import type { TestClient } from './http-client.ts';

export async function loginThroughFake(client: TestClient, fake: FakeAtproto, handle = 'carol.test'): Promise<Response> {
  const begun = await client.form('/auth/login', { handle });
  assert.equal(begun.status, 303, `login did not start: ${begun.status}`);
  const state = fake.requestsTo('/oauth/par').at(-1)!.form.state!;
  return client.request(`/auth/callback?${new URLSearchParams({ code: `code-${Math.random()}`, state, iss: fake.url })}`);
}

export async function signUp(client: TestClient, fake: FakeAtproto, username: string, handle = 'carol.test'): Promise<Response> {
  const callback = await loginThroughFake(client, fake, handle);
  assert.equal(callback.headers.get('location'), '/auth/signup');
  const page = await (await client.request('/auth/signup')).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
  return client.form('/auth/signup', { username, csrf });
}
