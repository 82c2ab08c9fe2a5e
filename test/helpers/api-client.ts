// Calls the management API (/api/v1) of a listening platform over real HTTP, and gets a real CLI
// credential for it the way `robot login` does (the RPCs plus the browser leg through the fake AS).
import type { FakeAtproto } from './fake-atproto.ts';
import { authClient, cliLogin } from './cli-login.ts';
import { TestClient } from './http-client.ts';
import type { TestPlatform } from './platform.ts';

export interface ApiAnswer {
  status: number;
  headers: Headers;
  json: any;
  bytes: Uint8Array;
}

export function apiCaller(platform: TestPlatform) {
  return async (
    method: string,
    path: string,
    options: { token?: string; json?: unknown; zip?: Uint8Array; headers?: Record<string, string> } = {},
  ): Promise<ApiAnswer> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: BodyInit | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.zip) {
      headers['content-type'] = 'application/zip';
      body = Buffer.from(options.zip);
    }
    const response = await fetch(`${platform.url}/api/v1${path}`, { method, headers, body });
    const bytes = new Uint8Array(await response.arrayBuffer());
    const type = response.headers.get('content-type') ?? '';
    const json = /json/.test(type) && bytes.length ? JSON.parse(new TextDecoder().decode(bytes)) : undefined;
    return { status: response.status, headers: response.headers, json, bytes };
  };
}

/** A CLI credential (`cli+jwt`) for `identifier`, who must already have an account. */
export async function cliCredential(platform: TestPlatform, fake: FakeAtproto, identifier = 'carol.test'): Promise<string> {
  const browser = new TestClient(platform.platform.app, platform.config.publicUrl);
  return (await cliLogin(authClient(platform.url), browser, fake, identifier)).token;
}
