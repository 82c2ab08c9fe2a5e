// Where `robot login` keeps its tokens: $XDG_CONFIG_HOME/robot/credentials.json (or ~/.config),
// readable by the user alone, one entry per server, and which server was logged in to last (the one
// client commands use when none is given).
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

interface CredentialsFile {
  servers: Record<string, StoredLogin>;
  current?: string;
}

function readAll(file: string): CredentialsFile {
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<CredentialsFile>;
    return { servers: stored.servers ?? {}, current: stored.current };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { servers: {} };
    throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
}

function writeAll(file: string, contents: CredentialsFile): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
}

export function readLogin(server: string, file = credentialsFile()): StoredLogin | undefined {
  return readAll(file).servers[server];
}

/** The server logged in to last, if its login is still stored. */
export function currentServer(file = credentialsFile()): string | undefined {
  const { servers, current } = readAll(file);
  return current && servers[current] ? current : undefined;
}

export function saveLogin(server: string, login: StoredLogin, file = credentialsFile()): void {
  writeAll(file, { servers: { ...readAll(file).servers, [server]: login }, current: server });
}

/** Forgets the login for `server`; false when there was none. */
export function forgetLogin(server: string, file = credentialsFile()): boolean {
  const { servers, current } = readAll(file);
  if (!servers[server]) return false;
  delete servers[server];
  writeAll(file, { servers, current: current === server ? undefined : current });
  return true;
}
