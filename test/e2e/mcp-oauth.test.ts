// The official MCP SDK client connects to a wiki's MCP endpoint from a bare 401: discovery, a
// client_id (dynamic registration, or a Client ID Metadata Document served over https on loopback),
// the authorization URL opened in Chromium (atproto login against the dev-env PDS, signup, our
// consent), code exchange, an authenticated tool call, refreshes, and a rejected replay of an old
// refresh token.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.ts';
import {
  clientMetadata,
  connectWithOAuth,
  MemoryProvider,
  SDK_V1,
  SDK_V2_2026,
  startCallbackListener,
  toolJson,
  type CallbackListener,
  type ConnectedClient,
  type SdkLine,
} from '../helpers/mcp-oauth-client.ts';
import type { Client as ClientV2 } from '@modelcontextprotocol/client';
import { startTestNetwork, type TestNetwork } from '../helpers/network.ts';
import { atprotoEnv, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { loopbackCertificate, startLoopbackHttps, trustInThisProcess, type LoopbackHttps } from '../helpers/tls.ts';

const SCREENSHOTS = 'test-results/screenshots';

describe('MCP SDK client through MCP authorization, against a real PDS, in Chromium', () => {
  let network: TestNetwork;
  let platform: TestPlatform;
  let browser: Browser;
  let callback: CallbackListener;
  let documents: LoopbackHttps;
  let untrust: (() => void) | undefined;
  const documentRequests: string[] = [];
  const DOCUMENT_PATH = '/sdk-e2e-client.json';

  before(async () => {
    network = await startTestNetwork();
    platform = await startTestPlatform(atprotoEnv(network));
    await platform.platform.deps.wikis.create({ slug: 'notes', ownerDid: network.accounts.alice.did, displayName: 'Alice’s notes' }, 1);
    browser = await launchBrowser();
    callback = await startCallbackListener();
    // The client's metadata document, over https as the SDK requires, with a certificate made now
    // and trusted by this process only (the platform runs in it).
    const certificate = loopbackCertificate();
    untrust = trustInThisProcess(certificate.cert);
    documents = await startLoopbackHttps(certificate, (req, res) => {
      documentRequests.push(req.url!);
      if (req.url !== DOCUMENT_PATH) return void res.writeHead(404).end();
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ client_id: `${documents.url}${DOCUMENT_PATH}`, ...clientMetadata(callback.redirect) }));
    });
  });
  after(async () => {
    await documents?.close();
    untrust?.();
    // Guarded: a `before` that failed early must not leave this waiting forever.
    await callback?.close();
    await browser?.close();
    await platform?.close();
    await network?.close();
  });

  /**
   * What every client goes through: a bare 401, the SDK's discovery and client_id, login at the PDS
   * in Chromium (signup the first time), our consent (checked by `atConsent`), the code exchange,
   * tool calls, two refreshes and a replay of the first refresh token, which revokes the family.
   */
  async function connectThroughBrowser(
    provider: MemoryProvider,
    atConsent: (page: Page) => Promise<void>,
    sdk: SdkLine = SDK_V1,
    connectedCheck: (client: ConnectedClient) => Promise<void> = async () => {},
  ): Promise<void> {
    const mcpUrl = new URL(`${platform.config.publicUrl}/w/notes/mcp`);
    const bare = await fetch(mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}',
    });
    assert.equal(bare.status, 401);
    assert.match(bare.headers.get('www-authenticate')!, /resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/w\/notes\/mcp"/);

    const connected = await connectWithOAuth(mcpUrl, provider, { browser, account: network.accounts.alice, callback, atConsent }, sdk);
    // A write and a read: both scopes were granted, and the page's author is the person who consented.
    const path = `E2E/${randomUUID()}`;
    assert.equal(toolJson(await connected.callTool({ name: 'write_note', arguments: { path, content: 'Written through MCP.' } })).revision, 1);
    const note = toolJson(await connected.callTool({ name: 'read_note', arguments: { path } }));
    assert.equal(note.content, 'Written through MCP.');
    assert.equal(note.updated_by, network.accounts.alice.did);
    await connectedCheck(connected);
    await connected.close();

    // Refresh twice, then replay the first refresh token: the family is revoked.
    const tokenUrl = `${platform.config.publicUrl}/w/notes/oauth/token`;
    const refresh = (refreshToken: string) =>
      fetch(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: provider.information!.client_id }),
      });
    const first = provider.saved!.refresh_token!;
    const second = await (await refresh(first)).json();
    assert.ok(second.access_token && second.refresh_token && second.refresh_token !== first);
    const third = await (await refresh(second.refresh_token)).json();
    assert.ok(third.refresh_token);
    const replay = await refresh(first);
    assert.equal(replay.status, 400);
    assert.equal((await replay.json()).error, 'invalid_grant');
    // The MCP endpoint reads the grant on every request, so the revoked family's access tokens stop
    // working at once.
    const list = await fetch(mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${third.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}',
    });
    assert.equal(list.status, 401);
  }

  /** The platform's log events since line `from`, and among them any sign of a registration. */
  function logsSince(from: number) {
    const events = platform.logs.lines.slice(from).map((line) => JSON.parse(line) as { event?: string; method?: string; url?: string; clientId?: string });
    const registrations = events.filter(
      (line) => line.event === 'oauth.client.registered' || (line.event === 'http' && line.method === 'POST' && line.url?.includes('/oauth/register')),
    );
    return { events, registrations };
  }

  test('dynamic registration: from a bare 401 to an authenticated tool call, then refresh rotation and replay rejection', async () => {
    const logsBefore = platform.logs.lines.length;
    const provider = new MemoryProvider(callback.redirect);
    await connectThroughBrowser(provider, async (page) => {
      assert.match(await page.locator('hgroup').innerText(), /SDK e2e client \(name chosen by the application itself, not verified\)/);
      await page.screenshot({ path: `${SCREENSHOTS}/consent.png`, fullPage: true });
    });
    assert.ok(provider.information?.client_id.startsWith('mcp_'), 'registered dynamically');
    // Also shows that the log check in the metadata-document test below would see a registration.
    assert.equal(logsSince(logsBefore).registrations.length, 2, 'the registration event and the POST /oauth/register request line');
  });

  test('client ID metadata document: the https document URL is the client_id, verified by its host, and nothing is registered', async () => {
    const documentUrl = `${documents.url}${DOCUMENT_PATH}`;
    const host = new URL(documentUrl).host;
    const logsBefore = platform.logs.lines.length;
    const provider = new MemoryProvider(callback.redirect, documentUrl);
    await connectThroughBrowser(provider, async (page) => {
      assert.match(await page.locator('hgroup').innerText(), new RegExp(`SDK e2e client \\(published by ${host.replaceAll('.', '\\.')}\\)`));
      await page.screenshot({ path: `${SCREENSHOTS}/consent-cimd.png`, fullPage: true });
    });
    assert.equal(provider.information?.client_id, documentUrl);
    assert.ok(documentRequests.includes(DOCUMENT_PATH), 'the platform fetched the document over https');
    const { events, registrations } = logsSince(logsBefore);
    assert.ok(events.some((line) => line.event === 'oauth.client.metadata_fetched' && line.clientId === documentUrl));
    assert.deepEqual(registrations, [], 'no registration request reached the server');
  });

  test('SDK 2 on 2026-07-28: discovery, OAuth, tools with structured content, pages as resources, and a refresh the SDK makes itself', async () => {
    const provider = new MemoryProvider(callback.redirect);
    await connectThroughBrowser(
      provider,
      async () => {},
      SDK_V2_2026,
      async (connected) => {
        const client = connected as ClientV2;
        assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
        assert.equal(client.getProtocolEra(), 'modern');
        assert.equal(client.getServerVersion()?.title, 'Alice’s notes');
        assert.match(client.getInstructions() ?? '', /Tools for the wiki "Alice’s notes"/);
        const listed = await client.callTool({ name: 'list_notes', arguments: {} });
        assert.ok((listed.structuredContent as { pages: unknown[] }).pages.length >= 1);
        const { resources } = await client.listResources();
        const resource = resources.find((entry) => entry.uri.startsWith('wiki:///E2E/'))!;
        const read = await client.readResource({ uri: resource.uri });
        assert.equal((read.contents[0] as { text: string }).text, 'Written through MCP.');

        // An access token the server no longer accepts: the SDK refreshes with its refresh token and
        // retries, without the person (RFC 6749 §6).
        const before = provider.saved!;
        provider.saved = { ...before, access_token: `${before.access_token.slice(0, -4)}AAAA` };
        const again = await client.callTool({ name: 'read_note', arguments: { path: resource.name } });
        assert.equal(toolJson(again).content, 'Written through MCP.');
        assert.ok(provider.saved.refresh_token && provider.saved.refresh_token !== before.refresh_token, 'the refresh token rotated');
      },
    );
  });
});
