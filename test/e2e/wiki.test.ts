// A wiki from start to finish with real counterparts: Alice signs in at the dev-env PDS in Chromium,
// creates a wiki on the dashboard, shares it read-only with Bob and makes a bearer token; her MCP
// client (the official SDK, through MCP OAuth) writes, reads, searches and sees history; Bob's client
// reads and is refused writes with insufficient_scope; the bearer token works without OAuth; the web
// view shows the page.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.ts';
import { connectMcp } from '../helpers/mcp.ts';
import { connectWithOAuth, MemoryProvider, startCallbackListener, toolJson, type CallbackListener } from '../helpers/mcp-oauth-client.ts';
import { startTestNetwork, type TestNetwork } from '../helpers/network.ts';
import { answerAtPds } from '../helpers/pds-ui.ts';
import { atprotoEnv, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

const SCREENSHOTS = 'test-results/screenshots';
const PAGE = 'Projects/Robot Arm';

describe('a wiki end to end: dashboard, MCP over OAuth, sharing, bearer token, web view', () => {
  let network: TestNetwork;
  let platform: TestPlatform;
  let browser: Browser;
  let alice: BrowserContext;
  let callback: CallbackListener;
  let bearerToken = '';
  const mcpUrl = () => new URL(`${platform.config.publicUrl}/w/lab/mcp`);

  before(async () => {
    network = await startTestNetwork();
    platform = await startTestPlatform(atprotoEnv(network));
    browser = await launchBrowser();
    callback = await startCallbackListener();
    alice = await browser.newContext();
  });
  after(async () => {
    await alice?.close();
    await callback?.close();
    await browser?.close();
    await platform?.close();
    await network?.close();
  });

  test('Alice signs up, creates a wiki, shares it read-only with Bob and makes a bearer token', async () => {
    const page = await alice.newPage();
    await page.goto(`${platform.config.publicUrl}/app/`);
    await page.waitForURL(/\/auth\/login/);
    await page.fill('input[name=handle]', network.accounts.alice.handle);
    await page.getByRole('button', { name: 'Continue' }).click();
    await answerAtPds(page, network.accounts.alice, 'Authorize');
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page.getByRole('heading', { name: 'Your wikis' }).waitFor();

    await page.fill('input[name=slug]', 'lab');
    await page.fill('input[name=display_name]', 'Alice’s lab');
    await page.getByRole('button', { name: 'Create wiki' }).click();
    await page.waitForURL(/\/app\/wikis\/lab$/);
    assert.ok((await page.content()).includes(`claude mcp add --transport http lab ${mcpUrl().href}`));

    await page.fill('input[name=account]', network.accounts.bob.handle);
    await page.selectOption('select[name=role]', 'read');
    await page.getByRole('button', { name: 'Add or change collaborator' }).click();
    await page.getByRole('cell', { name: `@${network.accounts.bob.handle}`, exact: true }).waitFor();

    await page.fill('input[name=name]', 'scripts');
    await page.getByRole('button', { name: 'Make a token' }).click();
    const shown = await page.getByRole('status').innerText();
    bearerToken = /(rwt_[A-Za-z0-9_-]{43})/.exec(shown)![1]!;
    await page.screenshot({ path: `${SCREENSHOTS}/wiki-settings.png`, fullPage: true });
    await page.reload();
    assert.ok(!(await page.content()).includes(bearerToken), 'the token is shown once');
    await page.close();
  });

  test('Alice’s MCP client writes a page, reads it back, searches it and sees it in history', async () => {
    const provider = new MemoryProvider(callback.redirect);
    const client = await connectWithOAuth(mcpUrl(), provider, { browser, account: network.accounts.alice, callback });
    try {
      const call = async (name: string, args: Record<string, unknown>) => toolJson(await client.callTool({ name, arguments: args }));
      assert.equal(
        (await call('write_note', { path: PAGE, content: '# Robot arm\n\nServo torque notes. Parts list: [[Parts]].', message: 'first notes' })).revision,
        1,
      );
      assert.equal((await call('edit_note', { path: PAGE, old_string: 'Servo torque notes.', new_string: 'Servo torque and gearing notes.' })).revision, 2);
      const read = await call('read_note', { path: PAGE });
      assert.equal(read.content, '# Robot arm\n\nServo torque and gearing notes. Parts list: [[Parts]].');
      assert.equal(read.updated_by, network.accounts.alice.did);
      assert.deepEqual(
        (await call('search_notes', { query: 'gearing' })).results.map((hit: { path: string }) => hit.path),
        [PAGE],
      );
      const history = await call('get_history', { path: PAGE });
      assert.deepEqual(
        history.revisions.map((r: { revision: number; action: string; message: string | null }) => [r.revision, r.action, r.message]),
        [
          [2, 'edit', null],
          [1, 'create', 'first notes'],
        ],
      );
      assert.deepEqual((await call('get_links', { path: PAGE })).outgoing, [{ path: 'Parts', exists: false }]);
    } finally {
      await client.close();
    }
  });

  test('Bob, a read collaborator, reads through his own MCP client and is refused writes with insufficient_scope', async () => {
    const provider = new MemoryProvider(callback.redirect);
    const client = await connectWithOAuth(mcpUrl(), provider, {
      browser,
      account: network.accounts.bob,
      callback,
      atConsent: async (page) => {
        const consent = await page.locator('article').innerText();
        assert.match(consent, /read and search pages/);
        assert.doesNotMatch(consent, /create, change, rename and delete/);
      },
    });
    try {
      assert.equal(provider.saved?.scope, 'wiki:read');
      assert.match(toolJson(await client.callTool({ name: 'read_note', arguments: { path: PAGE } })).content, /gearing/);
    } finally {
      await client.close();
    }
    const write = await fetch(mcpUrl(), {
      method: 'POST',
      headers: { authorization: `Bearer ${provider.saved!.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'write_note', arguments: { path: 'Bob was here', content: 'x' } } }),
    });
    assert.equal(write.status, 403);
    assert.match(write.headers.get('www-authenticate')!, /error="insufficient_scope", /);
    assert.match(write.headers.get('www-authenticate')!, /scope="wiki:write"/);
  });

  test('the bearer token works over HTTP without OAuth', async () => {
    const session = await connectMcp(undefined, mcpUrl().href, bearerToken);
    try {
      // A new wiki starts with a Home page and a page on connecting an assistant (src/wiki/seed.ts).
      assert.deepEqual(
        (await session.json('list_notes', {})).pages.map((p: { path: string }) => p.path),
        ['Connect your assistant', 'Home', PAGE],
      );
      assert.equal((await session.json('write_note', { path: 'Parts', content: 'Servos, brackets.' })).revision, 1);
    } finally {
      await session.close();
    }
  });

  test('the web view shows the rendered page with its links and history', async () => {
    const page = await alice.newPage();
    await page.goto(`${platform.config.publicUrl}/w/lab`);
    await page.getByRole('heading', { name: 'Alice’s lab' }).waitFor();
    await page.getByRole('complementary').getByRole('link', { name: 'Robot Arm' }).click();
    await page.locator('.wiki-page').getByRole('heading', { name: 'Robot arm' }).waitFor();
    assert.match(await page.locator('.wiki-page').innerText(), /Servo torque and gearing notes/);
    await page.screenshot({ path: `${SCREENSHOTS}/wiki-page.png`, fullPage: true });
    await page.locator('.wiki-page').getByRole('link', { name: 'Parts' }).click();
    await page.getByText('Servos, brackets.').waitFor();
    await page.goto(`${platform.config.publicUrl}/w/lab/history/Projects/Robot%20Arm`);
    assert.match(await page.locator('.changes').innerText(), /first notes/);
    await page.close();
  });
});
