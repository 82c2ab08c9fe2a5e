// Both official SDK client lines against the live endpoint over real HTTP, each through the whole of
// MCP authorization: SDK 1.x on its 2025 handshake (2025-11-25) and SDK 2.x pinned to 2026-07-28
// (`server/discover`, per-request metadata). Each starts from a bare 401, registers dynamically,
// gets the person's consent (carol, signed in through the fake atproto server, approves in her
// browser session), exchanges the code, calls tools, reads pages as resources, and refreshes by
// itself when its access token stops being accepted. test/e2e/mcp-oauth.test.ts does the same with
// a real PDS and Chromium.
import { formField } from '../helpers/html.ts';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import type { Client as ClientV2 } from '@modelcontextprotocol/client';
import { MemoryProvider, SDK_V1, SDK_V2_2026, startCallbackListener, toolJson, type CallbackListener, type SdkLine } from '../helpers/mcp-oauth-client.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';

/** What the tests read from either client line (their method names agree). */
type AnyClient = ClientV1 | ClientV2;

describe('official MCP SDK clients, 2025 and 2026-07-28, through OAuth against the live endpoint', () => {
  let fixture: WikiFixture;
  let callback: CallbackListener;
  let mcpUrl: URL;

  before(async () => {
    fixture = await startWikiFixture();
    callback = await startCallbackListener();
    mcpUrl = new URL(`${fixture.platform.config.publicUrl}/w/notes/mcp`);
    // The owner's words about the wiki (its settings page) reach clients as the server's instructions.
    const { wikis } = fixture.platform.platform.deps;
    const notes = (await wikis.findBySlug('notes'))!;
    await wikis.setDetails(notes.id, { displayName: notes.display_name, description: 'Field notes on the robot arm build.' });
  });
  after(async () => {
    await callback?.close();
    await fixture?.close();
  });

  /** From a bare 401 to a connected client: the SDK's discovery and registration, carol's consent, the code exchange. */
  async function connect<C extends AnyClient>(sdk: SdkLine<C>, provider: MemoryProvider): Promise<C> {
    await assert.rejects(sdk.connect(mcpUrl, provider), /Unauthorized/);
    assert.ok(provider.authorizationUrl, 'the SDK produced an authorization URL');
    assert.equal(provider.authorizationUrl.searchParams.get('resource'), mcpUrl.href);
    const consentPage = await fixture.carol.request(provider.authorizationUrl.href);
    assert.equal(consentPage.status, 200);
    const html = await consentPage.text();
    // The consent form's own fields (the header bar's log-out form carries a token too).
    const field = (name: string) => formField(html, '/oauth/consent', name)!;
    const approved = await fixture.carol.form(`${fixture.issuer}/oauth/consent`, { request_id: field('request_id'), csrf: field('csrf'), decision: 'approve' });
    const location = new URL(approved.headers.get('location')!);
    assert.ok(location.href.startsWith(callback.redirect), 'consent sends the browser back to the client');
    await sdk.finishAuth(mcpUrl, provider, location.searchParams);
    return sdk.connect(mcpUrl, provider);
  }

  /** Tools (with structured content), pages as resources, then a refresh the SDK makes on its own. */
  async function exercise(client: AnyClient, provider: MemoryProvider, path: string): Promise<void> {
    const written = await client.callTool({ name: 'write_note', arguments: { path, content: `Text of ${path}.` } });
    assert.deepEqual(written.structuredContent, { path, revision: 1, size: Buffer.byteLength(`Text of ${path}.`) });
    assert.equal(toolJson(await client.callTool({ name: 'read_note', arguments: { path } })).content, `Text of ${path}.`);

    const { resources } = await client.listResources();
    const resource = resources.find((entry) => entry.name === path)!;
    assert.equal(resource.mimeType, 'text/markdown');
    const read = await client.readResource({ uri: resource.uri });
    assert.equal((read.contents[0] as { text: string }).text, `Text of ${path}.`);
    const { resourceTemplates } = await client.listResourceTemplates();
    assert.deepEqual(
      resourceTemplates.map((template) => template.uriTemplate),
      ['wiki:///{+path}'],
    );
    const completion = await client.complete({ ref: { type: 'ref/resource', uri: 'wiki:///{+path}' }, argument: { name: 'path', value: path.slice(0, 6) } });
    assert.ok(completion.completion.values.includes(path));

    // An access token the endpoint no longer accepts (its signature broken): the SDK refreshes with
    // its refresh token and retries the call, without the person (RFC 6749 §6).
    const before = provider.saved!;
    provider.saved = { ...before, access_token: `${before.access_token.slice(0, -6)}AAAAAA` };
    assert.equal(toolJson(await client.callTool({ name: 'read_note', arguments: { path } })).content, `Text of ${path}.`);
    assert.ok(provider.saved.refresh_token && provider.saved.refresh_token !== before.refresh_token, 'the SDK refreshed and the refresh token rotated');
    assert.notEqual(provider.saved.access_token, before.access_token);
  }

  test('SDK 1.x on 2025-11-25: OAuth, tools, resources, refresh', async () => {
    const provider = new MemoryProvider(callback.redirect);
    const client = await connect(SDK_V1, provider);
    try {
      assert.equal(client.getServerVersion()?.title, 'Carol’s notes');
      assert.match(client.getInstructions() ?? '', /^Field notes on the robot arm build\.\n\nTools for the wiki "Carol’s notes"/);
      await exercise(client, provider, 'Clients/SDK one');
    } finally {
      await client.close();
    }
  });

  test('SDK 2.x pinned to 2026-07-28: discovery, OAuth, tools, resources, refresh', async () => {
    const provider = new MemoryProvider(callback.redirect);
    const client = await connect(SDK_V2_2026, provider);
    try {
      assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
      assert.equal(client.getProtocolEra(), 'modern');
      assert.equal(client.getServerVersion()?.title, 'Carol’s notes');
      assert.match(client.getInstructions() ?? '', /^Field notes on the robot arm build\.\n\nTools for the wiki "Carol’s notes"/);
      await exercise(client, provider, 'Clients/SDK two');
    } finally {
      await client.close();
    }
  });
});
