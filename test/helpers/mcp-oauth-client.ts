// An MCP client the way a desktop app is one: the official SDK client with an OAuthClientProvider,
// a loopback redirect listener, and a person who signs in at the dev-env PDS and consents in Chromium.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2, type OAuthDiscoveryState } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { Browser, Page } from 'playwright-core';
import type { TestAccount } from './network.ts';
import { answerAtPds } from './pds-ui.ts';
import { freePort } from './platform.ts';

export function clientMetadata(redirect: string): OAuthClientMetadata {
  return {
    client_name: 'SDK e2e client',
    redirect_uris: [redirect],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  };
}

/** An MCP client's OAuth state, kept in memory the way a desktop client keeps it on disk. */
export class MemoryProvider implements OAuthClientProvider {
  information?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier = '';
  authorizationUrl?: URL;
  /** With `clientMetadataUrl` (https) the SDK uses it as the client_id instead of registering. */
  constructor(
    readonly redirect: string,
    readonly clientMetadataUrl?: string,
  ) {}
  get redirectUrl() {
    return this.redirect;
  }
  get clientMetadata(): OAuthClientMetadata {
    return clientMetadata(this.redirect);
  }
  clientInformation() {
    return this.information;
  }
  saveClientInformation(information: OAuthClientInformationMixed) {
    this.information = information;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  /** SDK 2 records which authorization server it sent the person to, and checks the code came from it. */
  discovered?: OAuthDiscoveryState;
  saveDiscoveryState(state: OAuthDiscoveryState) {
    this.discovered = state;
  }
  discoveryState() {
    return this.discovered;
  }
}

/** The client's loopback redirect URI and the last code that arrived there. */
export interface CallbackListener {
  redirect: string;
  lastCode: string | undefined;
  /** The whole query of the last callback that carried a code. */
  lastParams: URLSearchParams | undefined;
  close(): Promise<void>;
}

export async function startCallbackListener(): Promise<CallbackListener> {
  const port = await freePort();
  const redirect = `http://127.0.0.1:${port}/callback`;
  const listener: CallbackListener = {
    redirect,
    lastCode: undefined,
    lastParams: undefined,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = createServer((req, res) => {
    // Only the callback itself: the browser also asks this server for /favicon.ico.
    const url = new URL(req.url!, redirect);
    if (url.pathname === '/callback' && url.searchParams.get('code')) {
      listener.lastCode = url.searchParams.get('code')!;
      listener.lastParams = url.searchParams;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('You can close this window.');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return listener;
}

export interface BrowserSignIn {
  browser: Browser;
  account: TestAccount;
  callback: CallbackListener;
  /** Inspects our consent page before "Allow" is clicked. */
  atConsent?: (page: Page) => Promise<void>;
}

/** A connected client of either SDK line, as far as these tests use one. */
export interface ConnectedClient {
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Which official SDK client to connect with, and the protocol revision it ends up speaking. */
export interface SdkLine<C extends ConnectedClient = ConnectedClient> {
  connect(mcpUrl: URL, provider: MemoryProvider): Promise<C>;
  /** Redeems the code the authorization response (the callback URL's query) carries. */
  finishAuth(mcpUrl: URL, provider: MemoryProvider, callback: URLSearchParams): Promise<void>;
}

/** SDK 1.x: the 2025 `initialize` handshake, at the newest revision it knows (2025-11-25). */
export const SDK_V1: SdkLine<Client> = {
  async connect(mcpUrl, provider) {
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }));
    return client;
  },
  finishAuth: (mcpUrl, provider, callback) => new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }).finishAuth(callback.get('code')!),
};

/** SDK 2.x pinned to 2026-07-28: `server/discover`, then stateless requests with per-request metadata. */
export const SDK_V2_2026: SdkLine<ClientV2> = {
  async connect(mcpUrl, provider) {
    const client = new ClientV2({ name: 'e2e-v2', version: '2.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new TransportV2(mcpUrl, { authProvider: provider }));
    return client;
  },
  // The whole callback query: SDK 2 checks its `iss` against the issuer it discovered (RFC 9207 §2.4).
  finishAuth: (mcpUrl, provider, callback) => new TransportV2(mcpUrl, { authProvider: provider }).finishAuth(callback),
};

/**
 * From a bare 401 to a connected SDK client: the SDK discovers and gets a client_id, the person logs
 * in at the PDS in a fresh browser context (signing up with the suggested username the first time),
 * approves our consent page, and the SDK exchanges the code.
 */
export function connectWithOAuth(mcpUrl: URL, provider: MemoryProvider, signIn: BrowserSignIn): Promise<Client>;
export function connectWithOAuth<C extends ConnectedClient>(mcpUrl: URL, provider: MemoryProvider, signIn: BrowserSignIn, sdk: SdkLine<C>): Promise<C>;
export async function connectWithOAuth(mcpUrl: URL, provider: MemoryProvider, signIn: BrowserSignIn, sdk: SdkLine = SDK_V1): Promise<ConnectedClient> {
  await assert.rejects(sdk.connect(mcpUrl, provider), /Unauthorized/);
  assert.ok(provider.authorizationUrl, 'the SDK produced an authorization URL');
  assert.equal(provider.authorizationUrl.searchParams.get('resource'), mcpUrl.href);

  signIn.callback.lastCode = undefined;
  const context = await signIn.browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(provider.authorizationUrl.href);
    await page.waitForURL(/\/auth\/login/);
    await page.fill('input[name=handle]', signIn.account.handle);
    await page.getByRole('button', { name: 'Continue' }).click();
    await answerAtPds(page, signIn.account, 'Authorize');
    // Signup comes once per person: whichever test runs first meets it.
    const createAccount = page.getByRole('button', { name: 'Create my account' });
    const consent = page.getByRole('heading', { name: /Allow access to/ });
    await createAccount.or(consent).first().waitFor({ timeout: 30_000 });
    if (await createAccount.isVisible()) await createAccount.click();
    await consent.waitFor();
    await signIn.atConsent?.(page);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.href.startsWith(signIn.callback.redirect));
  } finally {
    await context.close();
  }
  const code = signIn.callback.lastCode;
  assert.ok(code, 'the browser came back to the client with a code');

  await sdk.finishAuth(mcpUrl, provider, signIn.callback.lastParams!);
  return sdk.connect(mcpUrl, provider);
}

/** A tool call's JSON answer; fails the test with the tool's message on a tool error. */
export function toolJson(result: Awaited<ReturnType<ConnectedClient['callTool']>>): any {
  assert.ok(!result.isError, JSON.stringify(result.content));
  return JSON.parse((result.content as Array<{ text: string }>)[0]!.text);
}
