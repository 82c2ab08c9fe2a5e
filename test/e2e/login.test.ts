// End to end, as a person would: Chromium, our pages, a real PDS's sign-in and consent screens.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.ts';
import { startTestNetwork, type TestNetwork } from '../helpers/network.ts';
import { answerAtPds } from '../helpers/pds-ui.ts';
import { atprotoEnv, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

const SCREENSHOTS = 'test-results/screenshots';

describe('log in with atproto against a real PDS, in Chromium', () => {
  let network: TestNetwork;
  let platform: TestPlatform;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Every code and state our callback received, to prove none reached a log (LG-01, LG-02). */
  const callbackSecrets: string[] = [];

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    network = await startTestNetwork();
    platform = await startTestPlatform(atprotoEnv(network));
    browser = await launchBrowser();
    context = await browser.newContext();
    page = await context.newPage();
    context.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname === '/auth/callback')
        for (const name of ['code', 'state']) if (url.searchParams.get(name)) callbackSecrets.push(url.searchParams.get(name)!);
    });
  });

  after(async () => {
    await browser?.close();
    await platform?.close();
    await network?.close();
  });

  const base = () => platform.config.publicUrl;

  async function startLogin(target: Page, handle: string): Promise<void> {
    await target.goto(`${base()}/auth/login`);
    await target.fill('input[name=handle]', handle);
    await target.getByRole('button', { name: 'Continue' }).click();
  }

  async function me(target: BrowserContext) {
    const response = await target.request.get(`${base()}/auth/me`);
    return { status: response.status(), body: await response.json() };
  }

  test('first login: PDS sign-in, consent, signup, session cookie, /auth/me', async () => {
    await page.goto(`${base()}/auth/login`);
    await page.screenshot({ path: `${SCREENSHOTS}/login.png`, fullPage: true });

    await startLogin(page, 'alice.test');
    await page.waitForURL((url) => url.origin === network.pdsUrl, { timeout: 30_000 });
    await answerAtPds(page, network.accounts.alice, 'Authorize');

    await page.waitForURL(`${base()}/auth/signup`, { timeout: 30_000 });
    assert.equal(await page.inputValue('input[name=username]'), 'alice', 'username defaults to the handle prefix');
    await page.screenshot({ path: `${SCREENSHOTS}/signup.png`, fullPage: true });

    await page.getByRole('button', { name: 'Create my account' }).click();
    await page.waitForURL(`${base()}/app/`);
    await page.getByText('Hello, alice').waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}/account.png`, fullPage: true });

    const { status, body } = await me(context);
    assert.equal(status, 200);
    assert.deepEqual(body, { did: network.accounts.alice.did, handle: 'alice.test', username: 'alice' });

    const cookie = (await context.cookies(base())).find((c) => c.name === 'platform_token');
    assert.ok(cookie, 'platform_token cookie set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.secure, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.ok(cookie.expires - Date.now() / 1000 > 23 * 3600, 'cookie lives about 24 h');
  });

  test('logout clears the session; the old cookie is refused afterwards (CK-03)', async () => {
    const before = (await context.cookies(base())).find((c) => c.name === 'platform_token')!;
    await page.goto(`${base()}/app/`);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByText('You are logged out').waitFor();
    assert.equal((await me(context)).status, 401);

    const replay = await fetch(`${base()}/auth/me`, { headers: { cookie: `platform_token=${before.value}` } });
    assert.equal(replay.status, 401, 'a copied pre-logout cookie no longer works');
  });

  test('second login skips signup', async () => {
    await startLogin(page, '@alice.test');
    await page.waitForURL((url) => url.origin === network.pdsUrl, { timeout: 30_000 });
    await answerAtPds(page, network.accounts.alice, 'Authorize');
    await page.waitForURL(`${base()}/app/`, { timeout: 30_000 });
    const { status, body } = await me(context);
    assert.equal(status, 200);
    assert.equal(body.did, network.accounts.alice.did);
    assert.equal(body.username, 'alice');
  });

  test('denied consent ends on a clear page and creates nothing', async () => {
    const fresh = await browser.newContext();
    const bobPage = await fresh.newPage();
    await startLogin(bobPage, 'bob.test');
    await bobPage.waitForURL((url) => url.origin === network.pdsUrl, { timeout: 30_000 });
    await answerAtPds(bobPage, network.accounts.bob, 'Deny access');
    await bobPage.waitForURL((url) => url.origin === base() && url.pathname === '/auth/callback', { timeout: 30_000 });
    await bobPage.getByRole('heading', { name: 'Login cancelled' }).waitFor();
    await bobPage.screenshot({ path: `${SCREENSHOTS}/denied.png`, fullPage: true });
    assert.equal((await me(fresh)).status, 401);
    assert.equal(await platform.platform.deps.users.findByDid(network.accounts.bob.did), undefined, 'no user row for bob');
    await fresh.close();
  });

  test('the login page works on a phone-sized screen', async () => {
    const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    const phonePage = await phone.newPage();
    await phonePage.goto(`${base()}/auth/login`);
    const overflow = await phonePage.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling (overflow ${overflow}px)`);
    const box = await phonePage.getByRole('button', { name: 'Continue' }).boundingBox();
    assert.ok(box && box.height >= 40 && box.width >= 300, 'a thumb-sized button');
    await phonePage.screenshot({ path: `${SCREENSHOTS}/login-phone.png`, fullPage: true });
    await phone.close();
  });

  test('LG-01, LG-02: no code, state, cookie or token from these logins appears in the logs', async () => {
    const cookies = (await context.cookies()).map((cookie) => cookie.value);
    const secrets = [...callbackSecrets, ...cookies].filter((value) => value.length >= 16);
    assert.ok(callbackSecrets.length >= 4, 'the callbacks were observed');
    const logs = platform.logs.text();
    for (const secret of secrets) assert.equal(logs.includes(secret), false, `log leaks ${secret.slice(0, 8)}…`);
    assert.match(logs, /\/auth\/callback\?[^"]*code=%5BRedacted%5D/, 'callback URLs are logged with the code redacted');
  });
});
