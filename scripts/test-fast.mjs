// npm run test:fast: the unit tests, the store contracts on SQLite, and the integration tests that run
// the platform in this process, with no browser, no PostgreSQL and no child process. `npm test` still
// runs everything, on both databases.
//
// Two shards run side by side (the machine has two cores), each as one process
// (--experimental-test-isolation=none), so the TypeScript sources are loaded once per shard rather
// than once per file.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';

/** Files left to `npm test`, and why. */
const NOT_FAST = {
  'test/integration/cli-login.test.ts': 'kills a `robot serve` child process (DB-03)',
  'test/integration/cli.test.ts': 'runs the robot CLI as child processes',
  'test/integration/cli-api.test.ts': 'runs the robot CLI as child processes',
  'test/integration/backup.test.ts': 'runs robot backup and restore as child processes, and pg_dump',
  'test/integration/cross-instance.test.ts': 'PostgreSQL, several instances',
  'test/integration/db-faults.test.ts': 'kills a `robot serve` child process (DB-03)',
  'test/integration/mcp-conformance.test.ts': 'runs the MCP conformance suite’s CLI as child processes',
  'test/integration/postgres-platform.test.ts': 'PostgreSQL',
  'test/integration/reindex-cli.test.ts': 'runs the robot CLI as child processes',
  'test/integration/reverse-proxy.test.ts': 'Caddy',
  'test/integration/shared-rate-limits.test.ts': 'PostgreSQL',
};
/**
 * The first shard's integration files: the two that listen on 127.0.0.1:443 cannot run side by side,
 * and outbound-fetch waits out a real 10 s timeout (SS-06), which leaves room for a heavy file.
 */
const FIRST_SHARD = ['test/integration/outbound-fetch.test.ts', 'test/integration/cimd.test.ts', 'test/integration/atproto-client.test.ts'];

const tests = (dir) =>
  readdirSync(dir)
    .filter((name) => name.endsWith('.test.ts'))
    .map((name) => `${dir}/${name}`)
    .sort();
const integration = tests('test/integration').filter((file) => !(file in NOT_FAST));
const shards = [
  [...tests('test/unit'), ...tests('test/store'), ...integration.filter((file) => FIRST_SHARD.includes(file))],
  integration.filter((file) => !FIRST_SHARD.includes(file)),
];

const started = performance.now();
const env = { ...process.env, ROBOT_TEST_DATABASES: process.env.ROBOT_TEST_DATABASES ?? 'sqlite' };
const runs = shards.map(
  (files) =>
    new Promise((resolve) => {
      const args = ['--import', 'tsx', '--test', '--experimental-test-isolation=none', '--test-reporter=spec', ...files];
      const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      // Each shard's report is printed whole when it ends, so the two never interleave.
      child.on('close', (code) => {
        process.stdout.write(output);
        resolve(code);
      });
    }),
);
const codes = await Promise.all(runs);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
const left = `${Object.keys(NOT_FAST).length} integration files, test/e2e, test/fuzz and the PostgreSQL runs`;
console.log(`test:fast: ${shards.flat().length} files in ${seconds} s; left to npm test: ${left}`);
process.exit(codes.every((code) => code === 0) ? 0 : 1);
