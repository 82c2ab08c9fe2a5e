// The `robot` client commands end to end: a real `bin/robot.mjs` child process against a listening
// platform, with the credential a real CLI login delivered stored where `robot login` stores it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { decodeJwt } from 'jose';
import { credentialsFile, saveLogin } from '../../src/cli/credentials.ts';
import { apiCaller, cliCredential } from '../helpers/api-client.ts';
import { CAROL_DID } from '../helpers/fake-atproto.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';

const ROBOT = path.resolve('bin/robot.mjs');

describe('robot client commands on the management API', () => {
  let fixture: WikiFixture;
  let api: ReturnType<typeof apiCaller>;
  let home: string;
  let work: string;

  async function robot(args: string[], env: Record<string, string> = {}) {
    const { ROBOT_SERVER: _, ...inherited } = process.env;
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [ROBOT, ...args], {
        cwd: work,
        env: { ...inherited, XDG_CONFIG_HOME: home, LOG_LEVEL: 'warn', ...env },
        timeout: 60_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
      return { code, stdout, stderr };
    }
  }

  async function storeLogin() {
    const token = await cliCredential(fixture.platform, fixture.fake);
    saveLogin(
      fixture.platform.url,
      { token, did: CAROL_DID, handle: 'carol.test', username: 'carol', expiresAt: decodeJwt(token).exp! },
      credentialsFile({ XDG_CONFIG_HOME: home }),
    );
    return token;
  }

  before(async () => {
    fixture = await startWikiFixture();
    api = apiCaller(fixture.platform);
    home = mkdtempSync(path.join(os.tmpdir(), 'robot-home-'));
    work = mkdtempSync(path.join(os.tmpdir(), 'robot-work-'));
    await storeLogin();
  });
  after(() => fixture?.close());

  test('whoami, wikis, wiki create and token create use the server logged in to last when none is given', async () => {
    const whoami = await robot(['whoami']);
    assert.equal(whoami.code, 0, whoami.stderr);
    assert.match(whoami.stdout, new RegExp(`@carol.test \\(${CAROL_DID}\\)`));

    const made = await robot(['wiki', 'create', 'demo', '--name', 'Demo wiki']);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /made wiki demo/);
    const wikis = await robot(['wikis']);
    assert.deepEqual(
      wikis.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('\t').slice(0, 3)),
      [
        ['notes', 'owner', 'Carol’s notes'],
        ['demo', 'owner', 'Demo wiki'],
      ],
    );
    const again = await robot(['wiki', 'create', 'demo']);
    assert.equal(again.code, 1);
    assert.equal(again.stderr.trim(), 'robot: The address "demo" is taken. Please choose another.');

    const token = await robot(['token', 'create', 'demo', '--read', '--name', 'reader']);
    assert.equal(token.code, 0, token.stderr);
    assert.match(token.stdout.trim(), /^rwt_[\w-]{43}$/);
    assert.match(token.stderr, /read-only token/);
    const cli = JSON.parse(readFileSync(credentialsFile({ XDG_CONFIG_HOME: home }), 'utf8')).servers[fixture.platform.url].token;
    const listed = await api('GET', '/wikis/demo/tokens', { token: cli });
    assert.deepEqual(
      listed.json.tokens.map((t: { name: string; access: string }) => [t.name, t.access]),
      [['reader', 'read']],
    );
  });

  test('export writes a zip (never over an existing file) that import turns into a new wiki; a folder imports at its own paths', async () => {
    const cli = JSON.parse(readFileSync(credentialsFile({ XDG_CONFIG_HOME: home }), 'utf8')).servers[fixture.platform.url].token;
    await api('PUT', '/wikis/notes/pages/Home', { token: cli, json: { content: 'See [[Guides/Start]].' } });
    await api('PUT', '/wikis/notes/pages/Guides/Start', { token: cli, json: { content: 'Back [[Home]].' } });

    const exported = await robot(['export', 'notes']);
    assert.equal(exported.code, 0, exported.stderr);
    const file = path.join(work, 'notes.zip');
    assert.ok(Object.keys(unzipSync(readFileSync(file))).includes('manifest.json'));
    const overwrite = await robot(['export', 'notes']);
    assert.equal(overwrite.code, 1);
    assert.match(overwrite.stderr, /notes\.zip exists/);

    const imported = await robot(['import', 'notes.zip', '--slug', 'notes-copy']);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /imported 2 pages into notes-copy/);
    assert.equal((await api('GET', '/wikis/notes-copy/pages/Guides/Start', { token: cli })).json.content, 'Back [[Home]].');

    // A folder holding a single folder: the pages keep the inner folder in their paths.
    const folder = path.join(work, 'handbook');
    mkdirSync(path.join(folder, 'team'), { recursive: true });
    writeFileSync(path.join(folder, 'team', 'Onboarding.md'), 'Welcome, see [[team/Tools]].');
    writeFileSync(path.join(folder, 'team', 'Tools.md'), 'Editors.');
    writeFileSync(path.join(folder, 'team', 'logo.png'), 'png');
    const fromFolder = await robot(['import', 'handbook']);
    assert.equal(fromFolder.code, 0, fromFolder.stderr);
    assert.match(fromFolder.stderr, /left out .*team\/logo\.png/);
    const pages = await api('GET', '/wikis/handbook/pages', { token: cli });
    assert.deepEqual(
      pages.json.pages.map((p: { path: string }) => p.path),
      ['team/Onboarding', 'team/Tools'],
    );
  });

  test('flag errors: an unknown flag, a missing or extra argument, a flag without its value exit 2 with the usage', async () => {
    const cases: [string[], RegExp][] = [
      [['serve', '--port', '5'], /^robot serve: Unknown option '--port'/],
      [['wikis', '--bogus'], /^robot wikis: Unknown option '--bogus'/],
      [['token', 'create'], /^robot token create: token create takes <slug>/],
      [['export', 'a', 'b', 'c'], /^robot export: export takes <slug> \[file\]/],
      [['import', 'x.zip', '--slug'], /^robot import: Option '--slug <value>' argument missing/],
      [['backup'], /^robot backup: backup takes <file>/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await robot(args);
      assert.equal(code, 2, args.join(' '));
      assert.match(stderr, message, args.join(' '));
      assert.match(stderr, /usage: robot /);
    }
    const help = await robot(['--help']);
    assert.equal(help.code, 0);
    for (const command of [
      'serve',
      'migrate',
      'keys rotate',
      'login',
      'whoami',
      'logout',
      'wikis',
      'wiki create',
      'token create',
      'export',
      'import',
      'backup',
      'restore',
    ])
      assert.match(help.stdout, new RegExp(`^  ${command}\\b`, 'm'), command);
  });

  test('logout ends the credential on the server and forgets it here', async () => {
    const token = JSON.parse(readFileSync(credentialsFile({ XDG_CONFIG_HOME: home }), 'utf8')).servers[fixture.platform.url].token;
    const out = await robot(['logout']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /logged out of/);
    assert.equal((await api('GET', '/me', { token })).status, 401);
    const after = await robot(['wikis', '--server', fixture.platform.url]);
    assert.equal(after.code, 1);
    assert.match(after.stderr, /^robot: not logged in to/);
    assert.ok(existsSync(credentialsFile({ XDG_CONFIG_HOME: home })));
    assert.ok(!readFileSync(credentialsFile({ XDG_CONFIG_HOME: home }), 'utf8').includes(token));

    // A server out of reach: the credential is still forgotten here, and the person is told it lives on there.
    const unreachable = 'http://127.0.0.1:1';
    saveLogin(unreachable, { token, did: CAROL_DID, handle: 'carol.test', username: 'carol', expiresAt: 0 }, credentialsFile({ XDG_CONFIG_HOME: home }));
    const offline = await robot(['logout', '--server', unreachable]);
    assert.equal(offline.code, 0, offline.stderr);
    assert.match(offline.stderr, /did not end the session \(cannot reach http:\/\/127\.0\.0\.1:1\); it ends when the credential expires/);
    assert.ok(!readFileSync(credentialsFile({ XDG_CONFIG_HOME: home }), 'utf8').includes(token));
  });
});
