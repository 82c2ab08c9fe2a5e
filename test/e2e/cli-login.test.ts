// `robot login alice.test` as a person runs it: the CLI prints a URL, the person follows it in
// Chromium (PDS sign-in, consent, signup, our confirmation page) and the CLI ends logged in.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { execFile, spawn } from 'node:child_process';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.ts';
import { startTestNetwork, type TestNetwork } from '../helpers/network.ts';
import { answerAtPds } from '../helpers/pds-ui.ts';
import { atprotoEnv, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

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
    assert.equal(await page.getByLabel('confirmation code').textContent(), code, 'the browser shows the code the CLI shows');
    await page.screenshot({ path: `${SCREENSHOTS}/cli-confirm.png`, fullPage: true });
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
    const { payload } = await jwtVerify(stored.token, createLocalJWKSet(jwks), { typ: 'platform+jwt' });
    assert.equal(payload.sub, network.accounts.alice.did);

    const whoami = await promisify(execFile)(process.execPath, [ROBOT, 'whoami', '--server', platform.url], { env });
    assert.match(whoami.stdout, new RegExp(`@alice\\.test \\(${network.accounts.alice.did}\\)`));
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
