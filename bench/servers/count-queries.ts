// Diagnostic mode (BENCH_QUERIES=1): counts every SQL statement a server runs, by SQL text, so the
// driver can report the reads and writes one operation costs (DESIGN.md §6: count writes per flow).
// SQLite: it wraps better-sqlite3's prepare, which both our Kysely dialect and the SQLite adapter use.
// PostgreSQL: it wraps node-postgres' Client#query, which every pool query, Kysely's dialect and the
// PostgreSQL adapter go through — so BEGIN and COMMIT show up too, as the statements they are.
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';

const counts = new Map<string, number>();

export function queryCounts(): Record<string, number> {
  return Object.fromEntries(counts);
}

const count = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
const normalise = (source: string) => source.replace(/\s+/g, ' ').trim();

export function countQueries(): void {
  countSqlite();
  countPostgres();
}

function countSqlite(): void {
  const database = BetterSqlite3.prototype as unknown as { prepare(this: unknown, source: string): Record<string, unknown> };
  const prepare = database.prepare;
  database.prepare = function (this: unknown, source: string) {
    const statement = prepare.call(this, source);
    const key = `${statement.reader ? 'read ' : 'write'} ${normalise(source)}`;
    for (const method of ['run', 'get', 'all', 'iterate']) {
      const original = statement[method] as (...args: unknown[]) => unknown;
      statement[method] = function (this: unknown, ...args: unknown[]) {
        count(key);
        return original.apply(this, args);
      };
    }
    return statement;
  };
}

function countPostgres(): void {
  const client = pg.Client.prototype as unknown as { query(this: unknown, ...args: unknown[]): unknown };
  const query = client.query;
  client.query = function (this: unknown, ...args: unknown[]) {
    // query(text, …), query({ text, name, values }, …), or a Submittable with a `text`.
    const [first] = args;
    const text = typeof first === 'string' ? first : (first as { text?: unknown } | undefined)?.text;
    if (typeof text === 'string') {
      const sql = normalise(text);
      // pg has no read-only flag per statement as SQLite has: a SELECT (or WITH … SELECT) is a read.
      count(`${/^(select|with)\b/i.test(sql) && !/\b(insert|update|delete)\b/i.test(sql) ? 'read ' : 'write'} ${sql}`);
    }
    return query.apply(this, args);
  };
}
