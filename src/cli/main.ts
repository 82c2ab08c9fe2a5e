// The `robot` command: one table of commands, each with its arguments and flags parsed strictly
// (node:util parseArgs: an unknown flag or a missing argument is an error, never ignored). Every
// failure is one clear line and a non-zero exit: 2 for a command line that cannot be run, 1 otherwise.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { ConfigError } from '../config/env.ts';
import { loadConfig, longestPlatformTokenSeconds } from '../config/config.ts';
import { KeyFileError, rotatePlatformKeys } from '../keys/keystore.ts';
import { DatabaseOpenError, migrateToLatest, openDatabase } from '../store/database.ts';
import { startServer } from '../main.ts';
import { CliFailure } from './failure.ts';
import { releaseStartupMemory } from './startup-memory.ts';

type Values = Record<string, string | boolean | undefined>;

interface Command {
  /** The words that name it: `['token', 'create']`. */
  words: string[];
  /** Positional arguments as shown in help: `<slug>` is required, `[file]` optional. */
  args: string[];
  options?: ParseArgsOptionsConfig;
  summary: string;
  run(args: string[], values: Values): Promise<number>;
}

const SERVER = { server: { type: 'string' } } as const satisfies ParseArgsOptionsConfig;

const io = { out: (line: string) => console.log(line), err: (line: string) => console.error(line) };

/** The client commands load the API client (and the server URL logic) only when run, not for `robot serve`. */
const wikiCommands = () => import('./wiki-commands.ts');
const serverOf = async (values: Values) => (await import('./login.ts')).serverUrl(values.server as string | undefined);

const COMMANDS: Command[] = [
  { words: ['serve'], args: [], summary: 'start the platform (configuration from the environment, see docs/configuration.md)', run: serve },
  { words: ['migrate'], args: [], summary: 'apply database migrations and exit', run: migrate },
  {
    words: ['keys', 'rotate'],
    args: [],
    summary: 'add a new platform signing key; the old one stays published until its tokens expire',
    run: rotateKeys,
  },
  {
    words: ['reindex'],
    args: ['[slug]'],
    summary: 'embed the pages of one wiki (or of every wiki) again for semantic search, and wait until done',
    run: async ([slug]) => (await import('./reindex.ts')).reindex(slug, io.out),
  },
  { words: ['login'], args: ['<handle>'], options: SERVER, summary: 'log in through your browser and store the credential', run: login },
  {
    words: ['whoami'],
    args: [],
    options: SERVER,
    summary: 'show who the stored credential belongs to, verified against the server’s keys',
    run: async (_, values) => {
      await (await import('./login.ts')).whoami(await serverOf(values), io);
      return 0;
    },
  },
  {
    words: ['logout'],
    args: [],
    options: SERVER,
    summary: 'end the stored credential on the server and forget it',
    run: async (_, values) => done((await wikiCommands()).logout(await serverOf(values), io)),
  },
  {
    words: ['wikis'],
    args: [],
    options: SERVER,
    summary: 'list the wikis you own or collaborate on',
    run: async (_, values) => done((await wikiCommands()).listWikis(await serverOf(values), io)),
  },
  {
    words: ['wiki', 'create'],
    args: ['<slug>'],
    options: { ...SERVER, name: { type: 'string' } },
    summary: 'make a wiki (--name NAME: its display name)',
    run: async ([slug], values) => done((await wikiCommands()).createWiki(await serverOf(values), slug!, values.name as string | undefined, io)),
  },
  {
    words: ['token', 'create'],
    args: ['<slug>'],
    options: { ...SERVER, read: { type: 'boolean' }, name: { type: 'string' } },
    summary: 'make a bearer token for a wiki’s MCP endpoint (--read: read only; --name NAME)',
    run: async ([slug], values) =>
      done((await wikiCommands()).createToken(await serverOf(values), slug!, { read: values.read === true, name: (values.name as string) ?? 'robot CLI' }, io)),
  },
  {
    words: ['export'],
    args: ['<slug>', '[file]'],
    options: SERVER,
    summary: 'save a wiki as a zip of Markdown files and a manifest (default file: <slug>.zip)',
    run: async ([slug, file], values) => done((await wikiCommands()).exportWiki(await serverOf(values), slug!, file, io)),
  },
  {
    words: ['import'],
    args: ['<file>'],
    options: { ...SERVER, slug: { type: 'string' } },
    summary: 'make a new wiki from an export or a folder of Markdown files (--slug SLUG; default: the file’s name)',
    run: async ([file], values) => done((await wikiCommands()).importWiki(await serverOf(values), file!, values.slug as string | undefined, io)),
  },
  { words: ['backup'], args: ['<file>'], summary: 'copy the SQLite database to a new file, consistent while serving', run: backup },
  { words: ['restore'], args: ['<file>'], summary: 'replace the SQLite database with a backup (stop the servers first)', run: restore },
];

