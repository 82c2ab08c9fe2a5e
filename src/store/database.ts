// Opens the database named by DATABASE_URL (sqlite: or postgres://) as one Kysely instance and runs
// the numbered migrations. Everything above this module is dialect-agnostic.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, sql, type KyselyConfig, type KyselyPlugin } from 'kysely';
import { Migrator, type MigrationResultSet } from 'kysely/migration';
import pg from 'pg';
import type { PoolStats } from '../metrics.ts';
import { migrations } from './migrations/index.ts';
import type { Database } from './schema.ts';
import { postgresSql, sqliteSql, type BeforeStatement, type Dialect, type Sql } from './sql.ts';
import { LockedSqliteDialect, SqliteConnection } from './sqlite-connection.ts';

export type { Dialect } from './sql.ts';

/**
 * The query builder, carrying the plain-SQL seam on the same connections: a store given `db` reads its
 * hot rows through `db.sql` and builds everything else.
 */
export class StoreDb extends Kysely<Database> {
  constructor(
    config: KyselyConfig,
    readonly sql: Sql,
  ) {
    super(config);
  }
}

export interface DatabaseHandle {
  db: StoreDb;
  /** Plain SQL on the same connections (./sql.ts). */
  sql: Sql;
  dialect: Dialect;
  /** PostgreSQL: the pool's connections, for the metrics. */
  poolStats?: () => PoolStats;
  close(): Promise<void>;
}

/**
 * Test seams, to fail chosen statements with the driver's own error (catalogue DB-01..04): Kysely
 * plugins see built queries, `beforeStatement` sees the text of plain SQL.
 */
export interface StatementFaults {
  plugins?: KyselyPlugin[];
  beforeStatement?: BeforeStatement;
}

export class DatabaseOpenError extends Error {
  override name = 'DatabaseOpenError';
}

// int8 columns come back from pg as strings by default; ours are epoch seconds, well inside 2^53.
const PG_INT8_OID = 20;
const pgTypes = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === PG_INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text'),
};

export async function openDatabase(databaseUrl: string, faults: StatementFaults = {}): Promise<DatabaseHandle> {
  if (databaseUrl.startsWith('sqlite:')) return openSqlite(databaseUrl.slice('sqlite:'.length), faults);
  return openPostgres(databaseUrl, faults);
}

function openSqlite(file: string, { plugins = [], beforeStatement }: StatementFaults): DatabaseHandle {
  let sqlite: BetterSqlite3.Database;
  try {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    sqlite = new BetterSqlite3(file);
    // WAL + NORMAL: durable across process crashes, one fsync per checkpoint rather than per commit.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
  } catch (error) {
    throw new DatabaseOpenError(`cannot open SQLite database ${file}: ${(error as Error).message}`);
  }
  const connection = new SqliteConnection(sqlite);
  const db = new StoreDb({ dialect: new LockedSqliteDialect(connection), plugins }, sqliteSql(connection, beforeStatement));
  return { db, sql: db.sql, dialect: 'sqlite', close: () => db.destroy() };
}

async function openPostgres(url: string, { plugins = [], beforeStatement }: StatementFaults): Promise<DatabaseHandle> {
  const pool = new pg.Pool({ connectionString: url, max: 10, types: pgTypes, connectionTimeoutMillis: 5000 });
  // A client that loses its server must not crash the process, idle in the pool or checked out (pg
  // emits 'error' on it either way); the query in flight, or the next one, reports it (catalogue DB-01).
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new StoreDb({ dialect: new PostgresDialect({ pool }), plugins }, postgresSql(pool, beforeStatement));
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    await db.destroy();
    throw new DatabaseOpenError(`cannot connect to PostgreSQL: ${(error as Error).message}`);
  }
  const poolStats = () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });
  return { db, sql: db.sql, dialect: 'postgres', poolStats, close: () => db.destroy() };
}

export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
  const result = await migrator.migrateToLatest();
  if (result.error) throw result.error;
  return result;
}
