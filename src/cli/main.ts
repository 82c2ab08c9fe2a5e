// The `robot` command: serve, migrate, keys rotate. Every failure is one clear line and a non-zero exit.
import { ConfigError } from '../config/env.ts';
import { loadConfig, longestPlatformTokenSeconds } from '../config/config.ts';
import { KeyFileError, rotatePlatformKeys } from '../keys/keystore.ts';
import { DatabaseOpenError, migrateToLatest, openDatabase } from '../store/database.ts';
import { startServer } from '../main.ts';
import { CliFailure } from './failure.ts';
import { releaseStartupMemory } from './startup-memory.ts';

const USAGE = `usage: robot <command>

commands:
  serve          start the platform (configuration from the environment, see docs/configuration.md)
  migrate        apply database migrations and exit
  keys rotate    add a new platform signing key; the old one stays published until its tokens expire
  reindex [SLUG] embed the pages of one wiki (or of all) again for semantic search, and wait until done
  login <handle> [--server URL]
                 log in through your browser and store the platform token
  whoami [--server URL]
                 show who the stored token belongs to, verified against the server's keys`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve();
      case 'migrate':
        return await migrate();
      case 'keys':
        if (rest[0] === 'rotate') return await rotateKeys();
        break;
      case 'reindex':
        return await (await import('./reindex.ts')).reindex(rest, io.out);
      case 'login':
      case 'whoami':
        return await clientCommand(command, rest);
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return 0;
    }
    console.error(command ? `robot: unknown command "${[command, ...rest].join(' ')}"\n\n${USAGE}` : USAGE);
    return 2;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof DatabaseOpenError || error instanceof KeyFileError || error instanceof CliFailure) {
      console.error(`robot: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

const io = { out: (line: string) => console.log(line), err: (line: string) => console.error(line) };

async function clientCommand(command: 'login' | 'whoami', args: string[]): Promise<number> {
  // The RPC client, loaded only for these commands (not by `robot serve`).
  const { login, serverUrl, whoami } = await import('./login.ts');
  const serverIndex = args.indexOf('--server');
  const server = serverUrl(serverIndex === -1 ? undefined : args[serverIndex + 1]);
  const positional = args.filter((_, i) => i !== serverIndex && i !== serverIndex + 1);
  if (command === 'whoami') {
    await whoami(server, io);
    return 0;
  }
  if (positional.length !== 1 || positional[0]!.startsWith('-')) throw new CliFailure('usage: robot login <handle> [--server URL]');
  const controller = new AbortController();
  // Ctrl-C cancels the wait cleanly: the stream is closed and nothing is stored.
  const cancel = () => controller.abort();
  process.once('SIGINT', cancel);
  try {
    await login(positional[0]!, server, io, controller.signal);
    return 0;
  } catch (error) {
    if (controller.signal.aborted) {
      console.error('robot: login cancelled');
      return 130;
    }
    throw error;
  } finally {
    process.off('SIGINT', cancel);
  }
}

async function serve(): Promise<number> {
  const config = loadConfig();
  const running = await startServer(config);
  releaseStartupMemory();
  console.log(`robot.wtf is running at ${config.publicUrl}`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await running.close();
  return 0;
}

async function migrate(): Promise<number> {
  const config = loadConfig();
  const database = await openDatabase(config.databaseUrl);
  try {
    const { results = [] } = await migrateToLatest(database.db);
    console.log(results.length ? results.map((r) => `applied ${r.migrationName}`).join('\n') : 'database is up to date');
    return 0;
  } finally {
    await database.close();
  }
}

async function rotateKeys(): Promise<number> {
  const config = loadConfig();
  const retireAfter = longestPlatformTokenSeconds(config) + 60;
  const { retired, active } = await rotatePlatformKeys(config.platformKeysFile, retireAfter);
  console.log(`new signing key ${active}${retired.length ? `; retired ${retired.join(', ')} (still published until its tokens expire)` : ''}`);
  console.log('restart running servers to start signing with the new key');
  return 0;
}
