// Plain SQL for the statements on the hot paths and for the operations that decide races. Each text is
// written once, with `?` placeholders, and runs on both dialects (PostgreSQL sees `$1, $2, …`). Stores
// use this instead of the query builder where building and compiling a query per call costs more than
// running it (docs/benchmarks.md); route handlers never see either (docs/architecture.md).
//
// It runs beside Kysely on the same connections: on SQLite the one better-sqlite3 connection under the
// lock Kysely's driver takes too (./sqlite-connection.ts), on PostgreSQL the same pg pool. Statements
// are prepared once per connection, so a query names its columns rather than `select *`: PostgreSQL
// refuses a prepared plan whose result columns a migration has since changed.
import { CompiledQuery, type QueryResult } from 'kysely';
import type pg from 'pg';
import type { SqliteConnection } from './sqlite-connection.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface Sql {
  readonly dialect: Dialect;
  /** The first row the statement returns, or undefined. */
  one<Row>(text: string, params?: readonly unknown[]): Promise<Row | undefined>;
  all<Row>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a write; resolves to the number of rows it inserted, updated or deleted. */
  run(text: string, params?: readonly unknown[]): Promise<number>;
  /**
   * Runs `work` as one transaction: committed when it resolves, rolled back when it throws. `work` must
   * use only the `tx` it is given. Transactions do not nest.
   */
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
}

/**
 * The same plain statements inside a transaction Kysely opened (`tx.executeQuery`), for a store that
 * builds most of its queries but shares a decision with plain-SQL ones (the wiki size counter,
 * ./wiki-usage.ts). Placeholders are numbered for PostgreSQL as everywhere here.
 */
export function sqlInKyselyTransaction(dialect: Dialect, tx: { executeQuery<Row>(query: CompiledQuery<Row>): Promise<QueryResult<Row>> }): Sql {
  const execute = <Row>(text: string, params: readonly unknown[]) => {
    let n = 0;
    const dialectText = dialect === 'postgres' ? text.replace(/\?/g, () => `$${++n}`) : text;
    return tx.executeQuery<Row>(CompiledQuery.raw(dialectText, [...params]));
  };
  return {
    dialect,
    one: async (text, params = []) => (await execute(text, params)).rows[0] as never,
    all: async (text, params = []) => (await execute(text, params)).rows as never,
    run: async (text, params = []) => Number((await execute(text, params)).numAffectedRows ?? 0),
    transaction: noNesting,
  };
}

/** Test seam: called with each statement's text before it runs; throwing fails that statement. */
export type BeforeStatement = (text: string) => void;

const noNesting = (): never => {
  throw new Error('plain-SQL transactions do not nest');
};

/**
 * SQLite: better-sqlite3 runs a statement synchronously, so when nobody holds the connection a plain
 * statement runs at once, with no queueing and no builder. Otherwise it waits its turn on the lock,
 * behind any transaction (Kysely's or ours) in progress.
 */
export function sqliteSql(connection: SqliteConnection, beforeStatement?: BeforeStatement): Sql {
  const { lock, database } = connection;
  const statement = (text: string) => {
    beforeStatement?.(text);
    return connection.prepare(text);
  };
  // Run with the connection already ours (inside a transaction, or right after taking the lock). A
  // statement that returns no rows still runs under `one` and `all`, and yields none, as on PostgreSQL.
  const owned: Sql = {
    dialect: 'sqlite',
    one: async (text, params = []) => {
      const prepared = statement(text);
      if (prepared.reader) return prepared.get(params) as never;
      prepared.run(params);
      return undefined;
    },
    all: async (text, params = []) => {
      const prepared = statement(text);
      if (prepared.reader) return prepared.all(params) as never;
      prepared.run(params);
      return [];
    },
    run: async (text, params = []) => statement(text).run(params).changes,
    transaction: noNesting,
  };
  const locked = async <T>(work: () => Promise<T>): Promise<T> => {
    await lock.acquire();
    try {
      return await work();
    } finally {
      lock.release();
    }
  };
  return {
    dialect: 'sqlite',
    one: (text, params) => (lock.free ? owned.one(text, params) : locked(() => owned.one(text, params))),
    all: (text, params) => (lock.free ? owned.all(text, params) : locked(() => owned.all(text, params))),
    run: (text, params) => (lock.free ? owned.run(text, params) : locked(() => owned.run(text, params))),
    transaction: (work) =>
      locked(async () => {
        connection.prepare('begin').run();
        try {
          const result = await work(owned);
          connection.prepare('commit').run();
          return result;
        } catch (error) {
          // A failed commit (SQLITE_BUSY) leaves the transaction open; a failed statement may not.
          if (database.inTransaction) connection.prepare('rollback').run();
          throw error;
        }
      }),
  };
}

/** Statement names, one per distinct text: the server parses each text once per connection. */
const postgresStatements = new Map<string, { name: string; text: string }>();

/** `?` → `$n`, once per distinct text. Our statements never contain a literal `?`. */
function preparedForPostgres(text: string): { name: string; text: string } {
  let prepared = postgresStatements.get(text);
  if (prepared === undefined) {
    let n = 0;
    prepared = { name: `robot_${postgresStatements.size + 1}`, text: text.replace(/\?/g, () => `$${++n}`) };
    postgresStatements.set(text, prepared);
  }
  return prepared;
}

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/** PostgreSQL: named prepared statements on Kysely's pool; a transaction holds one client throughout. */
export function postgresSql(pool: pg.Pool, beforeStatement?: BeforeStatement): Sql {
  const on = (queryable: Queryable): Sql => {
    const execute = <Row extends pg.QueryResultRow>(text: string, params: readonly unknown[]) => {
      beforeStatement?.(text);
      return queryable.query<Row>({ ...preparedForPostgres(text), values: params as unknown[] });
    };
    return {
      dialect: 'postgres',
      one: async (text, params = []) => (await execute(text, params)).rows[0] as never,
      all: async (text, params = []) => (await execute(text, params)).rows as never,
      run: async (text, params = []) => (await execute(text, params)).rowCount ?? 0,
      transaction: queryable === pool ? (work) => transaction(work) : noNesting,
    };
  };
  const transaction = async <T>(work: (tx: Sql) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query('begin');
      const result = await work(on(client));
      // PostgreSQL answers COMMIT with ROLLBACK when an earlier error, caught inside `work`, aborted it.
      if ((await client.query('commit')).command === 'ROLLBACK') throw new Error('transaction aborted by an earlier error');
      client.release();
      return result;
    } catch (error) {
      try {
        await client.query('rollback');
        client.release();
      } catch (rollbackError) {
        // The connection is gone or broken: discard it rather than return it to the pool.
        client.release(rollbackError as Error);
      }
      throw error;
    }
  };
  return on(pool);
}
