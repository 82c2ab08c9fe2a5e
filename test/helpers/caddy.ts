// A real reverse proxy: Caddy from Debian's package (scripts/test-prerequisites.mjs installs it), run
// as a plain process from the Caddyfile the deployment docs ship (deploy/Caddyfile), with only the
// site address (plain HTTP on a free loopback port) and the upstream swapped, and no admin endpoint.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CADDY = process.env.CADDY_PATH ?? '/usr/bin/caddy';

export interface Caddy {
  /** Where clients reach the proxy, e.g. http://127.0.0.1:41234. */
  url: string;
  output: () => string;
  close(): Promise<void>;
}

/** The shipped Caddyfile, serving `url` and proxying to `upstream` (host:port); fails if its shape changed. */
function testCaddyfile(url: string, upstream: string): string {
  const shipped = readFileSync(path.resolve('deploy/Caddyfile'), 'utf8');
  const site = /^robot\.example\.com \{$/m;
  const proxy = /^\treverse_proxy 127\.0\.0\.1:8003$/m;
  assert.match(shipped, site, 'deploy/Caddyfile has the site block the test swaps');
  assert.match(shipped, proxy, 'deploy/Caddyfile proxies to 127.0.0.1:8003');
  const body = shipped.replace(site, `${url} {\n\tbind 127.0.0.1`).replace(proxy, `\treverse_proxy ${upstream}`);
  return `{\n\tadmin off\n}\n\n${body}`;
}

/**
 * Starts Caddy on `port` (127.0.0.1) in front of `upstream` (host:port) and waits until a request
 * through it reaches `readyPath` upstream.
 */
export async function startCaddy(options: { port: number; upstream: string; readyPath?: string }): Promise<Caddy> {
  const { port, upstream, readyPath = '/healthz' } = options;
  const url = `http://127.0.0.1:${port}`;
  // Caddy keeps its state under $HOME / XDG directories: a throwaway one per run.
  const home = mkdtempSync(path.join(os.tmpdir(), 'robot-caddy-'));
  const file = path.join(home, 'Caddyfile');
  writeFileSync(file, testCaddyfile(url, upstream));
  const child = spawn(CADDY, ['run', '--config', file, '--adapter', 'caddyfile'], {
    env: { ...process.env, HOME: home, XDG_DATA_HOME: home, XDG_CONFIG_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(home, { recursive: true, force: true });
  };
  for (let i = 0; i < 100 && child.exitCode === null; i++) {
    const ready = await fetch(`${url}${readyPath}`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return { url, output: () => output, close };
    await new Promise((r) => setTimeout(r, 100));
  }
  await close();
  assert.fail(`Caddy did not come up in front of ${upstream}:\n${output}`);
}
