// Plain SQL for the statements on the hot paths and for the operations that decide races. Each text is
// written once, with `?` placeholders, and runs on both dialects (PostgreSQL sees `$1, $2, …`). Stores
// use this instead of the query builder where building and compiling a query per call costs more than
// running it (docs/benchmarks.md); route handlers never see either (docs/architecture.md).
import { CompiledQuery, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

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

/** Test seam: called with each statement's text before it runs; throwing fails that statement. */
export type BeforeStatement = (text: string) => void;

const postgresTexts = new Map<string, string>();

/** `?` → `$n`, once per distinct text. Our statements never contain a literal `?`. */
function forPostgres(text: string): string {
  let converted = postgresTexts.get(text);
  if (converted === undefined) {
    let n = 0;
    converted = text.replace(/\?/g, () => `$${++n}`);
    postgresTexts.set(text, converted);
  }
  return converted;
}

/** Runs plain SQL through Kysely's driver, so it shares Kysely's connection handling and its transactions. */
export function kyselySql(db: Kysely<Database>, dialect: Dialect, beforeStatement?: BeforeStatement): Sql {
  const execute = async <Row>(text: string, params: readonly unknown[]) => {
    beforeStatement?.(text);
    return db.executeQuery<Row>(CompiledQuery.raw(dialect === 'postgres' ? forPostgres(text) : text, [...params]));
  };
  return {
    dialect,
    one: async (text, params = []) => (await execute(text, params)).rows[0] as never,
    all: async (text, params = []) => (await execute(text, params)).rows as never,
    run: async (text, params = []) => Number((await execute(text, params)).numAffectedRows ?? 0),
    transaction: (work) => db.transaction().execute((tx) => work(kyselySql(tx, dialect, beforeStatement))),
  };
}
