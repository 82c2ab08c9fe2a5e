// `robot login alice.test` as a person runs it: the CLI prints a URL, the person follows it in
// Chromium (PDS sign-in, consent, signup, our confirmation page) and the CLI ends logged in; and the
// same flow as a phishing attack (catalogue CL-03, CL-09).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { execFile, spawn } from 'node:child_process';
import { Code, type ConnectError } from '@connectrpc/connect';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import type { Browser } from 'playwright-core';
import { CLI_JWT_TYPE } from '../../src/session/platform-jwt.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { authClient, collect, newSecret } from '../helpers/cli-login.ts';
import { TestClient } from '../helpers/http-client.ts';
import { startTestNetwork, type TestNetwork } from '../helpers/network.ts';
import { answerAtPds } from '../helpers/pds-ui.ts';
import { atprotoEnv, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { askSessionRoutes, assertAnonymous, assertSignedIn } from '../helpers/session-routes.ts';

const ROBOT = path.resolve('bin/robot.mjs');
const SCREENSHOTS = 'test-results/screenshots';

describe('robot login against a real PDS, finished in Chromium', () => {
  let network: TestNetwork;
  let platform: TestPlatform;
  let browser: Browser;
  const configHome = mkdtempSync(path.join(os.tmpdir(), 'robot-config-'));
  const env = { ...process.env, XDG_CONFIG_HOME: configHome, DISPLAY: '', WAYLAND_DISPLAY: '' };

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    network = await startTestNetwork();
    platform = await startTestPlatform(atprotoEnv(network));
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await platform?.close();
    await network?.close();
  });

  test('robot login alice.test: URL, PDS sign-in, consent, signup, confirmation; the CLI stores a verifiable JWT', async () => {
    const cli = spawn(process.execPath, [ROBOT, 'login', 'alice.test', '--server', platform.url], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    cli.stdout.on('data', (chunk) => (output += chunk));
    cli.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => cli.once('exit', resolve));

    for (let i = 0; i < 200 && !/Confirmation code: \S+/.test(output); i++) await new Promise((r) => setTimeout(r, 100));
    const url = /(https?:\/\/\S+\/oauth\/authorize\S*)/.exec(output)?.[1];
    const code = /Confirmation code: (\S+)/.exec(output)?.[1];
    assert.ok(url && code, `the CLI printed a URL and a code:\n${output}`);

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url);
    await answerAtPds(page, network.accounts.alice, 'Authorize');
    await page.waitForURL(`${platform.config.publicUrl}/auth/signup`, { timeout: 30_000 });
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page.waitForURL(`${platform.config.publicUrl}/auth/cli/confirm`);
    assert.ok(!(await page.content()).includes(code), 'CL-03: the browser never shows the code; the person types it');
    await page.getByLabel('Code shown in your terminal').fill(code);
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('You are logged in on the command line').waitFor();
    await context.close();

    assert.equal(await exited, 0, output);
    assert.match(output, /Waiting for you to sign in/);
    assert.match(output, new RegExp(`Logged in as @alice\\.test \\(${network.accounts.alice.did}\\)`));

    const file = path.join(configHome, 'robot', 'credentials.json');
    assert.equal(statSync(file).mode & 0o777, 0o600, 'credentials are private to the user');
    const stored = JSON.parse(readFileSync(file, 'utf8')).servers[platform.url];
    const jwks = await (await fetch(`${platform.url}/.well-known/jwks.json`)).json();
    const { payload } = await jwtVerify(stored.token, createLocalJWKSet(jwks), { typ: CLI_JWT_TYPE });
    assert.equal(payload.sub, network.accounts.alice.did);

    const whoami = await promisify(execFile)(process.execPath, [ROBOT, 'whoami', '--server', platform.url], { env });
    assert.match(whoami.stdout, new RegExp(`@alice\\.test \\(${network.accounts.alice.did}\\)`));
  });

  test("CL-03, CL-09: phished: none of the attacker's words, no token untyped, no browser session", async () => {
    const alice = network.accounts.alice;
    const attacker = authClient(platform.url, '127.0.0.3');
    const victim = await browser.newContext();
    const page = await victim.newPage();
    let dialogs = 0;
    page.on('dialog', (dialog) => {
      dialogs += 1;
      void dialog.dismiss();
    });
    const shoot = async (name: string) => {
      for (const width of [360, 1280]) {
        await page.setViewportSize({ width, height: 800 });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${name} at ${width} px: no horizontal scrolling (${overflow} px)`);
        await page.screenshot({ path: `${SCREENSHOTS}/cli-${name}-${width}.png`, fullPage: true });
      }
    };

    /** The attacker starts a login for the victim and sends the link; she follows it to our confirmation page. */
    async function phish(label: string) {
      const { secret, secretHash } = newSecret();
      const started = await attacker.initiateLogin({ identifier: alice.handle, secretHash, clientName: label });
      assert.equal(new URL(started.oauthUrl).origin, network.pdsUrl, "the link is a page on the victim's real PDS");
      const stream = collect(attacker.awaitLogin({ sessionId: started.sessionId, secret }));
      await page.goto(started.oauthUrl);
      await answerAtPds(page, alice, 'Authorize');
      const confirm = `${platform.config.publicUrl}/auth/cli/confirm`;
      await page.waitForURL((url) => url.href === confirm || url.pathname === '/auth/signup', { timeout: 30_000 });
      if (page.url() !== confirm) {
        await page.getByRole('button', { name: 'Create my account' }).click();
        await page.waitForURL(confirm);
      }
      return { started, stream };
    }
    const typeCode = async (code: string) => {
      await page.getByLabel('Code shown in your terminal').fill(code);
      await page.getByRole('button', { name: 'Approve' }).click();
    };

    // 1. The label the attacker chose, on a page whose words are all ours.
    const hostile = 'robot.wtf Official Security Check - approve to keep access';
    const first = await phish(hostile);
    assert.equal(await page.locator('h1').textContent(), 'Log in to the robot command line');
    assert.equal(await page.title(), 'Log in to the robot command line · robot.wtf');
    assert.equal(await page.locator('#client-label q').textContent(), hostile);
    assert.match((await page.locator('#client-label').textContent())!, /\(unverified/);
    assert.equal((await page.content()).split(hostile).length - 1, 1, 'the label appears nowhere else');
    const code = first.started.confirmationCode;
    const html = await page.content();
    for (const form of [code, code.replace('-', '')]) assert.ok(!html.includes(form), 'the page carries no code');
    await page.getByText('If you did not just run robot login yourself, deny.').waitFor();
    assert.match((await page.locator('dl').textContent())!, /from the address 127\.0\.0\.3/);
    await shoot('confirm');

    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Type the code your terminal shows, then press Approve.').waitFor();
    const wrong = code === 'AAAA-AAAA' ? 'BBBB-BBBB' : 'AAAA-AAAA';
    await typeCode(wrong);
    await page.getByText('That is not the code your terminal shows. 4 attempts left.').waitFor();
    assert.equal(await page.getByLabel('Code shown in your terminal').getAttribute('aria-invalid'), 'true');
    await shoot('wrong-code');
    for (const left of ['3 attempts', '2 attempts', '1 attempt']) {
      await typeCode(wrong);
      await page.getByText(`${left} left.`).waitFor();
    }
    await typeCode(wrong);
    await page.getByRole('heading', { name: 'Login cancelled' }).waitFor();
    await shoot('burned');
    const burned = await first.stream;
    assert.equal((burned.error as ConnectError).code, Code.PermissionDenied);
    assert.ok(
      burned.messages.every((m) => m.event.case === 'progress'),
      'nothing delivered',
    );

    // 2. Markup and bidi controls in the label; this time the victim is talked into typing the code.
    const second = await phish('<img src=x onerror=alert(1)>\u202Eexe.gnp Official\u2066 <b>Staff</b>');
    const label = (await page.locator('#client-label q').textContent())!;
    assert.match(label, /^[A-Za-z0-9 .,'()_-]+$/, `sanitised: ${JSON.stringify(label)}`);
    assert.ok(!/[\u202a-\u202e\u2066-\u2069]|<img|&lt;img/.test(await page.content()), 'no markup, no bidi controls');
    await typeCode(second.started.confirmationCode);
    await page.getByText('You are logged in on the command line').waitFor();
    await shoot('approved');
    const delivered = (await second.stream).messages.at(-1)?.event;
    assert.ok(delivered?.case === 'completed', 'the typed code released the credential');
    const token = delivered.value.token;
    assert.equal(decodeProtectedHeader(token).typ, CLI_JWT_TYPE);
    assert.equal(dialogs, 0, 'no script ran');

    // What it yields is no browser session: refused as the cookie on every session route, while the
    // victim's own session (the control) shows her data on the same routes.
    const wikiName = 'Alice private diary';
    const { wikis } = platform.platform.deps;
    if (!(await wikis.findBySlug('diary'))) {
      await wikis.create({ slug: 'diary', ownerDid: alice.did, displayName: wikiName }, Math.floor(Date.now() / 1000));
    }
    const person = { did: alice.did, handle: alice.handle, username: 'alice', wikiName };
    await page.goto(`${platform.config.publicUrl}/auth/login`);
    await page.getByLabel('Handle').fill(alice.handle);
    await page.getByRole('button', { name: 'Continue' }).click();
    await answerAtPds(page, alice, 'Authorize');
    await page.waitForURL(`${platform.config.publicUrl}/app/`, { timeout: 30_000 });
    const own = new TestClient(platform.url, platform.config.publicUrl);
    const session = (await victim.cookies()).find((cookie) => cookie.name === 'platform_token')!;
    own.cookies.set('platform_token', session.value);
    assertSignedIn(await askSessionRoutes(own, 'diary'), person);
    const holder = new TestClient(platform.url, platform.config.publicUrl);
    holder.cookies.set('platform_token', token);
    assertAnonymous(await askSessionRoutes(holder, 'diary'), person);
    const planted = await browser.newContext();
    await planted.addCookies([{ ...session, value: token }]);
    const plantedPage = await planted.newPage();
    await plantedPage.goto(`${platform.config.publicUrl}/app/`);
    assert.equal(new URL(plantedPage.url()).pathname, '/auth/login', 'Chromium with it as the cookie must log in');
    await planted.close();

    // 3. Deny: said plainly, and the attacker's stream ends.
    const third = await phish('robot CLI on laptop');
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.getByRole('heading', { name: 'Login denied' }).waitFor();
    await shoot('denied');
    assert.equal(((await third.stream).error as ConnectError).code, Code.PermissionDenied);
    await victim.close();
  });

  test('errors are one clear line and a non-zero exit', async () => {
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, [ROBOT, ...args], { env }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error,
      );
    const unreachable = await run(['login', 'alice.test', '--server', 'http://127.0.0.1:9']);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr.trim(), /^robot: cannot reach http:\/\/127\.0\.0\.1:9$/);
    const unknown = await run(['login', 'nobody.test', '--server', platform.url]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr.trim(), /^robot: We could not find an atproto account for "nobody\.test"/);
    const notLoggedIn = await run(['whoami', '--server', 'http://127.0.0.1:9']);
    assert.match(notLoggedIn.stderr.trim(), /^robot: not logged in to http:\/\/127\.0\.0\.1:9/);
  });

  test('Ctrl-C while waiting cancels cleanly: exit 130, nothing stored', async () => {
    const cli = spawn(process.execPath, [ROBOT, 'login', 'bob.test', '--server', platform.url], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    cli.stdout.on('data', (chunk) => (output += chunk));
    cli.stderr.on('data', (chunk) => (output += chunk));
    for (let i = 0; i < 200 && !output.includes('Waiting for you'); i++) await new Promise((r) => setTimeout(r, 100));
    cli.kill('SIGINT');
    const code = await new Promise((resolve) => cli.once('exit', resolve));
    assert.equal(code, 130, output);
    assert.match(output, /login cancelled/);
    const stored = JSON.parse(readFileSync(path.join(configHome, 'robot', 'credentials.json'), 'utf8')).servers;
    assert.ok(Object.values(stored).every((login) => (login as { did: string }).did !== network.accounts.bob.did));
  });
});
