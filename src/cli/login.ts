// `robot login <handle>` and `robot whoami`: the native side of the CLI login (DESIGN.md §1.5).
import { spawn } from 'node:child_process';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { CLI_DELIVERY_GRACE_SECONDS } from '../rpc/cli-logins.ts';
import { AuthService, type Stage } from '../rpc/gen/robot/auth/v1/auth_pb.ts';
import { randomToken, sha256 } from '../secrets.ts';
import { CLI_JWT_TYPE } from '../session/platform-jwt.ts';
import { credentialsFile, currentServer, readLogin, saveLogin } from './credentials.ts';
import { CliFailure } from './failure.ts';

export const DEFAULT_SERVER = 'http://127.0.0.1:8003';
/**
 * How a dropped or refused connection reaches us: a reset mid-stream is `Aborted` (a server restart),
 * a refused connection `Unavailable`, a broken HTTP exchange `Internal` or `Unknown`. None of them
 * says anything about the login, which lives on in the server's database (catalogue CL-05).
 */
const CONNECTION_LOST = new Set([Code.Unavailable, Code.Aborted, Code.Internal, Code.Unknown]);
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 5_000;

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

/** Our wording where the status says it all; else the server's (PERMISSION_DENIED: denied, or too many wrong codes). */
const FAILURES: Partial<Record<Code, string>> = {
  [Code.NotFound]: 'this login is unknown or has expired; run robot login again',
  [Code.DeadlineExceeded]: 'the login expired before it was completed; run robot login again',
  [Code.FailedPrecondition]: 'this login was already delivered to another client',
  [Code.ResourceExhausted]: 'the server is rate limiting logins from this address; wait a minute',
};

function describe(error: unknown, server: string): string {
  if (error instanceof ConnectError) {
    if (error.code === Code.Unavailable && /fetch failed|ECONNREFUSED|ENOTFOUND|connect/i.test(error.rawMessage)) return `cannot reach ${server}`;
    return FAILURES[error.code] ?? error.rawMessage;
  }
  return (error as Error).message;
}

function openBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return;
  spawn(command, [url], { stdio: 'ignore', detached: true })
    .on('error', () => {})
    .unref();
}

/** `--server`, else ROBOT_SERVER, else the server logged in to last, else the local default. */
export function serverUrl(flag: string | undefined): string {
  const raw = flag ?? process.env.ROBOT_SERVER ?? currentServer() ?? DEFAULT_SERVER;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliFailure(`--server: not a URL: ${raw}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new CliFailure('--server must be an http(s) URL');
  return url.origin;
}

export async function login(identifier: string, server: string, io: Output, signal: AbortSignal): Promise<void> {
  const client = createClient(AuthService, createConnectTransport({ baseUrl: server, httpVersion: '1.1' }));
  const secret = randomToken();
  const secretHash = sha256(secret);
  let started;
  try {
    started = await client.initiateLogin({ identifier, secretHash, clientName: `robot CLI on ${os.hostname()}` }, { signal });
  } catch (error) {
    throw new CliFailure(describe(error, server));
  }
  io.out(`Open this URL in your browser to log in:\n\n  ${started.oauthUrl}\n`);
  io.out(`Confirmation code: ${started.confirmationCode} (type it in the browser when it asks; never share it)`);
  openBrowser(started.oauthUrl);

  // Resume for as long as the server may still hand the token over: the login's deadline, or the
  // delivery grace period of a login confirmed just before it.
  const deadline = (Number(started.expiresAt) + CLI_DELIVERY_GRACE_SECONDS) * 1000;
  let lastStage: Stage | undefined;
  let retries = 0;
  for (;;) {
    try {
      for await (const message of client.awaitLogin({ sessionId: started.sessionId, secret }, { signal })) {
        retries = 0;
        if (message.event.case === 'progress' && message.event.value.stage !== lastStage) {
          lastStage = message.event.value.stage;
          io.out(message.event.value.message);
        } else if (message.event.case === 'completed') {
          const done = message.event.value;
          saveLogin(server, { token: done.token, did: done.did, handle: done.handle, username: done.username, expiresAt: Number(done.expiresAt) });
          io.out(`Logged in as ${done.handle ? `@${done.handle}` : done.username} (${done.did}).`);
          io.out(`Token saved to ${credentialsFile()}`);
          return;
        }
      }
      // The server ends a stream without a token only when it is shutting down.
      throw new ConnectError('the server closed the login stream', Code.Unavailable);
    } catch (error) {
      if (signal.aborted) throw new CliFailure('login cancelled');
      const lost = error instanceof ConnectError && CONNECTION_LOST.has(error.code);
      if (!lost || Date.now() >= deadline) throw new CliFailure(describe(error, server));
      if (retries === 0) io.err(`Lost the connection to ${server}; reconnecting…`);
      await sleep(Math.min(FIRST_RETRY_MS * 2 ** retries, MAX_RETRY_MS), undefined, { signal }).catch(() => {});
      retries += 1;
    }
  }
}

export async function whoami(server: string, io: Output): Promise<void> {
  const stored = readLogin(server);
  if (!stored) throw new CliFailure(`not logged in to ${server}; run robot login <handle> --server ${server}`);
  try {
    const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', server));
    // What a CLI login delivers is a `cli+jwt`: no browser session (catalogue CL-09).
    const { payload } = await jwtVerify(stored.token, jwks, { typ: CLI_JWT_TYPE, algorithms: ['ES256'] });
    io.out(`${stored.handle ? `@${stored.handle}` : stored.username} (${payload.sub}), username ${stored.username}`);
    io.out(`command-line credential valid until ${new Date(payload.exp! * 1000).toISOString()}`);
  } catch (error) {
    throw new CliFailure(`the stored token for ${server} is not valid: ${(error as Error).message}`);
  }
}
