// Where `robot login` keeps its tokens: $XDG_CONFIG_HOME/robot/credentials.json (or ~/.config),
// readable by the user alone, one entry per server.
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface StoredLogin {
  token: string;
  did: string;
  handle: string;
  username: string;
  expiresAt: number;
}

export function credentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'robot', 'credentials.json');
}

function readAll(file: string): Record<string, StoredLogin> {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { servers?: Record<string, StoredLogin> }).servers ?? {};
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
}

export function readLogin(server: string, file = credentialsFile()): StoredLogin | undefined {
  return readAll(file)[server];
}

export function saveLogin(server: string, login: StoredLogin, file = credentialsFile()): void {
  const servers = { ...readAll(file), [server]: login };
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ servers }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
}
