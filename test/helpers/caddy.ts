// A real reverse proxy: Caddy from Debian's package (scripts/test-prerequisites.mjs installs it), run
// as a plain process from the Caddyfile the deployment docs ship (deploy/Caddyfile), with only the
// addresses swapped, no admin endpoint, and nothing installed into the machine's trust store.
//
// Two shapes: plain HTTP on a loopback port in front of one instance (path mode), or the shipped TLS
// set-up on a loopback port — Caddy's internal CA, the platform's host and every wiki host (host mode,
// certificates on demand, asked of the platform) — in front of several instances.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';

export const CADDY = process.env.CADDY_PATH ?? '/usr/bin/caddy';

export interface Caddy {
  /** Where clients reach the proxy: http://127.0.0.1:port, or https://{domain} through `fetch`. */
  url: string;
  /** TLS mode: a fetch that reaches `https://{domain}` and `https://{slug}.{domain}` through this Caddy, trusting its CA. */
  fetch: typeof fetch;
  /** TLS mode: Caddy's root certificate (PEM). */
  rootCertificate: string | undefined;
  output: () => string;
  close(): Promise<void>;
}

export interface CaddyOptions {
  /** The loopback port Caddy listens on. */
  port: number;
  /** The instances behind it, host:port. */
  upstreams: string[];
  /** TLS mode: the platform's domain; wikis are `{slug}.{domain}` (WIKI_DOMAIN). Plain HTTP when unset. */
  domain?: string;
  /** A path the first upstream must answer through the proxy before Caddy counts as up. */
  readyPath?: string;
}

/** Replaces exactly one match of `pattern` in `text`; fails if the shipped file changed shape. */
function swap(text: string, pattern: RegExp, replacement: string): string {
  assert.equal(text.match(new RegExp(pattern, 'gm'))?.length, 1, `deploy/Caddyfile has one ${pattern}`);
  return text.replace(pattern, replacement);
}

/** The shipped Caddyfile with the test's addresses. */
function testCaddyfile({ port, upstreams, domain }: CaddyOptions): string {
  let file = readFileSync(path.resolve('deploy/Caddyfile'), 'utf8');
  file = swap(file, /^\treverse_proxy 127\.0\.0\.1:8003 \{$/m, `\treverse_proxy ${upstreams.join(' ')} {`);
  file = swap(file, /^\t\task http:\/\/127\.0\.0\.1:8003\/tls\/allowed$/m, `\t\task http://${upstreams[0]}/tls/allowed`);
  // No admin endpoint, no redirect listener on :80, and the internal CA kept out of the system's trust.
  file = swap(file, /^\{$/m, `{\n\tadmin off\n\tauto_https disable_redirects\n\tskip_install_trust\n\t${domain ? 'local_certs' : ''}`);
  if (domain) {
    file = swap(file, /^robot\.example\.com \{$/m, `${domain}:${port} {\n\tbind 127.0.0.1`);
    return swap(file, /^\*\.robot\.example\.com \{$/m, `*.${domain}:${port} {\n\tbind 127.0.0.1`);
  }
  file = swap(file, /^robot\.example\.com \{$/m, `http://127.0.0.1:${port} {\n\tbind 127.0.0.1`);
  return swap(file, /^# Host mode only[\s\S]*\n\}\n$/m, '');
}

/**
 * undici's fetch for `https://{domain}` and its subdomains, whatever port the URL says: every
 * connection goes to Caddy on 127.0.0.1:port with the URL's host as the TLS server name, and trusts
 * only Caddy's CA. Nothing is looked up in DNS.
 */
function fetchThrough(port: number, domain: string, ca: string): typeof fetch {
  const connect = buildConnector({ ca, allowH2: false });
  const dispatcher = new Agent({
    connect: (options, callback) => {
      assert.ok(options.hostname === domain || options.hostname.endsWith(`.${domain}`), `only ${domain} goes through Caddy`);
      connect({ ...options, hostname: '127.0.0.1', host: '127.0.0.1', port: String(port), servername: options.hostname }, callback);
    },
  });
  return ((input: string | URL | Request, init?: RequestInit) => undiciFetch(input as string, { ...init, dispatcher } as never)) as unknown as typeof fetch;
}

/** Starts Caddy and waits until a request through it reaches `readyPath` upstream. */
export async function startCaddy(options: CaddyOptions): Promise<Caddy> {
  const { port, domain, readyPath = '/healthz' } = options;
  // Caddy keeps its state (and its CA) under $HOME / XDG directories: a throwaway one per run.
  const home = mkdtempSync(path.join(os.tmpdir(), 'robot-caddy-'));
  const file = path.join(home, 'Caddyfile');
  writeFileSync(file, testCaddyfile(options));
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
  const rootFile = path.join(home, 'caddy/pki/authorities/local/root.crt');
  for (let i = 0; i < 100 && child.exitCode === null; i++) {
    let caddy: Caddy | undefined;
    if (!domain) caddy = { url: `http://127.0.0.1:${port}`, fetch, rootCertificate: undefined, output: () => output, close };
    else {
      const root = readIfPresent(rootFile);
      if (root) caddy = { url: `https://${domain}`, fetch: fetchThrough(port, domain, root), rootCertificate: root, output: () => output, close };
    }
    const ready = caddy
      ? await caddy.fetch(`${caddy.url}${readyPath}`).then(
          (response) => response.ok,
          () => false,
        )
      : false;
    if (ready) return caddy!;
    await new Promise((r) => setTimeout(r, 100));
  }
  await close();
  assert.fail(`Caddy did not come up in front of ${options.upstreams.join(', ')}:\n${output}`);
}

function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
