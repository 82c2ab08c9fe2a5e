// The one better-sqlite3 connection, shared by Kysely and the plain-SQL seam (./sql.ts) under ONE
// lock. SQLite has a single connection, so a transaction owns it from `begin` to `commit`; Kysely
// awaits between a transaction's statements, and a plain statement run in such a gap would join that
// transaction (and be rolled back with it). Kysely's own mutex cannot be shared, so this dialect
// replaces it: its driver takes the lock below for every connection it hands out.
import type BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';

/** A FIFO lock: whoever holds it owns the connection; release hands it straight to the next waiter. */
export class ConnectionLock {
  #held = false;
  readonly #waiters: Array<() => void> = [];

  /** True when nobody holds the lock or waits for it: a synchronous statement may run right now. */
  get free(): boolean {
    return !this.#held;
  }

  acquire(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#held = false;
  }
}

/** Enough for every distinct statement the platform issues; a flood of ad-hoc SQL just starts over. */
const STATEMENT_CACHE_SIZE = 500;

/** The connection with its lock and its prepared statements. */
export class SqliteConnection {
  readonly lock = new ConnectionLock();
  readonly #statements = new Map<string, BetterSqlite3.Statement>();

  constructor(readonly database: BetterSqlite3.Database) {}

  /**
   * Compiling SQL was ~15 % of a code flow's CPU (docs/benchmarks.md). A better-sqlite3 statement is
   * reusable, and SQLite re-prepares it by itself after a schema change, so each distinct text is
   * compiled once.
   */
  prepare(text: string): BetterSqlite3.Statement {
    let statement = this.#statements.get(text);
    if (!statement) {
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) this.#statements.clear();
      statement = this.database.prepare(text);
      this.#statements.set(text, statement);
    }
    return statement;
  }
}

/** Kysely's SQLite dialect on our connection: same compiler, adapter and introspector, our driver. */
export class LockedSqliteDialect implements Dialect {
  constructor(private readonly connection: SqliteConnection) {}
  createDriver(): Driver {
    return new LockedSqliteDriver(this.connection);
  }
  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }
  createAdapter() {
    return new LockingSqliteAdapter();
  }
  createIntrospector(db: Kysely<unknown>) {
    return new SqliteIntrospector(db);
  }
}

/** Tells Kysely not to add its own mutex: our driver's lock already serialises the connection. */
class LockingSqliteAdapter extends SqliteAdapter {
  override get supportsMultipleConnections(): boolean {
    return true;
  }
}

class LockedSqliteDriver implements Driver {
  readonly #kyselyConnection: DatabaseConnection;
  constructor(private readonly connection: SqliteConnection) {
    this.#kyselyConnection = kyselyConnection(connection);
  }
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    await this.connection.lock.acquire();
    return this.#kyselyConnection;
  }
  async releaseConnection(): Promise<void> {
    this.connection.lock.release();
  }
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }
  async destroy(): Promise<void> {
    this.connection.database.close();
  }
}

function kyselyConnection(connection: SqliteConnection): DatabaseConnection {
  return {
    async executeQuery<Row>({ sql, parameters }: CompiledQuery): Promise<QueryResult<Row>> {
      const statement = connection.prepare(sql);
      if (statement.reader) return { rows: statement.all(parameters) as Row[] };
      const { changes, lastInsertRowid } = statement.run(parameters);
      return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
    },
    // Nothing of ours streams; Kysely's interface requires the method.
    async *streamQuery<Row>({ sql, parameters }: CompiledQuery): AsyncIterableIterator<QueryResult<Row>> {
      for (const row of connection.prepare(sql).iterate(parameters)) yield { rows: [row as Row] };
    },
  };
}
