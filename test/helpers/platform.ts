// Starts the platform the way `robot serve` does, on a free loopback port with its own data dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { createLogger } from '../../src/log.ts';
import { startServer, type PlatformOptions, type RunningServer } from '../../src/main.ts';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Every log line the platform writes, for secret-hygiene assertions (catalogue LG-01). */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  text(): string {
    return this.lines.join('\n');
  }
}

export interface TestPlatform extends RunningServer {
  config: Config;
  logs: LogCapture;
  dataDir: string;
}

export async function startTestPlatform(env: Record<string, string> = {}, options: PlatformOptions = {}): Promise<TestPlatform> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'robot-test-'));
  const config = loadConfig({ PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'debug', ...env });
  const logs = new LogCapture();
  const running = await startServer(config, { log: createLogger('debug', logs), ...options });
  return {
    ...running,
    config,
    logs,
    dataDir,
    async close() {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function atprotoEnv(network: { pdsUrl: string; plcUrl: string }): Record<string, string> {
  return {
    ATPROTO_PLC_URL: network.plcUrl,
    ATPROTO_HANDLE_RESOLVER: network.pdsUrl,
    DANGEROUSLY_ALLOW_INSECURE_ATPROTO: '1',
  };
}
