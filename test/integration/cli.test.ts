// The `robot` command as an operator meets it: one clear line and a non-zero exit on bad input.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { loadOrCreatePlatformKeys } from '../../src/keys/keystore.ts';
import { freePort } from '../helpers/platform.ts';
import { ROBOT, runRobot } from '../helpers/robot-cli.ts';

const robot = runRobot;

const dataDir = () => mkdtempSync(path.join(os.tmpdir(), 'robot-cli-'));

describe('robot CLI', () => {
  const badConfig: Record<string, [Record<string, string>, RegExp]> = {
    'an ftp PUBLIC_URL': [{ PUBLIC_URL: 'ftp://x' }, /^robot: PUBLIC_URL: must be http or https, got ftp$/],
    'a DATABASE_URL that cannot be opened': [{ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' }, /^robot: cannot connect to PostgreSQL/],
    'an unreadable key file': [{ PLATFORM_KEYS_FILE: '/dev/null' }, /^robot: key file \/dev\/null is not valid JSON$/],
  };
  for (const [name, [env, message]] of Object.entries(badConfig)) {
    test(`serve with ${name}: one clear line, exit 1`, async () => {
      const { code, stderr } = await robot(['serve'], { DATA_DIR: dataDir(), ...env });
      assert.equal(code, 1);
      const lines = stderr.trim().split('\n');
      assert.equal(lines.length, 1, stderr);
      assert.match(lines[0]!, message);
    });
  }

  test('an unknown command prints usage and exits 2', async () => {
    const { code, stderr } = await robot(['frobnicate']);
    assert.equal(code, 2);
    assert.match(stderr, /unknown command "frobnicate"/);
    assert.match(stderr, /keys rotate/);
  });

  test('migrate applies the migrations once', async () => {
    const dir = dataDir();
    const first = await robot(['migrate'], { DATA_DIR: dir });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /applied 001_initial/);
    const second = await robot(['migrate'], { DATA_DIR: dir });
    assert.match(second.stdout, /database is up to date/);
  });

  test('keys rotate adds a key and keeps the old one published', async () => {
    const dir = dataDir();
    const file = path.join(dir, 'platform-keys.json');
    const before = await loadOrCreatePlatformKeys(file, 86460);
    const { code, stdout } = await robot(['keys', 'rotate'], { DATA_DIR: dir });
    assert.equal(code, 0);
    assert.match(stdout, new RegExp(`retired ${before.active.kid}`));
    const after = await loadOrCreatePlatformKeys(file, 86460);
    assert.notEqual(after.active.kid, before.active.kid);
    assert.deepEqual(after.published.map((k) => k.kid).sort(), [before.active.kid, after.active.kid].sort());
  });

  test('serve starts on the embedded defaults, answers /healthz, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [ROBOT, 'serve'], {
      env: { ...process.env, PORT: String(port), DATA_DIR: dataDir(), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    try {
      for (let i = 0; i < 100 && !output.includes('is running'); i++) await new Promise((r) => setTimeout(r, 100));
      assert.match(output, new RegExp(`running at http://127.0.0.1:${port}`));
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.deepEqual(await health.json(), { status: 'ok' });
      const jwks = await (await fetch(`http://127.0.0.1:${port}/.well-known/jwks.json`)).json();
      assert.equal(jwks.keys.length, 1);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, output);
  });
});
