// An MCP client the way a desktop app is one: the official SDK client with an OAuthClientProvider,
// a loopback redirect listener, and a person who signs in at the dev-env PDS and consents in Chromium.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
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
}

/** The client's loopback redirect URI and the last code that arrived there. */
export interface CallbackListener {
  redirect: string;
  lastCode: string | undefined;
  close(): Promise<void>;
}

export async function startCallbackListener(): Promise<CallbackListener> {
  const port = await freePort();
  const redirect = `http://127.0.0.1:${port}/callback`;
  const listener: CallbackListener = {
    redirect,
    lastCode: undefined,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = createServer((req, res) => {
    // Only the callback itself: the browser also asks this server for /favicon.ico.
    const url = new URL(req.url!, redirect);
    if (url.pathname === '/callback' && url.searchParams.get('code')) listener.lastCode = url.searchParams.get('code')!;
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

/**
 * From a bare 401 to a connected SDK client: the SDK discovers and gets a client_id, the person logs
 * in at the PDS in a fresh browser context (signing up with the suggested username the first time),
 * approves our consent page, and the SDK exchanges the code.
 */
export async function connectWithOAuth(mcpUrl: URL, provider: MemoryProvider, signIn: BrowserSignIn): Promise<Client> {
  const unauthenticated = new Client({ name: 'e2e', version: '1.0.0' });
  await assert.rejects(unauthenticated.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider })), /Unauthorized/);
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

  const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
  await transport.finishAuth(code);
  const client = new Client({ name: 'e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }));
  return client;
}

/** A tool call's JSON answer; fails the test with the tool's message on a tool error. */
export function toolJson(result: Awaited<ReturnType<Client['callTool']>>): any {
  assert.ok(!result.isError, JSON.stringify(result.content));
  return JSON.parse((result.content as Array<{ text: string }>)[0]!.text);
}