const done = async (work: Promise<void>) => {
  await work;
  return 0;
};

function usageOf(command: Command): string {
  const flags = Object.entries(command.options ?? {}).map(([name, option]) =>
    option.type === 'string' ? `[--${name} ${name === 'server' ? 'URL' : name.toUpperCase()}]` : `[--${name}]`,
  );
  return ['robot', ...command.words, ...command.args, ...flags].join(' ');
}

const USAGE = `usage: robot <command>

commands:
${COMMANDS.map((command) => `  ${usageOf(command).slice('robot '.length)}\n      ${command.summary}`).join('\n')}
  help
      show this list (also --help, -h)`;

class UsageError extends Error {}

/** The command `argv` names (the longest match of its words) and the rest of the line. */
function commandOf(argv: string[]): { command: Command; rest: string[] } | undefined {
  const matches = COMMANDS.filter((command) => command.words.every((word, i) => argv[i] === word));
  const command = matches.sort((a, b) => b.words.length - a.words.length)[0];
  return command && { command, rest: argv.slice(command.words.length) };
}

function parse(command: Command, rest: string[]): { args: string[]; values: Values } {
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: command.options ?? {}, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs names the flag: "Unknown option '--port'", "Option '--server <value>' argument missing".
    throw new UsageError(`${(error as Error).message.split('. ')[0]}\nusage: ${usageOf(command)}`);
  }
  const required = command.args.filter((arg) => arg.startsWith('<')).length;
  if (parsed.positionals.length < required || parsed.positionals.length > command.args.length)
    throw new UsageError(`${command.words.join(' ')} takes ${command.args.join(' ') || 'no arguments'}\nusage: ${usageOf(command)}`);
  // No option is declared `multiple`, so no value is an array.
  return { args: parsed.positionals, values: parsed.values as Values };
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0) {
    console.error(USAGE);
    return 2;
  }
  if (['help', '--help', '-h'].includes(argv[0]!)) {
    console.log(USAGE);
    return 0;
  }
  const found = commandOf(argv);
  if (!found) {
    console.error(`robot: unknown command "${argv.join(' ')}"\n\n${USAGE}`);
    return 2;
  }
  try {
    const { args, values } = parse(found.command, found.rest);
    return await found.command.run(args, values);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`robot ${found.command.words.join(' ')}: ${error.message}`);
      return 2;
    }
    if (isExpectedFailure(error)) {
      console.error(`robot: ${(error as Error).message}`);
      return 1;
    }
    throw error;
  }
}

function isExpectedFailure(error: unknown): boolean {
  return (
    error instanceof ConfigError ||
    error instanceof DatabaseOpenError ||
    error instanceof KeyFileError ||
    error instanceof CliFailure ||
    (error instanceof Error && error.name === 'BackupError')
  );
}

async function login([handle]: string[], values: Values): Promise<number> {
  // The RPC client, loaded only for this command (not by `robot serve`).
  const { login } = await import('./login.ts');
  const controller = new AbortController();
  // Ctrl-C cancels the wait cleanly: the stream is closed and nothing is stored.
  const cancel = () => controller.abort();
  process.once('SIGINT', cancel);
  try {
    await login(handle!, await serverOf(values), io, controller.signal);
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

async function backup([file]: string[]): Promise<number> {
  const { backupSqlite, sqliteFileOf } = await import('../store/backup.ts');
  const { pages } = await backupSqlite(sqliteFileOf(loadConfig().databaseUrl), file!);
  console.log(`backed up ${pages} database pages to ${file}`);
  return 0;
}

async function restore([file]: string[]): Promise<number> {
  const { restoreSqlite, sqliteFileOf } = await import('../store/backup.ts');
  const target = sqliteFileOf(loadConfig().databaseUrl);
  const { pages } = await restoreSqlite(file!, target);
  console.log(`restored ${pages} database pages from ${file} into ${target}`);
  return 0;
}
