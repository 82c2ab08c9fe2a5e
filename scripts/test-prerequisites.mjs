// Runs before the test suite: Node 22, Debian's Chromium for the browser tests, Debian's Caddy as the
// reverse proxy of the proxy tests, openssl for the https test certificates, and a PostgreSQL server
// for the store contract suite. As root on a Debian
// machine (CI, a fresh dev box) it installs or starts what is missing; anywhere else it says exactly
// what to do.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import net from 'node:net';

const fail = (message) => {
  console.error(`test prerequisites: ${message}`);
  process.exit(1);
};
const run = (command) => execSync(command, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
const isRoot = process.getuid?.() === 0;
const hasApt = existsSync('/usr/bin/apt-get');

if (Number(process.versions.node.split('.')[0]) < 22) fail(`Node >= 22 required, running ${process.version}; run through npm test`);

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  if (!(isRoot && hasApt)) fail(`Chromium not found at ${chromium}: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH`);
  console.log('test prerequisites: installing Debian chromium');
  run('apt-get update -qq && apt-get install -y -qq chromium');
}

// The tests run Caddy as their own process (`caddy run`, no admin endpoint); the package's service is not used.
const caddy = process.env.CADDY_PATH ?? '/usr/bin/caddy';
if (!existsSync(caddy)) {
  if (!(isRoot && hasApt)) {
    fail(`Caddy not found at ${caddy}: install Debian's caddy package (apt-get install caddy) or set CADDY_PATH`);
  }
  console.log('test prerequisites: installing Debian caddy');
  run('apt-get update -qq && apt-get install -y -qq caddy');
}

// openssl makes the throwaway certificate behind the https (client metadata document) tests.
const hasOpenssl = () => {
  try {
    execSync('openssl version', { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
if (!hasOpenssl()) {
  if (!(isRoot && hasApt)) fail('openssl not found: install it (apt-get install openssl)');
  console.log('test prerequisites: installing openssl');
  run('apt-get update -qq && apt-get install -y -qq openssl');
}

const postgresUrl = new URL(process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const reachable = () =>
  new Promise((resolve) => {
    const socket = net.connect(Number(postgresUrl.port || 5432), postgresUrl.hostname);
    socket.once('connect', () => socket.end(() => resolve(true)));
    socket.once('error', () => resolve(false));
  });
if (!(await reachable())) {
  const clusters = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql') : [];
  if (!(isRoot && clusters.length)) fail(`PostgreSQL is not reachable at ${postgresUrl.host}; start it or set TEST_POSTGRES_URL`);
  console.log('test prerequisites: starting PostgreSQL');
  run(`pg_ctlcluster --skip-systemctl-redirect ${clusters[0]} main start`);
  for (let i = 0; i < 50 && !(await reachable()); i++) await new Promise((r) => setTimeout(r, 200));
  if (!(await reachable())) fail('PostgreSQL did not come up');
}
