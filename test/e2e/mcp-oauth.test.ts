// The official MCP SDK client connects to a wiki's MCP endpoint from a bare 401: discovery,
// dynamic registration, the authorization URL opened in Chromium (atproto login against the dev-env
// PDS, signup, our consent), code exchange, an authenticated tool call, refreshes, and a rejected
// replay of an old refresh token.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.ts';
import { startTestNetwork, type TestNetwork } from '../helpers/network.ts';
import { answerAtPds } from '../helpers/pds-ui.ts';
import { atprotoEnv, freePort, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

const SCREENSHOTS = 'test-results/screenshots';

/** An MCP client's OAuth state, kept in memory the way a desktop client keeps it on disk. */
class MemoryProvider implements OAuthClientProvider {
  information?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier = '';
  authorizationUrl?: URL;
  constructor(readonly redirect: string) {}
  get redirectUrl() {
    return this.redirect;
  }
  get clientMetadata(): OAuthClientMetadata {
    return { client_name: 'SDK e2e client', redirect_uris: [this.redirect], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
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

describe('MCP SDK client through MCP authorization, against a real PDS, in Chromium', () => {
  let network: TestNetwork;
  let platform: TestPlatform;
  let browser: Browser;
  let callbackServer: Server;
  let redirect = '';
  let lastCode: string | undefined;

  before(async () => {
    network = await startTestNetwork();
    platform = await startTestPlatform(atprotoEnv(network));
    await platform.platform.deps.wikis.create({ slug: 'notes', ownerDid: network.accounts.alice.did, displayName: 'Alice’s notes' }, 1);
    browser = await launchBrowser();
    const port = await freePort();
    redirect = `http://127.0.0.1:${port}/callback`;
    callbackServer = createServer((req, res) => {
      // Only the callback itself: the browser also asks this server for /favicon.ico.
      const url = new URL(req.url!, redirect);
      if (url.pathname === '/callback' && url.searchParams.get('code')) lastCode = url.searchParams.get('code')!;
      res.writeHead(200, { 'content-type': 'text/plain' }).end('You can close this window.');
    });
    await new Promise<void>((resolve) => callbackServer.listen(port, '127.0.0.1', resolve));
  });
  after(async () => {
    await new Promise((resolve) => callbackServer?.close(resolve));
    await browser?.close();
    await platform?.close();
    await network?.close();
  });

  test('from a bare 401 to an authenticated tool call, then refresh rotation and replay rejection', async () => {
    const mcpUrl = new URL(`${platform.config.publicUrl}/w/notes/mcp`);
    const bare = await fetch(mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}' });
    assert.equal(bare.status, 401);
    assert.match(bare.headers.get('www-authenticate')!, /resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/w\/notes\/mcp"/);

    const provider = new MemoryProvider(redirect);
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await assert.rejects(client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider })), /Unauthorized/);
    assert.ok(provider.information?.client_id.startsWith('mcp_'), 'registered dynamically');
    assert.ok(provider.authorizationUrl, 'the SDK produced an authorization URL');
    assert.equal(provider.authorizationUrl.searchParams.get('resource'), mcpUrl.href);

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(provider.authorizationUrl.href);
    await page.waitForURL(/\/auth\/login/);
    await page.fill('input[name=handle]', 'alice.test');
    await page.getByRole('button', { name: 'Continue' }).click();
    await answerAtPds(page, network.accounts.alice, 'Authorize');
    await page.waitForURL(`${platform.config.publicUrl}/auth/signup`, { timeout: 30_000 });
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page.getByRole('heading', { name: /Allow access to/ }).waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}/consent.png`, fullPage: true });
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.href.startsWith(redirect));
    await context.close();
    assert.ok(lastCode, 'the browser came back to the client with a code');

    const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
    await transport.finishAuth(lastCode);
    const connected = new Client({ name: 'e2e', version: '1.0.0' });
    await connected.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }));
    const result = await connected.callTool({ name: 'wiki_info', arguments: { verbose: true } });
    const info = JSON.parse((result.content as Array<{ text: string }>)[0]!.text);
    assert.equal(info.user, network.accounts.alice.did);
    assert.deepEqual(info.scopes, ['wiki:read', 'wiki:write']);
    await connected.close();

    // Refresh twice, then replay the first refresh token: the family is revoked.
    const tokenUrl = `${platform.config.publicUrl}/w/notes/oauth/token`;
    const refresh = (refreshToken: string) =>
      fetch(tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: provider.information!.client_id }) });
    const first = provider.saved!.refresh_token!;
    const second = await (await refresh(first)).json();
    assert.ok(second.access_token && second.refresh_token && second.refresh_token !== first);
    const third = await (await refresh(second.refresh_token)).json();
    assert.ok(third.refresh_token);
    const replay = await refresh(first);
    assert.equal(replay.status, 400);
    assert.equal((await replay.json()).error, 'invalid_grant');
    // The MCP endpoint trusts a grant it found active for a few seconds (it caches verified tokens),
    // so revocation takes effect within that window, not instantly.
    const list = () => fetch(mcpUrl, { method: 'POST', headers: { authorization: `Bearer ${third.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}' });
    const revokedAt = Date.now();
    let status = (await list()).status;
    while (status !== 401 && Date.now() - revokedAt < 8_000) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      status = (await list()).status;
    }
    assert.equal(status, 401, 'the revoked family’s access tokens stop working at the MCP endpoint');
    assert.ok(Date.now() - revokedAt < 7_000, 'within seconds');
  });
});
