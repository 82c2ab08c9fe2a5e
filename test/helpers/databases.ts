// The two storage backends every store test runs against: a temporary SQLite file, and a fresh
// database on the real PostgreSQL server (created for the run and dropped afterwards).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const BACKENDS = ['sqlite', 'postgres'] as const;

/**
 * The backends a suite that runs on both is run against: both, unless ROBOT_TEST_DATABASES names
 * some (`npm run test:fast` sets `sqlite`). `npm test` leaves it unset, so nothing is left out there.
 */
export const TEST_DATABASES: readonly TestDatabase['name'][] = chosenBackends(process.env.ROBOT_TEST_DATABASES);

function chosenBackends(setting: string | undefined): TestDatabase['name'][] {
  if (setting === undefined) return [...BACKENDS];
  const names = setting.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(BACKENDS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`ROBOT_TEST_DATABASES must list some of ${BACKENDS.join(', ')}; got ${JSON.stringify(setting)}`);
  return BACKENDS.filter((name) => names.includes(name));
}

export interface TestDatabase {
  name: (typeof BACKENDS)[number];
  url: string;
  drop(): Promise<void>;
}

/** `postgresUrl`: the server to create the PostgreSQL database on (the benchmarks pass their DATABASE_URL). */
export async function createTestDatabase(kind: 'sqlite' | 'postgres', postgresUrl = TEST_POSTGRES_URL): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'robot-store-'));
    return { name: 'sqlite', url: `sqlite:${path.join(dir, 'test.sqlite')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const database = `robot_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${database}`);
  } finally {
    await admin.end();
  }
  const url = new URL(postgresUrl);
  url.pathname = `/${database}`;
  return {
    name: 'postgres',
    url: url.href,
    async drop() {
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${database} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
